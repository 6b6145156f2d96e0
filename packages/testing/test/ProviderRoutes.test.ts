/**
 * The simulated server's routes for providers' own endpoints: a revocation
 * API that takes the token as the bearer credential or in a JSON body, and
 * an app's token request whose grant is a JWT it signed.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import * as Jose from "jose"
import * as AuthServer from "../src/AuthServer.js"

const keys = await Jose.generateKeyPair("RS256", { extractable: true })
const other = await Jose.generateKeyPair("RS256", { extractable: true })
const jwk = { ...(await Jose.exportJWK(keys.publicKey)), alg: "RS256" }

const start = 1_700_000_000_000
const now = start / 1000

const routes: Readonly<Record<string, AuthServer.Route>> = {
  "/self-revoke": { endpoint: "revoke", token: "bearer", answer: { status: 200, body: { ok: true } } },
  "/apps/crm/token": {
    endpoint: "revoke",
    method: "DELETE",
    token: { json: "access_token" },
    clientAuth: true,
    answer: { status: 204 },
    refusal: { status: 422, body: { message: "Validation Failed" } }
  },
  "/app/installations/1/access_tokens": { endpoint: "assertion", status: 201 }
}

const withServer = <A, E>(self: Effect.Effect<A, E, AuthServer.AuthServer | HttpClient.HttpClient>) =>
  Effect.zipRight(TestClock.setTime(start), self).pipe(
    Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer({
      clients: [
        { clientId: "crm", clientSecret: "s3cret", grants: ["client_credentials", "refresh_token"] },
        { clientId: "other", clientSecret: "other-secret" },
        { clientId: "Iv1.app", jwks: { keys: [jwk] } }
      ],
      refreshTokenForClientCredentials: true,
      routes
    }))))
  )

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(request))

const answer = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.text, (text) => ({ status: response.status, body: text === "" ? undefined : JSON.parse(text) }))

const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`

/** A token of `crm`, with a refresh token. */
const grant = Effect.flatMap(
  send(HttpClientRequest.post("/token").pipe(
    HttpClientRequest.bodyUrlParams({ grant_type: "client_credentials" }),
    HttpClientRequest.setHeader("authorization", basic("crm", "s3cret"))
  )),
  (response) => Effect.map(response.json, (json) => json as { access_token: string; refresh_token: string })
)

const refresh = (refreshToken: string) =>
  Effect.map(
    send(HttpClientRequest.post("/token").pipe(
      HttpClientRequest.bodyUrlParams({ grant_type: "refresh_token", refresh_token: refreshToken }),
      HttpClientRequest.setHeader("authorization", basic("crm", "s3cret"))
    )),
    (response) => response.status
  )

const api = (token: string) =>
  Effect.map(send(HttpClientRequest.get("/api/things").pipe(HttpClientRequest.bearerToken(token))), (r) => r.status)

