import { assert, describe, it } from "@effect/vitest"
import { AccessToken, RefreshPolicy, TokenCipher, TokenStore } from "@grantflow/core"
import { RedisTokenStore } from "@grantflow/node"
import { AuthServer, Journal } from "@grantflow/testing"
import { Cause, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { Redis } from "ioredis"
import * as net from "node:net"
import * as util from "node:util"
import { dpopStoreSuite } from "../../core/test/dpopStoreSuite.js"
import { freshKey, member, storeSuite, tokenOf } from "../../core/test/tokenStoreSuite.js"

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

storeSuite("Redis store", StoreLive, (key, how) =>
  Effect.scoped(Effect.flatMap(raw, (client) => {
    const record = `${prefix}token:${key}`
    return Effect.promise(async () => {
      if (how === "Empty") await client.hset(record, "v", "", "d", "")
      else await client.hset(record, "d", (await client.hget(record, "d"))!.slice(0, 20))
    })
  })))

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
      for (
        const text of [
          String(error),
          JSON.stringify(error),
          util.inspect(error, { depth: null, showHidden: true }),
          Cause.pretty(Cause.fail(error))
        ]
      ) {
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

/** A TCP proxy in front of Redis that can be taken down and brought back on the same port. */
const redisProxy = Effect.acquireRelease(
  Effect.async<{ readonly port: number; readonly down: Effect.Effect<void>; readonly up: Effect.Effect<void> }>((resume) => {
    const target = new URL(REDIS)
    const sockets = new Set<net.Socket>()
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname)
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on("error", () => socket.destroy())
        socket.on("close", () => sockets.delete(socket))
      }
      client.pipe(upstream).pipe(client)
    })
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      resume(Effect.succeed({
        port,
        down: Effect.async<void>((done) => {
          server.close(() => done(Effect.void))
          for (const socket of sockets) socket.destroy()
        }),
        up: Effect.async<void>((done) => {
          server.listen(port, "127.0.0.1", () => done(Effect.void))
        })
      }))
    })
  }),
  (proxy) => Effect.ignore(Effect.timeout(proxy.down, "1 second"))
)

const serverOptions: AuthServer.Options = {
  clients: [{ clientId: "app", clientSecret: "app-secret", grants: ["client_credentials", "refresh_token"] }],
  refreshTokenForClientCredentials: true
}

describe("Redis going away and coming back", () => {
  const setup = (refresh: boolean) => Effect.gen(function*() {
    const proxy = yield* redisProxy
    const store = yield* RedisTokenStore.make({ redis: `redis://127.0.0.1:${proxy.port}`, prefix, encryption: "none" })
    const key = freshKey("refresh_token")
    const policy = RefreshPolicy.make({ retry: Schedule.recurs(0), coolDown: "10 millis" })
    const provider = yield* member(key, { refresh, policy }).pipe(
      Effect.provideService(TokenStore.TokenStore, store)
    )
    const server = yield* AuthServer.AuthServer
    const whenReachable = store.get(key).pipe(
      Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("10 seconds")))
    )
    return { proxy, store, key, provider, server, whenReachable }
  })

  it.live("the token keeps being served and refreshed without Redis; the store is used again once it is back", () =>
    Effect.gen(function*() {
      const { key, provider, proxy, store, whenReachable } = yield* setup(false)
      const first = yield* provider.get
      yield* proxy.down
      // still served from the in-process tier, and refreshed without the store
      assert.isTrue(AccessToken.sameToken(yield* provider.get, first))
      yield* provider.invalidate(first)
      const second = yield* provider.get
      assert.isFalse(AccessToken.sameToken(first, second))
      yield* proxy.up
      yield* whenReachable
      yield* provider.invalidate(second)
      const third = yield* provider.get
      const stored = Option.getOrThrow(yield* store.get(key))
      assert.isTrue(AccessToken.sameToken(stored.token, third))
      assert.strictEqual(stored.version, 2)
    }).pipe(Effect.scoped, Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(serverOptions))))))

  it.live("a refresh token rotated while Redis is down is not lost: no access token until it is saved, then no second refresh", () =>
    Effect.gen(function*() {
      const { key, provider, proxy, server, store, whenReachable } = yield* setup(true)
      const first = yield* provider.get
      yield* proxy.down
      yield* provider.invalidate(first)
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error._tag, "RefreshTokenNotSaved")
      yield* proxy.up
      yield* whenReachable
      yield* Effect.sleep("20 millis") // past the cool-down
      const second = yield* provider.get
      assert.isFalse(AccessToken.sameToken(first, second))
      const stored = Option.getOrThrow(yield* store.get(key))
      assert.isTrue(AccessToken.sameToken(stored.token, second))
      const journal = yield* server.journal
      const refreshes = Journal.tokenRequests(journal).filter((entry) => entry.grantType === "refresh_token")
      assert.strictEqual(refreshes.length, 1)
      yield* Journal.noRefreshTokenUsedTwice(journal)
      assert.isFalse((yield* server.families)[0]!.revoked)
    }).pipe(Effect.scoped, Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(serverOptions))))))
})

describe("a refresh that outlives its lease", () => {
  it.live("still stores the rotated refresh token when nobody wrote meanwhile, so the chain goes on", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const store = yield* RedisTokenStore.make({ redis: REDIS, prefix, encryption: "none" })
      const key = freshKey("refresh_token")
      const provider = yield* member(key).pipe(Effect.provideService(TokenStore.TokenStore, store))
      const first = yield* provider.get
      yield* server.fail(AuthServer.Latency({ duration: "300 millis" }))
      yield* provider.invalidate(first)
      const refreshing = yield* Effect.fork(provider.get)
      yield* Effect.sleep("100 millis")
      // The lease is lost while the request is in flight, as after a long pause of the process.
      const client = yield* raw
      assert.strictEqual(yield* Effect.promise(() => client.del(`${prefix}lease:${key}`)), 1)
      const second = yield* refreshing.await.pipe(Effect.flatten)
      const stored = Option.getOrThrow(yield* store.get(key))
      assert.isTrue(AccessToken.sameToken(stored.token, second))
      yield* provider.invalidate(second)
      yield* provider.get
      const journal = yield* server.journal
      yield* Journal.noRefreshTokenUsedTwice(journal)
      assert.isTrue(Journal.tokenRequests(journal).every((entry) => entry.status === 200))
      assert.isFalse((yield* server.families)[0]!.revoked)
    }).pipe(Effect.scoped, Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(serverOptions))))))
})
