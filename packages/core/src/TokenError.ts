/**
 * The typed failures of obtaining an access token, and the vocabulary every
 * error of grantflow shares.
 *
 * Whatever endpoint of the authorization server is asked — token,
 * revocation, introspection, device authorization, the issuer's metadata or
 * its JWKS —
 * it fails in one of three ways, each naming the `endpoint`: an
 * {@link OAuthError} (the server said no), an {@link EndpointUnavailable} (no
 * usable answer) or a {@link MalformedResponse} (an answer that does not
 * follow its RFC). Every error class of grantflow extends {@link TaggedError},
 * so {@link isGrantflowError} recognises it and {@link isRetryable} decides
 * whether it may be retried.
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
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type * as Types from "effect/Types"
import type * as Endpoint from "./Endpoint.js"
import * as printable from "./internal/printable.js"
import * as redirect from "./internal/redirect.js"
import * as internal from "./internal/tokenError.js"
import type * as TokenStore from "./TokenStore.js"

/**
 * Marks every error of grantflow.
 *
 * @since 0.1.0
 * @category type ids
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * TokenError.TypeId in new TokenError.InvalidTokenRequest({ reason: "unsafe URL" }) // true
 * ```
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What every error of grantflow has: its `_tag`, the {@link TypeId} mark,
 * a message that says what happened and what to do, and whether trying the
 * same operation again may help (`retryable`, decided by {@link isRetryable}).
 *
 * @since 0.1.0
 * @category models
 */
export interface GrantflowError extends Cause.YieldableError {
  readonly [TypeId]: TypeId
  readonly _tag: string
  readonly retryable: boolean
}

/**
 * The base class of every grantflow error: `Data.TaggedError` with the
 * {@link TypeId} mark and a `retryable` getter that asks {@link isRetryable}.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * class QuotaExhausted extends TokenError.TaggedError("QuotaExhausted")<{ readonly limit: number }> {
 *   override get message() {
 *     return `the API quota of ${this.limit} calls is spent`
 *   }
 * }
 * TokenError.isGrantflowError(new QuotaExhausted({ limit: 10 })) // true
 * ```
 */
export const TaggedError: <Tag extends string>(tag: Tag) => new<A extends Record<string, any> = {}>(
  args: Types.Equals<A, {}> extends true ? void
    : { readonly [P in keyof A as P extends "_tag" ? never : P]: A[P] }
) => GrantflowError & { readonly _tag: Tag } & Readonly<A> = internal.TaggedError

/**
 * Tells whether a value is an error of grantflow (of any module).
 *
 * @since 0.1.0
 * @category predicates
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * TokenError.isGrantflowError(new TokenError.InvalidTokenRequest({ reason: "unsafe URL" })) // true
 * TokenError.isGrantflowError(new Error("boom")) // false
 * ```
 */
export const isGrantflowError: (u: unknown) => u is GrantflowError = internal.isGrantflowError

/**
 * Whether trying the same operation again may succeed; every error's
 * `retryable` getter answers with it. An {@link OAuthError} is retryable
 * after a retryable status (see {@link isRetryableStatus}) or a
 * `temporarily_unavailable` / `server_error` code, never with one of the
 * {@link terminalErrorCodes}; also with `use_dpop_nonce` (RFC 9449 §8),
 * which a token request answers only when the server asked for a nonce
 * again after its one retry with the nonce given (the nonce rotated): the
 * next attempt, on the `RefreshPolicy` schedule, proves the newest nonce;
 * an {@link EndpointUnavailable} without an answer
 * or after a retryable status; a `TokenStore.TokenStoreError` when the store
 * could not be reached. Every other error — and anything that is not a
 * grantflow error — is not.
 *
 * @since 0.1.0
 * @category predicates
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * TokenError.isRetryable(new TokenError.EndpointUnavailable({
 *   endpoint: "token", reason: "Timeout", status: Option.none(), retryAfter: Option.none()
 * })) // true
 * TokenError.isRetryable(new Error("boom")) // false
 * ```
 */
export const isRetryable: (u: unknown) => boolean = internal.isRetryable

/**
 * HTTP statuses after which a request to an endpoint may be sent again:
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
export const isRetryableStatus: (status: number) => boolean = internal.isRetryableStatus

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
export const terminalErrorCodes: ReadonlySet<string> = internal.terminalErrorCodes

/**
 * An endpoint of the authorization server answered with an OAuth error
 * response (RFC 6749 §5.2), either with an error status or — as some servers
 * do — with a 2xx status and an `error` field. `endpoint` says which one:
 * e.g. `unsupported_token_type` from the `revocation` endpoint means the
 * server does not revoke that kind of token (RFC 7009 §2.2.1).
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new TokenError.OAuthError({
 *   endpoint: "token",
 *   status: 400,
 *   error: "invalid_client",
 *   description: Option.some("unknown client"),
 *   uri: Option.none(),
 *   retryAfter: Option.none()
 * })
 * error.retryable // false
 * ```
 */
