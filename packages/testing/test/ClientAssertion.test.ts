import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, TestClock } from "effect"
import * as Jose from "jose"
import * as AuthServer from "../src/AuthServer.js"
import { body, expectError, send, tokens, withServer } from "./grantFixtures.js"

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
const issuer = "https://as.example"

// one key pair for the whole file: generating keys is the slow part
const clientKeys = await Jose.generateKeyPair("ES256", { extractable: true })
const strangerKeys = await Jose.generateKeyPair("ES256")
const publicJwk = { ...(await Jose.exportJWK(clientKeys.publicKey)), kid: "k1", alg: "ES256" }
const unnamedJwk = await Jose.exportJWK(clientKeys.publicKey)
const strangerJwk = await Jose.exportJWK((await Jose.generateKeyPair("ES256", { extractable: true })).publicKey)
const hmacSecret = "a-shared-secret-of-at-least-32-bytes!"

const options: AuthServer.Options = {
  issuer,
  clients: [
    { clientId: "signer", jwks: { keys: [publicJwk] } },
    { clientId: "hmac", clientSecret: hmacSecret, authMethods: ["client_secret_jwt"] },
    { clientId: "both", clientSecret: hmacSecret, jwks: { keys: [publicJwk] } }
  ]
}

interface Claims {
  readonly iss?: string
  readonly sub?: string
  readonly aud?: string | Array<string>
  readonly lifetime?: number
  readonly jti?: string
}

/** An assertion signed now (Clock time), valid for `lifetime` seconds (default 60). */
const assertion = (
  clientId: string,
  claims: Claims = {},
  key: Jose.CryptoKey | Uint8Array = clientKeys.privateKey
) =>
  Effect.gen(function*() {
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const alg = key instanceof Uint8Array ? "HS256" : "ES256"
    return yield* Effect.promise(() =>
      new Jose.SignJWT({})
        .setProtectedHeader({ alg, kid: "k1" })
        .setIssuer(claims.iss ?? clientId)
        .setSubject(claims.sub ?? clientId)
        .setAudience(claims.aud ?? `${issuer}/token`)
        .setIssuedAt(now)
        .setExpirationTime(now + (claims.lifetime ?? 60))
        .setJti(claims.jti ?? crypto.randomUUID())
        .sign(key)
    )
  })

const secret = new TextEncoder().encode(hmacSecret)

const tokenRequest = (jwt: string, extra: Record<string, string> = {}, path = "/token") =>
  send(
    HttpClientRequest.post(path).pipe(
      HttpClientRequest.bodyUrlParams({
        grant_type: "client_credentials",
        client_assertion_type: assertionType,
        client_assertion: jwt,
        ...extra
      })
    )
  )

