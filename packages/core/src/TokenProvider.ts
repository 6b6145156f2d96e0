/**
 * The token provider: one cached access token, kept fresh.
 *
 * A provider is built around a *fetch* — any `Effect` that obtains a token
 * from a token endpoint, e.g. `Grant.clientCredentials(...)` — and a
 * {@link RefreshPolicy.RefreshPolicy}. It
 *
 * - hands out the cached token while it is fresh;
 * - inside the refresh window, still hands it out and refreshes it once in the
 *   background (a fiber of the provider's scope);
 * - within the policy's safety margin before expiry, and once it expired, no
 *   longer hands it out — the server may round its issue time down, and a
 *   starved process may refresh late — but lets callers wait for one refresh:
 *   however many ask, one token request runs, and all of them share its
 *   success or its failure;
 * - retries a failing token endpoint with the policy's `Schedule`, keeps
 *   serving a token that has not expired while refreshing fails, and after a
 *   failed refresh waits for a cool-down before asking again;
 * - discards the token when told it was rejected — only if it still holds
 *   *that* token, so a burst of rejections causes one refresh; `BearerAuth`
 *   then replays the request only with a token obtained by a request that
 *   started after the rejection was seen — never one the rejection may also
 *   concern — honouring the cool-down (with a provider of its own making,
 *   `BearerAuth` uses its `refresh`).
 *
 * Time is read from Effect's `Clock`, so `TestClock` drives every expiry.
 *
 * What it does is observable as data: `events` is a stream of
 * {@link TokenEvent.TokenEvent}s (fetched, refreshed in the background,
 * retried, cooling down, rejected, replayed), each naming the provider and
 * identifying tokens by number, never by value. Publishing never waits for a
 * subscriber: each subscriber has a buffer of 1,024 events, and one that
 * falls further behind loses the oldest. Metrics and spans carry the
 * provider's name as `grantflow.provider` (see docs/observability.md).
 *
 * @since 0.1.0
 */
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as AccessToken from "./AccessToken.js"
import type * as Grant from "./Grant.js"
import * as internal from "./internal/tokenProvider.js"
import type * as RefreshPolicy from "./RefreshPolicy.js"
import type * as TokenError from "./TokenError.js"
import type * as TokenEvent from "./TokenEvent.js"

/**
 * The token provider service.
 *
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { TokenProvider } from "@grantflow/core"
 * import { Effect, Stream } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const provider = yield* TokenProvider.TokenProvider
 *   const token = yield* provider.get
 *   return token.expiresAt
 * })
 *
 * // every event from now on, logged by a fiber of the current scope
 * const logEvents = Effect.gen(function*() {
 *   const provider = yield* TokenProvider.TokenProvider
 *   const events = yield* provider.subscribe
 *   yield* Effect.forkScoped(Stream.runForEach(events, (event) => Effect.logInfo(event._tag)))
 * })
 * ```
 */
export class TokenProvider extends Context.Tag("@grantflow/core/TokenProvider")<TokenProvider, {
  /** The current token: cached while fresh, refreshed when not. */
  readonly get: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError>
  /**
   * Tells the provider that `token` was rejected. The cache is cleared only if
   * it still holds that token; the next `get` obtains a new one.
   */
  readonly invalidate: (token: AccessToken.AccessToken) => Effect.Effect<void>
  /**
   * Obtains a token by a token request that starts after this call: joins a
   * refresh whose request has not started yet, else waits for the one under
   * way and starts another. A deliberate refresh: the cool-down after a failed
   * one does not hold it back.
   */
  readonly refresh: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError>
  /**
   * What the provider does with its tokens, and what `BearerAuth` reports on
   * it: see {@link TokenEvent.TokenEvent}. The stream subscribes when it
   * starts running and sees the events published from then on; it ends when
   * the provider's scope closes. (A pool's providers share the pool's
   * events.)
   */
  readonly events: Stream.Stream<TokenEvent.TokenEvent>
  /**
   * Subscribes now, in the current scope, and returns the events published
   * from now on: subscribe before the calls whose events must all be seen.
   */
  readonly subscribe: Effect.Effect<Stream.Stream<TokenEvent.TokenEvent>, never, Scope.Scope>
}>() {}

/**
 * Options of a token provider: its refresh policy (default
 * {@link RefreshPolicy.defaultPolicy}), a name that tags its metrics, logs,
 * spans and events (default `"default"`), and an `initial` token to serve before the
 * first fetch — e.g. the one an authorization-code exchange just returned, so
 * that the first call does not spend a refresh (and a rotation) at once.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly policy?: RefreshPolicy.RefreshPolicy | undefined
  readonly name?: string | undefined
  readonly initial?: AccessToken.AccessToken | undefined
}

/**
 * Builds a provider in the current scope. Use it when an application needs
 * several providers (one per API, say); otherwise use {@link layer}. Closing
 * the scope stops any refresh still running.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const crm = yield* TokenProvider.make(
 *     Grant.clientCredentials(Endpoint.make({
 *       tokenUrl: "https://auth.example.com/token",
 *       auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 *     })),
 *     { name: "crm" }
 *   )
 *   return yield* crm.get
 * })
 * ```
 */
export const make: <R>(
  fetch: Grant.TokenSource<TokenError.TokenError, R>,
  options?: Options
) => Effect.Effect<TokenProvider["Type"], never, Scope.Scope | R> = internal.make

/**
 * A scoped layer of the {@link TokenProvider} service.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant, RefreshPolicy, TokenProvider } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/token",
 *   auth: ClientAuth.clientSecretPost("my-client", Redacted.make("s3cret"))
 * })
 *
 * const TokenLive = TokenProvider.layer(
 *   Grant.clientCredentials(endpoint, { scopes: ["crm.read"] }),
 *   { policy: RefreshPolicy.make({ skew: "2 minutes" }) }
 * )
 * ```
 */
export const layer = <R>(
  fetch: Grant.TokenSource<TokenError.TokenError, R>,
  options?: Options
): Layer.Layer<TokenProvider, never, R> => Layer.scoped(TokenProvider, make(fetch, options))

/**
 * A scoped layer of the {@link TokenProvider} service whose fetch is read
 * from Effect `Config` (environment variables by default), e.g. with
 * `Grant.clientCredentialsConfig()`.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { Grant, TokenProvider } from "@grantflow/core"
 *
 * // reads CRM_TOKEN_URL, CRM_CLIENT_ID, CRM_CLIENT_SECRET, CRM_SCOPES
 * const TokenLive = TokenProvider.layerConfig(Grant.clientCredentialsConfig({ prefix: "CRM" }))
 * ```
 */
export const layerConfig = <R>(
  config: Config.Config<Grant.TokenSource<TokenError.TokenError, R>>,
  options?: Options
): Layer.Layer<TokenProvider, ConfigError.ConfigError, R> =>
  Layer.scoped(TokenProvider, Effect.flatMap(config, (fetch) => make(fetch, options)))
