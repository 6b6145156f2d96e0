/**
 * `Grant.refreshTokenFlow` is `TokenStore.shared` over a memory store of its
 * own whose writes save rotated refresh tokens with `onRotate`: that store
 * passes the store contract, and the rotation cases that apply to one process
 * — a write that fails, a lease lost during a refresh — come out the same
 * through the flow as through `TokenStore.shared`.
 */
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenProvider, TokenStore } from "@grantflow/core"
import { AuthServer, Journal } from "@grantflow/testing"
import { type Duration, Effect, Layer, Option, Redacted, Ref, Schedule } from "effect"
import * as tokenStore from "../src/internal/tokenStore.js"
import { freshKey, simulatedServer, storeSuite } from "./tokenStoreSuite.js"

storeSuite(
  "refreshTokenFlow's store (memory, writes call onRotate)",
  Layer.effect(TokenStore.TokenStore, tokenStore.makeRotating(() => Effect.void))
)

const endpoint = Endpoint.make({
  tokenUrl: "http://127.0.0.1/token",
  auth: ClientAuth.clientSecretBasic("app", Redacted.make("app-secret"))
})
const refresh = (refreshToken: Redacted.Redacted<string>) => Grant.refreshToken(endpoint, { refreshToken })
const policy = RefreshPolicy.make({ retry: Schedule.stop })
const value = (secret: Redacted.Redacted<string>) => Redacted.value(secret)

/** A refresh token the simulated server issued, to start the chain from. */
const firstRefreshToken = Effect.map(
  Grant.clientCredentials(endpoint),
  (token) => Option.getOrThrow(token.refreshToken)
)

/** A store whose writes fail while `down` holds. */
const failingWrites = (store: TokenStore.TokenStore["Type"], down: Ref.Ref<boolean>): TokenStore.TokenStore["Type"] => ({
  ...store,
  set: (key, token, options) =>
    Effect.flatMap(Ref.get(down), (isDown) =>
      isDown
        ? Effect.fail(new TokenStore.TokenStoreError({ reason: "Unavailable", operation: "set", cause: new Error("down") }))
        : store.set(key, token, options))
})

/** A store whose leases can be taken away behind the fetch's back, as a long pause of the process would. */
const losableLeases = (store: TokenStore.TokenStore["Type"]) =>
  Effect.map(Ref.make<ReadonlyArray<TokenStore.Lease>>([]), (held) => ({
    store: {
      ...store,
      acquireLease: (key: TokenStore.Key, ttl: Duration.Duration) =>
        Effect.tap(
          store.acquireLease(key, ttl),
          (lease) => Ref.update(held, (all) => Option.isSome(lease) ? [...all, lease.value] : all)
        )
    } satisfies TokenStore.TokenStore["Type"],
    loseLeases: Effect.flatMap(Ref.getAndSet(held, []), (leases) => Effect.forEach(leases, (lease) => lease.release))
  }))

/** One way to keep a rotating refresh token: a fetch, and how to read the refresh token it keeps. */
interface Path {
  readonly fetch: TokenProvider.TokenProvider["Type"]
  readonly stored: Effect.Effect<Option.Option<string>>
}

const storedRefreshToken = (store: TokenStore.TokenStore["Type"], key: TokenStore.Key) =>
  store.get(key).pipe(
    Effect.map(Option.flatMap((entry) => Option.map(entry.token.refreshToken, value))),
    Effect.orDie
  )

