/**
 * The typed failures of obtaining an access token from a token endpoint.
 *
 * Every error says what happened and what to do about it, keeps its `cause`,
 * tells whether trying again can help (`retryable`), and never contains a
 * client secret, an access token or a refresh token. Text from the server
 * (an OAuth `error`, its description, a field name) appears in a message with
 * its control characters escaped (`\n`, `\u001b`) and cut to 200 characters;
 * the fields themselves keep it as it was received.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as printable from "./internal/printable.js"
import * as redirect from "./internal/redirect.js"

/**
 * HTTP statuses after which a token request may be sent again:
 * request timeout, too many requests, and every server error.
 *
 * @since 0.1.0
 * @category predicates
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * TokenError.isRetryableStatus(503) // true
 * TokenError.isRetryableStatus(400) // false
 * ```
 */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

/**
 * OAuth error codes (RFC 6749 §5.2 and extensions) that no retry can fix:
 * the client or the grant must change first.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * TokenError.terminalErrorCodes.has("invalid_grant") // true
 * ```
 */
export const terminalErrorCodes: ReadonlySet<string> = new Set([
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
  "access_denied",
  "invalid_target"
])

/**
 * The token endpoint answered with an OAuth error response (RFC 6749 §5.2),
 * either with an error status or — as some servers do — with a 2xx status and
 * an `error` field.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new TokenError.OAuthError({
 *   status: 400,
 *   error: "invalid_client",
 *   description: Option.some("unknown client"),
 *   uri: Option.none(),
 *   retryAfter: Option.none()
 * })
 * error.retryable // false
 * ```
 */
