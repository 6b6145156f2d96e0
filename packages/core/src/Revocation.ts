/**
 * Token revocation (RFC 7009): tells the authorization server that a refresh
 * or access token is no longer needed — when a user disconnects an account,
 * signs out, or a short job is done — so that a leaked copy stops working.
 *
 * {@link revoke} sends one client-authenticated request; {@link onScopeClose}
 * revokes what a fetch obtained when its scope closes. Providers with a
 * revocation API of their own (the token as a bearer token, or in a JSON
 * body) describe it as a {@link Request}, sent with {@link send}.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.js"
import * as ClientAuth from "./ClientAuth.js"
import type * as Endpoint from "./Endpoint.js"
import * as endpointInternal from "./internal/endpoint.js"
import * as tokenRequest from "./internal/tokenRequest.js"
import type * as TokenError from "./TokenError.js"

/**
 * Every way a revocation can fail, each naming the `revocation` endpoint:
 *
 * - `TokenError.EndpointUnavailable`: no answer, no answer in time, or an
 *   error status without an OAuth body — 503 (as RFC 7009 §2.2.1 says) or
 *   another retryable status means the token may still be valid and the
 *   revocation can be retried; a redirect (3xx) is never followed;
 * - `TokenError.OAuthError`: the server refused, e.g. `invalid_client`, or
 *   `unsupported_token_type` when it does not revoke this kind of token (many
 *   revoke refresh tokens only);
 * - `TokenError.InvalidTokenRequest`: the request was not sent (an unsafe
 *   URL, a key that cannot sign).
 *
 * @since 0.1.0
 * @category models
 */
export type RevocationError = TokenError.EndpointUnavailable | TokenError.OAuthError | TokenError.InvalidTokenRequest

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

// the span of a revocation: what it names of the request, never the token
const revocationSpan = (url: URL, auth: ClientAuth.ClientAuth | undefined, tokenTypeHint: string) =>
  Effect.withSpan("grantflow.revocation", {
    kind: "client",
    attributes: {
      "grantflow.client_auth": auth === undefined ? "absent" : ClientAuth.methodName(auth),
      "grantflow.token_type_hint": tokenTypeHint,
      "server.address": url.host,
      "url.path": url.pathname
    }
  })

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
      tokenRequest.postToken(endpoint, "revocation", url, options).pipe(
        Effect.flatMap((answer) => tokenRequest.interpretStatus(answer, "revocation")),
        revocationSpan(url, endpoint.auth, options.tokenTypeHint ?? "none")
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

/**
 * A provider's own revocation API, where it has no RFC 7009 endpoint:
 *
 * - `url`, `method` (default `POST`): where the request goes;
 * - `token`: where the token goes: `"bearer"`, as the request's bearer
 *   credential (the token revokes itself), or `{ json: member }`, as that
 *   member of a JSON body;
 * - `auth`: the client authentication, if the API asks for one (HTTP Basic
 *   credentials with `ClientAuth.clientSecretBasic`; credentials in the body
 *   become members of the JSON body);
 * - `headers`: headers the API requires (an API version);
 * - `revokes`: which of a connection's tokens is sent (default the access
 *   token; `"refresh_token"` sends the refresh token when there is one);
 * - `timeout`: default 30 seconds.
 *
 * Any 2xx is a success unless its JSON body carries an `error` code (APIs
 * that answer every call with 200), which is a `TokenError.OAuthError`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly url: string
  readonly method?: "POST" | "DELETE" | undefined
  readonly token: "bearer" | { readonly json: string }
  readonly auth?: ClientAuth.ClientAuth | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly revokes?: TokenTypeHint | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly allowInsecure?: boolean | undefined
}

/**
 * Revokes `token` through a provider's own revocation API (see
 * {@link Request}), with the same failures as {@link revoke}, in the same
 * `grantflow.revocation` span. A redirect is never followed.
 *
 * @since 0.1.0
 * @category revocation
 * @example
 * ```ts
 * import { Revocation } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * declare const accessToken: Redacted.Redacted<string>
 *
 * // Dropbox: the token revokes itself
 * const disconnect = Revocation.send(
 *   { url: "https://api.dropboxapi.com/2/auth/token/revoke", token: "bearer" },
 *   accessToken
 * )
 * ```
 */
export const send = (
  request: Request,
  token: Redacted.Redacted<string>
): Effect.Effect<void, RevocationError, HttpClient.HttpClient> =>
  Effect.flatMap(
    endpointInternal.checkEndpointUrl(request.url, request.allowInsecure === true, "revocation URL"),
    (url) =>
      tokenRequest.sendRevocation({
        url,
        method: request.method ?? "POST",
        token,
        placement: request.token,
        auth: request.auth,
        headers: request.headers ?? {},
        timeout: request.timeout === undefined ? endpointInternal.defaultTimeout : Duration.decode(request.timeout)
      }).pipe(
        Effect.flatMap(tokenRequest.interpretRevocation),
        revocationSpan(url, request.auth, request.revokes ?? "access_token")
      )
  )
