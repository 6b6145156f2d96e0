import { assert, describe, it } from "@effect/vitest"
import * as Headers from "@effect/platform/Headers"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as UrlParams from "@effect/platform/UrlParams"
import { Cause, Clock, Effect, Inspectable, Option, Redacted, Schedule, TestClock } from "effect"
import { decodeJwt, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from "jose"
import { createPrivateKey } from "node:crypto"
import { inspect } from "node:util"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import * as RefreshPolicy from "../src/RefreshPolicy.js"
import * as TokenProvider from "../src/TokenProvider.js"
import { json, layerOf, makeRecorder } from "./routerClient.js"

const rsa = await generateKeyPair("RS256", { extractable: true })
const ec = await generateKeyPair("ES256", { extractable: true })
const ed = await generateKeyPair("EdDSA", { extractable: true })
const pem = await exportPKCS8(rsa.privateKey)
const ecJwk = { ...(await exportJWK(ec.privateKey)), kid: "ec-key-1" }

const tokenUrl = "https://auth.example.com/oauth/token"
const start = 1_700_000_000_000

const token = (n: number) => json({ access_token: `at-${n}`, expires_in: 3600 })

/**
 * Runs `body` with an HTTP client whose token endpoint answers with
 * `respond`, at a TestClock set to `start`.
 */
const withEndpoint = <A, E, R>(
  respond: (n: number) => ReturnType<typeof json>,
  body: (received: Effect.Effect<ReadonlyArray<Readonly<Record<string, string>>>>) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(start)
    const recorder = yield* makeRecorder
    const router = HttpRouter.empty.pipe(HttpRouter.post("/oauth/token", recorder.record((_, n) => respond(n))))
    return yield* body(Effect.map(recorder.all, (all) => all.map((r) => r.form))).pipe(
      Effect.provide(layerOf(router))
    )
  })

const fetchWith = (auth: ClientAuth.ClientAuth) => Grant.clientCredentials(Endpoint.make({ tokenUrl, auth }))

const verify = (jwt: string, key: Parameters<typeof jwtVerify>[1], now: number) =>
  Effect.promise(() => jwtVerify(jwt, key, { currentDate: new Date(now) }))

