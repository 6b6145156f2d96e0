/**
 * Where tokens live beyond one provider: in memory by default, in any
 * `@effect/platform` `KeyValueStore` (a file in `@grantflow/node`), or in
 * Redis, shared by every process of a deployment.
 *
 * A store holds one record per {@link Key} — a canonical connection key built
 * from everything that makes two tokens different (issuer or token URL, client
 * id, grant, sorted scopes, resource, audience, subject) — with a version.
 * Writes are compare-and-set on that version, so a slow process never
 * overwrites a newer token with an older one; a store may also grant a
 * refresh {@link Lease}, so that a fleet refreshes a token once, not once per
 * process.
 *
 * {@link shared} turns a grant into a fetch for `TokenProvider` that goes
 * through the store: the provider stays the fast in-process tier, the store is
 * the shared tier under it.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import type * as AccessToken from "./AccessToken.js"
import type * as Grant from "./Grant.js"
import * as internal from "./internal/tokenStore.js"
import type * as TokenCipher from "./TokenCipher.js"
import type * as TokenError from "./TokenError.js"

/**
 * A canonical connection key: see {@link key}.
 *
 * @since 0.1.0
 * @category models
 */
export type Key = string & { readonly Key: unique symbol }

/**
 * What identifies a token. Leave out what does not apply; `scopes` are
 * sorted and de-duplicated, so their order never makes two keys.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyParts {
  /** The issuer, or the token URL when the server has no issuer identifier. */
  readonly issuer: string
  readonly clientId: string
  /** The grant type, e.g. `client_credentials` or `refresh_token`. */
  readonly grant: string
  readonly scopes?: ReadonlyArray<string> | undefined
  /** RFC 8707 resource indicator. */
  readonly resource?: string | undefined
  readonly audience?: string | undefined
  /** The user, account or tenant the token acts for. */
  readonly subject?: string | undefined
}

/**
 * Builds the canonical key of a connection. Two tokens that differ in any
 * part — two scope sets, two tenants — get two keys, so they never share a
 * cache entry, a store record or a refresh.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenStore } from "@grantflow/core"
 *
 * const key = TokenStore.key({
 *   issuer: "https://auth.example.com",
 *   clientId: "crm-sync",
 *   grant: "client_credentials",
 *   scopes: ["contacts.write", "contacts.read"]
 * })
 * // same key whatever the order of the scopes
 * ```
 */
export const key: (parts: KeyParts) => Key = internal.key

/**
 * A stored token and the version of its record. Versions grow by one with
 * every write of the key.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  readonly token: AccessToken.AccessToken
  readonly version: number
}

/**
 * The right, for a while, to refresh one key for the whole fleet. The
 * `owner` is random; a store checks it on {@link TokenStore.set} (the fencing
 * value), so a process whose lease expired cannot write.
 *
 * @since 0.1.0
 * @category models
 */
export interface Lease {
  readonly owner: string
  /** Extends the lease by its time to live; `false` when it was lost. */
  readonly extend: Effect.Effect<boolean, TokenStoreError>
  /** Releases the lease if it is still this owner's. */
  readonly release: Effect.Effect<void>
}

/**
 * The outcome of a compare-and-set write: written with a new version, or
 * refused because the record changed since `expectedVersion` was read or the
 * lease given is no longer held.
 *
 * @since 0.1.0
 * @category models
 */
export type WriteResult =
  | { readonly _tag: "Written"; readonly version: number }
  | { readonly _tag: "Conflict"; readonly reason: "Version" | "Lease" }

/**
 * A token store could not be read or written: the server is unreachable, a
 * record is corrupt, or it could not be decrypted. Grantflow treats it as a
 * cache miss and keeps serving; the record is never overwritten blindly. A
 * connection that refreshes with the stored refresh token, and holds none in
 * memory, fails with it (it is a `TokenError`): retryable when the store was
 * unreachable (`Unavailable`), as it may come back.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenStore } from "@grantflow/core"
 *
 * const error = new TokenStore.TokenStoreError({ reason: "Unavailable", operation: "get", cause: new Error("ECONNREFUSED") })
 * error.retryable // true
 * ```
 */
export const TokenStoreError: typeof internal.TokenStoreError = internal.TokenStoreError

/**
 * A store that could not be read or written: see the {@link TokenStoreError}
 * constructor. `reason` is `Unavailable`, `Corrupt`, `Undecryptable`, or
 * `DpopKeyNotExtractable` — a token bound to a DPoP key that cannot be
 * exported, refused by a persistent store (see {@link PersistentOptions}). `version`, when the record was read, is the version of a
 * record that could not be decoded (0 when it is too damaged to carry one);
 * {@link save} writes at it to replace the record.
 *
 * @since 0.1.0
 * @category errors
 */
export type TokenStoreError = internal.TokenStoreError

/**
 * The token store service.
 *
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { TokenStore } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * declare const key: TokenStore.Key
 *
 * const stored = Effect.flatMap(TokenStore.TokenStore, (store) => store.get(key))
 * ```
 */