export class OAuthError extends TaggedError("OAuthError")<{
  /** The endpoint that answered. */
  readonly endpoint: Endpoint.Name
  /** The HTTP status of the response. */
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
  override get message(): string {
    const advice = this.retryable
      ? "the server may recover; the request can be retried"
      : this.endpoint === "revocation" && this.error === "unsupported_token_type"
      ? "the server does not revoke this type of token, which stays valid until it expires — revoke the refresh " +
        "token instead, if there is one"
      : this.error === "invalid_grant"
      ? "the grant (code or refresh token) is no longer valid; the user must authorize again"
      : this.error === "invalid_client" || this.error === "unauthorized_client"
      ? "check the client id, the client secret and the client authentication method"
      : this.endpoint === "token"
      ? "check the token request parameters"
      : "check the request parameters and the endpoint's URL"
    return `${whatHappened(this)} (${advice})`
  }
}

/**
 * An endpoint of the authorization server could not be reached
 * (`Transport`), did not answer in time (`Timeout`), or answered with an
 * error status that carried no OAuth error body, a gateway page say, or with
 * a redirect, which is never followed (`Status`). `endpoint` says which one.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new TokenError.EndpointUnavailable({
 *   endpoint: "revocation",
 *   reason: "Status",
 *   status: Option.some(503),
 *   retryAfter: Option.none()
 * })
 * error.retryable // true
 * ```
 */
export class EndpointUnavailable extends TaggedError("EndpointUnavailable")<{
  /** The endpoint that was asked. */
  readonly endpoint: Endpoint.Name
  /** `Transport`: no response; `Timeout`: no response in time; `Status`: an error status without an OAuth body. */
  readonly reason: "Transport" | "Timeout" | "Status"
  readonly status: Option.Option<number>
  readonly retryAfter: Option.Option<Duration.Duration>
  readonly cause?: unknown
}> {
  override get message(): string {
    const name = internal.endpointName(this.endpoint)
    // a revocation that failed leaves the token valid: worth saying
    const stillValid = this.endpoint === "revocation" ? ", so the token may still be valid" : ""
    switch (this.reason) {
      case "Transport":
        return `${name} could not be reached (check its URL and the network)${stillValid}; the request can be retried`
      case "Timeout":
        return `${name} did not answer in time${stillValid}; the request can be retried`
      case "Status": {
        const status = Option.getOrElse(this.status, () => 0)
        if (redirect.isRedirect(status)) return `${whatHappened(this)}; set the URL to the endpoint's final address`
        return `${whatHappened(this)}${stillValid}` +
          (this.retryable
            ? "; the request can be retried"
            : this.endpoint === "metadata" && status === 404
            ? "; the server publishes no discovery document: configure its endpoints by hand"
            : this.endpoint === "metadata"
            ? "; check the issuer"
            : this.endpoint === "resourceMetadata" && status === 404
            ? "; the resource publishes no metadata document: configure its authorization server by hand"
            : status === 401 && this.endpoint !== "jwks" && this.endpoint !== "resourceMetadata"
            ? "; the server refused the client authentication: check the client credentials"
            : "; check the endpoint's URL")
      }
    }
  }
}

/**
 * An endpoint of the authorization server answered 2xx, but the body is not
 * a usable response: a token response (RFC 6749 §5.1), a device
 * authorization response, the issuer's metadata… `field` names what failed
 * (`body` when it is not JSON or form data at all); `excerpt` is a short,
 * secret-free hint of what was received.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 *
 * const error = new TokenError.MalformedResponse({
 *   endpoint: "token",
 *   status: 200,
 *   field: "access_token",
 *   reason: "is empty",
 *   excerpt: ""
 * })
 * error.message // names the field, never the token
 * ```
 */