describe("ClientAuth.privateKeyJwt", () => {
  it.effect("signs an RFC 7523 assertion: iss = sub = client id, aud = token URL, iat/exp from Clock, a jti", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        const auth = ClientAuth.privateKeyJwt("my-client", Redacted.make(rsa.privateKey), { kid: "k1" })
        yield* fetchWith(auth)
        const [form] = yield* received
        assert.strictEqual(form!["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        assert.strictEqual(form!["client_id"], "my-client")
        assert.isUndefined(form!["client_secret"])
        const { payload, protectedHeader } = yield* verify(form!["client_assertion"]!, rsa.publicKey, start)
        assert.deepStrictEqual(protectedHeader, { alg: "RS256", typ: "JWT", kid: "k1" })
        assert.strictEqual(payload.iss, "my-client")
        assert.strictEqual(payload.sub, "my-client")
        assert.strictEqual(payload.aud, tokenUrl)
        assert.strictEqual(payload.iat, start / 1000)
        assert.strictEqual(payload.exp, start / 1000 + 60)
        assert.match(payload.jti!, /^[\w-]{22}$/)
      })))

  it.effect("a new jti, iat and exp on every run, read from the TestClock", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        const fetch = fetchWith(
          ClientAuth.privateKeyJwt("my-client", Redacted.make(rsa.privateKey), { lifetime: "5 minutes" })
        )
        yield* fetch
        yield* TestClock.adjust("90 seconds")
        yield* fetch
        const claims = (yield* received).map((form) => decodeJwt(form["client_assertion"]!))
        assert.deepStrictEqual(claims.map((c) => c.iat), [start / 1000, start / 1000 + 90])
        assert.deepStrictEqual(claims.map((c) => c.exp! - c.iat!), [300, 300])
        assert.notStrictEqual(claims[0]!.jti, claims[1]!.jti)
      })))

  it.scoped("each retry of a TokenProvider sends a new assertion", () =>
    withEndpoint((n) => n < 3 ? json({ error: "temporarily_unavailable" }, 503) : token(n), (received) =>
      Effect.gen(function*() {
        const provider = yield* TokenProvider.make(
          fetchWith(ClientAuth.privateKeyJwt("my-client", Redacted.make(rsa.privateKey))),
          { policy: RefreshPolicy.make({ retry: Schedule.recurs(3) }) }
        )
        const issued = yield* provider.get
        assert.strictEqual(Redacted.value(issued.token), "at-3")
        const jtis = (yield* received).map((form) => decodeJwt(form["client_assertion"]!).jti)
        assert.lengthOf(jtis, 3)
        assert.strictEqual(new Set(jtis).size, 3)
      })))

  it.effect("takes a PKCS#8 PEM string", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        yield* fetchWith(ClientAuth.privateKeyJwt("my-client", Redacted.make(pem)))
        const [form] = yield* received
        const { protectedHeader } = yield* verify(form!["client_assertion"]!, rsa.publicKey, start)
        assert.strictEqual(protectedHeader.alg, "RS256")
        assert.isUndefined(protectedHeader.kid)
      })))

  it.effect("takes an RSA key in PKCS#1 PEM, as GitHub hands out its apps' keys", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        const pkcs1 = createPrivateKey(pem).export({ type: "pkcs1", format: "pem" }).toString()
        assert.match(pkcs1, /^-----BEGIN RSA PRIVATE KEY-----/)
        yield* fetchWith(ClientAuth.privateKeyJwt("my-client", Redacted.make(pkcs1)))
        const [form] = yield* received
        const { protectedHeader } = yield* verify(form!["client_assertion"]!, rsa.publicKey, start)
        assert.strictEqual(protectedHeader.alg, "RS256")
      })))

  it.effect("a JWK gives its kid and, from its key type, the algorithm", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        yield* fetchWith(ClientAuth.privateKeyJwt("my-client", Redacted.make(ecJwk)))
        const [form] = yield* received
        const { protectedHeader } = yield* verify(form!["client_assertion"]!, ec.publicKey, start)
        assert.deepStrictEqual(protectedHeader, { alg: "ES256", typ: "JWT", kid: "ec-key-1" })
      })))

  it.effect("an Ed25519 CryptoKey signs with EdDSA; an explicit kid and audience win", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        yield* fetchWith(
          ClientAuth.privateKeyJwt("my-client", Redacted.make(ed.privateKey), {
            kid: "ed-1",
            audience: "https://auth.example.com"
          })
        )
        const [form] = yield* received
        const { payload, protectedHeader } = yield* verify(form!["client_assertion"]!, ed.publicKey, start)
        assert.deepStrictEqual([protectedHeader.alg, protectedHeader.kid], ["EdDSA", "ed-1"])
        assert.strictEqual(payload.aud, "https://auth.example.com")
      })))

  it.effect("a certificate's thumbprint goes in the header as x5t#S256, given or from the JWK", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        yield* fetchWith(ClientAuth.privateKeyJwt("my-client", Redacted.make(pem), { x5tS256: "thumb-1" }))
        yield* fetchWith(ClientAuth.privateKeyJwt("my-client", Redacted.make({ ...ecJwk, "x5t#S256": "thumb-2" })))
        const [byOption, byJwk] = yield* received
        const first = yield* verify(byOption!["client_assertion"]!, rsa.publicKey, start)
        assert.deepStrictEqual(first.protectedHeader, { alg: "RS256", typ: "JWT", "x5t#S256": "thumb-1" })
        const second = yield* verify(byJwk!["client_assertion"]!, ec.publicKey, start)
        assert.deepStrictEqual(second.protectedHeader, { alg: "ES256", typ: "JWT", kid: "ec-key-1", "x5t#S256": "thumb-2" })
      })))

  it.effect("a key that cannot sign fails with InvalidTokenRequest, sends nothing, and never shows the key", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        const garbage = "-----BEGIN PRIVATE KEY-----\nnot-a-key-SECRETMATERIAL\n-----END PRIVATE KEY-----"
        const badPem = yield* Effect.flip(fetchWith(ClientAuth.privateKeyJwt("c", Redacted.make(garbage))))
        // an EC key cannot sign RS256
        const wrongAlg = yield* Effect.flip(
          fetchWith(ClientAuth.privateKeyJwt("c", Redacted.make(ec.privateKey), { alg: "RS256" }))
        )
        for (const error of [badPem, wrongAlg]) {
          assert.strictEqual(error._tag, "InvalidTokenRequest")
          assert.isFalse(error.retryable)
          assert.include(error.message, "client assertion could not be signed")
          assert.notInclude(error.message, "SECRETMATERIAL")
        }
        assert.lengthOf(yield* received, 0)
      })))

  it("never prints the key", () => {
    const auth = ClientAuth.privateKeyJwt("my-client", Redacted.make(pem))
    for (const text of [String(auth), JSON.stringify(auth), Inspectable.format(auth), inspect(auth, { depth: 5 })]) {
      assert.notInclude(text, "PRIVATE KEY")
      assert.notInclude(text, pem.slice(40, 80))
      assert.include(text, "my-client")
    }
  })
})

