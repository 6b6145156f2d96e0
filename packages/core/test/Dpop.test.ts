/**
 * DPoP (RFC 9449), the client side: proofs verified with jose, the key's
 * thumbprint, and the per-origin nonce cache.
 */
import { assert, describe, it } from "@effect/vitest"
import { Dpop } from "@grantflow/core"
import { Effect, Option, Redacted, TestClock } from "effect"
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from "jose"
import * as dpop from "../src/internal/dpop.js"
import { printings } from "./leakCapture.js"

const verify = (jwt: string) =>
  Effect.promise(() => jwtVerify(jwt, EmbeddedJWK, { typ: "dpop+jwt" }))

describe("Dpop.proof", () => {
  for (const alg of ["ES256", "EdDSA", "RS256"] as const) {
    it.effect(`signs a proof with ${alg} that verifies against its own jwk header`, () =>
      Effect.gen(function*() {
        const key = yield* Dpop.generateKey({ alg })
        assert.strictEqual(key.privateKey.extractable, false)
        const jwt = yield* Dpop.proof(key, { htm: "post", htu: "https://as.example.com/token" })
        const { payload, protectedHeader } = yield* verify(jwt)
        assert.strictEqual(protectedHeader.alg, alg)
        assert.strictEqual(protectedHeader.typ, "dpop+jwt")
        assert.deepStrictEqual(protectedHeader.jwk, key.publicJwk)
        assert.strictEqual(payload.htm, "POST")
        assert.strictEqual(payload.htu, "https://as.example.com/token")
        assert.isUndefined(payload.ath)
        assert.isUndefined(payload.nonce)
      }))
  }

  it.effect("never puts the private part of the key in the header", () =>
    Effect.gen(function*() {
      for (const alg of ["ES256", "EdDSA", "RS256"] as const) {
        const key = yield* Dpop.generateKey({ alg, extractable: true })
        assert.isTrue(key.privateKey.extractable)
        const header = decodeProtectedHeader(yield* Dpop.proof(key, { htm: "GET", htu: "https://api.example.com/" }))
        for (const member of ["d", "p", "q", "dp", "dq", "qi"]) assert.notProperty(header.jwk, member)
      }
    }))

  for (const alg of ["ES256", "EdDSA", "RS256"] as const) {
    it.effect(`signs ${alg} the same way with node:crypto and with WebCrypto, for runtimes without node:crypto`, () =>
      Effect.gen(function*() {
        const key = yield* Dpop.generateKey({ alg })
        const [header, payload] = (yield* Dpop.proof(key, { htm: "GET", htu: "https://api.example.com/" })).split(".")
        const input = new TextEncoder().encode(`${header}.${payload}`)
        const node = dpop.nodeSigner(key.privateKey, alg)
        assert.isDefined(node, "Node has node:crypto")
        for (const sign of [node!, dpop.webCryptoSigner(key.privateKey, alg)]) {
          const signature = Buffer.from(yield* Effect.promise(async () => new Uint8Array(await sign(input))))
          yield* verify(`${header}.${payload}.${signature.toString("base64url")}`)
        }
      }))
  }

  it.effect("takes iat from Clock, strips query and fragment from htu, and hashes the access token into ath", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_500)
      const key = yield* Dpop.generateKey()
      const jwt = yield* Dpop.proof(key, {
        htm: "GET",
        htu: "https://api.example.com/v1/me?token=secret#frag",
        accessToken: "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
      })
      const { payload } = yield* Effect.promise(() =>
        jwtVerify(jwt, EmbeddedJWK, { currentDate: new Date(1_700_000_000_500) })
      )
      assert.strictEqual(payload.iat, 1_700_000_000)
      assert.strictEqual(payload.htu, "https://api.example.com/v1/me")
      // RFC 9449 §7.1's example: that access token's ath
      assert.strictEqual(payload.ath, "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo")
    }))

  it.effect("gives every proof a new jti", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey()
      const jtis = new Set<unknown>()
      for (let i = 0; i < 20; i++) {
        const { payload } = yield* verify(yield* Dpop.proof(key, { htm: "GET", htu: "https://api.example.com/" }))
        assert.isString(payload.jti)
        jtis.add(payload.jti)
      }
      assert.strictEqual(jtis.size, 20)
    }))

  it.effect("sends the nonce given, else the one remembered for the URL's origin", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey()
      dpop.rememberNonce(key, "https://as.example.com/other/path", "remembered-nonce")
      const remembered = yield* verify(yield* Dpop.proof(key, { htm: "POST", htu: "https://as.example.com/token" }))
      assert.strictEqual(remembered.payload.nonce, "remembered-nonce")
      const given = yield* verify(
        yield* Dpop.proof(key, { htm: "POST", htu: "https://as.example.com/token", nonce: "given" })
      )
      assert.strictEqual(given.payload.nonce, "given")
      const elsewhere = yield* verify(yield* Dpop.proof(key, { htm: "GET", htu: "https://api.example.com/" }))
      assert.isUndefined(elsewhere.payload.nonce)
    }))

  it.effect("fails with an InvalidTokenRequest for a relative htu", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey()
      const error = yield* Effect.flip(Dpop.proof(key, { htm: "GET", htu: "/relative" }))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
    }))
})

