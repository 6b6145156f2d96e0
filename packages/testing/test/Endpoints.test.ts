import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as AuthServer from "../src/AuthServer.js"
import { body, expectError, introspect, post, send, tokenRequest, tokens, withServer } from "./grantFixtures.js"

const clients: AuthServer.Options["clients"] = [
  {
    clientId: "crm",
    clientSecret: "s3cret",
    scopes: ["crm.read", "admin"],
    grants: ["client_credentials", "refresh_token"]
  },
  { clientId: "other", clientSecret: "o" },
  { clientId: "spa", public: true, redirectUris: ["https://spa.example/cb"] }
]

const options: AuthServer.Options = {
  clients,
  tokenLifetime: "10 minutes",
  refreshTokenForClientCredentials: true,
  issuer: "https://as.example"
}

const crm = ["crm", "s3cret"] as const

const callApi = (token: string, path = "/api/things") =>
  send(HttpClientRequest.get(`https://api.example.com${path}`).pipe(HttpClientRequest.bearerToken(token)))

const issue = (scope?: string) =>
  tokens(tokenRequest(crm, { grant_type: "client_credentials", ...(scope === undefined ? {} : { scope }) }))

describe("revocation endpoint (RFC 7009)", () => {
  it.effect("revokes an access token of the client, which the API then rejects", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const issued = yield* issue()
        const response = yield* post("/revoke", crm, { token: issued.access_token, token_type_hint: "access_token" })
        assert.strictEqual(response.status, 200)
        assert.strictEqual(yield* response.text, "")
        const api = yield* callApi(issued.access_token)
        assert.strictEqual(api.status, 401)
        assert.match(api.headers["www-authenticate"] ?? "", /The access token was revoked/)
        const server = yield* AuthServer.AuthServer
        const journal = yield* server.journal
        assert.deepInclude(journal, {
          at: 0,
          endpoint: "revoke",
          method: "POST",
          path: "/revoke",
          clientId: "crm",
          tokenId: "t1",
          status: 200
        })
        // the refresh token of the same grant lives on (RFC 7009 §2.1 leaves that to the server)
        assert.isFalse((yield* server.families)[0]!.revoked)
      })
    ))

  it.effect("revokes a refresh token's whole family, whatever the hint says", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const first = yield* issue()
        const refreshed = yield* tokens(tokenRequest(crm, { grant_type: "refresh_token", refresh_token: first.refresh_token! }))
        // the hint is wrong: the server must search further (§2.1)
        const response = yield* post("/revoke", crm, { token: refreshed.refresh_token!, token_type_hint: "access_token" })
        assert.strictEqual(response.status, 200)
        const server = yield* AuthServer.AuthServer
        const [family] = yield* server.families
        assert.isTrue(family!.revoked)
        assert.deepStrictEqual((yield* server.tokens).map((t) => t.revoked), [true, true])
        assert.strictEqual((yield* callApi(refreshed.access_token)).status, 401)
        yield* expectError(
          tokenRequest(crm, { grant_type: "refresh_token", refresh_token: refreshed.refresh_token! }),
          "invalid_grant"
        )
        const revoke = (yield* server.journal).find((entry) => entry.endpoint === "revoke")
        assert.strictEqual(revoke?.refreshTokenId, "r2")
      })
    ))

  it.effect("answers 200 for a token it does not know, and errors for bad requests", () =>
    withServer(
      options,
      Effect.gen(function*() {
        assert.strictEqual((yield* post("/revoke", crm, { token: "never-issued" })).status, 200)
        yield* expectError(post("/revoke", crm, {}), "invalid_request")
        yield* expectError(post("/revoke", ["crm", "wrong"], { token: "x" }), "invalid_client", 401)

        const issued = yield* issue()
        const description = yield* expectError(
          post("/revoke", ["other", "o"], { token: issued.access_token }),
          "unauthorized_client"
        )
        assert.match(description, /another client/)
        assert.strictEqual((yield* callApi(issued.access_token)).status, 200)
        yield* expectError(post("/revoke", ["other", "o"], { token: issued.refresh_token! }), "unauthorized_client")
        const server = yield* AuthServer.AuthServer
        assert.isFalse((yield* server.families)[0]!.revoked)

        const get = yield* send(HttpClientRequest.get("/revoke"))
        assert.strictEqual(get.status, 405)
        assert.strictEqual(get.headers["allow"], "POST")
      })
    ))
})