describe("a write of a rotated refresh token that fails, through either path", () => {
  /** The first write fails: through the shared fetch a store write, through the flow onRotate. */
  const paths = {
    "TokenStore.shared": (initial: Redacted.Redacted<string>, down: Ref.Ref<boolean>) =>
      Effect.gen(function*() {
        const memory = yield* TokenStore.makeMemory
        const key = freshKey("refresh_token")
        yield* TokenStore.saveRefreshToken(key, initial).pipe(Effect.provideService(TokenStore.TokenStore, memory))
        const fetch = yield* TokenStore.shared({ key, acquire: Grant.reauthorizationRequired("no record"), refresh }).pipe(
          Effect.provideService(TokenStore.TokenStore, failingWrites(memory, down))
        )
        return { fetch: yield* TokenProvider.make(fetch, { policy }), stored: storedRefreshToken(memory, key) }
      }),
    "Grant.refreshTokenFlow": (initial: Redacted.Redacted<string>, down: Ref.Ref<boolean>) =>
      Effect.gen(function*() {
        const saved = yield* Ref.make(Option.some(value(initial)))
        const fetch = yield* Grant.refreshTokenFlow(endpoint, {
          initial,
          onRotate: (next) =>
            Effect.flatMap(Ref.get(down), (isDown) =>
              isDown ? Effect.fail(new Error("down")) : Ref.set(saved, Option.some(value(next))))
        })
        return { fetch: yield* TokenProvider.make(fetch, { policy }), stored: Ref.get(saved) }
      })
  }

  for (const [name, make] of Object.entries(paths)) {
    it.live(`${name}: RefreshTokenNotSaved, no access token; the next run saves it before sending anything`, () =>
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const initial = yield* firstRefreshToken
        const down = yield* Ref.make(true)
        const path: Path = yield* make(initial, down)
        const error = yield* Effect.flip(path.fetch.get)
        assert.strictEqual(error._tag, "RefreshTokenNotSaved")
        assert.deepStrictEqual(yield* path.stored, Option.some(value(initial)))

        yield* Ref.set(down, false)
        const first = yield* path.fetch.refresh
        const refreshes = Journal.tokenRequests(yield* server.journal).filter((entry) => entry.grantType === "refresh_token")
        // the rotated refresh token was saved and its access token handed out: no second refresh
        assert.strictEqual(refreshes.length, 1)
        assert.deepStrictEqual(yield* path.stored, Option.map(first.refreshToken, value))

        const second = yield* path.fetch.refresh
        assert.isFalse(AccessToken.sameToken(first, second))
        assert.deepStrictEqual(yield* path.stored, Option.map(second.refreshToken, value))
        const journal = yield* server.journal
        yield* Journal.noRefreshTokenUsedTwice(journal)
        assert.isFalse((yield* server.families)[0]!.revoked)
      }).pipe(Effect.scoped, Effect.provide(simulatedServer({ refreshRotation: true }))))
  }
})

describe("a refresh that outlives its lease, through either path", () => {
  const paths = {
    "TokenStore.shared": (initial: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        const { loseLeases, store } = yield* losableLeases(yield* TokenStore.makeMemory)
        const key = freshKey("refresh_token")
        yield* TokenStore.saveRefreshToken(key, initial).pipe(Effect.provideService(TokenStore.TokenStore, store))
        const fetch = yield* TokenStore.shared({ key, acquire: Grant.reauthorizationRequired("no record"), refresh }).pipe(
          Effect.provideService(TokenStore.TokenStore, store)
        )
        return { fetch: yield* TokenProvider.make(fetch, { policy }), stored: storedRefreshToken(store, key), loseLeases }
      }),
    // the flow's own code over its own kind of store, reached for its leases
    "Grant.refreshTokenFlow": (initial: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        const saved = yield* Ref.make(Option.some(value(initial)))
        const rotating = yield* tokenStore.makeRotating(
          (next) => Ref.set(saved, Option.some(value(next))),
          [[tokenStore.flowKey, tokenStore.refreshTokenRecord(initial)]]
        )
        const { loseLeases, store } = yield* losableLeases(rotating)
        const fetch = tokenStore.refreshTokenFlow(store, refresh)
        return { fetch: yield* TokenProvider.make(fetch, { policy }), stored: Ref.get(saved), loseLeases }
      })
  }

  for (const [name, make] of Object.entries(paths)) {
    it.live(`${name}: the rotated refresh token is still saved when nobody wrote meanwhile, and the chain goes on`, () =>
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const initial = yield* firstRefreshToken
        const path = yield* make(initial)
        yield* server.fail(AuthServer.Latency({ duration: "300 millis" }))
        const refreshing = yield* Effect.fork(path.fetch.get)
        yield* Effect.sleep("100 millis")
        // the lease is lost while the request is in flight
        yield* path.loseLeases
        const first = yield* refreshing.await.pipe(Effect.flatten)
        assert.deepStrictEqual(yield* path.stored, Option.map(first.refreshToken, value))

        const second = yield* path.fetch.refresh
        assert.deepStrictEqual(yield* path.stored, Option.map(second.refreshToken, value))
        const journal = yield* server.journal
        yield* Journal.noRefreshTokenUsedTwice(journal)
        assert.isTrue(Journal.tokenRequests(journal).every((entry) => entry.status === 200))
        assert.isFalse((yield* server.families)[0]!.revoked)
      }).pipe(Effect.scoped, Effect.provide(simulatedServer({ refreshRotation: true }))))
  }
})
