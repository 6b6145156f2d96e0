import { assert, describe, it } from "@effect/vitest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Duration, Effect, Either, Option, Redacted, Ref, Schema, TestClock } from "effect"
import { exportJWK, generateKeyPair } from "jose"
import type * as ClientAuth from "../src/ClientAuth.js"
import * as Discovery from "../src/Discovery.js"
import type * as TokenError from "../src/TokenError.js"
import { json, layerOf, makeRecorder } from "./routerClient.js"

const issuer = "https://auth.example.com/tenant1"

const document = (overrides: Record<string, unknown> = {}) => ({
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  device_authorization_endpoint: `${issuer}/device`,
  revocation_endpoint: `${issuer}/revoke`,
  jwks_uri: `${issuer}/jwks`,
  grant_types_supported: ["client_credentials", "urn:ietf:params:oauth:grant-type:device_code"],
  token_endpoint_auth_methods_supported: ["private_key_jwt", "client_secret_basic"],
  code_challenge_methods_supported: ["S256"],
  authorization_response_iss_parameter_supported: true,
  vendor_extension: { anything: 1 },
  ...overrides
})

const rfc8414Path = "/.well-known/oauth-authorization-server/tenant1"
const openidPath = "/tenant1/.well-known/openid-configuration"

type Answer = Effect.Effect<HttpServerResponse.HttpServerResponse>
const notFound: Answer = Effect.succeed(HttpServerResponse.empty({ status: 404 }))

/** Serves the two well-known documents with `rfc8414` and `openid`, whose answers a Ref lets a test change. */
const withServer = <A, E, R>(
  answers: { readonly rfc8414: Answer; readonly openid?: Answer },
  body: (server: {
    readonly paths: Effect.Effect<ReadonlyArray<string>>
    readonly setRfc8414: (answer: Answer) => Effect.Effect<void>
  }) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const recorder = yield* makeRecorder
    const rfc8414 = yield* Ref.make(answers.rfc8414)
    const router = HttpRouter.empty.pipe(
      HttpRouter.get(rfc8414Path, recorder.record(() => Effect.flatten(Ref.get(rfc8414)))),
      HttpRouter.get(openidPath, recorder.record(() => answers.openid ?? notFound))
    )
    return yield* body({
      paths: Effect.map(recorder.all, (all) => all.map((r) => r.path)),
      setRfc8414: (answer) => Ref.set(rfc8414, answer)
    }).pipe(Effect.provide(layerOf(router)))
  })

describe("Discovery.fetchDocument", () => {
  const at = (answer: Effect.Effect<HttpServerResponse.HttpServerResponse>) =>
    layerOf(HttpRouter.empty.pipe(HttpRouter.get("/jwks", answer)))

  it.effect("gives the text of a 200; another status is EndpointUnavailable, a body over maxBytes MalformedResponse", () =>
    Effect.gen(function*() {
      const keys = "{\"keys\":[]}"
      const ok = yield* Discovery.fetchDocument("https://auth.example.com/jwks").pipe(
        Effect.provide(at(Effect.succeed(HttpServerResponse.text(keys, { contentType: "application/json" }))))
      )
      assert.strictEqual(ok, keys)
      const large = yield* Discovery.fetchDocument("https://auth.example.com/jwks", { maxBytes: 4 }).pipe(
        Effect.provide(at(Effect.succeed(HttpServerResponse.text(keys)))),
        Effect.flip
      )
      assert.strictEqual(large._tag, "MalformedResponse")
      if (large._tag === "MalformedResponse") {
        assert.deepStrictEqual([large.endpoint, large.status, large.field, large.reason], [
          "metadata",
          200,
          "body",
          "is larger than 4 bytes"
        ])
      }
      const missing = yield* Discovery.fetchDocument("https://auth.example.com/jwks", { endpoint: "jwks" }).pipe(
        Effect.provide(at(Effect.succeed(HttpServerResponse.text("gone", { status: 410, headers: { "retry-after": "7" } })))),
        Effect.flip
      )
      assert.strictEqual(missing._tag, "EndpointUnavailable")
      if (missing._tag === "EndpointUnavailable") {
        assert.deepStrictEqual([missing.endpoint, missing.reason, missing.status], ["jwks", "Status", Option.some(410)])
        assert.deepStrictEqual(Option.map(missing.retryAfter, Duration.toSeconds), Option.some(7))
      }
    }))

  it.effect("a server that does not answer in time is EndpointUnavailable (Timeout) of the metadata endpoint", () =>
    Effect.gen(function*() {
      const fiber = yield* Discovery.fetchDocument("https://auth.example.com/jwks", { timeout: "1 second" }).pipe(
        Effect.provide(at(Effect.never)),
        Effect.flip,
        Effect.fork
      )
      yield* TestClock.adjust("2 seconds")
      const error = yield* fiber
      assert.strictEqual(error.reason, "Timeout")
      assert.strictEqual(error.endpoint, "metadata")
    }))

  it.effect("names the endpoint it is told: a key set that does not answer is the issuer's JWKS endpoint", () =>
    Effect.gen(function*() {
      const fiber = yield* Discovery.fetchDocument("https://auth.example.com/jwks", { timeout: "1 second", endpoint: "jwks" })
        .pipe(Effect.provide(at(Effect.never)), Effect.flip, Effect.fork)
      yield* TestClock.adjust("2 seconds")
      const error = yield* fiber
      assert.strictEqual(error.endpoint, "jwks")
      assert.include(error.message, "the issuer's JWKS endpoint did not answer in time")
    }))
})