export const TokenStore: typeof internal.TokenStore = internal.TokenStore

/**
 * The tag type of {@link TokenStore}; `TokenStore["Type"]` is the service:
 * `get` a key's record, `set` it with compare-and-set on its version (and
 * the lease, when one is given), `remove` it at a version, and
 * `acquireLease` to refresh it for the fleet.
 *
 * @since 0.1.0
 * @category tags
 */
export type TokenStore = internal.TokenStore

/**
 * A persistent store's view of a record: its version and an opaque string
 * (the encoded, usually encrypted, token). Implement it to put tokens
 * anywhere; {@link fromBackend} adds encoding and encryption. A record too
 * damaged to carry a version is a `Corrupt` error with `version` 0 on `get`,
 * and counts as version 0 for `compareAndSet` and `remove`, so that
 * {@link save} can replace it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Backend {
  readonly get: (key: Key) => Effect.Effect<Option.Option<{ readonly version: number; readonly data: string }>, TokenStoreError>
  readonly compareAndSet: (
    key: Key,
    expectedVersion: number,
    data: string,
    lease: Lease | undefined
  ) => Effect.Effect<WriteResult, TokenStoreError>
  readonly remove: (key: Key, expectedVersion: number) => Effect.Effect<boolean, TokenStoreError>
  readonly acquireLease: (key: Key, ttl: Duration.Duration) => Effect.Effect<Option.Option<Lease>, TokenStoreError>
}

/**
 * Options of persistent stores: the cipher that seals every record
 * (`TokenCipher.aesGcm`), or `"none"` to store tokens in clear — which you
 * must choose explicitly.
 *
 * A record holds the token, its refresh token and, for a token obtained with
 * a DPoP key (`AccessToken`'s `dpop`), that key as a private JWK: a restarted
 * process refreshes the token with the key it is bound to. The key must be
 * exportable (`Dpop.generateKey({ extractable: true })`); a token whose key
 * is not is refused with a `DpopKeyNotExtractable` {@link TokenStoreError}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PersistentOptions {
  readonly encryption: TokenCipher.TokenCipher | "none"
}

/**
 * A store in this process's memory: the default, and what tests use. Leases
 * are per key, held in memory with their expiry read from `Clock`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenStore } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* TokenStore.makeMemory
 *   return store
 * })
 * ```
 */
export const makeMemory: Effect.Effect<TokenStore["Type"]> = internal.makeMemory

/**
 * A layer of {@link makeMemory}.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { TokenStore } from "@grantflow/core"
 *
 * const StoreLive = TokenStore.layerMemory
 * ```
 */
export const layerMemory: Layer.Layer<TokenStore> = internal.layerMemory

/**
 * A store over a {@link Backend}: tokens are encoded as JSON and, unless
 * `encryption` is `"none"`, sealed with the cipher, bound to their key.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenStore } from "@grantflow/core"
 *
 * declare const backend: TokenStore.Backend
 *
 * const store = TokenStore.fromBackend(backend, { encryption: "none" })
 * ```
 */
export const fromBackend: (backend: Backend, options: PersistentOptions) => TokenStore["Type"] = internal.fromBackend

/**
 * A store over any `@effect/platform` `KeyValueStore` (a file system, browser
 * storage, …). Compare-and-set and leases are atomic within this process
 * only: share a directory between processes of one host at most one at a
 * time, and use Redis for a fleet.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenStore } from "@grantflow/core"
 * import { KeyValueStore } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const store = Effect.flatMap(KeyValueStore.KeyValueStore, (kv) =>
 *   TokenStore.fromKeyValueStore(kv, { encryption: "none" }))
 * ```
 */
export const fromKeyValueStore: (
  store: KeyValueStore.KeyValueStore,
  options: PersistentOptions
) => Effect.Effect<TokenStore["Type"]> = internal.fromKeyValueStore

/**
 * A layer of {@link fromKeyValueStore} over the `KeyValueStore` in context.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { TokenCipher, TokenStore } from "@grantflow/core"
 * import { KeyValueStore } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * const StoreLive = Layer.unwrapEffect(
 *   Effect.map(Effect.flatMap(TokenCipher.keysConfig(), TokenCipher.aesGcm), (cipher) =>
 *     TokenStore.layerKeyValueStore({ encryption: cipher }))
 * ).pipe(Layer.provide(KeyValueStore.layerMemory))
 * ```
 */
export const layerKeyValueStore: (
  options: PersistentOptions
) => Layer.Layer<TokenStore, never, KeyValueStore.KeyValueStore> = internal.layerKeyValueStore

