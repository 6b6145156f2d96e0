/**
 * A `TokenStore` in Redis, shared by every process of a deployment: records
 * are written with compare-and-set on their version in one Lua script that
 * also checks the writer's refresh lease (`SET key owner NX PX`, released
 * and extended only by its owner), so one process refreshes each token for
 * the whole fleet and a process whose lease ran out cannot write.
 *
 * While Redis is unreachable, every command fails at once; grantflow counts
 * that as a store miss and keeps serving from its in-process cache, and the
 * client reconnects quietly in the background.
 *
 * @since 0.1.0
 */
import type * as TokenCipher from "@grantflow/core/TokenCipher"
import type * as TokenStore from "@grantflow/core/TokenStore"
import type * as ConfigError from "effect/ConfigError"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { RedisOptions } from "ioredis"
import * as internal from "./internal/redisTokenStore.js"

/**
 * Options of a Redis store:
 *
 * - `redis`: a `redis://` URL; defaults to 127.0.0.1:6379;
 * - `redisOptions`: more `ioredis` options, over grantflow's defaults (fail
 *   fast while disconnected, reconnect in the background);
 * - `prefix` (default `grantflow:`): put before every key, so that
 *   deployments and tests can share a server;
 * - `encryption`: a `TokenCipher`, or `"none"`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends TokenStore.PersistentOptions {
  readonly redis?: string | undefined
  readonly redisOptions?: RedisOptions | undefined
  readonly prefix?: string | undefined
}

/**
 * Connects to Redis for the life of the scope and returns the store.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { RedisTokenStore } from "@grantflow/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const store = yield* RedisTokenStore.make({ redis: "redis://127.0.0.1:6379", encryption: "none" })
 *   return store
 * }))
 * ```
 */
export const make: (options: Options) => Effect.Effect<TokenStore.TokenStore["Type"], never, Scope.Scope> =
  internal.make

/**
 * A layer of the Redis store.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { TokenCipher } from "@grantflow/core"
 * import { RedisTokenStore } from "@grantflow/node"
 * import { Effect, Layer } from "effect"
 *
 * const StoreLive = Layer.unwrapEffect(
 *   Effect.map(Effect.flatMap(TokenCipher.keysConfig(), TokenCipher.aesGcm), (cipher) =>
 *     RedisTokenStore.layer({ redis: "redis://127.0.0.1:6379", prefix: "billing:", encryption: cipher }))
 * )
 * ```
 */
export const layer: (options: Options) => Layer.Layer<TokenStore.TokenStore> = internal.layer

/**
 * A layer of the Redis store configured from `Config`: `<PREFIX>_REDIS_URL`
 * (default `redis://127.0.0.1:6379`), `<PREFIX>_REDIS_PREFIX` (default
 * `grantflow:`), and the encryption keys of `TokenCipher.keysConfig(prefix)`
 * (`<PREFIX>_KEY`, `<PREFIX>_PREVIOUS_KEYS`). The prefix defaults to
 * `GRANTFLOW_STORE`. Records are always encrypted in this form.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { RedisTokenStore } from "@grantflow/node"
 *
 * // GRANTFLOW_STORE_REDIS_URL=redis://cache:6379 GRANTFLOW_STORE_KEY=2026-11:…
 * const StoreLive = RedisTokenStore.layerConfig()
 * ```
 */
export const layerConfig: (
  prefix?: string
) => Layer.Layer<TokenStore.TokenStore, ConfigError.ConfigError | TokenCipher.InvalidKey> = internal.layerConfig
