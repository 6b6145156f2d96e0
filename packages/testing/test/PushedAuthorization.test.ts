import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as AuthServer from "../src/AuthServer.js"
import * as Journal from "../src/Journal.js"
import * as ServerConfig from "../src/ServerConfig.js"
import { body, expectError, send, tokenRequest, tokens, withServer } from "./grantFixtures.js"

// RFC 7636 Appendix B
const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
const callback = "https://app.example.com/callback"

const options = (extra: Partial<AuthServer.Options> = {}): AuthServer.Options => ({
  clients: [
    {
      clientId: "web",
      clientSecret: "web-secret",
      grants: ["authorization_code", "refresh_token"],
      redirectUris: [callback],
      scopes: ["profile", "orders"]
    },
    { clientId: "other", clientSecret: "other-secret", grants: ["authorization_code"], redirectUris: [callback] },
    { clientId: "spa", public: true, redirectUris: [callback] }
  ],
  autoApprove: true,
  ...extra
})

const requestParams = (extra: Record<string, string> = {}) => ({
  response_type: "code",
  redirect_uri: callback,
  scope: "profile",
  state: "xyz",
  code_challenge: challenge,
  code_challenge_method: "S256",
  ...extra
})

/** A pushed authorization request, with client_secret_basic when `secret` is given, else `client_id` in the body. */
const par = (client: readonly [string, string?], params: Record<string, string>) =>
  send(
    HttpClientRequest.post("/par").pipe(
      HttpClientRequest.bodyUrlParams(client[1] === undefined ? { ...params, client_id: client[0] } : params),
      client[1] === undefined ? (r) => r : HttpClientRequest.basicAuth(client[0], client[1])
    )
  )

const pushed = (client: readonly [string, string?] = ["web", "web-secret"], extra: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const response = yield* par(client, requestParams(extra))
    const json = yield* body(response)
    assert.strictEqual(response.status, 201, JSON.stringify(json))
    assert.strictEqual(response.headers["cache-control"], "no-store")
    return json as { readonly request_uri: string; readonly expires_in: number }
  })

const authorize = (params: Record<string, string>) =>
  send(HttpClientRequest.get("/authorize").pipe(HttpClientRequest.setUrlParams(params)))

const locationOf = (response: HttpClientResponse.HttpClientResponse) => {
  assert.strictEqual(response.status, 302)
  return new URL(response.headers.location!)
}

const exchange = (code: string) =>
  tokenRequest(["web", "web-secret"], {
    grant_type: "authorization_code",
    code,
    redirect_uri: callback,
    code_verifier: verifier
  })