/**
 * Options of {@link shared}.
 *
 * - `key`: the connection's {@link Key}.
 * - `acquire`: obtains a token when the store has none to build on, e.g.
 *   `Grant.clientCredentials(…)`; for a user's connection, which only a login
 *   can start, `Grant.reauthorizationRequired(…)`.
 * - `refresh`: obtains a token from the stored refresh token, e.g.
 *   `(refreshToken) => Grant.refreshToken(endpoint, { refreshToken })`.
 * - `leaseTtl` (default 10 s): how long a refresh lease lasts; it is extended
 *   while the refresh is still running.
 * - `waitFor` (default 15 s): how long a process that lost the race for the
 *   lease waits for the winner's token before refreshing on its own.
 * - `poll` (default every 100 ms): how often a waiting process re-reads the
 *   store.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedOptions<R> {
  readonly key: Key
  readonly acquire: Grant.TokenSource<TokenError.TokenError, R>
  readonly refresh?: ((refreshToken: Redacted.Redacted<string>) => Grant.TokenSource<TokenError.TokenError, R>) | undefined
  readonly leaseTtl?: Duration.DurationInput | undefined
  readonly waitFor?: Duration.DurationInput | undefined
  readonly poll?: Schedule.Schedule<unknown> | undefined
}

/**
 * A fetch for `TokenProvider.make` that shares its token through the
 * {@link TokenStore} in context. Each run:
 *
 * 1. reads the store, and returns the stored token if it is fresh — by the
 *    refresh policy of the provider that runs the fetch (the default policy
 *    outside one) — and is not the one this fetch returned last (the provider
 *    asks again only when it wants a different token: stale, expired or
 *    rejected);
 * 2. otherwise takes the key's refresh lease, reads the store again (another
 *    process may have refreshed meanwhile: then its token is used and no
 *    request is sent), obtains a token — with the stored refresh token when
 *    there is one and `refresh` is given, else with `acquire` — and writes it
 *    with compare-and-set, fenced by the lease, before returning it;
 * 3. if another process holds the lease, waits for its token (bounded by
 *    `waitFor`); if that process died, its lease expires and a waiter takes
 *    over.
 *
 * A rotated refresh token is written before its access token is returned; if
 * that write fails, the run fails with `TokenError.RefreshTokenNotSaved`, the
 * new refresh token is kept in memory and written first on the next run
 * (the old one is spent). A store that is down is a cache miss: the token is
 * obtained, served and — unless it carries a new refresh token — not saved;
 * the error is logged at most once a minute. `invalid_grant` removes the
 * record, if it still holds the refresh token that failed.
 *
 * A stored token obtained with a DPoP key is refreshed with that key (the
 * `refresh` runs with it, and `Grant.refreshToken` proves it rather than the
 * endpoint's); a stored token of type `DPoP` whose key is gone is neither
 * served nor refreshed: the run fails with `TokenError.ReauthorizationRequired`
 * (`reason` `"DpopKeyLost"`) and sends nothing.
 *
 * `Grant.refreshTokenFlow` is this fetch over a store of its own.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant, TokenProvider, TokenStore } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * const tokenUrl = "https://auth.example.com/oauth/token"
 * const endpoint = Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretBasic("crm-sync", Redacted.make("s3cret")) })
 *
 * const program = Effect.gen(function*() {
 *   const fetch = yield* TokenStore.shared({
 *     key: TokenStore.key({ issuer: tokenUrl, clientId: "crm-sync", grant: "client_credentials" }),
 *     acquire: Grant.clientCredentials(endpoint)
 *   })
 *   const provider = yield* TokenProvider.make(fetch, { name: "crm" })
 *   return yield* provider.get
 * })
 * ```
 */
export const shared: <R>(
  options: SharedOptions<R>
) => Effect.Effect<Grant.TokenSource<TokenError.TokenError, R>, never, TokenStore> = internal.shared

/**
 * Writes `token` as the record of `key`, whatever the record holds — one
 * that cannot be decrypted or decoded too, even an empty or truncated one:
 * e.g. the first token of a user's connection, just returned by the
 * authorization-code exchange, before a provider is built on it with
 * {@link shared}. Fails only with an `Unavailable` store error.
 *
 * @since 0.1.0
 * @category combinators
 * @example
 * ```ts
 * import { AccessToken, TokenStore } from "@grantflow/core"
 *
 * declare const key: TokenStore.Key
 * declare const first: AccessToken.AccessToken
 *
 * const saved = TokenStore.save(key, first)
 * ```
 */
export const save: (
  key: Key,
  token: AccessToken.AccessToken
) => Effect.Effect<number, TokenStoreError, TokenStore> = internal.save

/**
 * Writes a record that holds only `refreshToken`, whatever the record holds
 * (as {@link save} does): e.g. a refresh token kept by an older version of an
 * application, or given by an administrator. Its access token is a
 * placeholder that expired at the epoch, so {@link shared} never serves it
 * and refreshes with `refreshToken` on its first run.
 *
 * @since 0.1.0
 * @category combinators
 * @example
 * ```ts
 * import { TokenStore } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * declare const key: TokenStore.Key
 *
 * const seeded = TokenStore.saveRefreshToken(key, Redacted.make("stored-refresh-token"))
 * ```
 */
export const saveRefreshToken: (
  key: Key,
  refreshToken: Redacted.Redacted<string>
) => Effect.Effect<number, TokenStoreError, TokenStore> = internal.saveRefreshToken