describe("AuthServer routes: a provider's own revocation API", () => {
  it.effect("the token as the bearer credential revokes itself and its whole grant; then it is refused", () =>
    withServer(
      Effect.gen(function*() {
        const token = yield* grant
        const revoke = () => send(HttpClientRequest.post("/self-revoke").pipe(HttpClientRequest.bearerToken(token.access_token)))
        assert.deepStrictEqual(yield* Effect.flatMap(revoke(), answer), { status: 200, body: { ok: true } })
        assert.strictEqual(yield* api(token.access_token), 401)
        assert.strictEqual(yield* refresh(token.refresh_token), 400)
        // a revoked token cannot authenticate another call: the server's 401 invalid_token
        const again = yield* Effect.flatMap(revoke(), answer)
        assert.deepStrictEqual([again.status, again.body.error], [401, "invalid_token"])
        const none = yield* Effect.flatMap(send(HttpClientRequest.post("/self-revoke")), answer)
        assert.strictEqual(none.status, 401)
      })
    ))

  it.effect("the token in a JSON body, with the client's credentials and the route's method", () =>
    withServer(
      Effect.gen(function*() {
        const token = yield* grant
        const revoke = (method: "DELETE" | "POST", authorization: string, member = "access_token", value = token.refresh_token) =>
          Effect.flatMap(
            send(HttpClientRequest.make(method)("/apps/crm/token").pipe(
              HttpClientRequest.setHeader("authorization", authorization),
              HttpClientRequest.bodyUnsafeJson({ [member]: value })
            )),
            answer
          )
        assert.strictEqual((yield* revoke("POST", basic("crm", "s3cret"))).status, 405)
        assert.strictEqual((yield* revoke("DELETE", basic("crm", "wrong"))).status, 401)
        // another client's token, a missing member, an unknown token: the route's refusal
        const refusal = { status: 422, body: { message: "Validation Failed" } }
        assert.deepStrictEqual(yield* revoke("DELETE", basic("other", "other-secret")), refusal)
        assert.deepStrictEqual(yield* revoke("DELETE", basic("crm", "s3cret"), "token"), refusal)
        assert.deepStrictEqual(yield* revoke("DELETE", basic("crm", "s3cret"), "access_token", "unknown"), refusal)
        assert.strictEqual(yield* refresh(token.refresh_token), 200, "nothing was revoked so far")
      })
    ))

  it.effect("a refresh token named in the body ends its family, access tokens included", () =>
    withServer(
      Effect.gen(function*() {
        const token = yield* grant
        const revoked = yield* Effect.flatMap(
          send(HttpClientRequest.del("/apps/crm/token").pipe(
            HttpClientRequest.setHeader("authorization", basic("crm", "s3cret")),
            HttpClientRequest.bodyUnsafeJson({ access_token: token.refresh_token })
          )),
          answer
        )
        assert.deepStrictEqual(revoked, { status: 204, body: undefined })
        assert.strictEqual(yield* api(token.access_token), 401)
        assert.strictEqual(yield* refresh(token.refresh_token), 400)
      })
    ))
})

describe("AuthServer routes: an app's signed JWT for a token", () => {
  const sign = (key: CryptoKey, claims: Jose.JWTPayload, alg = "RS256") =>
    Effect.promise(() => new Jose.SignJWT(claims).setProtectedHeader({ alg }).sign(key))
  const exchange = (jwt: string) =>
    Effect.flatMap(
      send(HttpClientRequest.post("/app/installations/1/access_tokens").pipe(HttpClientRequest.bearerToken(jwt))),
      answer
    )

  it.effect("answers a token, with the route's status, to a JWT the app's key signed", () =>
    withServer(
      Effect.gen(function*() {
        const issued = yield* exchange(yield* sign(keys.privateKey, { iss: "Iv1.app", iat: now - 60, exp: now + 540 }))
        assert.strictEqual(issued.status, 201)
        assert.strictEqual(yield* api(issued.body.access_token), 200)
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        assert.deepStrictEqual(
          journal.filter((entry) => entry.endpoint === "token").map((entry) => [entry.clientId, entry.grantType, entry.status]),
          [["Iv1.app", "urn:ietf:params:oauth:grant-type:jwt-bearer", 201]]
        )
      })
    ))

  it.effect("refuses with 401 invalid_grant: expired, too long-lived, issued in the future, another key, an unknown app, none", () =>
    withServer(
      Effect.gen(function*() {
        const refused = [
          yield* sign(keys.privateKey, { iss: "Iv1.app", iat: now - 700, exp: now - 100 }),
          yield* sign(keys.privateKey, { iss: "Iv1.app", iat: now, exp: now + 660 }),
          yield* sign(keys.privateKey, { iss: "Iv1.app", iat: now + 120, exp: now + 300 }),
          yield* sign(other.privateKey, { iss: "Iv1.app", iat: now, exp: now + 300 }),
          yield* sign(keys.privateKey, { iss: "crm", iat: now, exp: now + 300 }),
          "not-a-jwt"
        ]
        for (const jwt of refused) {
          const answered = yield* exchange(jwt)
          assert.deepStrictEqual([answered.status, answered.body.error], [401, "invalid_grant"], jwt)
        }
        const wrongMethod = yield* send(HttpClientRequest.get("/app/installations/1/access_tokens"))
        assert.strictEqual(wrongMethod.status, 405)
      })
    ))
})