describe("introspection endpoint (RFC 7662)", () => {
  it.effect("describes an active access token", () =>
    withServer(
      options,
      Effect.gen(function*() {
        yield* TestClock.adjust("1500 millis")
        const issued = yield* issue("crm.read")
        assert.deepStrictEqual(yield* introspect(issued.access_token), {
          active: true,
          scope: "crm.read",
          client_id: "crm",
          token_type: "Bearer",
          exp: 601,
          iat: 1,
          sub: "crm",
          aud: "https://as.example/api",
          iss: "https://as.example"
        })
        // a resource server is usually another client
        assert.isTrue((yield* introspect(issued.access_token, ["other", "o"], "access_token")).active)
        const server = yield* AuthServer.AuthServer
        const entry = (yield* server.journal).at(-1)
        assert.strictEqual(entry?.endpoint, "introspect")
        assert.strictEqual(entry?.tokenId, "t1")
        assert.strictEqual(entry?.clientId, "other")
      })
    ))

  it.effect("answers only { active: false } for expired, revoked and unknown tokens", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const expiring = yield* issue()
        const revoked = yield* issue()
        yield* server.revoke(revoked.access_token)
        assert.deepStrictEqual(yield* introspect(revoked.access_token), { active: false })
        assert.deepStrictEqual(yield* introspect("never-issued"), { active: false })
        yield* TestClock.adjust("599999 millis")
        assert.isTrue((yield* introspect(expiring.access_token)).active)
        yield* TestClock.adjust("1 millis")
        assert.deepStrictEqual(yield* introspect(expiring.access_token), { active: false })
      })
    ))

  it.effect("describes the current refresh token, and not a rotated or revoked one", () =>
    withServer(
      { ...options, refreshTokenLifetime: "1 day" },
      Effect.gen(function*() {
        const first = yield* issue()
        assert.deepStrictEqual(yield* introspect(first.refresh_token!, crm, "refresh_token"), {
          active: true,
          scope: "crm.read admin",
          client_id: "crm",
          exp: 86_400,
          sub: "crm",
          iss: "https://as.example"
        })
        const second = yield* tokens(tokenRequest(crm, { grant_type: "refresh_token", refresh_token: first.refresh_token! }))
        assert.deepStrictEqual(yield* introspect(first.refresh_token!), { active: false })
        assert.isTrue((yield* introspect(second.refresh_token!)).active)
        yield* post("/revoke", crm, { token: second.refresh_token! })
        assert.deepStrictEqual(yield* introspect(second.refresh_token!), { active: false })
      })
    ))

  it.effect("answers public clients and bad requests with errors", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const issued = yield* issue()
        const description = yield* expectError(
          post("/introspect", ["spa"], { token: issued.access_token }),
          "invalid_client",
          401
        )
        assert.match(description, /public client/)
        yield* expectError(post("/introspect", crm, {}), "invalid_request")
        yield* expectError(post("/introspect", ["crm", "nope"], { token: issued.access_token }), "invalid_client", 401)
        assert.strictEqual((yield* send(HttpClientRequest.get("/introspect"))).status, 405)
      })
    ))
})

describe("server metadata (RFC 8414)", () => {
  it.effect("lists the endpoints, grants, methods and PKCE, at both well-known paths", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const response = yield* send(HttpClientRequest.get("/.well-known/oauth-authorization-server"))
        assert.strictEqual(response.status, 200)
        const metadata = yield* body(response)
        assert.deepStrictEqual(metadata, {
          issuer: "https://as.example",
          authorization_endpoint: "https://as.example/authorize",
          token_endpoint: "https://as.example/token",
          device_authorization_endpoint: "https://as.example/device_authorization",
          revocation_endpoint: "https://as.example/revoke",
          introspection_endpoint: "https://as.example/introspect",
          pushed_authorization_request_endpoint: "https://as.example/par",
          scopes_supported: ["crm.read", "admin"],
          response_types_supported: ["code"],
          response_modes_supported: ["query"],
          grant_types_supported: [
            "client_credentials",
            "refresh_token",
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "urn:ietf:params:oauth:grant-type:token-exchange"
          ],
          token_endpoint_auth_methods_supported: [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none"
          ],
          token_endpoint_auth_signing_alg_values_supported: [
            "HS256",
            "HS384",
            "HS512",
            "RS256",
            "RS384",
            "RS512",
            "PS256",
            "PS384",
            "PS512",
            "ES256",
            "ES384",
            "ES512",
            "EdDSA"
          ],
          revocation_endpoint_auth_methods_supported: [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none"
          ],
          introspection_endpoint_auth_methods_supported: [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt"
          ],
          code_challenge_methods_supported: ["S256", "plain"],
          authorization_response_iss_parameter_supported: true
        })
        const openid = yield* send(HttpClientRequest.get("/.well-known/openid-configuration"))
        assert.deepStrictEqual(yield* body(openid), metadata)

        // opaque tokens: no keys to publish
        assert.strictEqual((yield* send(HttpClientRequest.get("/jwks"))).status, 404)
        assert.strictEqual((yield* send(HttpClientRequest.post("/.well-known/openid-configuration"))).status, 405)
        const server = yield* AuthServer.AuthServer
        assert.deepStrictEqual((yield* server.journal).map((entry) => [entry.endpoint, entry.status]), [
          ["metadata", 200],
          ["metadata", 200],
          ["jwks", 404],
          ["metadata", 405]
        ])
      })
    ))

  it.effect("names the JWKS of a server that issues JWTs", () =>
    withServer(
      { ...options, accessTokenFormat: "jwt", signingAlgorithm: "ES256" },
      Effect.gen(function*() {
        const metadata = yield* Effect.flatMap(send(HttpClientRequest.get("/.well-known/oauth-authorization-server")), body)
        assert.strictEqual(metadata.jwks_uri, "https://as.example/jwks")
        const jwks = yield* Effect.flatMap(send(HttpClientRequest.get(metadata.jwks_uri as string)), body)
        assert.lengthOf(jwks.keys as ReadonlyArray<unknown>, 1)
      })
    ))
})

