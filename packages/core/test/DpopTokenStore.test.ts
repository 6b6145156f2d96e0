/**
 * A DPoP key kept with its token in a persistent store (RFC 9449 §5): the
 * record's encoding, a key that cannot be exported or read back, and the
 * restart suite over a `KeyValueStore`.
 */
import { KeyValueStore } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, Dpop, TokenCipher, TokenStore } from "@grantflow/core"
import { Cause, Effect, Option, Redacted } from "effect"
import * as util from "node:util"
import * as tokenStore from "../src/internal/tokenStore.js"
import { dpopStoreSuite } from "./dpopStoreSuite.js"
import { freshKey } from "./tokenStoreSuite.js"

const cipher = TokenCipher.aesGcm({ current: { id: "k1", secret: Redacted.make(Buffer.alloc(32, 9).toString("base64")) } })

dpopStoreSuite(
  "KeyValueStore store",
  Effect.flatMap(Effect.zip(KeyValueStore.KeyValueStore, cipher), ([kv, encryption]) =>
    TokenStore.fromKeyValueStore(kv, { encryption })),
  (key) => Effect.flatMap(KeyValueStore.KeyValueStore, (kv) => Effect.map(kv.get(key), Option.getOrThrow)),
  KeyValueStore.layerMemory
)

const boundToken = (dpop: Dpop.DpopKey) =>
  new AccessToken.AccessToken({
    token: Redacted.make("bound-access-token"),
    type: "DPoP",
    issuedAt: 0,
    expiresAt: 3_600_000,
    scopes: [],
    refreshToken: Option.some(Redacted.make("bound-refresh-token")),
    dpop
  })

describe("a token's DPoP key in its record", () => {
  it.effect("goes with the token as its private JWK, and comes back as the same key pair, extractable", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey({ extractable: true, alg: "EdDSA" })
      const text = yield* tokenStore.encodeToken(boundToken(key))
      assert.deepStrictEqual(JSON.parse(text).k, Redacted.value(yield* Dpop.exportKey(key)))
      const back = Option.getOrThrow(yield* tokenStore.decodeToken(text))
      assert.strictEqual(back.type, "DPoP")
      assert.strictEqual(yield* Dpop.thumbprint(back.dpop!), yield* Dpop.thumbprint(key))
      assert.isTrue(back.dpop!.privateKey.extractable)
      // a record without a key (a bearer token) reads as before
      const bearer = new AccessToken.AccessToken({ ...boundToken(key), type: "Bearer", dpop: undefined })
      const { dpop: _none, ...withoutKey } = bearer
      const plain = yield* tokenStore.decodeToken(yield* tokenStore.encodeToken(new AccessToken.AccessToken(withoutKey)))
      assert.isUndefined(Option.getOrThrow(plain).dpop)
    }))

  it.effect("a key that cannot be read back is none: the token comes back without it", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey({ extractable: true })
      const record = JSON.parse(yield* tokenStore.encodeToken(boundToken(key)))
      for (const k of [{ ...record.k, d: "AAAA" }, { ...record.k, alg: "HS256" }, { kty: "EC" }]) {
        const back = Option.getOrThrow(yield* tokenStore.decodeToken(JSON.stringify({ ...record, k })))
        assert.isUndefined(back.dpop)
        assert.strictEqual(back.type, "DPoP")
      }
      // not an object: not a record
      assert.isTrue(Option.isNone(yield* tokenStore.decodeToken(JSON.stringify({ ...record, k: "jwk" }))))
    }))

  it.effect("a persistent store refuses a token whose key cannot be exported: a typed error, nothing written", () =>
    Effect.gen(function*() {
      const kv = yield* KeyValueStore.KeyValueStore
      const store = yield* TokenStore.fromKeyValueStore(kv, { encryption: yield* cipher })
      const key = freshKey("refresh_token")
      const token = boundToken(yield* Dpop.generateKey())
      const error = yield* Effect.flip(TokenStore.save(key, token).pipe(Effect.provideService(TokenStore.TokenStore, store)))
      assert.strictEqual(error.reason, "DpopKeyNotExtractable")
      assert.isFalse(error.retryable)
      assert.include(error.message, "extractable: true")
      assert.isTrue(Option.isNone(yield* kv.get(key)))
      // the memory store keeps the key itself, exportable or not
      const memory = yield* TokenStore.makeMemory
      yield* TokenStore.save(key, token).pipe(Effect.provideService(TokenStore.TokenStore, memory))
      assert.strictEqual(Option.getOrThrow(yield* memory.get(key)).token.dpop, token.dpop)
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("a token with its key, and the errors about it, print no secret", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey({ extractable: true })
      const token = boundToken(key)
      const jwk = Redacted.value(yield* Dpop.exportKey(key))
      const notExtractable = yield* Effect.flip(tokenStore.encodeToken(boundToken(yield* Dpop.generateKey())))
      const lost = yield* Effect.flip(tokenStore.dpopKeyLostError)
      for (const value of [token, notExtractable, lost]) {
        for (const text of [String(value), JSON.stringify(value), util.inspect(value, { depth: 10 }), Cause.pretty(Cause.fail(value))]) {
          for (const secret of [jwk.d!, "bound-access-token", "bound-refresh-token"]) assert.notInclude(text, secret)
        }
      }
    }))
})
