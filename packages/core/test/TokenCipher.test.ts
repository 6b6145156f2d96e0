import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import * as TokenCipher from "../src/TokenCipher.js"
import * as TokenStore from "../src/TokenStore.js"

const keyOf = (id: string, fill = id.charCodeAt(id.length - 1)) => ({
  id,
  secret: Redacted.make(Buffer.alloc(32, fill).toString("base64"))
})

describe("TokenCipher.aesGcm", () => {
  it.effect("seals with the current key id and opens what it sealed, bound to its context", () =>
    Effect.gen(function*() {
      const cipher = yield* TokenCipher.aesGcm({ current: keyOf("k1") })
      const sealed = yield* cipher.seal("the refresh token", "key-a")
      assert.match(sealed, /^gf1\.k1\.[\w-]+\.[\w-]+$/)
      assert.notInclude(sealed, "refresh")
      assert.strictEqual(yield* cipher.open(sealed, "key-a"), "the refresh token")
      // a fresh IV each time
      assert.notStrictEqual(yield* cipher.seal("the refresh token", "key-a"), sealed)
      // a record moved under another key does not open
      const moved = yield* Effect.flip(cipher.open(sealed, "key-b"))
      assert.strictEqual(moved.reason, "Tampered")
    }))

  it.effect("rotation: records of a previous key open; new ones are sealed with the current key", () =>
    Effect.gen(function*() {
      const old = yield* TokenCipher.aesGcm({ current: keyOf("k1") })
      const sealedOld = yield* old.seal("secret", "ctx")
      const rotated = yield* TokenCipher.aesGcm({ current: keyOf("k2"), previous: [keyOf("k1")] })
      assert.strictEqual(yield* rotated.open(sealedOld, "ctx"), "secret")
      assert.match(yield* rotated.seal("secret", "ctx"), /^gf1\.k2\./)
      const withoutOld = yield* TokenCipher.aesGcm({ current: keyOf("k2") })
      const error = yield* Effect.flip(withoutOld.open(sealedOld, "ctx"))
      assert.strictEqual(error.reason, "UnknownKey")
      assert.include(error.message, "\"k1\"")
    }))

  it.effect("a tampered or truncated record is a typed error, never a crash", () =>
    Effect.gen(function*() {
      const cipher = yield* TokenCipher.aesGcm({ current: keyOf("k1") })
      const sealed = yield* cipher.seal("secret", "ctx")
      const last = sealed.at(-2) === "A" ? "B" : "A"
      const flipped = sealed.slice(0, -2) + last + sealed.slice(-1)
      assert.strictEqual((yield* Effect.flip(cipher.open(flipped, "ctx"))).reason, "Tampered")
      for (const broken of ["", "gf1.k1", "gf2.k1.a.b", "gf1.k1.!!.??", sealed.split(".").slice(0, 3).join(".")]) {
        assert.strictEqual((yield* Effect.flip(cipher.open(broken, "ctx"))).reason, "Malformed")
      }
    }))

  it.effect("refuses keys of the wrong size, empty or dotted ids and duplicated ids, without printing the key", () =>
    Effect.gen(function*() {
      const short = yield* Effect.flip(
        TokenCipher.aesGcm({ current: { id: "k1", secret: Redacted.make("c2hvcnQta2V5") } })
      )
      assert.strictEqual(short._tag, "InvalidKey")
      assert.notInclude(short.message, "c2hvcnQta2V5")
      assert.strictEqual((yield* Effect.flip(TokenCipher.aesGcm({ current: keyOf("a.b", 1) })))._tag, "InvalidKey")
      assert.strictEqual((yield* Effect.flip(TokenCipher.aesGcm({ current: keyOf("", 1) })))._tag, "InvalidKey")
      const twice = yield* Effect.flip(TokenCipher.aesGcm({ current: keyOf("k1"), previous: [keyOf("k1", 2)] }))
      assert.include(twice.message, "given twice")
    }))

  it.effect("keysConfig reads <id>:<key> pairs from Config", () =>
    Effect.gen(function*() {
      const current = Buffer.alloc(32, 1).toString("base64")
      const previous = Buffer.alloc(32, 2).toString("base64url")
      const keys = yield* TokenCipher.keysConfig("APP").pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["APP_KEY", `new:${current}`], ["APP_PREVIOUS_KEYS", `old:${previous}, `]]))
        )
      )
      assert.strictEqual(keys.current.id, "new")
      assert.deepStrictEqual(keys.previous.map((key) => key.id), ["old"])
      yield* TokenCipher.aesGcm(keys)
      const missing = yield* Effect.flip(
        TokenCipher.keysConfig("APP").pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["APP_KEY", "no-separator"]])))
        )
      )
      assert.include(String(missing), "APP_KEY")
      assert.notInclude(String(missing), "no-separator")
    }))
})

describe("TokenStore.key", () => {
  it("is canonical: scope order and duplicates do not matter, every other part does", () => {
    const base = { issuer: "https://auth.example.com", clientId: "app", grant: "client_credentials" }
    assert.strictEqual(
      TokenStore.key({ ...base, scopes: ["b", "a", "b"] }),
      TokenStore.key({ ...base, scopes: ["a", "b"] })
    )
    const variants = [
      base,
      { ...base, scopes: ["a"] },
      { ...base, resource: "https://api.example.com" },
      { ...base, audience: "api" },
      { ...base, subject: "tenant-1" },
      { ...base, subject: "tenant-2" },
      { ...base, clientId: "app2" },
      { ...base, grant: "refresh_token" },
      // a separator inside a part cannot forge another key
      { ...base, clientId: "app|client_credentials" }
    ]
    assert.strictEqual(new Set(variants.map(TokenStore.key)).size, variants.length)
  })
})
