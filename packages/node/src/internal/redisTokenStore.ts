import * as TokenStore from "@grantflow/core/TokenStore"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { Redis, type RedisOptions } from "ioredis"
import type * as RedisTokenStore from "../RedisTokenStore.js"

// Every write checks, in one script, the lease (the fencing value) and the
// record's version: no other client can slip in between.
const compareAndSetScript = `
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return -1 end
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if version ~= tonumber(ARGV[1]) then return -2 end
redis.call('HSET', KEYS[1], 'v', version + 1, 'd', ARGV[2])
return version + 1`

const removeScript = `
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if version > 0 and version == tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) return 1 end
return 0`

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
        catch: (cause) => new TokenStore.TokenStoreError({ reason: "Unavailable", operation, cause })
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
        Effect.flatMap(call("get", () => redis.hmget(recordKey(key), "v", "d")), ([version, data]) => {
          if (version === null || version === undefined) return Effect.succeedNone
          const parsed = Number(version)
          return Number.isInteger(parsed) && parsed > 0 && typeof data === "string"
            ? Effect.succeedSome({ version: parsed, data })
            : Effect.fail(
              new TokenStore.TokenStoreError({
                reason: "Corrupt",
                operation: "get",
                cause: new Error("the record hash lacks a version or data field")
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

/** @internal */
export const optionsConfig = (prefix: string) =>
  Config.all({
    redis: Config.string(`${prefix}_REDIS_URL`).pipe(Config.withDefault("redis://127.0.0.1:6379")),
    prefix: Config.string(`${prefix}_REDIS_PREFIX`).pipe(Config.withDefault("grantflow:"))
  })
