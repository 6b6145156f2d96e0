/**
 * Token revocation (RFC 7009): tells the authorization server that a refresh
 * or access token is no longer needed — when a user disconnects an account,
 * signs out, or a short job is done — so that a leaked copy stops working.
 *
 * {@link revoke} sends one client-authenticated request; {@link onScopeClose}
 * revokes what a fetch obtained when its scope closes.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.js"
import * as ClientAuth from "./ClientAuth.js"
import type * as Endpoint from "./Endpoint.js"
import * as endpointInternal from "./internal/endpoint.js"
import * as printable from "./internal/printable.js"
import * as redirect from "./internal/redirect.js"
import * as tokenRequest from "./internal/tokenRequest.js"
import type * as TokenError from "./TokenError.js"

/**
 * The revocation endpoint could not be reached, timed out, or answered that
 * it is unavailable for now (503, as RFC 7009 §2.2.1 says, or another server
 * error or 429). The token may still be valid: try again, after
 * `retryAfter` when the server sent one.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Revocation } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new Revocation.RevocationUnavailable({
 *   reason: "Status", status: Option.some(503), retryAfter: Option.none()
 * })
 * error.retryable // true
 * ```
 */
export class RevocationUnavailable extends Data.TaggedError("RevocationUnavailable")<{
  readonly reason: "Transport" | "Timeout" | "Status"
  readonly status: Option.Option<number>
  readonly retryAfter: Option.Option<Duration.Duration>
  readonly cause?: unknown
}> {
  /**
   * Always `true`: the server may revoke the token later.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return true
  }

  override get message(): string {
    const what = this.reason === "Transport"
      ? "could not be reached"
      : this.reason === "Timeout"
      ? "did not answer in time"
      : `answered HTTP ${Option.getOrElse(this.status, () => 0)}`
    return `the revocation endpoint ${what}, so the token may still be valid; retry the revocation later`
  }
}

/**
 * The server does not revoke this kind of token (`unsupported_token_type`,
 * RFC 7009 §2.2.1) — many servers revoke refresh tokens only. The token stays
 * valid until it expires.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Revocation } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new Revocation.UnsupportedTokenType({ status: 400, description: Option.none() })
 * error.retryable // false
 * ```
 */
export class UnsupportedTokenType extends Data.TaggedError("UnsupportedTokenType")<{
  readonly status: number
  readonly description: Option.Option<string>
}> {
  /**
   * Never: the server will not revoke this type of token.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }

  override get message(): string {
    const description = Option.match(this.description, { onNone: () => "", onSome: (d) => `: ${printable.text(d)}` })
    return `the revocation endpoint does not revoke this type of token ("unsupported_token_type"${description}); ` +
      "it stays valid until it expires — revoke the refresh token instead, if there is one"
  }
}

/**
 * The revocation endpoint refused the request: an OAuth error such as
 * `invalid_client` or `invalid_request` (`error`), another client error
 * status without an OAuth body (a wrong URL, say), or a redirect (3xx), which
 * is never followed.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Revocation } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new Revocation.RevocationRefused({
 *   status: 401, error: Option.some("invalid_client"), description: Option.none()
 * })
 * error.retryable // false
 * ```
 */
export class RevocationRefused extends Data.TaggedError("RevocationRefused")<{
  readonly status: number
  readonly error: Option.Option<string>
  readonly description: Option.Option<string>
}> {
  /**
   * Never: the request must change first.
   *
   * @since 0.1.0
   */
  get retryable(): boolean {
    return false
  }

  override get message(): string {
    if (redirect.isRedirect(this.status)) {
      return `the revocation endpoint answered with a redirect (HTTP ${this.status}), which is not followed: ` +
        "the request carries client credentials and the token; set the revocation URL to the endpoint's final address"
    }
    const error = Option.match(this.error, {
      onNone: () => " without an OAuth error body",
      onSome: (code) => ` with OAuth error "${printable.text(code)}"`
    })
    const description = Option.match(this.description, { onNone: () => "", onSome: (d) => `: ${printable.text(d)}` })
    return `the revocation endpoint answered HTTP ${this.status}${error}${description}; ` +
      "check the revocation URL, the client id and its authentication"
  }
}

/**
 * Every way a revocation can fail; `TokenError.InvalidTokenRequest` when the
 * request was not sent (an unsafe URL, a key that cannot sign).
 *
 * @since 0.1.0
 * @category models
 */
export type RevocationError = RevocationUnavailable | UnsupportedTokenType | RevocationRefused | TokenError.InvalidTokenRequest

/**
 * A `token_type_hint` (RFC 7009 §2.1).
 *
 * @since 0.1.0
 * @category models
 */
export type TokenTypeHint = "access_token" | "refresh_token"

/**
 * Options of {@link revoke}: the `token` and its `tokenTypeHint`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RevokeOptions {
  readonly token: Redacted.Redacted<string>
  readonly tokenTypeHint?: TokenTypeHint | undefined
}

const refused = (status: number, error: TokenError.OAuthError | undefined) =>
  new RevocationRefused({
    status,
    error: Option.fromNullable(error?.error),
    description: error?.description ?? Option.none()
  })

const interpret = (answer: tokenRequest.Answer): Either.Either<void, RevocationError> => {
  const { status } = answer
  // RFC 7009 §2.2: 200 whether the token was valid, unknown or already revoked; the body means nothing
  if (status >= 200 && status < 300) return Either.void
  const failure = Either.flip(tokenRequest.interpretJson(answer))
  if (Either.isLeft(failure)) return Either.left(refused(status, undefined))
  const error = failure.right
  if (error._tag === "OAuthError" && error.error === "unsupported_token_type") {
    return Either.left(new UnsupportedTokenType({ status, description: error.description }))
  }
  if (error._tag !== "MalformedTokenResponse" && error.retryable) {
    return Either.left(
      new RevocationUnavailable({ reason: "Status", status: Option.some(status), retryAfter: error.retryAfter, cause: error })
    )
  }
  return Either.left(refused(status, error._tag === "OAuthError" ? error : undefined))
}

/**
 * Revokes a token (RFC 7009): one form POST of `token` (and
 * `token_type_hint`) to the endpoint's revocation URL (set with
 * `Endpoint.make`'s `revocationUrl`, or discovered), with its client
 * authentication and time-out. It succeeds on 200 —
 * also when the server did not know the token, which the RFC asks it to
 * treat alike. It runs in a `grantflow.revocation` span that never shows the
 * token.
 *
 * @since 0.1.0
 * @category revocation
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Revocation } from "@grantflow/core"
 * import { Effect, Redacted, Schedule } from "effect"
 *
 * declare const refreshToken: Redacted.Redacted<string>
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   revocationUrl: "https://auth.example.com/oauth/revoke",
 *   auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 * })
 *
 * const disconnect = Revocation.revoke(endpoint, { token: refreshToken, tokenTypeHint: "refresh_token" }).pipe(Effect.retry({ schedule: Schedule.exponential("1 second"), times: 3, while: (e) => e.retryable }))
 * ```
 */
export const revoke = (
  endpoint: Endpoint.Endpoint,
  options: RevokeOptions
): Effect.Effect<void, RevocationError, HttpClient.HttpClient> =>
  Effect.flatMap(
    endpointInternal.url(endpoint, "revocation"),
    (url) =>
      tokenRequest.post({
        url,
        auth: endpoint.auth,
        params: [
          ["token", options.token],
          ...(options.tokenTypeHint === undefined ? [] : [["token_type_hint", options.tokenTypeHint] as const])
        ],
        timeout: endpoint.timeout
      }).pipe(
        Effect.mapError((error): RevocationError =>
          error._tag !== "TokenEndpointUnavailable"
            ? error
            : Option.exists(error.status, redirect.isRedirect)
            ? refused(Option.getOrElse(error.status, () => 0), undefined)
            : new RevocationUnavailable({
              reason: error.reason,
              status: error.status,
              retryAfter: error.retryAfter,
              cause: error.cause
            })
        ),
        Effect.flatMap(interpret),
        Effect.withSpan("grantflow.revocation", {
          kind: "client",
          attributes: {
            "grantflow.client_auth": endpoint.auth === undefined ? "absent" : ClientAuth.methodName(endpoint.auth),
            "grantflow.token_type_hint": options.tokenTypeHint ?? "none",
            "server.address": url.host,
            "url.path": url.pathname
          }
        })
      )
  )

/**
 * Wraps a fetch so that the last token it obtained is revoked when the
 * current scope closes: its refresh token if it has one (which, on servers
 * that can, also ends its access tokens, RFC 7009 §2.1), otherwise its access
 * token unless it has expired. A failed revocation is logged as a warning; it
 * never fails the scope's closing.
 *
 * Call it before `TokenProvider.make` in the same scope: finalizers run in
 * reverse order, so the provider stops refreshing before the token is
 * revoked.
 *
 * @since 0.1.0
 * @category revocation
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant, Revocation, TokenProvider } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   revocationUrl: "https://auth.example.com/oauth/revoke",
 *   auth: ClientAuth.clientSecretBasic("batch-job", Redacted.make("s3cret"))
 * })
 *
 * const program = Effect.gen(function*() {
 *   const fetch = yield* Revocation.onScopeClose(Grant.clientCredentials(endpoint), endpoint)
 *   const provider = yield* TokenProvider.make(fetch)
 *   return yield* provider.get
 * }).pipe(Effect.scoped) // the token is revoked here
 * ```
 */
export const onScopeClose = <E, R>(
  fetch: Effect.Effect<AccessToken.AccessToken, E, R>,
  endpoint: Endpoint.Endpoint
): Effect.Effect<Effect.Effect<AccessToken.AccessToken, E, R>, never, Scope.Scope | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const last = yield* Ref.make(Option.none<AccessToken.AccessToken>())
    const revokeLast = (token: AccessToken.AccessToken) =>
      Option.match(token.refreshToken, {
        onSome: (refreshToken) => revoke(endpoint, { token: refreshToken, tokenTypeHint: "refresh_token" }),
        onNone: () =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            token.expiresAt > now
              ? revoke(endpoint, { token: token.token, tokenTypeHint: "access_token" })
              : Effect.void)
      }).pipe(
        Effect.provideService(HttpClient.HttpClient, client),
        Effect.catchAll((error) =>
          Effect.logWarning("grantflow: revoking the token when its scope closed failed").pipe(
            Effect.annotateLogs({ error: error.message })
          )
        )
      )
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Ref.get(last), Option.match({ onNone: () => Effect.void, onSome: revokeLast }))
    )
    return Effect.tap(fetch, (token) => Ref.set(last, Option.some(token)))
  })