describe("ClientAuth.clientSecretJwt", () => {
  const id = "my client:1&x=y+z"
  const secret = "pä ss:w%rd+1&=?#"

  it.effect("HS256 with the secret, which never goes on the wire; reserved characters survive", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        yield* fetchWith(ClientAuth.clientSecretJwt(id, Redacted.make(secret)))
        const [form] = yield* received
        assert.strictEqual(form!["client_id"], id)
        assert.notInclude(JSON.stringify(form), "w%rd")
        const { payload, protectedHeader } = yield* verify(
          form!["client_assertion"]!,
          new TextEncoder().encode(secret),
          start
        )
        assert.strictEqual(protectedHeader.alg, "HS256")
        assert.deepStrictEqual([payload.iss, payload.sub, payload.aud], [id, id, tokenUrl])
        assert.strictEqual(payload.exp, start / 1000 + 60)
      })))

  it.effect("a wrong secret does not verify", () =>
    withEndpoint(token, (received) =>
      Effect.gen(function*() {
        yield* fetchWith(ClientAuth.clientSecretJwt("c", Redacted.make("right"), { alg: "HS512" }))
        const [form] = yield* received
        assert.strictEqual(decodeProtectedHeader(form!["client_assertion"]!).alg, "HS512")
        const exit = yield* Effect.exit(
          Effect.tryPromise(() => jwtVerify(form!["client_assertion"]!, new TextEncoder().encode("wrong")))
        )
        assert.isTrue(exit._tag === "Failure")
      })))

  it.effect("an error of the token endpoint never shows the secret", () =>
    withEndpoint(() => json({ error: "invalid_client" }, 401), () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(fetchWith(ClientAuth.clientSecretJwt("c", Redacted.make(secret))))
        assert.strictEqual(error._tag, "OAuthError")
        for (const text of [error.message, JSON.stringify(error), Cause.pretty(Cause.fail(error))]) {
          assert.notInclude(text, "w%rd")
        }
      })))
})

describe("ClientAuth.authenticate", () => {
  const base: ClientAuth.TokenRequestParts = {
    headers: Headers.empty,
    params: UrlParams.fromInput([["grant_type", "client_credentials"]])
  }

  it.effect("the methods that need no signing add their parts, with no assertion", () =>
    Effect.gen(function*() {
      const parts = yield* ClientAuth.authenticate(base, ClientAuth.clientSecretPost("c", Redacted.make("s")), new URL(tokenUrl))
      assert.deepStrictEqual(parts.params, [["grant_type", "client_credentials"], ["client_id", "c"], ["client_secret", "s"]])
      assert.deepStrictEqual(parts.headers, Headers.empty)
    }))

  it.effect("is pipeable and reads the time from Clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(42_000)
      const parts = yield* ClientAuth.authenticate(ClientAuth.clientSecretJwt("c", Redacted.make("s")), new URL(tokenUrl))(
        base
      )
      const jwt = Option.getOrThrow(UrlParams.getFirst(parts.params, "client_assertion"))
      assert.strictEqual(decodeJwt(jwt).iat, 42)
      assert.strictEqual(yield* Clock.currentTimeMillis, 42_000)
    }))

  it.effect("is total: every method gives its parts, and the public module has no throwing apply", () =>
    Effect.gen(function*() {
      const methods = [
        ClientAuth.clientSecretBasic("c", Redacted.make("s")),
        ClientAuth.clientSecretPost("c", Redacted.make("s")),
        ClientAuth.none("c"),
        ClientAuth.privateKeyJwt("c", Redacted.make(pem)),
        ClientAuth.clientSecretJwt("c", Redacted.make("s"))
      ]
      for (const auth of methods) {
        const parts = yield* ClientAuth.authenticate(base, auth, new URL(tokenUrl))
        const identified = Option.isSome(Headers.get(parts.headers, "authorization")) ||
          Option.isSome(UrlParams.getFirst(parts.params, "client_id"))
        assert.isTrue(identified, ClientAuth.methodName(auth))
      }
      assert.notProperty(ClientAuth, "apply")
    }))

  it("methodName names the JWT methods", () => {
    assert.strictEqual(ClientAuth.methodName(ClientAuth.privateKeyJwt("c", Redacted.make(pem))), "private_key_jwt")
    assert.strictEqual(ClientAuth.methodName(ClientAuth.clientSecretJwt("c", Redacted.make("s"))), "client_secret_jwt")
  })
})