describe("Dpop.thumbprint", () => {
  it.effect("is the RFC 7638 SHA-256 thumbprint of the public key", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey()
      assert.strictEqual(yield* Dpop.thumbprint(key), yield* Effect.promise(() => calculateJwkThumbprint(key.publicJwk)))
    }))
})

describe("Dpop keys", () => {
  it.effect("print their algorithm only", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey()
      assert.deepStrictEqual(key.toJSON(), { _id: "DpopKey", alg: "ES256" })
      assert.notInclude(String(key), String(key.publicJwk.x))
      assert.isTrue(Dpop.isDpopKey(key))
      assert.isFalse(Dpop.isDpopKey({ alg: "ES256" }))
    }))

  it.effect("come from a key pair of one's own", () =>
    Effect.gen(function*() {
      const pair = yield* Effect.promise(() =>
        crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
      )
      const key = yield* Dpop.fromKeyPair(pair, "ES256")
      const { protectedHeader } = yield* verify(yield* Dpop.proof(key, { htm: "GET", htu: "https://api.example.com/" }))
      assert.strictEqual(protectedHeader.jwk?.crv, "P-256")
    }))

  it.effect("refuse a key pair of another algorithm than the one named, or one that cannot sign", () =>
    Effect.gen(function*() {
      const p384 = yield* Effect.promise(() =>
        crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, false, ["sign", "verify"])
      )
      const ed25519 = (yield* Effect.promise(() =>
        crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])
      )) as CryptoKeyPair
      const rsaSha512 = yield* Effect.promise(() =>
        crypto.subtle.generateKey(
          { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-512" },
          false,
          ["sign", "verify"]
        )
      )
      const refused = [
        Dpop.fromKeyPair(p384, "ES256"),
        Dpop.fromKeyPair(ed25519, "ES256"),
        Dpop.fromKeyPair(rsaSha512, "RS256"),
        Dpop.fromKeyPair({ privateKey: ed25519.publicKey, publicKey: ed25519.publicKey }, "EdDSA")
      ]
      for (const attempt of refused) {
        const error = yield* Effect.flip(attempt)
        assert.strictEqual(error._tag, "InvalidTokenRequest")
      }
      const accepted = yield* Dpop.fromKeyPair(ed25519, "EdDSA")
      yield* verify(yield* Dpop.proof(accepted, { htm: "GET", htu: "https://api.example.com/" }))
    }))

  it.effect("reuse the ath of the token last proved, and hash a new token afresh", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey()
      const athOf = (accessToken: string) =>
        Effect.map(
          Dpop.proof(key, { htm: "GET", htu: "https://api.example.com/", accessToken }),
          (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()).ath as string
        )
      for (const token of ["first", "first", "second", "first"]) {
        assert.strictEqual(yield* athOf(token), yield* dpop.ath(token))
      }
    }))
})

