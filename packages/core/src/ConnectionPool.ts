/**
 * Many connections in one process: one token per customer, tenant or
 * account, each kept fresh the way a `TokenProvider` keeps its one.
 *
 * A pool creates a connection on first use, from its id: the id gives the
 * connection's `TokenStore.Key` and how to obtain its token (`acquire`, and
 * `refresh` with a stored refresh token). Tokens go through the
 * `TokenStore` in context, as with `TokenStore.shared`, so a fleet of
 * processes shares them and an evicted connection's token is still there
 * when it comes back. The pool is bounded: past `capacity`, a connection
 * not used for longest is evicted (a "clock" approximation of least recently
 * used, which keeps the warm path to one lookup), and connections idle for
 * `idleTimeToLive` are evicted too.
 *
 * Each connection's health is data — last success, last failure and its
 * error, token requests sent, whether the user must authorize again — and
 * the pool's size and re-authorization count are gauges.
 *
 * A connection costs a few hundred bytes (a record of plain fields), so
 * 100,000 of them fit in one process.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.js"
import type * as Grant from "./Grant.js"
import * as internal from "./internal/connectionPool.js"
import type * as RefreshPolicy from "./RefreshPolicy.js"
import type * as TokenError from "./TokenError.js"
import type * as TokenProvider from "./TokenProvider.js"
import type * as TokenStore from "./TokenStore.js"

/**
 * The health of one connection, as data.
 *
 * @since 0.1.0
 * @category models
 */
export interface Health<Id> {
  readonly id: Id
  readonly key: TokenStore.Key
  /** When the last token was obtained (`Clock` epoch milliseconds). */
  readonly lastSuccessAt: Option.Option<number>
  /** The last failed refresh, when it has not succeeded since; the error holds no secret. */
  readonly lastFailure: Option.Option<{ readonly at: number; readonly error: TokenError.TokenError }>
  /** Token requests sent for this connection since it entered the pool, retries included. */
  readonly attempts: number
  /** The refresh token was refused: the user must authorize this connection again. */
  readonly needsReauthorization: boolean
  /** When the token held expires, if one is held. */
  readonly expiresAt: Option.Option<number>
}

/**
 * A pool of connections, by id.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionPool<Id> {
  /** The connection's current token: cached while fresh, refreshed when not. */
  readonly get: (id: Id) => Effect.Effect<AccessToken.AccessToken, TokenError.TokenError>
  /** Tells the connection that `token` was rejected (see `TokenProvider`). */
  readonly invalidate: (id: Id, token: AccessToken.AccessToken) => Effect.Effect<void>
  /** Obtains a token for the connection by a token request that starts after this call (see `TokenProvider`). */
  readonly refresh: (id: Id) => Effect.Effect<AccessToken.AccessToken, TokenError.TokenError>
  /** The connection as a `TokenProvider`, e.g. for `BearerAuth.authenticate`. */
  readonly provider: (id: Id) => TokenProvider.TokenProvider["Type"]
  /** The connection's health, if it is in the pool. */
  readonly health: (id: Id) => Effect.Effect<Option.Option<Health<Id>>>
  /** The health of every connection in the pool. */
  readonly connections: Effect.Effect<ReadonlyArray<Health<Id>>>
  /** How many connections the pool holds. */
  readonly size: Effect.Effect<number>
  /** Drops the connection from the pool (its stored token stays in the store). */
  readonly evict: (id: Id) => Effect.Effect<void>
}

/**
 * Options of a pool:
 *
 * - `key`: the connection's `TokenStore.Key`, computed once when the
 *   connection is created. Ids are compared with `===`: use strings or
 *   numbers;
 * - `acquire`: obtains a connection's token when the store holds none to
 *   build on (for user connections, which only a login can start,
 *   `Grant.reauthorizationRequired(…)`);
 * - `refresh`: obtains a token from the connection's stored refresh token;
 * - `capacity` (default 10,000) and `idleTimeToLive` (default 1 hour): the
 *   bounds past which connections are evicted;
 * - `policy`, `name`: as for `TokenProvider` (`name` labels metrics);
 * - `leaseTtl`, `waitFor`, `poll`: as for `TokenStore.shared`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<Id, R> {
  readonly key: (id: Id) => TokenStore.Key
  readonly acquire: (id: Id) => Grant.TokenSource<TokenError.TokenError, R>
  readonly refresh?: ((id: Id, refreshToken: Redacted.Redacted<string>) => Grant.TokenSource<TokenError.TokenError, R>) | undefined
  readonly capacity?: number | undefined
  readonly idleTimeToLive?: Duration.DurationInput | undefined
  readonly policy?: RefreshPolicy.RefreshPolicy | undefined
  readonly name?: string | undefined
  readonly leaseTtl?: Duration.DurationInput | undefined
  readonly waitFor?: Duration.DurationInput | undefined
  readonly poll?: Schedule.Schedule<unknown> | undefined
}

/**
 * Builds a pool in the current scope; closing the scope stops every refresh
 * and the idle sweep. Tokens go through the `TokenStore` in context
 * (`TokenStore.layerMemory` for one process).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth, ConnectionPool, Endpoint, Grant, TokenStore } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * const tokenUrl = "https://auth.example.com/oauth/token"
 *
 * const program = Effect.gen(function*() {
 *   const pool = yield* ConnectionPool.make({
 *     key: (tenant: string) =>
 *       TokenStore.key({ issuer: tokenUrl, clientId: tenant, grant: "client_credentials" }),
 *     acquire: (tenant) =>
 *       Grant.clientCredentials(
 *         Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretBasic(tenant, Redacted.make("s3cret")) })
 *       ),
 *     capacity: 50_000,
 *     idleTimeToLive: "30 minutes"
 *   })
 *   const token = yield* pool.get("tenant-42")
 *   return token.expiresAt
 * })
 * ```
 */
export const make: <Id, R>(
  options: Options<Id, R>
) => Effect.Effect<ConnectionPool<Id>, never, Scope.Scope | TokenStore.TokenStore | R> = internal.make
