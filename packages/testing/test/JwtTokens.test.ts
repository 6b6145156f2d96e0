import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, TestClock } from "effect"
import * as Jose from "jose"
import * as AuthServer from "../src/AuthServer.js"
import { apiStatus, body, send, tokenRequest, tokens, withServer } from "./grantFixtures.js"

const options: AuthServer.Options = {
  clients: [{ clientId: "crm", clientSecret: "s3cret", scopes: ["crm.read", "crm.write"] }],
  tokenLifetime: "10 minutes",
  issuer: "https://as.example",
  accessTokenFormat: "jwt"
}

const issue = (scope?: string) =>
  Effect.map(
    tokens(tokenRequest(["crm", "s3cret"], { grant_type: "client_credentials", ...(scope === undefined ? {} : { scope }) })),
    (json) => json.access_token
  )

const fetchJwks = Effect.flatMap(send(HttpClientRequest.get("/jwks")), (response) => {
  assert.strictEqual(response.status, 200)
  return Effect.map(body(response), (json) => json as unknown as Jose.JSONWebKeySet)
})

/** Verifies as a resource server would: the keys from /jwks, the time from the Clock. */
const verify = (token: string) =>
  Effect.gen(function*() {
    const jwks = yield* fetchJwks
    const now = yield* Clock.currentTimeMillis
    return yield* Effect.tryPromise(() =>
      Jose.jwtVerify(token, Jose.createLocalJWKSet(jwks), {
        issuer: "https://as.example",
        audience: "https://as.example/api",
        typ: "at+jwt",
        currentDate: new Date(now)
      })
    )
  })

describe("JWT access tokens (RFC 9068)", () => {
  it.effect("issues tokens that verify against /jwks, with the RFC 9068 claims", () =>
    withServer(
      options,
      Effect.gen(function*() {
        yield* TestClock.adjust("2 seconds")
        const token = yield* issue("crm.read")
        const { payload, protectedHeader } = yield* verify(token)
        const jwks = yield* fetchJwks
        assert.deepStrictEqual(protectedHeader, { alg: "RS256", typ: "at+jwt", kid: jwks.keys[0]!.kid! })
        assert.deepInclude(jwks.keys[0], { kty: "RSA", alg: "RS256", use: "sig" })
        assert.isUndefined(jwks.keys[0]!.d)
        const { jti, ...claims } = payload
        assert.deepStrictEqual(claims, {
          iss: "https://as.example",
          sub: "crm",
          aud: "https://as.example/api",
          exp: 602,
          iat: 2,
          client_id: "crm",
          scope: "crm.read"
        })
        assert.match(jti ?? "", /^[\w-]{43}$/)
        assert.notStrictEqual((yield* verify(yield* issue())).payload.jti, jti)

        assert.strictEqual(yield* apiStatus(token), 200)
        const introspection = yield* Effect.flatMap(
          send(
            HttpClientRequest.post("/introspect").pipe(
              HttpClientRequest.bodyUrlParams({ token }),
              HttpClientRequest.basicAuth("crm", "s3cret")
            )
          ),
          body
        )
        assert.deepInclude(introspection, { active: true, exp: 602, iat: 2, scope: "crm.read" })
      })
    ))

  it.effect("rejects an expired JWT at the API, as a verifier on the same clock does", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const token = yield* issue()
        yield* TestClock.adjust("10 minutes")
        assert.strictEqual(yield* apiStatus(token), 401)
        const exit = yield* Effect.exit(verify(token))
        assert.isTrue(Exit.isFailure(exit))
      })
    ))

  it.effect("signs with ES256 when asked", () =>
    withServer(
      { ...options, signingAlgorithm: "ES256" },
      Effect.gen(function*() {
        const { protectedHeader } = yield* verify(yield* issue())
        assert.strictEqual(protectedHeader.alg, "ES256")
        const server = yield* AuthServer.AuthServer
        assert.deepInclude((yield* server.jwks).keys[0], { kty: "EC", crv: "P-256", alg: "ES256" })
      })
    ))

  it.effect("rotates the signing key, keeping the old one published until it is retired", () =>
    withServer(
      { ...options, signingAlgorithm: "ES256" },
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const before = yield* issue()
        const [first] = (yield* server.jwks).keys
        const kid = yield* server.rotateSigningKey
        assert.notStrictEqual(kid, first!.kid)
        const after = yield* issue()
        assert.strictEqual((yield* verify(after)).protectedHeader.kid, kid)
        // both keys are published: tokens signed before the rotation still verify
        assert.deepStrictEqual((yield* fetchJwks).keys.map((key) => key.kid), [first!.kid, kid])
        assert.strictEqual((yield* verify(before)).protectedHeader.kid, first!.kid)

        assert.isFalse(yield* server.retireSigningKey(kid))
        assert.isFalse(yield* server.retireSigningKey("no-such-key"))
        assert.isTrue(yield* server.retireSigningKey(first!.kid!))
        assert.deepStrictEqual((yield* fetchJwks).keys.map((key) => key.kid), [kid])
        const exit = yield* Effect.exit(verify(before))
        assert.isTrue(Exit.isFailure(exit))
        // the server's own API and introspection know their tokens whatever the JWKS says
        assert.strictEqual(yield* apiStatus(before), 200)
        assert.strictEqual(yield* apiStatus(after), 200)
      })
    ))

  it.effect("keeps a server of opaque tokens without keys", () =>
    withServer(
      { ...options, accessTokenFormat: "opaque" },
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        assert.deepStrictEqual(yield* server.jwks, { keys: [] })
        const exit = yield* Effect.exit(server.rotateSigningKey)
        assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Die")
        assert.match(yield* issue(), /^[\w-]{43}$/)
      })
    ))
})
