import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as AuthServer from "../src/AuthServer.js"
import { apiStatus, body, expectError, send, tokenRequest, tokens, withServer } from "./grantFixtures.js"

// RFC 7636 Appendix B (the brief had the challenge wrong; this is the RFC's, which SHA-256 confirms)
const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
const callback = "https://app.example.com/callback"

const web = ["web", "web-secret"] as const
const options = (extra: Partial<AuthServer.Options> = {}): AuthServer.Options => ({
  clients: [
    {
      clientId: "web",
      clientSecret: "web-secret",
      grants: ["authorization_code", "refresh_token"],
      redirectUris: [callback, "https://app.example.com/other?keep=1"],
      scopes: ["profile", "orders"]
    },
    { clientId: "single", clientSecret: "single-secret", grants: ["authorization_code"], redirectUris: [callback] },
    { clientId: "spa", public: true, redirectUris: [callback] },
    { clientId: "machine", clientSecret: "m", redirectUris: [callback] }
  ],
  autoApprove: true,
  ...extra
})

const authorize = (params: Record<string, string>) =>
  send(HttpClientRequest.get("/authorize").pipe(HttpClientRequest.setUrlParams(params)))

const locationOf = (response: HttpClientResponse.HttpClientResponse) => {
  assert.strictEqual(response.status, 302)
  return new URL(response.headers.location!)
}

const codeRequest = (extra: Record<string, string> = {}) => ({
  response_type: "code",
  client_id: "web",
  redirect_uri: callback,
  state: "xyz",
  code_challenge: challenge,
  code_challenge_method: "S256",
  ...extra
})

const getCode = (extra: Record<string, string> = {}) =>
  Effect.map(authorize(codeRequest(extra)), (r) => locationOf(r).searchParams.get("code")!)

const exchange = (code: string, extra: Record<string, string> = {}, client: readonly [string, string?] = web) =>
  tokenRequest(client, {
    grant_type: "authorization_code",
    code,
    redirect_uri: callback,
    code_verifier: verifier,
    ...extra
  })

/** Asserts a redirect back to the client with an error (RFC 6749 §4.1.2.1, RFC 9207). */
const expectRedirectError = (params: Record<string, string>, error: string, redirectUri = callback) =>
  Effect.gen(function*() {
    const location = locationOf(yield* authorize(params))
    assert.strictEqual(`${location.origin}${location.pathname}`, redirectUri)
    assert.strictEqual(location.searchParams.get("error"), error)
    assert.isNotNull(location.searchParams.get("error_description"))
    assert.strictEqual(location.searchParams.get("state"), params.state || null)
    assert.strictEqual(location.searchParams.get("iss"), "http://127.0.0.1")
    assert.isNull(location.searchParams.get("code"))
  })

/** Asserts an error page for the user, never a redirect. */
const expectErrorPage = (params: Record<string, string>, pattern: RegExp) =>
  Effect.gen(function*() {
    const response = yield* authorize(params)
    assert.strictEqual(response.status, 400)
    assert.isUndefined(response.headers.location)
    assert.match(response.headers["content-type"] ?? "", /^text\/html/)
    assert.match(yield* response.text, pattern)
  })