describe("Discovery.fetch", () => {
  it.effect("reads the RFC 8414 document, with the issuer's path after the well-known one", () =>
    withServer({ rfc8414: json(document()) }, ({ paths }) =>
      Effect.gen(function*() {
        const metadata = yield* Discovery.fetch(issuer)
        assert.strictEqual(metadata.issuer, issuer)
        assert.deepStrictEqual(metadata.tokenEndpoint, Option.some(`${issuer}/token`))
        assert.deepStrictEqual(metadata.deviceAuthorizationEndpoint, Option.some(`${issuer}/device`))
        assert.deepStrictEqual(metadata.revocationEndpoint, Option.some(`${issuer}/revoke`))
        assert.deepStrictEqual(metadata.introspectionEndpoint, Option.none())
        assert.deepStrictEqual(metadata.tokenEndpointAuthMethodsSupported, ["private_key_jwt", "client_secret_basic"])
        assert.deepStrictEqual(metadata.codeChallengeMethodsSupported, ["S256"])
        assert.isTrue(metadata.authorizationResponseIssParameterSupported)
        // RFC 8414's default
        assert.deepStrictEqual(metadata.revocationEndpointAuthMethodsSupported, ["client_secret_basic"])
        assert.deepStrictEqual(yield* paths, [rfc8414Path])
      })))

  it.effect("falls back to openid-configuration when the RFC 8414 document is 404", () =>
    withServer({ rfc8414: notFound, openid: json(document({ userinfo_endpoint: `${issuer}/userinfo` })) }, ({ paths }) =>
      Effect.gen(function*() {
        const metadata = yield* Discovery.fetch(issuer)
        assert.deepStrictEqual(metadata.userinfoEndpoint, Option.some(`${issuer}/userinfo`))
        assert.deepStrictEqual(yield* paths, [rfc8414Path, openidPath])
      })))

  it.effect("404 on both is EndpointUnavailable naming the metadata endpoint, after both documents", () =>
    withServer({ rfc8414: notFound }, ({ paths }) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Discovery.fetch(issuer))
        assert.strictEqual(error._tag, "EndpointUnavailable")
        if (error._tag === "EndpointUnavailable") {
          assert.strictEqual(error.endpoint, "metadata")
          assert.deepStrictEqual(error.status, Option.some(404))
        }
        assert.deepStrictEqual(yield* paths, [rfc8414Path, openidPath])
        assert.isFalse(error.retryable)
        assert.include(error.message, "configure its endpoints by hand")
      })))

  it.effect("another error status does not fall back", () =>
    withServer({ rfc8414: Effect.succeed(HttpServerResponse.empty({ status: 503 })) }, ({ paths }) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Discovery.fetch(issuer))
        assert.strictEqual(error._tag, "EndpointUnavailable")
        assert.isTrue(error.retryable)
        assert.deepStrictEqual(yield* paths, [rfc8414Path])
      })))

  it.effect("a document for another issuer is IssuerMismatch", () =>
    withServer({ rfc8414: json(document({ issuer: "https://evil.example.com/tenant1" })) }, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Discovery.fetch(issuer))
        assert.strictEqual(error._tag, "IssuerMismatch")
        if (error._tag === "IssuerMismatch") {
          assert.strictEqual(error.expected, issuer)
          assert.strictEqual(error.received, "https://evil.example.com/tenant1")
        }
        assert.include(error.message, "its endpoints were not used")
      })))

  it.effect("the issuer is compared exactly: a trailing slash is a mismatch", () =>
    withServer({ rfc8414: json(document({ issuer: `${issuer}/` })) }, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Discovery.fetch(issuer))
        assert.strictEqual(error._tag, "IssuerMismatch")
      })))

  it.effect("a field of the wrong type is MalformedResponse naming it", () =>
    withServer({ rfc8414: json(document({ token_endpoint: 42 })) }, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Discovery.fetch(issuer))
        assert.strictEqual(error._tag, "MalformedResponse")
        if (error._tag === "MalformedResponse") {
          assert.strictEqual(error.endpoint, "metadata")
          assert.strictEqual(error.field, "token_endpoint")
        }
      })))

  it.effect("a body that is not JSON is MalformedResponse", () =>
    withServer({ rfc8414: Effect.succeed(HttpServerResponse.text("<html>login</html>")) }, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Discovery.fetch(issuer))
        assert.strictEqual(error._tag, "MalformedResponse")
        assert.include(error.message, "is not valid JSON")
      })))

  it.effect("plain http: is refused off loopback, before anything is sent; loopback and allowInsecure are fine", () =>
    withServer({ rfc8414: json(document()) }, ({ paths }) =>
      Effect.gen(function*() {
        const refused = yield* Effect.flip(Discovery.fetch("http://auth.example.com/tenant1"))
        assert.strictEqual(refused._tag, "InvalidIssuer")
        assert.include(refused.message, "must use https:")
        for (const bad of ["not a url", "https://auth.example.com/?tenant=1", "https://auth.example.com/#x"]) {
          assert.strictEqual((yield* Effect.flip(Discovery.fetch(bad)))._tag, "InvalidIssuer", bad)
        }
        assert.deepStrictEqual(yield* paths, [])
        // the documents name another issuer than these, but they were fetched: the URL was allowed
        const loopback = yield* Effect.flip(Discovery.fetch("http://127.0.0.1:8080/tenant1"))
        const insecure = yield* Effect.flip(Discovery.fetch("http://auth.internal/tenant1", { allowInsecure: true }))
        assert.deepStrictEqual([loopback._tag, insecure._tag], ["IssuerMismatch", "IssuerMismatch"])
      })))
})