export class OAuthError extends Data.TaggedError("OAuthError")<{
  /** The HTTP status of the token response. */
  readonly status: number
  /** The OAuth `error` code, e.g. `invalid_client`. */
  readonly error: string
  /** The server's `error_description`, if any. */
  readonly description: Option.Option<string>
  /** The server's `error_uri`, if any. */
  readonly uri: Option.Option<string>
  /** How long the server asked us to wait (`Retry-After`), if it said. */
  readonly retryAfter: Option.Option<Duration.Duration>
  readonly cause?: unknown
}> {
  /**
   * `true` when the same request may succeed later: a retryable status, or a
   * `temporarily_unavailable` / `server_error` code, and never a code that
   * needs the client or grant to change.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    if (terminalErrorCodes.has(this.error)) return false
    return isRetryableStatus(this.status) || this.error === "temporarily_unavailable" || this.error === "server_error"
  }

  override get message(): string {
    const advice = this.retryable
      ? "the server may recover; the request can be retried"
      : this.error === "invalid_grant"
      ? "the grant (code or refresh token) is no longer valid; the user must authorize again"
      : this.error === "invalid_client" || this.error === "unauthorized_client"
      ? "check the client id, the client secret and the client authentication method"
      : "check the token request parameters"
    return `${whatHappened(this)} (${advice})`
  }
}

/**
 * The token endpoint could not be reached, timed out, or answered with an
 * error status that carried no OAuth error body (a gateway page, say).
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new TokenError.TokenEndpointUnavailable({
 *   reason: "Status",
 *   status: Option.some(503),
 *   retryAfter: Option.none()
 * })
 * error.retryable // true
 * ```
 */
export class TokenEndpointUnavailable extends Data.TaggedError("TokenEndpointUnavailable")<{
  /** `Transport`: no response; `Timeout`: no response in time; `Status`: an error status without an OAuth body. */
  readonly reason: "Transport" | "Timeout" | "Status"
  readonly status: Option.Option<number>
  readonly retryAfter: Option.Option<Duration.Duration>
  readonly cause?: unknown
}> {
  /**
   * `true` for transport failures and time-outs, and for the statuses of
   * {@link isRetryableStatus}.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return Option.match(this.status, { onNone: () => true, onSome: isRetryableStatus })
  }

  override get message(): string {
    switch (this.reason) {
      case "Transport":
        return "the token endpoint could not be reached (check the token URL and the network); the request can be retried"
      case "Timeout":
        return "the token endpoint did not answer in time; the request can be retried"
      case "Status": {
        const status = Option.getOrElse(this.status, () => 0)
        if (isRedirect(this.status)) {
          return `${redirected("the token endpoint", status)}; set the URL to the endpoint's final address`
        }
        return `the token endpoint answered HTTP ${status} without an OAuth error body` +
          (this.retryable ? "; the request can be retried" : "; check the token URL")
      }
    }
  }
}

/**
 * The token endpoint answered 2xx, but the body is not a usable token
 * response. `field` names what failed (`body` when it is not JSON or form
 * data at all); `excerpt` is a short, secret-free hint of what was received.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * const error = new TokenError.MalformedTokenResponse({
 *   status: 200,
 *   field: "access_token",
 *   reason: "is empty",
 *   excerpt: ""
 * })
 * error.message // names the field, never the token
 * ```
 */
export class MalformedTokenResponse extends Data.TaggedError("MalformedTokenResponse")<{
  readonly status: number
  readonly field: string
  readonly reason: string
  readonly excerpt: string
  readonly cause?: unknown
}> {
  /**
   * A malformed response is not retried automatically.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }

  override get message(): string {
    const excerpt = this.excerpt === "" ? "" : ` (received: ${printable.text(this.excerpt)})`
    return `${whatHappened(this)}${excerpt}; ` +
      "the server does not follow RFC 6749 §5.1 here — report it or describe the quirk to grantflow"
  }
}

/**
 * The token request was refused before it was sent because its configuration
 * is unsafe or invalid, e.g. a plain `http:` token URL that is not loopback.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * const error = new TokenError.InvalidTokenRequest({
 *   reason: "the token URL must use https: (or be loopback)"
 * })
 * error.retryable // false
 * ```
 */
export class InvalidTokenRequest extends Data.TaggedError("InvalidTokenRequest")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  /**
   * A configuration error is never retried.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }

  override get message(): string {
    return `the token request was not sent: ${this.reason}`
  }
}

/**
 * The refresh token was refused with `invalid_grant`: it expired, was
 * revoked, or was already used. No retry can fix that; the user must go
 * through the authorization again. The server's {@link OAuthError} is the
 * `cause`.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new TokenError.ReauthorizationRequired({
 *   cause: new TokenError.OAuthError({
 *     status: 400, error: "invalid_grant", description: Option.none(), uri: Option.none(), retryAfter: Option.none()
 *   })
 * })
 * error.retryable // false
 * ```
 */
export class ReauthorizationRequired extends Data.TaggedError("ReauthorizationRequired")<{
  readonly cause: OAuthError
}> {
  /**
   * A refused refresh token stays refused.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }

  override get message(): string {
    const description = Option.match(this.cause.description, {
      onNone: () => "",
      onSome: (d) => ` (${printable.text(d)})`
    })
    return `the refresh token was refused with "invalid_grant"${description}: it expired, was revoked or was ` +
      "already used; the user must authorize again"
  }
}

/**
 * The token endpoint rotated the refresh token, but saving the new one
 * failed. The access token of that response was not handed out, and the
 * refresh token in use stays the previous one. The saving error is the
 * `cause`.
 *
 * Not retried automatically: the server may already consider the previous
 * refresh token used.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * const error = new TokenError.RefreshTokenNotSaved({ cause: new Error("disk full") })
 * error.retryable // false
 * ```
 */
export class RefreshTokenNotSaved extends Data.TaggedError("RefreshTokenNotSaved")<{
  readonly cause: unknown
}> {
  /**
   * Not retried: see the class description.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }

  override get message(): string {
    return "the token endpoint issued a new refresh token, but saving it failed, so its access token was not used; " +
      "check the token store (the error is the cause)"
  }
}

// What went wrong, without the advice to retry that the cause's own message
// may give. Every piece of text that may come from the server goes through
// `printable.text`: a raw newline or escape sequence would forge log lines.
const isRedirect = (status: Option.Option<number>): boolean => Option.exists(status, redirect.isRedirect)

const redirected = (endpoint: string, status: number): string =>
  `${endpoint} answered with a redirect (HTTP ${status}), which is not followed: the request carries client credentials`

const whatHappened = (
  error: OAuthError | TokenEndpointUnavailable | MalformedTokenResponse,
  endpoint = "the token endpoint"
): string => {
  switch (error._tag) {
    case "OAuthError": {
      const description = Option.match(error.description, { onNone: () => "", onSome: (d) => `: ${printable.text(d)}` })
      return `${endpoint} answered HTTP ${error.status} with OAuth error "${printable.text(error.error)}"${description}`
    }
    case "TokenEndpointUnavailable":
      return error.reason === "Transport"
        ? `${endpoint} could not be reached`
        : error.reason === "Timeout"
        ? `${endpoint} did not answer in time`
        : isRedirect(error.status)
        ? redirected(endpoint, Option.getOrElse(error.status, () => 0))
        : `${endpoint} answered HTTP ${Option.getOrElse(error.status, () => 0)} without an OAuth error body`
    case "MalformedTokenResponse":
      return `${endpoint} answered HTTP ${error.status}, but \`${printable.text(error.field)}\` ` +
        printable.text(error.reason)
  }
}

/**
 * Exchanging an authorization code for a token failed. The failure of the
 * token request is the `cause`. An authorization code can be used once, so
 * this is never retried: start the authorization again.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new TokenError.CodeExchangeFailed({
 *   cause: new TokenError.TokenEndpointUnavailable({
 *     reason: "Status", status: Option.some(503), retryAfter: Option.none()
 *   })
 * })
 * error.retryable // false, although a 503 alone would be
 * ```
 */
export class CodeExchangeFailed extends Data.TaggedError("CodeExchangeFailed")<{
  readonly cause: OAuthError | TokenEndpointUnavailable | MalformedTokenResponse
}> {
  /**
   * A code is used once: never retried.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }

  override get message(): string {
    return `exchanging the authorization code failed: ${whatHappened(this.cause)}; ` +
      "an authorization code can be used only once, so this is not retried: start the authorization again"
  }
}

/**
 * Requesting a device code from the device authorization endpoint
 * (RFC 8628 §3.1) failed; the failure is the `cause` (its status, OAuth error
 * or malformed field). The user was not asked anything yet. `retryable` is the
 * cause's: a server that was down may answer later; a refused client will not.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new TokenError.DeviceAuthorizationFailed({
 *   cause: new TokenError.OAuthError({
 *     status: 401, error: "invalid_client", description: Option.none(), uri: Option.none(), retryAfter: Option.none()
 *   })
 * })
 * error.retryable // false
 * ```
 */
export class DeviceAuthorizationFailed extends Data.TaggedError("DeviceAuthorizationFailed")<{
  readonly cause: OAuthError | TokenEndpointUnavailable | MalformedTokenResponse
}> {
  /**
   * The cause's `retryable`.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return this.cause.retryable
  }

  override get message(): string {
    return `requesting a device code failed: ${whatHappened(this.cause, "the device authorization endpoint")}; ` +
      (this.retryable
        ? "the request can be retried"
        : "check the device authorization URL, the client id and its authentication, and the scopes")
  }
}

/**
 * The device code expired before the user completed the authorization
 * (RFC 8628 §3.5): the token endpoint answered `expired_token` (`reason:
 * "ExpiredToken"`), or the code's own `expires_in` elapsed while polling
 * (`reason: "Elapsed"`; the last answer is the `cause`). Start the device flow
 * again to show the user a new code.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * const error = new TokenError.DeviceCodeExpired({ reason: "Elapsed" })
 * error.retryable // false
 * ```
 */
export class DeviceCodeExpired extends Data.TaggedError("DeviceCodeExpired")<{
  readonly reason: "ExpiredToken" | "Elapsed"
  readonly cause?: unknown
}> {
  /**
   * Polling with the same code cannot succeed: never retried.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }

  override get message(): string {
    return (this.reason === "ExpiredToken"
      ? "the device code expired (the token endpoint answered \"expired_token\")"
      : "the device code expired while waiting for the user") +
      " before the user completed the authorization; start the device flow again for a new code"
  }
}

/**
 * The user denied the authorization on the verification page: the token
 * endpoint answered `access_denied` while the device flow polled
 * (RFC 8628 §3.5). Its {@link OAuthError} is the `cause`.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new TokenError.DeviceAccessDenied({
 *   cause: new TokenError.OAuthError({
 *     status: 400, error: "access_denied", description: Option.none(), uri: Option.none(), retryAfter: Option.none()
 *   })
 * })
 * error.retryable // false
 * ```
 */
export class DeviceAccessDenied extends Data.TaggedError("DeviceAccessDenied")<{
  readonly cause: OAuthError
}> {
  /**
   * The user said no: never retried.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }

  override get message(): string {
    return "the user denied the authorization on the verification page (the token endpoint answered " +
      "\"access_denied\"); nothing was granted"
  }
}

/**
 * The token store could not be read, and this process holds no token or
 * refresh token of its own to go on with: a refresh-token connection cannot
 * be refreshed without the stored refresh token. Retryable: the store may
 * come back. The store's error is the `cause`.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * const error = new TokenError.StoreUnavailable({ cause: new Error("ECONNREFUSED") })
 * error.retryable // true
 * ```
 */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{
  readonly cause: unknown
}> {
  /**
   * The store may come back.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return true
  }

  override get message(): string {
    return "the token store could not be read and no refresh token is held in memory, so the token cannot be " +
      "refreshed; check that the store is reachable (the error is the cause)"
  }
}

/**
 * Every way obtaining a token can fail.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenError =
  | OAuthError
  | TokenEndpointUnavailable
  | MalformedTokenResponse
  | InvalidTokenRequest
  | ReauthorizationRequired
  | RefreshTokenNotSaved
  | CodeExchangeFailed
  | DeviceAuthorizationFailed
  | DeviceCodeExpired
  | DeviceAccessDenied
  | StoreUnavailable

/**
 * Tells whether a value is a {@link TokenError}.
 *
 * @since 0.1.0
 * @category predicates
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * TokenError.isTokenError(new Error("boom")) // false
 * ```
 */
export const isTokenError = (u: unknown): u is TokenError =>
  Predicate.isTagged(u, "OAuthError") || Predicate.isTagged(u, "TokenEndpointUnavailable") ||
  Predicate.isTagged(u, "MalformedTokenResponse") || Predicate.isTagged(u, "InvalidTokenRequest") ||
  Predicate.isTagged(u, "ReauthorizationRequired") || Predicate.isTagged(u, "RefreshTokenNotSaved") ||
  Predicate.isTagged(u, "CodeExchangeFailed") || Predicate.isTagged(u, "DeviceAuthorizationFailed") ||
  Predicate.isTagged(u, "DeviceCodeExpired") || Predicate.isTagged(u, "DeviceAccessDenied") ||
  Predicate.isTagged(u, "StoreUnavailable")

/**
 * The server's requested wait before the next attempt, if the error carries one.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Duration, Option } from "effect"
 *
 * const error = new TokenError.TokenEndpointUnavailable({
 *   reason: "Status",
 *   status: Option.some(429),
 *   retryAfter: Option.some(Duration.seconds(2))
 * })
 * TokenError.retryAfter(error) // Option.some(Duration.seconds(2))
 * ```
 */
export const retryAfter = (error: TokenError): Option.Option<Duration.Duration> =>
  error._tag === "OAuthError" || error._tag === "TokenEndpointUnavailable" ? error.retryAfter : Option.none()
