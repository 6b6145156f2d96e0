import { KeyValueStore } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Grant, RefreshPolicy, TokenProvider, TokenStore } from "@grantflow/core"
import { Clock, Effect, Layer, Option, Redacted, Ref } from "effect"
import { freshKey, storeSuite, tokenOf } from "./tokenStoreSuite.js"

storeSuite("memory store", TokenStore.layerMemory)
storeSuite(
  "KeyValueStore store",
  TokenStore.layerKeyValueStore({ encryption: "none" }).pipe(Layer.provideMerge(KeyValueStore.layerMemory)),
  {
    damage: (key, how) =>
      Effect.flatMap(KeyValueStore.KeyValueStore, (kv) =>
        Effect.flatMap(kv.get(key), (stored) => {
          const text = Option.getOrThrow(stored)
          return kv.set(key, how === "Empty" ? "" : text.slice(0, text.length >> 1))
        }))
  }
)

describe("TokenStore.shared and the provider's policy", () => {
  it.scoped("a stored token is judged by the policy of the provider that runs the fetch", () =>
    Effect.gen(function*() {
      const key = freshKey()
      // 90 seconds left of an hour: fresh by the default policy (a 60 s window), stale with a 2 minute one
      yield* TokenStore.save(key, tokenOf("stored", undefined, (yield* Clock.currentTimeMillis) + 90_000))
      const acquired = yield* Ref.make(0)
      const acquire = Effect.zipRight(
        Ref.update(acquired, (n) => n + 1),
        Effect.map(Clock.currentTimeMillis, (now) => tokenOf("acquired", undefined, now + 3_600_000))
      )
      const tokenOfProvider = (policy: RefreshPolicy.RefreshPolicy) =>
        Effect.flatMap(TokenStore.shared({ key, acquire }), (fetch) => TokenProvider.make(fetch, { policy })).pipe(
          Effect.flatMap((provider) => provider.get),
          Effect.map((token) => Redacted.value(token.token))
        )
      assert.strictEqual(yield* tokenOfProvider(RefreshPolicy.defaultPolicy), "stored")
      assert.strictEqual(yield* Ref.get(acquired), 0)
      assert.strictEqual(yield* tokenOfProvider(RefreshPolicy.make({ skew: "2 minutes" })), "acquired")
      assert.strictEqual(yield* Ref.get(acquired), 1)
    }).pipe(Effect.provide(TokenStore.layerMemory)))

  it.effect("outside a provider, the default policy", () =>
    Effect.gen(function*() {
      const key = freshKey()
      yield* TokenStore.save(key, tokenOf("stored", undefined, (yield* Clock.currentTimeMillis) + 90_000))
      const fetch = yield* TokenStore.shared({ key, acquire: Grant.reauthorizationRequired("not expected") })
      assert.strictEqual(Redacted.value((yield* fetch).token), "stored")
    }).pipe(Effect.provide(TokenStore.layerMemory)))
})
