import * as TokenCipher from "@grantflow/core/TokenCipher"
import * as TokenStore from "@grantflow/core/TokenStore"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { RedisOptions } from "ioredis"
import type * as RedisTokenStore from "../RedisTokenStore.js"

// A record's version as the scripts read it, and as `get` does (see
// `versionOf`): 1 to 14 digits without a leading zero — Lua writes larger
// numbers in exponent form — else 0, so that a damaged record is replaced by
// a write at 0 (TokenStore.save) instead of blocking every write.
const versionOfScript = `
local function version_of(key)
  local v = redis.call('HGET', key, 'v')
  if not v or #v > 14 or not string.match(v, '^[1-9]%d*$') then return 0 end
  return tonumber(v)
end`

// Every write checks, in one script, the lease (the fencing value) and the
// record's version: no other client can slip in between.
const compareAndSetScript = `${versionOfScript}
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return -1 end
local version = version_of(KEYS[1])
if version ~= tonumber(ARGV[1]) then return -2 end
redis.call('HSET', KEYS[1], 'v', version + 1, 'd', ARGV[2])
return version + 1`

const removeScript = `${versionOfScript}
local version = version_of(KEYS[1])
if version > 0 and version == tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) return 1 end
return 0`

/** The version field as the scripts read it; 0 when it is not one. */
const versionOf = (field: string): number => field.length <= 14 && /^[1-9]\d*$/.test(field) ? Number(field) : 0

/**
 * What is kept of a client failure in a store error: its name, its message
 * (Redis's reply, capped) and the command's name. ioredis hangs the whole
 * command on its reply errors, arguments included — the record, in clear
 * with encryption "none" — where any log of the error would print them.
 */
class RedisFailure extends Error {
  readonly command: string | undefined
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message.slice(0, 500) : "the Redis client failed with a value that is not an Error")
    this.name = cause instanceof Error ? cause.name : "RedisFailure"
    const command = (cause as { readonly command?: { readonly name?: unknown } } | null)?.command?.name
    this.command = typeof command === "string" ? command : undefined
  }
}

const extendScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`

const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/**
 * Connection settings that keep a missing server from hanging anything:
 * commands fail at once while disconnected (a store miss for grantflow)
 * and reconnection goes on quietly in the background.
 */
const connectionDefaults: RedisOptions = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  commandTimeout: 2_000,
  connectTimeout: 2_000,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  lazyConnect: true
}

/** @internal */
export const make = (
  options: RedisTokenStore.Options
): Effect.Effect<TokenStore.TokenStore["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    // loaded here, not at the top: importing @grantflow/node must not load ioredis for users of other stores
    const { Redis } = yield* Effect.promise(() => import("ioredis"))
    const redis = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const client = typeof options.redis === "string"
          ? new Redis(options.redis, { ...connectionDefaults, ...options.redisOptions })
          : new Redis({ ...connectionDefaults, ...options.redisOptions })
        // Connection errors surface as store errors on the commands; without a
        // listener ioredis would print each reconnection attempt.
        client.on("error", () => {})
        return client
      }),
      (client) => Effect.sync(() => client.disconnect())
    )
    // Commands sent before the first connection would fail (there is no offline
    // queue), so wait for it — briefly: a server that is down is a store miss,
    // and the client keeps reconnecting in the background.
    yield* Effect.promise(() => redis.connect().catch(() => undefined)).pipe(
      Effect.timeoutOption(Duration.millis(connectionDefaults.connectTimeout!))
    )
    const prefix = options.prefix ?? "grantflow:"
    const recordKey = (key: TokenStore.Key) => `${prefix}token:${key}`
    const leaseKey = (key: TokenStore.Key) => `${prefix}lease:${key}`

    const call = <A>(operation: string, run: () => Promise<A>) =>
      Effect.tryPromise({
        try: run,
        catch: (cause) => new TokenStore.TokenStoreError({ reason: "Unavailable", operation, cause: new RedisFailure(cause) })
      })

    const acquireLease = (key: TokenStore.Key, ttl: Duration.Duration) => {
      const owner = Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)))
      const millis = Math.max(1, Math.round(Duration.toMillis(ttl)))
      return Effect.map(
        call("lease", () => redis.set(leaseKey(key), owner, "PX", millis, "NX")),
        (reply): Option.Option<TokenStore.Lease> =>
          reply === "OK"
            ? Option.some({
              owner,
              extend: Effect.map(
                call("lease", () => redis.eval(extendScript, 1, leaseKey(key), owner, millis)),
                (extended) => extended === 1
              ),
              release: Effect.ignore(call("lease", () => redis.eval(releaseScript, 1, leaseKey(key), owner)))
            })
            : Option.none()
      )
    }

    return TokenStore.fromBackend({
      get: (key) =>
        Effect.flatMap(call("get", () => redis.hmget(recordKey(key), "v", "d")), ([field, data]) => {
          if (field === null || field === undefined) return Effect.succeedNone
          const version = versionOf(field)
          return version > 0 && typeof data === "string"
            ? Effect.succeedSome({ version, data })
            : Effect.fail(
              new TokenStore.TokenStoreError({
                reason: "Corrupt",
                operation: "get",
                cause: new Error("the record hash lacks a valid version or a data field"),
                version
              })
            )
        }),
      compareAndSet: (key, expectedVersion, data, lease) =>
        Effect.map(
          call("set", () =>
            redis.eval(
              compareAndSetScript,
              2,
              recordKey(key),
              leaseKey(key),
              expectedVersion,
              data,
              lease?.owner ?? ""
            )),
          (reply): TokenStore.WriteResult => {
            const result = Number(reply)
            return result === -1
              ? { _tag: "Conflict", reason: "Lease" }
              : result === -2
              ? { _tag: "Conflict", reason: "Version" }
              : { _tag: "Written", version: result }
          }
        ),
      remove: (key, expectedVersion) =>
        Effect.map(call("remove", () => redis.eval(removeScript, 1, recordKey(key), expectedVersion)), (n) => n === 1),
      acquireLease
    }, options)
  })

const optionsConfig = (prefix: string) =>
  Config.all({
    redis: Config.string(`${prefix}_REDIS_URL`).pipe(Config.withDefault("redis://127.0.0.1:6379")),
    prefix: Config.string(`${prefix}_REDIS_PREFIX`).pipe(Config.withDefault("grantflow:"))
  })

/** @internal */
export const layer = (options: RedisTokenStore.Options): Layer.Layer<TokenStore.TokenStore> =>
  Layer.scoped(TokenStore.TokenStore, make(options))

/** @internal */
export const layerConfig = (
  prefix = "GRANTFLOW_STORE"
): Layer.Layer<TokenStore.TokenStore, ConfigError.ConfigError | TokenCipher.InvalidKey> =>
  Layer.scoped(
    TokenStore.TokenStore,
    Effect.flatMap(
      Effect.all([optionsConfig(prefix), Effect.flatMap(TokenCipher.keysConfig(prefix), TokenCipher.aesGcm)]),
      ([options, encryption]) => make({ ...options, encryption })
    )
  )