describe("pushed authorization requests (RFC 9126)", () => {
  it.effect("are advertised in the metadata, required only when the option says so", () =>
    Effect.gen(function*() {
      const metadata = (extra: Partial<AuthServer.Options>) =>
        withServer(
          options(extra),
          Effect.flatMap(send(HttpClientRequest.get("/.well-known/oauth-authorization-server")), body)
        )
      const offered = yield* metadata({})
      assert.strictEqual(offered.pushed_authorization_request_endpoint, "http://127.0.0.1/par")
      assert.isUndefined(offered.require_pushed_authorization_requests)
      const required = yield* metadata({ requirePushedAuthorizationRequests: true })
      assert.isTrue(required.require_pushed_authorization_requests)
    }))

  it.effect("push → authorize with request_uri → code → token; the journal shows ids, never the request_uri", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const { expires_in, request_uri } = yield* pushed()
        assert.match(request_uri, /^urn:ietf:params:oauth:request_uri:[\w-]{43}$/)
        assert.strictEqual(expires_in, 60)

        // only what was pushed counts: the query's own parameters are ignored
        const location = locationOf(yield* authorize({ client_id: "web", request_uri, scope: "orders", state: "other" }))
        assert.strictEqual(`${location.origin}${location.pathname}`, callback)
        assert.strictEqual(location.searchParams.get("state"), "xyz")
        const issued = yield* tokens(exchange(location.searchParams.get("code")!))
        assert.strictEqual(issued.scope, "profile")

        const journal = yield* server.journal
        assert.deepStrictEqual(
          journal.slice(0, 2).map((entry) => [entry.endpoint, entry.status, entry.clientId, entry.pushedRequestId]),
          [["par", 201, "web", "p1"], ["authorize", 302, "web", "p1"]]
        )
        const text = JSON.stringify(journal) + journal.map(Journal.describe).join("\n")
        assert.notInclude(text, request_uri.slice("urn:ietf:params:oauth:request_uri:".length))
        assert.include(Journal.describe(journal[0]!), "pushedRequest=p1")
      })
    ))

  it.effect("a request_uri serves once; a reused one goes back to the client as invalid_request_uri", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const { request_uri } = yield* pushed()
        locationOf(yield* authorize({ client_id: "web", request_uri }))
        const again = locationOf(yield* authorize({ client_id: "web", request_uri }))
        assert.strictEqual(again.searchParams.get("error"), "invalid_request_uri")
        assert.match(again.searchParams.get("error_description")!, /already used/)
        assert.strictEqual(again.searchParams.get("state"), "xyz")
        assert.isNull(again.searchParams.get("code"))
      })
    ))

  it.effect("a request_uri expires after 60 seconds on the Clock, or pushedRequestLifetime", () =>
    Effect.gen(function*() {
      yield* withServer(
        options(),
        Effect.gen(function*() {
          const fresh = yield* pushed()
          const stale = yield* pushed()
          yield* TestClock.adjust("59999 millis")
          assert.isString(locationOf(yield* authorize({ client_id: "web", request_uri: fresh.request_uri })).searchParams.get("code"))
          yield* TestClock.adjust("1 millis")
          const expired = locationOf(yield* authorize({ client_id: "web", request_uri: stale.request_uri }))
          assert.strictEqual(expired.searchParams.get("error"), "invalid_request_uri")
          assert.match(expired.searchParams.get("error_description")!, /expired/)
        })
      )
      yield* withServer(
        options({ pushedRequestLifetime: "5 seconds" }),
        Effect.gen(function*() {
          const { expires_in, request_uri } = yield* pushed()
          assert.strictEqual(expires_in, 5)
          yield* TestClock.adjust("5 seconds")
          const expired = locationOf(yield* authorize({ client_id: "web", request_uri }))
          assert.strictEqual(expired.searchParams.get("error"), "invalid_request_uri")
        })
      )
    }))

  it.effect("an unknown request_uri, or another client's, is an error page, and leaves the request unused", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const { request_uri } = yield* pushed()
        for (const params of [
          { client_id: "web", request_uri: "urn:ietf:params:oauth:request_uri:unknown" },
          { client_id: "other", request_uri },
          { request_uri }
        ]) {
          const response = yield* authorize(params)
          assert.strictEqual(response.status, 400)
          assert.isUndefined(response.headers.location)
          assert.match(yield* response.text, /invalid_request_uri|names no client/)
        }
        assert.isString(locationOf(yield* authorize({ client_id: "web", request_uri })).searchParams.get("code"))
      })
    ))

  it.effect("authenticates the client as the token endpoint does; a public client names itself", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        assert.match(yield* expectError(par(["web", "wrong"], requestParams()), "invalid_client", 401), /failed/)
        yield* expectError(par(["web", "web-secret"], requestParams({ client_id: "other" })), "invalid_request")
        const { request_uri } = yield* pushed(["spa"])
        assert.isString(locationOf(yield* authorize({ client_id: "spa", request_uri })).searchParams.get("code"))
      })
    ))

  it.effect("checks the request as /authorize does, answering OAuth errors", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        yield* expectError(par(["web", "web-secret"], requestParams({ redirect_uri: "https://evil.example.com/" })), "invalid_request")
        yield* expectError(par(["web", "web-secret"], requestParams({ response_type: "token" })), "unsupported_response_type")
        yield* expectError(par(["web", "web-secret"], requestParams({ scope: "admin" })), "invalid_scope")
        yield* expectError(
          par(["web", "web-secret"], requestParams({ resource: "https://unknown.example.com" })),
          "invalid_target"
        )
        yield* expectError(par(["spa"], requestParams({ code_challenge: "", code_challenge_method: "" })), "invalid_request")
        yield* expectError(
          par(["web", "web-secret"], requestParams({ request_uri: "urn:ietf:params:oauth:request_uri:x" })),
          "invalid_request"
        )
        const server = yield* AuthServer.AuthServer
        assert.isTrue((yield* server.journal).every((entry) => entry.pushedRequestId === undefined))
      })
    ))

  it.effect("requirePushedAuthorizationRequests: /authorize refuses a request in the query", () =>
    withServer(
      options({ requirePushedAuthorizationRequests: true }),
      Effect.gen(function*() {
        const location = locationOf(yield* authorize({ client_id: "web", ...requestParams() }))
        assert.strictEqual(location.searchParams.get("error"), "invalid_request")
        assert.match(location.searchParams.get("error_description")!, /pushed/)
        const { request_uri } = yield* pushed()
        assert.isString(locationOf(yield* authorize({ client_id: "web", request_uri })).searchParams.get("code"))
      })
    ))

  it.effect("faults can be scripted on the endpoint", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        yield* server.fail(AuthServer.Status({ status: 503 }), { endpoint: "par" })
        assert.strictEqual((yield* par(["web", "web-secret"], requestParams())).status, 503)
        yield* pushed()
      })
    ))

  it("ServerConfig takes the options", () => {
    const config = ServerConfig.decode({ clients: [], requirePushedAuthorizationRequests: true, pushedRequestLifetime: 30 })
    assert.isTrue(config._tag === "Right" && config.right.requirePushedAuthorizationRequests === true)
  })
})