describe("Discovery service", () => {
  it.effect("concurrent and later gets share one fetch until the TTL has passed", () =>
    withServer({ rfc8414: json(document()) }, ({ paths }) =>
      Effect.gen(function*() {
        const discovery = yield* Discovery.make({ ttl: "1 hour" })
        const all = yield* Effect.all(Array.from({ length: 20 }, () => discovery.get(issuer)), {
          concurrency: "unbounded"
        })
        assert.lengthOf(all, 20)
        yield* TestClock.adjust("59 minutes")
        yield* discovery.get(issuer)
        assert.lengthOf(yield* paths, 1)
        yield* TestClock.adjust("2 minutes")
        yield* discovery.get(issuer)
        assert.lengthOf(yield* paths, 2)
        yield* discovery.invalidate(issuer)
        yield* discovery.get(issuer)
        assert.lengthOf(yield* paths, 3)
      })))

  it.effect("an issuer mismatch is never cached: each get fetches again, and a fixed document is used", () =>
    withServer({ rfc8414: json(document({ issuer: "https://evil.example.com" })) }, ({ paths, setRfc8414 }) =>
      Effect.gen(function*() {
        const discovery = yield* Discovery.make({ ttl: "1 hour" })
        assert.strictEqual((yield* Effect.flip(discovery.get(issuer)))._tag, "IssuerMismatch")
        assert.strictEqual((yield* Effect.flip(discovery.get(issuer)))._tag, "IssuerMismatch")
        assert.lengthOf(yield* paths, 2)
        yield* setRfc8414(json(document()))
        const metadata = yield* discovery.get(issuer)
        assert.strictEqual(metadata.issuer, issuer)
        yield* discovery.get(issuer)
        assert.lengthOf(yield* paths, 3)
      })))

  it.effect("the layer provides the service", () =>
    withServer({ rfc8414: json(document()) }, () =>
      Effect.gen(function*() {
        const discovery = yield* Discovery.Discovery
        assert.strictEqual((yield* discovery.get(issuer)).issuer, issuer)
      }).pipe(Effect.provide(Discovery.layer({ ttl: "5 minutes" })))))
})

