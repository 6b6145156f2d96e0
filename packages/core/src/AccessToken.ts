/**
 * An OAuth 2.0 access token as a value: the token itself, its type, when it
 * was issued and when it expires, its scopes and the refresh token, if any.
 *
 * Token and refresh token are `Redacted`: printing, logging or serialising an
 * `AccessToken` never shows them.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Dpop from "./Dpop.js"
import * as internal from "./internal/accessToken.js"

/**
 * An access token obtained from a token endpoint.
 *
 * `issuedAt` is the time the token request was *sent* (so network time never
 * makes a token look younger than it is) and `expiresAt` is absolute; both are
 * epoch milliseconds read from Effect's `Clock`.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { AccessToken } from "@grantflow/core"
 * import { Option, Redacted } from "effect"
 *
 * const token = new AccessToken.AccessToken({
 *   token: Redacted.make("abc"),
 *   type: "Bearer",
 *   issuedAt: 0,
 *   expiresAt: 3_600_000,
 *   scopes: ["read"],
 *   refreshToken: Option.none()
 * })
 * String(token) // the token value is not in it
 * ```
 */
export class AccessToken extends Data.Class<{
  /** The access token, as sent in the `Authorization` header. */
  readonly token: Redacted.Redacted<string>
  /** The token type, `Bearer` (in that case) unless the server said otherwise. */
  readonly type: string
  /** When the token request was sent, epoch milliseconds. */
  readonly issuedAt: number
  /** When the token stops being valid, epoch milliseconds. */
  readonly expiresAt: number
  /** The granted scopes, as the server stated them; empty when it did not. */
  readonly scopes: ReadonlyArray<string>
  /** The refresh token, when the server issued one. */
  readonly refreshToken: Option.Option<Redacted.Redacted<string>>
  /**
   * The DPoP key (RFC 9449) the token was requested with, if any: the key a
   * DPoP-bound token — and its refresh token — is bound to. `BearerAuth`
   * presents the token with proofs of it, a refresh proves it again, and a
   * persistent `TokenStore` keeps it with the token, sealed as the token is.
   */
  readonly dpop?: Dpop.DpopKey | undefined
}> {}

/**
 * Where a token stands in its life at a given instant:
 *
 * - `Fresh`: serve it as it is;
 * - `Stale`: inside the refresh window: serve it, and refresh it in the background;
 * - `Expired`: expired, or within the safety margin before expiry: do not
 *   send it; wait for a new one.
 *
 * @since 0.1.0
 * @category models
 */
export type Freshness = "Fresh" | "Stale" | "Expired"

/**
 * How early before expiry a token is refreshed: `skew`, bounded by
 * `maxWindowFraction` of the token's lifetime so that a short-lived token is not
 * refreshed on every call; and how early it stops being served at all:
 * `safetyMargin` (none when absent), bounded by the window (see
 * {@link marginMillis}).
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshWindow {
  readonly skew: Duration.DurationInput
  readonly maxWindowFraction: number
  readonly safetyMargin?: Duration.DurationInput | undefined
}

/**
 * The length of the refresh window of a token, in milliseconds: the smaller of
 * the skew and `maxWindowFraction` × lifetime, and never negative.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { AccessToken } from "@grantflow/core"
 * import { Option, Redacted } from "effect"
 *
 * const token = new AccessToken.AccessToken({
 *   token: Redacted.make("abc"), type: "Bearer", issuedAt: 0, expiresAt: 30_000,
 *   scopes: [], refreshToken: Option.none()
 * })
 * AccessToken.windowMillis(token, { skew: "60 seconds", maxWindowFraction: 0.5 }) // 15000
 * ```
 */
export const windowMillis: (self: AccessToken, window: RefreshWindow) => number = internal.windowMillis

/**
 * The safety margin of a token, in milliseconds: how long before `expiresAt`
 * it is no longer handed out, because the server may already consider it
 * expired (servers round issue times down; a starved process uses a token
 * late). The window's `safetyMargin`, never longer than the refresh window
 * ({@link windowMillis}) — so never more than `maxWindowFraction` of the
 * lifetime — and never negative.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { AccessToken } from "@grantflow/core"
 * import { Option, Redacted } from "effect"
 *
 * const token = new AccessToken.AccessToken({
 *   token: Redacted.make("abc"), type: "Bearer", issuedAt: 0, expiresAt: 3_000,
 *   scopes: [], refreshToken: Option.none()
 * })
 * // the 2-second margin is bounded by the 1.5-second window of a 3-second token
 * AccessToken.marginMillis(token, { skew: "60 seconds", maxWindowFraction: 0.5, safetyMargin: "2 seconds" }) // 1500
 * ```
 */
export const marginMillis: (self: AccessToken, window: RefreshWindow) => number = internal.marginMillis

/**
 * The freshness of a token at `now` (epoch milliseconds). The window starts at
 * `expiresAt - windowMillis`: one millisecond before it the token is fresh, at
 * it stale; at `expiresAt - marginMillis` it is expired.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { AccessToken } from "@grantflow/core"
 * import { Option, Redacted } from "effect"
 *
 * const token = new AccessToken.AccessToken({
 *   token: Redacted.make("abc"), type: "Bearer", issuedAt: 0, expiresAt: 600_000,
 *   scopes: [], refreshToken: Option.none()
 * })
 * const window: AccessToken.RefreshWindow = { skew: "60 seconds", maxWindowFraction: 0.5, safetyMargin: "2 seconds" }
 * AccessToken.freshness(token, 539_999, window) // "Fresh"
 * AccessToken.freshness(token, 540_000, window) // "Stale"
 * AccessToken.freshness(token, 598_000, window) // "Expired"
 * ```
 */
export const freshness: (self: AccessToken, now: number, window: RefreshWindow) => Freshness = internal.freshness

/**
 * The value of the `Authorization` header that presents this token, e.g.
 * `Bearer abc`. The result is `Redacted` so that it cannot be logged by
 * accident.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { AccessToken } from "@grantflow/core"
 * import { Option, Redacted } from "effect"
 *
 * const token = new AccessToken.AccessToken({
 *   token: Redacted.make("abc"), type: "Bearer", issuedAt: 0, expiresAt: 1,
 *   scopes: [], refreshToken: Option.none()
 * })
 * Redacted.value(AccessToken.authorizationHeader(token)) // "Bearer abc"
 * ```
 */
export const authorizationHeader: (self: AccessToken) => Redacted.Redacted<string> = internal.authorizationHeader

/**
 * Tells whether two tokens carry the same access token value. Used to
 * invalidate a cached token only if it is still the one that was rejected.
 *
 * @since 0.1.0
 * @category predicates
 * @example
 * ```ts
 * import { AccessToken } from "@grantflow/core"
 * import { Option, Redacted } from "effect"
 *
 * const make = (value: string) => new AccessToken.AccessToken({
 *   token: Redacted.make(value), type: "Bearer", issuedAt: 0, expiresAt: 1,
 *   scopes: [], refreshToken: Option.none()
 * })
 * AccessToken.sameToken(make("a"), make("a")) // true
 * ```
 */
export const sameToken: (self: AccessToken, that: AccessToken) => boolean = internal.sameToken