describe("Dpop.exportKey and importKey", () => {
  it.effect("round-trip an extractable key: the same thumbprint, proofs that verify", () =>
    Effect.gen(function*() {
      for (const alg of ["ES256", "EdDSA", "RS256"] as const) {
        const key = yield* Dpop.generateKey({ alg, extractable: true })
        const jwk = yield* Dpop.exportKey(key)
        assert.strictEqual(String(jwk), "<redacted>")
        // the private part, in no printing of the key or its export
        const d = String((Redacted.value(jwk) as { readonly d?: unknown }).d)
        for (const printed of [...printings(key), ...printings(jwk)]) assert.notInclude(printed, d)
        const again = yield* Dpop.importKey(jwk)
        assert.strictEqual(again.alg, alg)
        assert.isFalse(again.privateKey.extractable)
        assert.strictEqual(yield* Dpop.thumbprint(again), yield* Dpop.thumbprint(key))
        yield* verify(yield* Dpop.proof(again, { htm: "GET", htu: "https://api.example.com/" }))
      }
    }))

  it.effect("refuse a key that is not extractable, a JWK without a supported alg, and a public JWK", () =>
    Effect.gen(function*() {
      const fixed = yield* Dpop.generateKey()
      assert.strictEqual((yield* Effect.flip(Dpop.exportKey(fixed)))._tag, "InvalidTokenRequest")
      const jwk = Redacted.value(yield* Dpop.exportKey(yield* Dpop.generateKey({ extractable: true })))
      const { alg: _, ...withoutAlg } = jwk
      assert.strictEqual((yield* Effect.flip(Dpop.importKey(Redacted.make(withoutAlg))))._tag, "InvalidTokenRequest")
      assert.strictEqual(
        (yield* Effect.flip(Dpop.importKey(Redacted.make({ ...jwk, alg: "HS256" }))))._tag,
        "InvalidTokenRequest"
      )
      const { d: __, ...publicPart } = jwk
      const error = yield* Effect.flip(Dpop.importKey(Redacted.make(publicPart)))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.notInclude(error.message, String(jwk.d))
    }))
})

describe("the nonce cache", () => {
  it.effect("keeps one nonce per origin, the latest, and at most maxNonces origins", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey()
      dpop.rememberNonce(key, "https://a.example.com/token", "one")
      dpop.rememberNonce(key, "https://a.example.com/api", "two")
      assert.deepStrictEqual(Dpop.nonceFor(key, "https://a.example.com/x"), Option.some("two"))
      for (let i = 0; i < dpop.maxNonces; i++) dpop.rememberNonce(key, `https://h${i}.example.com/`, `n${i}`)
      assert.deepStrictEqual(Dpop.nonceFor(key, "https://a.example.com/x"), Option.none())
      assert.deepStrictEqual(Dpop.nonceFor(key, "https://h0.example.com/"), Option.some("n0"))
    }))

  it.effect("ignores nonces that are empty, too long or not NQCHARs", () =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey()
      for (const nonce of ["", "a".repeat(dpop.maxNonceLength + 1), "with space", "quote\"", "back\\slash", "é"]) {
        dpop.rememberNonce(key, "https://a.example.com/", nonce)
      }
      assert.deepStrictEqual(Dpop.nonceFor(key, "https://a.example.com/"), Option.none())
      dpop.rememberNonce(key, "https://a.example.com/", "a".repeat(dpop.maxNonceLength))
      assert.isTrue(Option.isSome(Dpop.nonceFor(key, "https://a.example.com/")))
    }))
})