describe("private_key_jwt", () => {
  it.effect("authenticates a client by an assertion signed with its registered key", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const issued = yield* tokens(tokenRequest(yield* assertion("signer")))
        assert.isAbove(issued.access_token.length, 0)
        // the issuer is an accepted audience too, and client_id may name the client again
        yield* tokens(tokenRequest(yield* assertion("signer", { aud: issuer }), { client_id: "signer" }))
        const server = yield* AuthServer.AuthServer
        assert.deepStrictEqual((yield* server.journal).map((entry) => [entry.clientId, entry.status]), [
          ["signer", 200],
          ["signer", 200]
        ])
        assert.notInclude(JSON.stringify(yield* server.journal), "eyJ")
      })
    ))

  it.effect("refuses a replayed jti until the assertion would have expired", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const jwt = yield* assertion("signer", { jti: "once", lifetime: 60 })
        yield* tokens(tokenRequest(jwt))
        const description = yield* expectError(tokenRequest(jwt), "invalid_client", 401)
        assert.match(description, /jti/)
        // a new assertion with the same jti is a replay too while the first one lives
        yield* TestClock.adjust("30 seconds")
        yield* expectError(tokenRequest(yield* assertion("signer", { jti: "once" })), "invalid_client", 401)
        // once the first has expired, its jti is forgotten: the old assertion itself is refused as expired
        yield* TestClock.adjust("30 seconds")
        assert.match(yield* expectError(tokenRequest(jwt), "invalid_client", 401), /expired/)
        yield* tokens(tokenRequest(yield* assertion("signer", { jti: "once" })))
        // jtis are per client
        yield* tokens(tokenRequest(yield* assertion("signer", { jti: "shared" })))
        yield* tokens(tokenRequest(yield* assertion("both", { jti: "shared" })))
      })
    ))

  it.effect("refuses an assertion for another audience, expired, or signed by another key", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const wrongAud = yield* expectError(
          tokenRequest(yield* assertion("signer", { aud: "https://elsewhere.example/token" })),
          "invalid_client",
          401
        )
        assert.match(wrongAud, /aud/)

        const short = yield* assertion("signer", { lifetime: 5 })
        yield* TestClock.adjust("5 seconds")
        assert.match(yield* expectError(tokenRequest(short), "invalid_client", 401), /expired/)

        const forged = yield* assertion("signer", {}, strangerKeys.privateKey)
        assert.match(yield* expectError(tokenRequest(forged), "invalid_client", 401), /signature/)

        const mismatch = yield* assertion("signer", { iss: "someone-else" })
        assert.match(yield* expectError(tokenRequest(mismatch), "invalid_client", 401), /iss and sub/)

        assert.match(
          yield* expectError(tokenRequest(yield* assertion("signer"), { client_id: "hmac" }), "invalid_client", 401),
          /client_id/
        )
        yield* expectError(tokenRequest("not-a-jwt"), "invalid_client", 401)
        yield* expectError(tokenRequest(yield* assertion("nobody")), "invalid_client", 401)

        const server = yield* AuthServer.AuthServer
        assert.strictEqual(yield* server.issued, 0)
      })
    ))

  it.effect("verifies an assertion that names a certificate thumbprint with that certificate's key only", () => {
    const byThumbprint = (x5tS256: string) =>
      Effect.gen(function*() {
        const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        return yield* Effect.promise(() =>
          new Jose.SignJWT({})
            .setProtectedHeader({ alg: "ES256", "x5t#S256": x5tS256 })
            .setIssuer("certified")
            .setSubject("certified")
            .setAudience(`${issuer}/token`)
            .setIssuedAt(now)
            .setExpirationTime(now + 60)
            .setJti(crypto.randomUUID())
            .sign(clientKeys.privateKey)
        )
      })
    return withServer(
      {
        issuer,
        clients: [{
          clientId: "certified",
          jwks: { keys: [{ ...unnamedJwk, "x5t#S256": "cert-a" }, { ...strangerJwk, "x5t#S256": "cert-b" }] }
        }]
      },
      Effect.gen(function*() {
        yield* tokens(tokenRequest(yield* byThumbprint("cert-a")))
        // the key is right, but the header names another certificate: only that one's key may verify it
        assert.match(yield* expectError(tokenRequest(yield* byThumbprint("cert-b")), "invalid_client", 401), /signature/)
        yield* expectError(tokenRequest(yield* byThumbprint("cert-unknown")), "invalid_client", 401)
      })
    )
  })

  it.effect("answers invalid_request for a wrong assertion type or a second method", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const jwt = yield* assertion("both")
        yield* expectError(tokenRequest(jwt, { client_assertion_type: "urn:example:saml" }), "invalid_request")
        yield* expectError(
          send(
            HttpClientRequest.post("/token").pipe(
              HttpClientRequest.bodyUrlParams({ grant_type: "client_credentials", client_assertion_type: assertionType })
            )
          ),
          "invalid_request"
        )
        yield* expectError(tokenRequest(jwt, { client_secret: hmacSecret }), "invalid_request")
        yield* expectError(
          send(
            HttpClientRequest.post("/token").pipe(
              HttpClientRequest.bodyUrlParams({
                grant_type: "client_credentials",
                client_assertion_type: assertionType,
                client_assertion: jwt
              }),
              HttpClientRequest.basicAuth("both", hmacSecret)
            )
          ),
          "invalid_request"
        )
        // a client with jwks and a secret keeps the secret methods by default, and gains private_key_jwt
        yield* tokens(tokenRequest(jwt))
      })
    ))

  it.effect("authenticates at the revocation and introspection endpoints too", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const issued = yield* tokens(tokenRequest(yield* assertion("signer")))
        const introspect = send(
          HttpClientRequest.post("/introspect").pipe(
            HttpClientRequest.bodyUrlParams({
              token: issued.access_token,
              client_assertion_type: assertionType,
              client_assertion: yield* assertion("signer", { aud: issuer })
            })
          )
        )
        assert.deepInclude(yield* Effect.flatMap(introspect, body), { active: true, client_id: "signer" })
        const revoke = yield* send(
          HttpClientRequest.post("/revoke").pipe(
            HttpClientRequest.bodyUrlParams({
              token: issued.access_token,
              client_assertion_type: assertionType,
              client_assertion: yield* assertion("signer", { aud: issuer })
            })
          )
        )
        assert.strictEqual(revoke.status, 200)
        const server = yield* AuthServer.AuthServer
        assert.isTrue((yield* server.tokens)[0]!.revoked)
      })
    ))

  it.effect("accepts as aud the endpoint the assertion is sent to, and not another one", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const issued = yield* tokens(tokenRequest(yield* assertion("signer")))
        const introspect = (aud: string) =>
          Effect.flatMap(assertion("signer", { aud }), (jwt) =>
            send(
              HttpClientRequest.post("/introspect").pipe(
                HttpClientRequest.bodyUrlParams({
                  token: issued.access_token,
                  client_assertion_type: assertionType,
                  client_assertion: jwt
                })
              )
            ))
        assert.deepInclude(yield* Effect.flatMap(introspect(`${issuer}/introspect`), body), { active: true })
        const elsewhere = yield* introspect(`${issuer}/revoke`)
        assert.strictEqual(elsewhere.status, 401)
        assert.match(
          yield* expectError(tokenRequest(yield* assertion("signer", { aud: `${issuer}/introspect` })), "invalid_client", 401),
          /aud is neither the issuer, the token endpoint nor the endpoint it was sent to/
        )
      })
    ))
})