describe("authorization_code grant", () => {
  it.effect("redirects with code, state and iss, and exchanges the code with the RFC 7636 S256 verifier", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const location = locationOf(yield* authorize(codeRequest({ scope: "profile", nonce: "n-0S6" })))
        assert.strictEqual(`${location.origin}${location.pathname}`, callback)
        assert.strictEqual(location.searchParams.get("state"), "xyz")
        assert.strictEqual(location.searchParams.get("iss"), "http://127.0.0.1")
        const code = location.searchParams.get("code")!
        assert.match(code, /^[\w-]{43}$/)

        const issued = yield* tokens(exchange(code))
        assert.strictEqual(issued.scope, "profile")
        assert.isString(issued.refresh_token)
        assert.strictEqual(yield* apiStatus(issued.access_token), 200)
        assert.deepStrictEqual(yield* server.codes, [{
          id: "c1",
          clientId: "web",
          redirectUri: callback,
          scopes: ["profile"],
          nonce: "n-0S6",
          codeChallengeMethod: "S256",
          issuedAt: 0,
          expiresAt: 60_000,
          used: true
        }])
        const [family] = yield* server.families
        assert.strictEqual(family?.grantType, "authorization_code")
        const entries = (yield* server.journal).map((e) => [e.endpoint, e.grantType, e.clientId, e.status])
        assert.deepStrictEqual(entries, [
          ["authorize", undefined, "web", 302],
          ["token", "authorization_code", "web", 200],
          ["api", undefined, "web", 200]
        ])
        assert.notInclude(JSON.stringify(yield* server.journal), code)
      })
    ))

  it.effect("keeps a query the redirect URI already has", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const location = locationOf(yield* authorize(codeRequest({ redirect_uri: "https://app.example.com/other?keep=1" })))
        assert.strictEqual(location.searchParams.get("keep"), "1")
        assert.isNotNull(location.searchParams.get("code"))
      })
    ))

  it.effect("checks PKCE: plain and S256, a wrong, missing or unasked-for verifier", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const plain = yield* getCode({ code_challenge: verifier, code_challenge_method: "plain" })
        yield* tokens(exchange(plain))
        // a challenge without a method is plain (RFC 7636 §4.3)
        const implicitPlain = yield* getCode({ code_challenge: verifier, code_challenge_method: "" })
        yield* tokens(exchange(implicitPlain))

        const wrong = yield* getCode()
        const description = yield* expectError(exchange(wrong, { code_verifier: `${verifier.slice(1)}x` }), "invalid_grant")
        assert.match(description, /code_verifier/)
        // plain would accept the challenge itself as the verifier: S256 does not
        yield* expectError(exchange(yield* getCode(), { code_verifier: challenge }), "invalid_grant")
        yield* expectError(exchange(yield* getCode(), { code_verifier: "short" }), "invalid_grant")
        yield* expectError(exchange(yield* getCode(), { code_verifier: "" }), "invalid_request")

        const withoutPkce = yield* getCode({ code_challenge: "", code_challenge_method: "" })
        yield* expectError(exchange(withoutPkce), "invalid_grant")
        yield* tokens(exchange(yield* getCode({ code_challenge: "", code_challenge_method: "" }), { code_verifier: "" }))
      })
    ))

  it.effect("answers a replayed code with invalid_grant and revokes what the code gave", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const code = yield* getCode()
        const issued = yield* tokens(exchange(code))
        assert.match(yield* expectError(exchange(code), "invalid_grant"), /already used/)
        assert.strictEqual(yield* apiStatus(issued.access_token), 401)
        yield* expectError(
          tokenRequest(web, { grant_type: "refresh_token", refresh_token: issued.refresh_token! }),
          "invalid_grant"
        )
        assert.isTrue((yield* server.families)[0]?.revoked)
      })
    ))

  it.effect("lets codes expire after 60 seconds on the Clock, or codeLifetime", () =>
    Effect.gen(function*() {
      yield* withServer(
        options(),
        Effect.gen(function*() {
          const fresh = yield* getCode()
          const stale = yield* getCode()
          yield* TestClock.adjust("59999 millis")
          yield* tokens(exchange(fresh))
          yield* TestClock.adjust("1 millis")
          assert.match(yield* expectError(exchange(stale), "invalid_grant"), /expired/)
        })
      )
      yield* withServer(
        options({ codeLifetime: "5 seconds" }),
        Effect.gen(function*() {
          const code = yield* getCode()
          yield* TestClock.adjust("5 seconds")
          yield* expectError(exchange(code), "invalid_grant")
        })
      )
    }))

  it.effect("requires the redirect_uri of the authorization request, exactly", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        yield* expectError(exchange(yield* getCode(), { redirect_uri: `${callback}/` }), "invalid_grant")
        yield* expectError(exchange(yield* getCode(), { redirect_uri: "" }), "invalid_grant")
        // a request that named none (the client has one) needs none at the token endpoint
        const single = ["single", "single-secret"] as const
        const implied = locationOf(yield* authorize(codeRequest({ client_id: "single", redirect_uri: "" })))
        yield* tokens(exchange(implied.searchParams.get("code")!, { redirect_uri: "" }, single))
      })
    ))

  it.effect("binds a code to its client", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const code = yield* getCode()
        const description = yield* expectError(exchange(code, {}, ["single", "single-secret"]), "invalid_grant")
        assert.match(description, /another client/)
        yield* expectError(exchange("made-up"), "invalid_grant")
        yield* expectError(tokenRequest(web, { grant_type: "authorization_code" }), "invalid_request")
      })
    ))

  it.effect("lets a public client in with PKCE and its client_id alone", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const spa = ["spa"] as const
        const code = yield* getCode({ client_id: "spa" })
        const issued = yield* tokens(exchange(code, {}, spa))
        assert.isString(issued.refresh_token)
        yield* tokens(tokenRequest(spa, { grant_type: "refresh_token", refresh_token: issued.refresh_token! }))
        yield* expectRedirectError(
          codeRequest({ client_id: "spa", code_challenge: "", code_challenge_method: "" }),
          "invalid_request"
        )
        // a public client has no secret to send, and no client credentials grant
        yield* expectError(exchange(yield* getCode({ client_id: "spa" }), {}, ["spa", "guess"]), "invalid_client", 401)
        yield* expectError(tokenRequest(spa, { grant_type: "client_credentials" }), "unauthorized_client")
      })
    ))

  it.effect("shows an error page, never a redirect, for a bad client or redirect_uri", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        yield* expectErrorPage(codeRequest({ client_id: "" }), /names no client/)
        yield* expectErrorPage(codeRequest({ client_id: "nobody" }), /not registered/)
        yield* expectErrorPage(codeRequest({ redirect_uri: "https://evil.example.com/callback" }), /redirect_uri/)
        yield* expectErrorPage(codeRequest({ redirect_uri: `${callback}?x=1` }), /redirect_uri/)
        // two registered: the request must choose
        yield* expectErrorPage(codeRequest({ redirect_uri: "" }), /redirect_uri/)
        const twice = yield* send(
          HttpClientRequest.get("/authorize").pipe(
            HttpClientRequest.setUrlParams([...Object.entries(codeRequest()), ["client_id", "single"]])
          )
        )
        assert.strictEqual(twice.status, 400)
        assert.isUndefined(twice.headers.location)
      })
    ))

  it.effect("a loopback redirect URI matches on any port (RFC 8252 §7.3), nothing else does", () =>
    withServer(
      options({
        clients: [{ clientId: "cli", public: true, redirectUris: ["http://127.0.0.1/callback"] }]
      }),
      Effect.gen(function*() {
        const native = (redirect_uri: string) => codeRequest({ client_id: "cli", redirect_uri })
        const location = locationOf(yield* authorize(native("http://127.0.0.1:49152/callback")))
        assert.strictEqual(`${location.origin}${location.pathname}`, "http://127.0.0.1:49152/callback")
        yield* expectErrorPage(native("http://127.0.0.1:49152/other"), /redirect_uri/)
        yield* expectErrorPage(native("http://localhost:49152/callback"), /redirect_uri/)
        yield* expectErrorPage(native("https://127.0.0.1:49152/callback"), /redirect_uri/)
      })
    ))

  it.effect("redirects other errors back to the client with error, state and iss", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        yield* expectRedirectError(codeRequest({ response_type: "token" }), "unsupported_response_type")
        yield* expectRedirectError(codeRequest({ response_type: "" }), "invalid_request")
        yield* expectRedirectError(codeRequest({ scope: "profile admin" }), "invalid_scope")
        yield* expectRedirectError(codeRequest({ code_challenge_method: "S512" }), "invalid_request")
        yield* expectRedirectError(codeRequest({ code_challenge: "too-short" }), "invalid_request")
        yield* expectRedirectError(codeRequest({ code_challenge: "", state: "" }), "invalid_request")
        yield* expectRedirectError(codeRequest({ client_id: "machine" }), "unauthorized_client")
        const repeated = locationOf(
          yield* send(
            HttpClientRequest.get("/authorize").pipe(
              HttpClientRequest.setUrlParams([...Object.entries(codeRequest()), ["scope", "profile"], ["scope", "orders"]])
            )
          )
        )
        assert.strictEqual(repeated.searchParams.get("error"), "invalid_request")
        assert.strictEqual(repeated.searchParams.get("state"), "xyz")
      })
    ))

  it.effect("shows a consent page that approves or denies through a one-time form", () =>
    withServer(
      options({ autoApprove: false }),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const page = yield* authorize(codeRequest({ scope: "orders" }))
        assert.strictEqual(page.status, 200)
        assert.match(page.headers["content-type"] ?? "", /^text\/html/)
        assert.strictEqual(page.headers["x-frame-options"], "DENY")
        const html = yield* page.text
        assert.include(html, `<strong id="client">web</strong>`)
        assert.include(html, "<li>orders</li>")
        const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1]
        assert.isString(requestId)
        assert.deepStrictEqual(yield* server.codes, [])

        const answer = (id: string, decision: string) =>
          send(HttpClientRequest.post("/authorize").pipe(HttpClientRequest.bodyUrlParams({ request_id: id, decision })))
        const approved = locationOf(yield* answer(requestId!, "approve"))
        assert.strictEqual(approved.searchParams.get("state"), "xyz")
        yield* tokens(exchange(approved.searchParams.get("code")!))
        // answered once only
        const again = yield* answer(requestId!, "approve")
        assert.strictEqual(again.status, 400)
        assert.isUndefined(again.headers.location)

        const second = yield* Effect.flatMap(authorize(codeRequest()), (r) => r.text)
        const secondId = /name="request_id" value="([^"]+)"/.exec(second)![1]!
        const denied = locationOf(yield* answer(secondId, "deny"))
        assert.strictEqual(denied.searchParams.get("error"), "access_denied")
        assert.strictEqual(denied.searchParams.get("state"), "xyz")
        assert.strictEqual(denied.searchParams.get("iss"), "http://127.0.0.1")
        assert.strictEqual((yield* answer(secondId, "maybe")).status, 400)

        const put = yield* send(HttpClientRequest.put("/authorize"))
        assert.strictEqual(put.status, 405)
        assert.strictEqual(put.headers.allow, "GET, POST")
      })
    ))

  it.effect("answers errors of the token endpoint in the RFC 6749 §5.2 shape", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const response = yield* exchange("made-up")
        assert.deepStrictEqual(yield* body(response), {
          error: "invalid_grant",
          error_description: "The authorization code is not recognised"
        })
        assert.strictEqual(response.headers.pragma, "no-cache")
      })
    ))
})
