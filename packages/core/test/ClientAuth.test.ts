import { assert, describe, it } from "@effect/vitest"
import * as Headers from "@effect/platform/Headers"
import * as UrlParams from "@effect/platform/UrlParams"
import { Effect, Equal, Inspectable, Option, Redacted } from "effect"
import { inspect } from "node:util"
import * as ClientAuth from "../src/ClientAuth.js"

const base: ClientAuth.TokenRequestParts = {
  headers: Headers.fromInput({ accept: "application/json" }),
  params: UrlParams.fromInput([["grant_type", "client_credentials"]])
}

const tokenUrl = new URL("https://auth.example.com/oauth/token")

// the methods without an assertion need neither a Clock nor any other service: they succeed at once
const partsOf = (auth: ClientAuth.ClientAuth) => Effect.runSync(ClientAuth.authenticate(base, auth, tokenUrl))

const authorization = (auth: ClientAuth.ClientAuth) => Headers.get(partsOf(auth).headers, "authorization")

const basic = (id: string, secret: string, encoding?: ClientAuth.BasicEncoding) =>
  authorization(ClientAuth.clientSecretBasic(id, Redacted.make(secret), encoding ? { encoding } : undefined))

// Expected values: the encoded pair written out by hand from RFC 6749 §2.3.1
// and the WHATWG form serializer, then base64-encoded outside this code base.
describe("ClientAuth", () => {
  describe("client_secret_basic, form encoding (the default)", () => {
    it("a space becomes +", () => {
      // "my+client:s3cret"
      assert.deepStrictEqual(basic("my client", "s3cret"), Option.some("Basic bXkrY2xpZW50OnMzY3JldA=="))
    })

    it(": % + / and spaces are percent-encoded", () => {
      // "client%3Aid:p%25ss%2Bword+w%2F+spaces"
      assert.deepStrictEqual(
        basic("client:id", "p%ss+word w/ spaces"),
        Option.some("Basic Y2xpZW50JTNBaWQ6cCUyNXNzJTJCd29yZCt3JTJGK3NwYWNlcw==")
      )
    })

    it("non-ASCII characters are percent-encoded as UTF-8", () => {
      // "cl%C3%AFent:p%C3%A4ssw%C3%B6rd%E2%82%AC"
      assert.deepStrictEqual(
        basic("clïent", "pässwörd€"),
        Option.some("Basic Y2wlQzMlQUZlbnQ6cCVDMyVBNHNzdyVDMyVCNnJkJUUyJTgyJUFD")
      )
    })

    it("only * - . _ and alphanumerics stay as they are: ! ' ( ) ~ are encoded", () => {
      // "a%21%27%28%29%7E*-._:b"
      assert.deepStrictEqual(basic("a!'()~*-._", "b"), Option.some("Basic YSUyMSUyNyUyOCUyOSU3RSotLl86Yg=="))
    })

    it("a lone surrogate is sent as U+FFFD instead of throwing", () => {
      // "%EF%BF%BD:x"
      assert.deepStrictEqual(basic("\uD800", "x"), Option.some("Basic JUVGJUJGJUJEOng="))
    })

    it("adds no form parameters and keeps the other headers", () => {
      const parts = partsOf(ClientAuth.clientSecretBasic("id", Redacted.make("secret")))
      assert.deepStrictEqual(parts.params, base.params)
      assert.deepStrictEqual(Headers.get(parts.headers, "accept"), Option.some("application/json"))
    })
  })

  describe("client_secret_basic, raw encoding", () => {
    it("puts id and secret in unencoded, as UTF-8", () => {
      // "clïent:pä ss:w%rd"
      assert.deepStrictEqual(basic("clïent", "pä ss:w%rd", "raw"), Option.some("Basic Y2zDr2VudDpww6Qgc3M6dyVyZA=="))
      // "client:id:p%ss+word"
      assert.deepStrictEqual(basic("client:id", "p%ss+word", "raw"), Option.some("Basic Y2xpZW50OmlkOnAlc3Mrd29yZA=="))
    })
  })

  it("client_secret_post adds client_id and client_secret form parameters, no header", () => {
    const parts = partsOf(ClientAuth.clientSecretPost("my client", Redacted.make("pä ss")))
    assert.deepStrictEqual(parts.params, [
      ["grant_type", "client_credentials"],
      ["client_id", "my client"],
      ["client_secret", "pä ss"]
    ])
    assert.isTrue(Option.isNone(Headers.get(parts.headers, "authorization")))
  })

  it("none adds client_id only", () => {
    const parts = partsOf(ClientAuth.none("cli"))
    assert.deepStrictEqual(parts.params, [["grant_type", "client_credentials"], ["client_id", "cli"]])
    assert.isTrue(Option.isNone(Headers.get(parts.headers, "authorization")))
  })

  it("authenticate is pipeable", () => {
    const auth = ClientAuth.none("cli")
    assert.deepStrictEqual(Effect.runSync(ClientAuth.authenticate(auth, tokenUrl)(base)), partsOf(auth))
  })

  it("methodName gives the registered method names", () => {
    const secret = Redacted.make("s")
    assert.strictEqual(ClientAuth.methodName(ClientAuth.clientSecretBasic("a", secret)), "client_secret_basic")
    assert.strictEqual(ClientAuth.methodName(ClientAuth.clientSecretPost("a", secret)), "client_secret_post")
    assert.strictEqual(ClientAuth.methodName(ClientAuth.none("a")), "none")
  })

  it("values never print the secret", () => {
    const secret = Redacted.make("super-secret-value")
    const values = [
      ClientAuth.clientSecretBasic("id", secret),
      ClientAuth.clientSecretBasic("id", secret, { encoding: "raw" }),
      ClientAuth.clientSecretPost("id", secret)
    ]
    for (const auth of values) {
      for (const text of [String(auth), JSON.stringify(auth), Inspectable.format(auth), inspect(auth, { depth: 5 })]) {
        assert.notInclude(text, "super-secret-value")
        assert.include(text, "id")
      }
    }
  })

  it("values are compared by content, secret included", () => {
    const make = (secret: string, encoding: ClientAuth.BasicEncoding = "form") =>
      ClientAuth.clientSecretBasic("id", Redacted.make(secret), { encoding })
    assert.isTrue(Equal.equals(make("s"), make("s")))
    assert.isFalse(Equal.equals(make("s"), make("t")))
    assert.isFalse(Equal.equals(make("s"), make("s", "raw")))
  })
})