describe("Discovery.chooseClientAuth", () => {
  const metadata = (methods?: ReadonlyArray<string>, algs?: ReadonlyArray<string>) =>
    Schema.decodeUnknownSync(Discovery.Metadata)({
      issuer,
      ...(methods === undefined ? {} : { token_endpoint_auth_methods_supported: methods }),
      ...(algs === undefined ? {} : { token_endpoint_auth_signing_alg_values_supported: algs })
    })
  const secret = Redacted.make("s3cret")
  const method = (result: Either.Either<ClientAuth.ClientAuth, Discovery.NoSupportedAuthMethod>) =>
    Either.match(result, { onLeft: (error) => error._tag, onRight: (auth) => auth._tag })

  it("prefers private_key_jwt, then the secret in Basic, post, JWT, in that order", async () => {
    const key = Redacted.make((await generateKeyPair("ES256")).privateKey)
    const all = ["none", "client_secret_jwt", "client_secret_post", "client_secret_basic", "private_key_jwt"]
    assert.strictEqual(method(Discovery.chooseClientAuth(metadata(all), { clientId: "c", privateKey: key, clientSecret: secret })), "PrivateKeyJwt")
    assert.strictEqual(method(Discovery.chooseClientAuth(metadata(all), { clientId: "c", clientSecret: secret })), "ClientSecretBasic")
    assert.strictEqual(method(Discovery.chooseClientAuth(metadata(["client_secret_post", "client_secret_jwt"]), { clientId: "c", clientSecret: secret })), "ClientSecretPost")
    assert.strictEqual(method(Discovery.chooseClientAuth(metadata(["client_secret_jwt"]), { clientId: "c", clientSecret: secret })), "ClientSecretJwt")
    assert.strictEqual(method(Discovery.chooseClientAuth(metadata(all), { clientId: "c" })), "None")
  })

  it("the server's signing algorithms decide whether a key or an HMAC fits", async () => {
    const ec = Redacted.make({ ...(await exportJWK((await generateKeyPair("ES256", { extractable: true })).privateKey)) })
    const onlyRs = metadata(["private_key_jwt", "client_secret_jwt"], ["RS256", "HS512"])
    assert.strictEqual(method(Discovery.chooseClientAuth(onlyRs, { clientId: "c", privateKey: ec })), "NoSupportedAuthMethod")
    assert.strictEqual(method(Discovery.chooseClientAuth(onlyRs, { clientId: "c", privateKey: ec, alg: "RS256" })), "PrivateKeyJwt")
    const hmac = Discovery.chooseClientAuth(onlyRs, { clientId: "c", clientSecret: secret })
    assert.isTrue(Either.isRight(hmac) && hmac.right._tag === "ClientSecretJwt" && hmac.right.alg === "HS512")
  })

  it("without token_endpoint_auth_methods_supported, client_secret_basic (RFC 8414's default)", () => {
    assert.strictEqual(method(Discovery.chooseClientAuth(metadata(), { clientId: "c", clientSecret: secret })), "ClientSecretBasic")
  })

  it("the revocation endpoint has its own list", () => {
    const meta = Schema.decodeUnknownSync(Discovery.Metadata)({
      issuer,
      token_endpoint_auth_methods_supported: ["client_secret_basic"],
      revocation_endpoint_auth_methods_supported: ["client_secret_post"]
    })
    assert.strictEqual(method(Discovery.chooseClientAuth(meta, { clientId: "c", clientSecret: secret }, "revocation")), "ClientSecretPost")
  })

  it("nothing in common is NoSupportedAuthMethod listing both sides, without secrets", () => {
    const result = Discovery.chooseClientAuth(metadata(["private_key_jwt"]), { clientId: "c", clientSecret: secret })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.deepStrictEqual(result.left.supported, ["private_key_jwt"])
      assert.deepStrictEqual(result.left.usable, ["client_secret_basic", "client_secret_post", "client_secret_jwt"])
      assert.notInclude(result.left.message, "s3cret")
    }
  })
})