describe("protected API", () => {
  const scoped: AuthServer.Options = {
    ...options,
    apiScopes: { "/api/admin": ["admin"], "/api/admin/reports/": ["admin", "crm.read"], "/api/crm": ["crm.read"] }
  }

  it.effect("answers 403 insufficient_scope where the token lacks a route's scopes", () =>
    withServer(
      scoped,
      Effect.gen(function*() {
        const reader = yield* issue("crm.read")
        const forbidden = yield* callApi(reader.access_token, "/api/admin/users")
        assert.strictEqual(forbidden.status, 403)
        assert.strictEqual(
          forbidden.headers["www-authenticate"],
          `Bearer realm="grantflow-sim", error="insufficient_scope", error_description="The access token lacks the scope this resource requires", scope="admin", ` +
            `resource_metadata="https://as.example/.well-known/oauth-protected-resource/api"`
        )
        assert.deepInclude(yield* body(forbidden), { error: "insufficient_scope", scope: "admin" })
        assert.strictEqual((yield* callApi(reader.access_token, "/api/crm/contacts")).status, 200)
        // a route covers its own path and those below it, not siblings that share a prefix
        assert.strictEqual((yield* callApi(reader.access_token, "/api/admin")).status, 403)
        assert.strictEqual((yield* callApi(reader.access_token, "/api/administrators")).status, 200)

        const admin = yield* issue("admin")
        assert.strictEqual((yield* callApi(admin.access_token, "/api/admin/users")).status, 200)
        // the longest route wins, with all of its scopes
        const reports = yield* callApi(admin.access_token, "/api/admin/reports/q1")
        assert.strictEqual(reports.status, 403)
        assert.match(reports.headers["www-authenticate"] ?? "", /scope="admin crm\.read", resource_metadata="[^"]+"$/)
        const both = yield* issue("admin crm.read")
        assert.strictEqual((yield* callApi(both.access_token, "/api/admin/reports/q1")).status, 200)

        const server = yield* AuthServer.AuthServer
        const denied = (yield* server.journal).filter((entry) => entry.status === 403)
        assert.deepStrictEqual(denied.map((entry) => entry.tokenState), ["valid", "valid", "valid"])
      })
    ))

  it.effect("answers an expired token with 403 when told to, other bad tokens still with 401", () =>
    withServer(
      { ...options, expiredTokenStatus: 403 },
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const issued = yield* issue()
        yield* TestClock.adjust("10 minutes")
        const expired = yield* callApi(issued.access_token)
        assert.strictEqual(expired.status, 403)
        assert.match(expired.headers["www-authenticate"] ?? "", /error="invalid_token", error_description="The access token expired"/)
        assert.strictEqual((yield* callApi("made-up")).status, 401)
        const fresh = yield* issue()
        yield* server.revoke(fresh.access_token)
        assert.strictEqual((yield* callApi(fresh.access_token)).status, 401)
        assert.deepStrictEqual(
          (yield* server.journal).filter((entry) => entry.endpoint === "api").map((entry) => entry.tokenState),
          ["expired", "unknown", "revoked"]
        )
      })
    ))

  it.effect("answers any unusable token with the configured error body and status", () =>
    withServer(
      { ...options, errorBodyOnInvalidToken: { status: 200, body: { ok: false, error: "invalid_auth" } } },
      Effect.gen(function*() {
        const issued = yield* issue()
        yield* TestClock.adjust("10 minutes")
        for (const token of [issued.access_token, "made-up"]) {
          const response = yield* callApi(token)
          assert.strictEqual(response.status, 200)
          assert.isUndefined(response.headers["www-authenticate"])
          assert.deepStrictEqual(yield* body(response), { ok: false, error: "invalid_auth" })
        }
        // a request without a token still gets the challenge
        const bare = yield* send(HttpClientRequest.get("/api/things"))
        assert.strictEqual(bare.status, 401)
        const fresh = yield* issue()
        assert.strictEqual((yield* body(yield* callApi(fresh.access_token))).ok, true)
      })
    ))
})