export class MalformedResponse extends TaggedError("MalformedResponse")<{
  /** The endpoint that answered. */
  readonly endpoint: Endpoint.Name
  readonly status: number
  readonly field: string
  readonly reason: string
  readonly excerpt: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const excerpt = this.excerpt === "" ? "" : ` (received: ${printable.text(this.excerpt)})`
    const standard = this.endpoint === "token"
      ? "RFC 6749 §5.1"
      : this.endpoint === "deviceAuthorization"
      ? "RFC 8628 §3.2"
      : this.endpoint === "pushedAuthorization"
      ? "RFC 9126 §2.2"
      : this.endpoint === "metadata"
      ? "RFC 8414 §3.2"
      : this.endpoint === "jwks"
      ? "RFC 7517 §5"
      : this.endpoint === "resourceMetadata"
      ? "RFC 9728 §3.2"
      : "its RFC"
    return `${whatHappened(this)}${excerpt}; ` +
      `the server does not follow ${standard} here — report it or describe the quirk to grantflow`
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
export class InvalidTokenRequest extends TaggedError("InvalidTokenRequest")<{
  readonly reason: string
  readonly cause?: unknown
}> {

  override get message(): string {
    return `the request was not sent: ${this.reason}`
  }
}

/**
 * The refresh token was refused with `invalid_grant`: it expired, was
 * revoked, or was already used. No retry can fix that; the user must go
 * through the authorization again. The server's {@link OAuthError} is the
 * `cause`.
 *
 * `reason` is `"DpopKeyLost"` when no server was asked: the stored token is
 * DPoP-bound (RFC 9449) and the DPoP key it is bound to — which its refresh
 * token must be sent with — is gone from the token store, or cannot be read
 * back. The refresh token was not sent; the `cause` is the `invalid_grant`
 * refusal a server would have sent.
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
 *     endpoint: "token", status: 400, error: "invalid_grant", description: Option.none(), uri: Option.none(), retryAfter: Option.none()
 *   })
 * })
 * error.retryable // false
 * ```
 */
export class ReauthorizationRequired extends TaggedError("ReauthorizationRequired")<{
  readonly cause: OAuthError
  readonly reason?: "DpopKeyLost" | undefined
}> {

  override get message(): string {
    if (this.reason === "DpopKeyLost") {
      return "the refresh token is bound to a DPoP key that is gone (the token store holds none with it, or cannot " +
        "read it back); it was not sent: the user must authorize again"
    }
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
export class RefreshTokenNotSaved extends TaggedError("RefreshTokenNotSaved")<{
  readonly cause: unknown
}> {

  override get message(): string {
    return "the token endpoint issued a new refresh token, but saving it failed, so its access token was not used; " +
      "check the token store (the error is the cause)"
  }
}

// What went wrong, without the advice to retry that the cause's own message
// may give. Every piece of text that may come from the server goes through
// `printable.text`: a raw newline or escape sequence would forge log lines.
const whatHappened = (error: OAuthError | EndpointUnavailable | MalformedResponse): string => {
  const name = internal.endpointName(error.endpoint)
  switch (error._tag) {
    case "OAuthError": {
      const description = Option.match(error.description, { onNone: () => "", onSome: (d) => `: ${printable.text(d)}` })
      return `${name} answered HTTP ${error.status} with OAuth error "${printable.text(error.error)}"${description}`
    }
    case "EndpointUnavailable": {
      if (error.reason === "Transport") return `${name} could not be reached`
      if (error.reason === "Timeout") return `${name} did not answer in time`
      const status = Option.getOrElse(error.status, () => 0)
      return redirect.isRedirect(status)
        ? `${name} answered with a redirect (HTTP ${status}), which is not followed` +
          (error.endpoint === "metadata" || error.endpoint === "jwks" || error.endpoint === "resourceMetadata" ? "" : ": the request carries client credentials")
        : `${name} answered HTTP ${status} without an OAuth error body`
    }
    case "MalformedResponse":
      return `${name} answered HTTP ${error.status}, but \`${printable.text(error.field)}\` ` +
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
 *   cause: new TokenError.EndpointUnavailable({
 *     endpoint: "token", reason: "Status", status: Option.some(503), retryAfter: Option.none()
 *   })
 * })
 * error.retryable // false, although a 503 alone would be
 * ```
 */
export class CodeExchangeFailed extends TaggedError("CodeExchangeFailed")<{
  readonly cause: OAuthError | EndpointUnavailable | MalformedResponse
}> {

  override get message(): string {
    return `exchanging the authorization code failed: ${whatHappened(this.cause)}; ` +
      "an authorization code can be used only once, so this is not retried: start the authorization again"
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
export class DeviceCodeExpired extends TaggedError("DeviceCodeExpired")<{
  readonly reason: "ExpiredToken" | "Elapsed"
  readonly cause?: unknown
}> {

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
 *     endpoint: "token", status: 400, error: "access_denied", description: Option.none(), uri: Option.none(), retryAfter: Option.none()
 *   })
 * })
 * error.retryable // false
 * ```
 */
export class DeviceAccessDenied extends TaggedError("DeviceAccessDenied")<{
  readonly cause: OAuthError
}> {

  override get message(): string {
    return "the user denied the authorization on the verification page (the token endpoint answered " +
      "\"access_denied\"); nothing was granted"
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
  | EndpointUnavailable
  | MalformedResponse
  | InvalidTokenRequest
  | ReauthorizationRequired
  | RefreshTokenNotSaved
  | CodeExchangeFailed
  | DeviceCodeExpired
  | DeviceAccessDenied
  | TokenStore.TokenStoreError

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
 * const error = new TokenError.EndpointUnavailable({
 *   endpoint: "token",
 *   reason: "Status",
 *   status: Option.some(429),
 *   retryAfter: Option.some(Duration.seconds(2))
 * })
 * TokenError.retryAfter(error) // Option.some(Duration.seconds(2))
 * ```
 */
export const retryAfter = (error: TokenError): Option.Option<Duration.Duration> =>
  error._tag === "OAuthError" || error._tag === "EndpointUnavailable" ? error.retryAfter : Option.none()
