/**
 * A store's server going away and coming back, run against each store that
 * has one (Redis, PostgreSQL): the store reaches its server through a TCP
 * proxy, which stops accepting connections and cuts the open ones. Store
 * errors are cache misses, callers keep getting tokens, nothing is left
 * unhandled, and the store is used again once the server is back, without a
 * restart.
 */
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, RefreshPolicy, TokenStore } from "@grantflow/core"
import { AuthServer, Journal } from "@grantflow/testing"
import { Effect, Layer, Option, Schedule, type Scope } from "effect"
import { freshKey, member } from "../../../core/test/tokenStoreSuite.js"
import { tcpProxy } from "./tcpProxy.js"

const serverOptions: AuthServer.Options = {
  clients: [{ clientId: "app", clientSecret: "app-secret", grants: ["client_credentials", "refresh_token"] }],
  refreshTokenForClientCredentials: true
}

/** Fails the test if anything is left unhandled in this process while it runs. */
const noUnhandled = Effect.acquireRelease(
  Effect.sync(() => {
    const seen: Array<unknown> = []
    const record = (reason: unknown) => void seen.push(reason)
    process.on("unhandledRejection", record)
    process.on("uncaughtException", record)
    return { seen, record }
  }),
  ({ record }) =>
    Effect.sync(() => {
      process.off("unhandledRejection", record)
      process.off("uncaughtException", record)
    })
)

/**
 * `target` is the server's host and port; `storeAt(port)` makes a store that
 * reaches it through the proxy on `port`, for the life of the scope.
 */
export const outageSuite = (
  name: string,
  target: { readonly host: string; readonly port: number },
  storeAt: (port: number) => Effect.Effect<TokenStore.TokenStore["Type"], unknown, Scope.Scope>
) =>
  describe(`${name} going away and coming back`, () => {
    const setup = (refresh: boolean) =>
      Effect.gen(function*() {
        const unhandled = yield* noUnhandled
        const proxy = yield* tcpProxy(target.host, target.port)
        const store = yield* storeAt(proxy.port)
        const key = freshKey("refresh_token")
        const policy = RefreshPolicy.make({ retry: Schedule.recurs(0), coolDown: "10 millis" })
        const provider = yield* member(key, { refresh, policy }).pipe(
          Effect.provideService(TokenStore.TokenStore, store)
        )
        const server = yield* AuthServer.AuthServer
        const whenReachable = store.get(key).pipe(
          Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("10 seconds")))
        )
        return { proxy, store, key, provider, server, whenReachable, unhandled }
      })
    const withServer = Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(serverOptions))))

    it.live("the token keeps being served and refreshed without the store; the store is used again once it is back", () =>
      Effect.gen(function*() {
        const { key, provider, proxy, store, unhandled, whenReachable } = yield* setup(false)
        const first = yield* provider.get
        yield* proxy.down
        // still served from the in-process tier, and refreshed without the store
        assert.isTrue(AccessToken.sameToken(yield* provider.get, first))
        yield* provider.invalidate(first)
        const second = yield* provider.get
        assert.isFalse(AccessToken.sameToken(first, second))
        const error = yield* Effect.flip(store.get(key))
        assert.strictEqual(error.reason, "Unavailable")
        yield* proxy.up
        yield* whenReachable
        yield* provider.invalidate(second)
        const third = yield* provider.get
        const stored = Option.getOrThrow(yield* store.get(key))
        assert.isTrue(AccessToken.sameToken(stored.token, third))
        assert.strictEqual(stored.version, 2)
        assert.deepStrictEqual(unhandled.seen, [])
      }).pipe(Effect.scoped, withServer))

    it.live("a refresh token rotated while the store is down is not lost: no access token until it is saved, then no second refresh", () =>
      Effect.gen(function*() {
        const { key, provider, proxy, server, store, unhandled, whenReachable } = yield* setup(true)
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
        assert.deepStrictEqual(unhandled.seen, [])
      }).pipe(Effect.scoped, withServer))
  })
