import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Endpoint from "../Endpoint.js"
import * as TokenError from "../TokenError.js"

// RFC 6749 §5.2: error = 1*( %x20-21 / %x23-5B / %x5D-7E ) — no quote, no backslash
const errorCode = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/

const optionalText = (value: unknown): Option.Option<string> =>
  typeof value === "string" && value.trim() !== "" ? Option.some(value) : Option.none()

/**
 * What the `error` member of an endpoint's body says (RFC 6749 §5.2) — the
 * one place where an OAuth error body is read, whichever endpoint answered:
 * `undefined` when there is none (absent, `null` or empty), an `OAuthError`,
 * or `"Unusable"` when it is not a string of the RFC's characters. A body
 * mangled on the way, or a form-encoded one read from prose, can run an
 * `error` into the fields after it — tokens included — and an error code is
 * shown in messages: such a value is never taken as one.
 *
 * @internal
 */
export const read = (
  endpoint: Endpoint.Name,
  body: Readonly<Record<string, unknown>>,
  status: number,
  retryAfter: Option.Option<Duration.Duration>
): TokenError.OAuthError | "Unusable" | undefined => {
  const error = body["error"]
  if (error === undefined || error === null || error === "") return undefined
  if (typeof error !== "string" || !errorCode.test(error)) return "Unusable"
  return new TokenError.OAuthError({
    endpoint,
    status,
    error,
    description: optionalText(body["error_description"]),
    uri: optionalText(body["error_uri"]),
    retryAfter
  })
}

/**
 * The reason given for an unusable `error` member.
 *
 * @internal
 */
export const unusableReason = "is not an error code (RFC 6749 §5.2: printable ASCII without quotes or backslashes)"

/**
 * A {@link TokenError.ReauthorizationRequired} raised here rather than by a
 * server: its cause is the `invalid_grant` refusal a server would have sent,
 * with `description` as its description; `reason` says why, when it is not
 * a refusal (a DPoP key that is gone).
 *
 * @internal
 */
export const reauthorizationRequired = (
  description: string,
  reason?: TokenError.ReauthorizationRequired["reason"]
) =>
  Effect.fail(
    new TokenError.ReauthorizationRequired({
      cause: new TokenError.OAuthError({
        endpoint: "token",
        status: 400,
        error: "invalid_grant",
        description: Option.some(description),
        uri: Option.none(),
        retryAfter: Option.none()
      }),
      ...(reason === undefined ? {} : { reason })
    })
  )