describe("hostile metadata documents", () => {
  const serve = (text: string): Answer => Effect.succeed(HttpServerResponse.text(text, { contentType: "application/json" }))

  const malformed = (text: string) =>
    withServer({ rfc8414: serve(text) }, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Discovery.fetch(issuer))
        assert.strictEqual(error._tag, "MalformedResponse")
        return error as TokenError.MalformedResponse
      }))

  it.effect("a document nesting deeper than 64 levels is MalformedResponse, never a RangeError", () =>
    Effect.gen(function*() {
      const deep = "[".repeat(2200) + "]".repeat(2200)
      for (const text of [deep, JSON.stringify(document()).replace(/\}$/, `,"vendor":${deep}}`)]) {
        const error = yield* malformed(text)
        assert.strictEqual(error.field, "body")
        assert.strictEqual(error.reason, "nests deeper than 64 levels")
      }
    }))

  it.effect("a document of more than 20,000 values is refused before it is parsed", () =>
    Effect.gen(function*() {
      const error = yield* malformed(JSON.stringify(document({ scopes_supported: Array.from({ length: 20_000 }, () => "s") })))
      assert.strictEqual(error.reason, "holds more than 20000 values")
    }))

  it.effect("a field of the wrong type is named, and the value is never quoted", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string, string]> = [
        [{ token_endpoint: { url: "Qsecret-1" } }, "token_endpoint", "is not a string"],
        [{ scopes_supported: ["openid", { x: "Qsecret-2" }] }, "scopes_supported", "is not an array of strings"],
        [{ grant_types_supported: "Qsecret-3" }, "grant_types_supported", "is not an array of strings"],
        [{ authorization_response_iss_parameter_supported: "Qsecret-4" }, "authorization_response_iss_parameter_supported", "is not a boolean"],
        [{ issuer: ["Qsecret-5"] }, "issuer", "is not a string"]
      ]
      for (const [overrides, field, reason] of cases) {
        const error = yield* malformed(JSON.stringify(document(overrides)))
        assert.deepStrictEqual([error.field, error.reason], [field, reason])
        assert.notMatch(error.message, /Qsecret/)
      }
    }))

  const evil = `https://evil.example\n[INFO] ok\u001b[2K${"x".repeat(5000)}`

  it.effect("the received issuer is escaped and cut in IssuerMismatch's message", () =>
    withServer({ rfc8414: json(document({ issuer: evil })) }, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Discovery.fetch(issuer))
        assert.strictEqual(error._tag, "IssuerMismatch")
        assert.include(error.message, `"https://evil.example\\n[INFO] ok\\u001b[2K`)
        assert.notInclude(error.message, "\n")
        assert.notInclude(error.message, "\u001b")
        assert.isBelow(error.message.length, 500)
        if (error._tag === "IssuerMismatch") assert.strictEqual(error.received, evil)
      })))

  it("validation answers a 1 MiB document within the bound (50 ms)", () => {
    const decodeMetadata = Schema.decodeUnknownEither(Discovery.Metadata, { errors: "first", onExcessProperty: "ignore" })
    const inputs = [
      document({ scopes_supported: Array.from({ length: 19_000 }, (_, i) => `scope-${i}`) }),
      document({ scopes_supported: [...Array.from({ length: 19_000 }, () => "s"), 1] }),
      document({ token_endpoint: "t".repeat(1024 * 1024) }),
      document({ token_endpoint: ["t".repeat(1024 * 1024)] })
    ]
    for (const input of inputs) {
      let best = Infinity
      for (let attempt = 0; attempt < 5 && best > 50; attempt++) {
        const start = performance.now()
        decodeMetadata(input)
        best = Math.min(best, performance.now() - start)
      }
      assert.isAtMost(best, 50)
    }
    assert.isTrue(Either.isLeft(decodeMetadata(inputs[1])))
  })

  it.effect("a trailing run of slashes in the issuer is dropped in one scan", () =>
    withServer({ rfc8414: notFound }, ({ paths }) =>
      Effect.gen(function*() {
        yield* Effect.flip(Discovery.fetch(`https://auth.example.com/tenant1${"/".repeat(50_000)}`))
        assert.deepStrictEqual(yield* paths, [rfc8414Path, openidPath])
      })))
})
