/**
 * DPoP-bound tokens in a persistent TokenStore (RFC 9449 §5), run against
 * each store that keeps its records beyond a process: the key is kept with
 * the token, sealed as the token is, so that a restarted process — whose
 * endpoint has a key of its own — refreshes the bound refresh token with the
 * key it is bound to; a record whose key is gone is a typed error before
 * anything is sent. The simulated server refuses a refresh with another key.
 */
import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, BearerAuth, ClientAuth, Dpop, Endpoint, Grant, TokenProvider, TokenStore } from "@grantflow/core"
import { AuthServer, Journal } from "@grantflow/testing"
import { Effect, Layer, Option, Redacted, type Scope } from "effect"
import { freshKey } from "./tokenStoreSuite.js"

const server = AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer({
  clients: [{ clientId: "cli", public: true }],
  tokenLifetime: "10 minutes",
  dpop: {}
})))

/** One process: its own endpoint key, a provider over the shared fetch of `store` at `storeKey`, and an API client. */
const processOver = (store: TokenStore.TokenStore["Type"], storeKey: TokenStore.Key, key: Dpop.DpopKey) =>
  Effect.gen(function*() {
    const endpoint = Endpoint.make({ tokenUrl: "http://127.0.0.1/token", auth: ClientAuth.none("cli"), dpop: key })
    const fetch = yield* TokenStore.shared({
      key: storeKey,
      acquire: Grant.reauthorizationRequired("the user has not connected"),
      refresh: (refreshToken) => Grant.refreshToken(endpoint, { refreshToken })
    }).pipe(Effect.provideService(TokenStore.TokenStore, store))
    const provider = yield* TokenProvider.make(fetch)
    const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider))
    return { provider, client }
  })

const refreshes = Effect.flatMap(AuthServer.AuthServer, (sim) =>
  Effect.map(sim.journal, (all) => Journal.tokenRequests(all).filter((e) => e.grantType === "refresh_token")))

/** A connected account: a refresh token bound to `key`, stored as a login leaves it; its store key. */
const connect = (store: TokenStore.TokenStore["Type"], key: Dpop.DpopKey) =>
  Effect.gen(function*() {
    const sim = yield* AuthServer.AuthServer
    const storeKey = freshKey("refresh_token")
    const granted = yield* sim.grant("cli", { dpopJkt: yield* Dpop.thumbprint(key) })
    yield* TokenStore.saveRefreshToken(storeKey, granted.refreshToken!).pipe(
      Effect.provideService(TokenStore.TokenStore, store)
    )
    return storeKey
  })

/**
 * `makeStore` builds a process's store over the same records each time it
 * runs (a restart); `raw` reads a record's stored text, as it is on disk or
 * in the server.
 */
export const dpopStoreSuite = <R>(
  name: string,
  makeStore: Effect.Effect<TokenStore.TokenStore["Type"], unknown, R | Scope.Scope>,
  raw: (key: TokenStore.Key) => Effect.Effect<string, unknown, R | Scope.Scope>,
  environment: Layer.Layer<R, unknown>
) =>
  describe(`${name}: DPoP-bound tokens`, () => {
    const run = <A, E>(test: Effect.Effect<A, E, R | Scope.Scope | AuthServer.AuthServer | HttpClient.HttpClient>) =>
      test.pipe(Effect.provide(Layer.merge(server, environment)), Effect.scoped)

    it.live("a restarted process, with a key of its own, refreshes with the stored key and calls the API", () =>
      run(Effect.gen(function*() {
        const first = yield* Dpop.generateKey({ extractable: true })
        const jkt = yield* Dpop.thumbprint(first)
        const store = yield* makeStore
        const storeKey = yield* connect(store, first)
        const before = yield* processOver(store, storeKey, first)
        assert.strictEqual((yield* before.client.get("http://127.0.0.1/api/orders")).status, 200)

        // the next process generates a key, as every process does at start: the record brings the first back
        const again = yield* processOver(yield* makeStore, storeKey, yield* Dpop.generateKey({ extractable: true }))
        const stored = yield* again.provider.get
        assert.strictEqual(stored.type, "DPoP")
        assert.strictEqual(yield* Dpop.thumbprint(stored.dpop!), jkt)
        assert.strictEqual((yield* again.client.get("http://127.0.0.1/api/orders")).status, 200)
        const refreshed = yield* again.provider.refresh
        assert.strictEqual(yield* Dpop.thumbprint(refreshed.dpop!), jkt)
        assert.strictEqual((yield* again.client.get("http://127.0.0.1/api/orders")).status, 200)

        // every refresh proved the first key, and the server took each (it refuses another key)
        assert.deepStrictEqual((yield* refreshes).map((e) => [e.status, e.dpop, e.dpopJkt]), [
          [200, "valid", jkt],
          [200, "valid", jkt]
        ])
        const sim = yield* AuthServer.AuthServer
        const api = (yield* sim.journal).filter((e) => e.endpoint === "api")
        assert.deepStrictEqual(api.map((e) => [e.status, e.dpopJkt]), [[200, jkt], [200, jkt], [200, jkt]])
      })))

    it.live("the record never holds the key, the token or the refresh token in clear", () =>
      run(Effect.gen(function*() {
        const key = yield* Dpop.generateKey({ extractable: true })
        const store = yield* makeStore
        const storeKey = yield* connect(store, key)
        const { provider } = yield* processOver(store, storeKey, key)
        const token = yield* provider.get
        const text = yield* raw(storeKey)
        const jwk = Redacted.value(yield* Dpop.exportKey(key))
        for (const secret of [jwk.d!, jwk.x!, Redacted.value(token.token), Redacted.value(Option.getOrThrow(token.refreshToken))]) {
          assert.notInclude(text, secret)
        }
      })))

    it.live("a DPoP-bound record without its key: ReauthorizationRequired (DpopKeyLost), nothing sent", () =>
      run(Effect.gen(function*() {
        const key = yield* Dpop.generateKey({ extractable: true })
        const store = yield* makeStore
        const storeKey = yield* connect(store, key)
        const { provider } = yield* processOver(store, storeKey, key)
        const bound = yield* provider.get
        // the record as a writer that lost the key would leave it
        const { dpop: _lost, ...withoutKey } = bound
        yield* TokenStore.save(storeKey, new AccessToken.AccessToken(withoutKey)).pipe(
          Effect.provideService(TokenStore.TokenStore, store)
        )
        const sent = (yield* refreshes).length

        const restarted = yield* processOver(yield* makeStore, storeKey, yield* Dpop.generateKey({ extractable: true }))
        const error = yield* Effect.flip(restarted.provider.get)
        assert.strictEqual(error._tag, "ReauthorizationRequired")
        assert.strictEqual(error._tag === "ReauthorizationRequired" ? error.reason : undefined, "DpopKeyLost")
        assert.include(error.message, "bound to a DPoP key that is gone")
        assert.include(error.message, "authorize again")
        assert.isFalse(error.retryable)
        assert.strictEqual((yield* refreshes).length, sent)
      })))
  })
