/**
 * Bearer authentication for `@effect/platform` HTTP clients.
 *
 * The decorated client puts the provider's current token on every request —
 * inside the unit that a retry re-runs, so a retried request never carries a
 * stale header. When the response says the token was rejected (by default a
 * 401, or a `WWW-Authenticate: Bearer error="invalid_token"` challenge;
 * configurable as statuses and a body pattern), it invalidates exactly the
 * token it sent and sends the request once more with a new one: never twice,
 * never in a loop. If no token can be had, the request is not sent at all.
 * Each rejection and each replay is published on the provider's `events`
 * (`Rejected`, `Replayed`: see `TokenEvent`) with the request's method, URL
 * without its query, and status; replays are counted in
 * `grantflow.http.replays`.
 *
 * The token goes on the wire only: every response and every `HttpClientError`
 * the decorated client hands back carries the request with the headers that
 * held the token set to `<redacted>` and without the query parameters that
 * held it, so no printer can show it.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Predicate from "effect/Predicate"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Dpop from "./Dpop.js"
import * as internal from "./internal/bearerAuth.js"
import * as TokenError from "./TokenError.js"
import * as TokenProvider from "./TokenProvider.js"

/**
 * Options of {@link authenticate} and {@link layer}: what counts as "the API
 * rejected the token" ({@link isRejected} reads those), and the DPoP key of
 * tokens that carry none.
 *
 * - `statuses`: response statuses that mean rejection (default `[401]`; many
 *   APIs need `[401, 403]`);
 * - `bodyPattern`: a pattern that, found in the response body, means
 *   rejection whatever the status (for APIs that answer 200 with an error
 *   body). Setting it makes the decorator read the first 64 KiB of the body
 *   of every response (the pattern is tested on those only); the response it
 *   hands on still has the whole body;
 * - `invalidTokenChallenge`: treat `WWW-Authenticate: Bearer
 *   error="invalid_token"` (or `DPoP error="invalid_token"`) as rejection
 *   whatever the status (default `true`); only the first 8 KiB of the header
 *   are looked at;
 * - `dpop`: the DPoP key (RFC 9449) of `DPoP` tokens that do not carry
 *   their own: a token obtained with an endpoint's `dpop` carries it
 *   (`AccessToken`'s `dpop`) and is presented with it. A `DPoP` token is
 *   sent as `Authorization: DPoP <token>` with a `DPoP` proof for the
 *   request (its method, its URL without the query, the token's hash); a 401
 *   `DPoP error="use_dpop_nonce"` challenge with a `DPoP-Nonce` sends the
 *   request once more with that nonce and the provider's current token (the
 *   same one, unless it went stale while the request was out) — not a rejection,
 *   and counted in the two sendings a request gets at most. A `DPoP` token
 *   without a key fails with an `InvalidTokenRequest`, nothing sent.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly statuses?: ReadonlyArray<number> | undefined
  readonly bodyPattern?: RegExp | undefined
  readonly invalidTokenChallenge?: boolean | undefined
  readonly dpop?: Dpop.DpopKey | undefined
}

/**
 * The former name of {@link Options}, from before they held the DPoP key.
 *
 * @deprecated Use {@link Options}; this alias goes in the next major version.
 * @since 0.1.0
 * @category models
 */
export type RejectionRules = Options

/**
 * The API still rejected the request after the token was refreshed once.
 * The credentials may lack a permission, or the API may be rejecting tokens
 * for another reason; the request was not sent a third time.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { BearerAuth } from "@grantflow/core"
 *
 * const error = new BearerAuth.TokenRejected({ method: "GET", url: "https://api.example.com/me", status: 401 })
 * error.message
 * ```
 */
