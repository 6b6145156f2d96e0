import * as Duration from "effect/Duration"
import * as Redacted from "effect/Redacted"
import type * as AccessToken from "../AccessToken.js"

/** @internal */
export const windowMillis = (self: AccessToken.AccessToken, window: AccessToken.RefreshWindow): number => {
  const lifetime = Math.max(0, self.expiresAt - self.issuedAt)
  const skew = Math.max(0, Duration.toMillis(Duration.decode(window.skew)))
  const fraction = Math.min(1, Math.max(0, window.maxWindowFraction))
  return Math.min(skew, Math.floor(lifetime * fraction))
}

/** @internal */
export const marginMillis = (self: AccessToken.AccessToken, window: AccessToken.RefreshWindow): number =>
  window.safetyMargin === undefined
    ? 0
    : Math.min(windowMillis(self, window), Math.max(0, Duration.toMillis(Duration.decode(window.safetyMargin))))

/** @internal */
export const freshness = (
  self: AccessToken.AccessToken,
  now: number,
  window: AccessToken.RefreshWindow
): AccessToken.Freshness =>
  now >= self.expiresAt - marginMillis(self, window)
    ? "Expired"
    : now >= self.expiresAt - windowMillis(self, window)
    ? "Stale"
    : "Fresh"

/** @internal */
export const authorizationHeader = (self: AccessToken.AccessToken): Redacted.Redacted<string> =>
  Redacted.make(`${self.type} ${Redacted.value(self.token)}`)

/** @internal */
export const sameToken = (self: AccessToken.AccessToken, that: AccessToken.AccessToken): boolean =>
  self === that || Redacted.value(self.token) === Redacted.value(that.token)