describe("client_secret_jwt", () => {
  it.effect("authenticates a client by an HMAC of its secret", () =>
    withServer(
      options,
      Effect.gen(function*() {
        yield* tokens(tokenRequest(yield* assertion("hmac", {}, secret)))
        const wrong = new TextEncoder().encode("not-the-secret-but-just-as-long!!!!!")
        assert.match(
          yield* expectError(tokenRequest(yield* assertion("hmac", {}, wrong)), "invalid_client", 401),
          /signature/
        )
      })
    ))

  it.effect("holds each client to the JWT methods it registered", () =>
    withServer(
      options,
      Effect.gen(function*() {
        // "hmac" may use client_secret_jwt only
        assert.match(
          yield* expectError(tokenRequest(yield* assertion("hmac")), "invalid_client", 401),
          /private_key_jwt/
        )
        const basic = send(
          HttpClientRequest.post("/token").pipe(
            HttpClientRequest.bodyUrlParams({ grant_type: "client_credentials" }),
            HttpClientRequest.basicAuth("hmac", hmacSecret)
          )
        )
        yield* expectError(basic, "invalid_client", 401)
        // "signer" has no secret, so private_key_jwt only
        assert.match(
          yield* expectError(tokenRequest(yield* assertion("signer", {}, secret)), "invalid_client", 401),
          /client_secret_jwt/
        )
      })
    ))
})