export class TokenRejected extends TokenError.TaggedError("TokenRejected")<{
  readonly method: string
  /** The request URL without its query string. */
  readonly url: string
  readonly status: number
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.method} ${this.url} was rejected (HTTP ${this.status}) with a freshly obtained token too; ` +
      "check the client's scopes and permissions at the API, and the API's rejection rules"
  }
}

const rejectedError = (request: HttpClientRequest.HttpClientRequest, response: HttpClientResponse.HttpClientResponse) =>
  new TokenRejected({ method: request.method, url: internal.urlWithoutQuery(request), status: response.status })

/**
 * Tells whether a response means that the API rejected the token, under the
 * given rules. For `bodyPattern` it reads at most the first 64 KiB of the
 * body: a body of declared length up to 64 KiB (and no content-encoding)
 * through `text`, so it stays readable; any other body by streaming it, which
 * consumes it.
 *
 * @since 0.1.0
 * @category predicates
 * @example
 * ```ts
 * import { BearerAuth } from "@grantflow/core"
 * import type { HttpClientResponse } from "@effect/platform"
 *
 * declare const response: HttpClientResponse.HttpClientResponse
 * const rejected = BearerAuth.isRejected(response, { statuses: [401, 403], bodyPattern: /token expired/i })
 * ```
 */
export const isRejected: (
  response: HttpClientResponse.HttpClientResponse,
  rules?: Options
) => Effect.Effect<boolean> = internal.isRejected

/**
 * Decorates a client with Bearer authentication from a token provider.
 * The resulting client also fails with the provider's `TokenError` (no token
 * could be had; nothing was sent) and with {@link TokenRejected}.
 *
 * @since 0.1.0
 * @category combinators
 * @example
 * ```ts
 * import { BearerAuth, TokenProvider } from "@grantflow/core"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const provider = yield* TokenProvider.TokenProvider
 *   const client = (yield* HttpClient.HttpClient).pipe(
 *     BearerAuth.authenticate(provider, { statuses: [401, 403] })
 *   )
 *   return yield* client.get("https://api.example.com/v1/me")
 * })
 * ```
 */
export const authenticate: {
  (
    provider: TokenProvider.TokenProvider["Type"],
    options?: Options
  ): <E, R>(
    self: HttpClient.HttpClient.With<E, R>
  ) => HttpClient.HttpClient.With<E | TokenError.TokenError | TokenRejected, R>
  <E, R>(
    self: HttpClient.HttpClient.With<E, R>,
    provider: TokenProvider.TokenProvider["Type"],
    options?: Options
  ): HttpClient.HttpClient.With<E | TokenError.TokenError | TokenRejected, R>
} = dual(
  (args) => Predicate.hasProperty(args[0], HttpClient.TypeId),
  <E, R>(
    self: HttpClient.HttpClient.With<E, R>,
    provider: TokenProvider.TokenProvider["Type"],
    options?: Options
  ): HttpClient.HttpClient.With<E | TokenError.TokenError | TokenRejected, R> =>
    internal.authenticate(self, provider, options, {
      noToken: (_request, error) => error,
      rejected: (request, response) => Effect.succeed(rejectedError(request, response))
    })
)

/**
 * Replaces the `HttpClient` in the context with one authenticated by the
 * `TokenProvider` in the context, for code that expects a plain `HttpClient`
 * (generated API clients, `HttpApiClient`). Its failures are the usual
 * `HttpClientError`s: a token that cannot be had is a `RequestError` whose
 * `cause` is the `TokenError`; a token still rejected after a refresh is a
 * `ResponseError` with reason `StatusCode` whose `cause` is a
 * {@link TokenRejected}. Use {@link authenticate} to keep those errors typed.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { BearerAuth, TokenProvider } from "@grantflow/core"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * declare const TokenLive: Layer.Layer<TokenProvider.TokenProvider>
 * const ApiClientLive = BearerAuth.layer({ statuses: [401, 403] }).pipe(
 *   Layer.provide(TokenLive),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 */
export const layer = (
  options?: Options
): Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient | TokenProvider.TokenProvider> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const provider = yield* TokenProvider.TokenProvider
      return internal.authenticate(client, provider, options, internal.platformFailures(rejectedError))
    })
  )

/**
 * The `TokenError` behind a failure of the client of {@link layer}: when no
 * token could be had, the layer fails with a `RequestError` (reason
 * `Transport`) whose `cause` is the provider's `TokenError` — an
 * `OAuthError` with `endpoint: "token"` for a refused client, say. `None`
 * for any other failure (the API itself, or a token rejected after a refresh,
 * whose `cause` is a {@link TokenRejected}).
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { BearerAuth } from "@grantflow/core"
 * import { HttpClient } from "@effect/platform"
 * import { Effect, Option } from "effect"
 *
 * const me = HttpClient.get("https://api.example.com/me").pipe(
 *   Effect.catchAll((error) =>
 *     Option.match(BearerAuth.tokenError(error), {
 *       onNone: () => Effect.fail(error),
 *       onSome: (tokenError) => Effect.logError(`no token: ${tokenError.message}`)
 *     })
 *   )
 * )
 * ```
 */
export const tokenError: (error: HttpClientError.HttpClientError) => Option.Option<TokenError.TokenError> =
  internal.tokenErrorOf
