import { assert, describe, it } from "@effect/vitest"
import { TokenCipher, TokenStore } from "@grantflow/core"
import { RedisTokenStore } from "@grantflow/node"
import { Effect, Layer, Option, Redacted } from "effect"
import { Redis } from "ioredis"
import { dpopStoreSuite } from "../../core/test/dpopStoreSuite.js"
import { printings } from "../../core/test/leakCapture.js"
import { freshKey, storeSuite, tokenOf } from "../../core/test/tokenStoreSuite.js"
import { outageSuite } from "./support/outageSuite.js"

const REDIS = process.env.GRANTFLOW_TEST_REDIS_URL ?? "redis://127.0.0.1:6379"
const prefix = `grantflow-test:${process.pid}:${Date.now()}:`

const keyOf = (id: string) => ({ id, secret: Redacted.make(Buffer.alloc(32, id).toString("base64")) })
const cipher = TokenCipher.aesGcm({ current: keyOf("k1") })

const StoreLive = Layer.unwrapEffect(
  Effect.map(cipher, (encryption) => RedisTokenStore.layer({ redis: REDIS, prefix, encryption }))
)

/** Reads Redis directly, beside the store. */
const raw = Effect.acquireRelease(
  Effect.sync(() => new Redis(REDIS, { maxRetriesPerRequest: 1 })),
  (client) => Effect.promise(() => client.quit())
)

storeSuite("Redis store", StoreLive, {
  damage: (key, how) =>
    Effect.scoped(Effect.flatMap(raw, (client) => {
      const record = `${prefix}token:${key}`
      return Effect.promise(async () => {
        if (how === "Empty") await client.hset(record, "v", "", "d", "")
        else await client.hset(record, "d", (await client.hget(record, "d"))!.slice(0, 20))
      })
    })),
  loseLease: (key) =>
    Effect.scoped(Effect.flatMap(raw, (client) =>
      Effect.flatMap(Effect.promise(() => client.del(`${prefix}lease:${key}`)), (deleted) =>
        deleted === 1 ? Effect.void : Effect.dieMessage("no lease to lose"))))
})

dpopStoreSuite(
  "Redis store",
  Effect.flatMap(cipher, (encryption) => RedisTokenStore.make({ redis: REDIS, prefix, encryption })),
  (key) =>
    Effect.flatMap(raw, (client) => Effect.promise(() => client.hget(`${prefix}token:${key}`, "d"))).pipe(
      Effect.map((data) => data ?? assert.fail("no record"))
    ),
  Layer.empty
)

describe("Redis store specifics", () => {
  it.scoped("records are sealed: neither the access token nor the refresh token is in Redis in clear", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.TokenStore
      const key = freshKey()
      yield* store.set(key, tokenOf("access-in-clear", "refresh-in-clear"), { expectedVersion: 0 })
      const client = yield* raw
      const record = yield* Effect.promise(() => client.hgetall(`${prefix}token:${key}`))
      assert.strictEqual(record.v, "1")
      assert.match(record.d!, /^gf1\.k1\./)
      assert.notInclude(record.d!, "in-clear")
    }).pipe(Effect.provide(StoreLive)))

  it.scoped("a record sealed with a key the store no longer holds is a typed error, and stays in Redis", () =>
    Effect.gen(function*() {
      const key = freshKey()
      yield* Effect.flatMap(TokenStore.TokenStore, (store) =>
        store.set(key, tokenOf("old"), { expectedVersion: 0 })).pipe(Effect.provide(StoreLive))
      const rotatedOut = Layer.unwrapEffect(
        Effect.map(TokenCipher.aesGcm({ current: keyOf("k2") }), (encryption) =>
          RedisTokenStore.layer({ redis: REDIS, prefix, encryption }))
      )
      const error = yield* Effect.flip(Effect.flatMap(TokenStore.TokenStore, (store) => store.get(key))).pipe(
        Effect.provide(rotatedOut)
      )
      assert.strictEqual(error.reason, "Undecryptable")
      assert.strictEqual(error.version, 1)
      const client = yield* raw
      assert.strictEqual(yield* Effect.promise(() => client.hget(`${prefix}token:${key}`, "v")), "1")
      // With the old key among the previous ones, the record opens again.
      const rotated = Layer.unwrapEffect(
        Effect.map(TokenCipher.aesGcm({ current: keyOf("k2"), previous: [keyOf("k1")] }), (encryption) =>
          RedisTokenStore.layer({ redis: REDIS, prefix, encryption }))
      )
      const entry = yield* Effect.flatMap(TokenStore.TokenStore, (store) => store.get(key)).pipe(Effect.provide(rotated))
      assert.strictEqual(Redacted.value(Option.getOrThrow(entry).token.token), "old")
    }))

  it.scoped("a reply error keeps no argument of the command: the record never shows in the error", () =>
    Effect.gen(function*() {
      const store = yield* RedisTokenStore.make({ redis: REDIS, prefix, encryption: "none" })
      const key = freshKey()
      const client = yield* raw
      // a key of the wrong type where the record hash should be: the write script fails
      yield* Effect.promise(() => client.set(`${prefix}token:${key}`, "not a hash"))
      const error = yield* Effect.flip(store.set(key, tokenOf("access-in-clear", "refresh-in-clear"), { expectedVersion: 0 }))
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(String(error.cause), "WRONGTYPE")
      assert.strictEqual((error.cause as { readonly command?: string }).command, "eval")
      for (const text of printings(error)) {
        assert.notInclude(text, "in-clear")
        assert.notInclude(text, "HSET")
      }
    }))

  it.scoped("Redis unreachable: every operation fails fast with an Unavailable store error", () =>
    Effect.gen(function*() {
      const store = yield* RedisTokenStore.make({ redis: "redis://127.0.0.1:1", prefix, encryption: "none" })
      const key = freshKey()
      const started = Date.now()
      for (const operation of [store.get(key), store.acquireLease(key, "1 second" as never), store.remove(key, 1)]) {
        const error = yield* Effect.flip(operation as Effect.Effect<unknown, TokenStore.TokenStoreError>)
        assert.strictEqual(error.reason, "Unavailable")
      }
      assert.isBelow(Date.now() - started, 10_000)
    }))
})

const target = new URL(REDIS)
outageSuite(
  "Redis",
  { host: target.hostname, port: Number(target.port || 6379) },
  (port) => RedisTokenStore.make({ redis: `redis://127.0.0.1:${port}`, prefix, encryption: "none" })
)
