/**
 * Pushed authorization requests (RFC 9126): the pure reading of the
 * endpoint's answer, and the flow against the simulated server — push,
 * authorize with the request_uri, callback, exchange — with a server that
 * requires it, an expired or reused request_uri, and a wrong client
 * authentication.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { AuthorizationCode, ClientAuth, Endpoint, TokenError } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Duration, Effect, Either, Option, Redacted, TestClock } from "effect"
import * as authorizationCode from "../src/internal/authorizationCode.js"
import type * as tokenRequest from "../src/internal/tokenRequest.js"
import {
  assertShowsNone,
  auth,
  authorizeUrl,
  issuer,
  redirectUri,
  secret,
  secrets,
  tokenUrl,
  withServer,
  wrongSecret
} from "./simServer.js"

const requestUri = "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c"

const answer = (body: unknown, status = 201, raw?: string): tokenRequest.RawResponse => ({
  status,
  contentType: "application/json",
  body: Option.some(raw ?? JSON.stringify(body)),
  retryAfter: Option.none()
})

const malformedField = (response: tokenRequest.RawResponse): string => {
  const result = authorizationCode.interpretPushed(response)
  assert.isTrue(Either.isLeft(result))
  const error = Either.getLeft(result).pipe(Option.getOrThrow)
  assert.strictEqual(error._tag, "MalformedResponse")
  assert.strictEqual(error.endpoint, "pushedAuthorization")
  return error._tag === "MalformedResponse" ? error.field : ""
}

describe("the pushed authorization response, read apart from the transport", () => {
  it("201 Created (RFC 9126 §2.2) and 200 give the request_uri and its lifetime", () => {
    for (const status of [201, 200]) {
      const pushed = authorizationCode.interpretPushed(answer({ request_uri: requestUri, expires_in: 60 }, status))
      assert.deepStrictEqual(Either.getOrThrow(pushed), { requestUri, expiresIn: Duration.seconds(60) })
    }
    const asString = authorizationCode.interpretPushed(answer({ request_uri: requestUri, expires_in: "90" }))
    assert.deepStrictEqual(Either.map(asString, (pushed) => pushed.expiresIn), Either.right(Duration.seconds(90)))
  })

  it("a missing, empty, oversized or control-character request_uri is a MalformedResponse naming it", () => {
    for (const request_uri of [undefined, "", 42, "x".repeat(authorizationCode.maxRequestUriLength + 1), "urn:a\nb"]) {
      assert.strictEqual(malformedField(answer({ request_uri, expires_in: 60 })), "request_uri")
    }
  })

  it("a missing, zero, negative or non-numeric expires_in is a MalformedResponse naming it", () => {
    for (const expires_in of [undefined, 0, -5, "soon", "1e400", null]) {
      assert.strictEqual(malformedField(answer({ request_uri: requestUri, expires_in })), "expires_in")
    }
  })

  it("a body over 1 MiB, or not a JSON object, is a MalformedResponse", () => {
    assert.strictEqual(malformedField({ ...answer({}), body: Option.none() }), "body")
    assert.strictEqual(malformedField(answer(undefined, 201, "<html>created</html>")), "body")
    assert.strictEqual(malformedField(answer(["urn:x"])), "body")
  })

  it("an OAuth error body is an OAuthError of the pushedAuthorization endpoint; a bare 503 EndpointUnavailable", () => {
    const refused = authorizationCode.interpretPushed(
      answer({ error: "invalid_request", error_description: "redirect_uri not registered" }, 400)
    )
    const error = Option.getOrThrow(Either.getLeft(refused))
    assert.strictEqual(error._tag, "OAuthError")
    if (error._tag === "OAuthError") {
      assert.strictEqual(error.endpoint, "pushedAuthorization")
      assert.strictEqual(error.error, "invalid_request")
      assert.include(error.message, "the pushed authorization request endpoint")
    }
    // an error in a 2xx body is an error all the same
    const sneaky = authorizationCode.interpretPushed(answer({ error: "invalid_client" }, 200))
    assert.strictEqual(Option.getOrThrow(Either.getLeft(sneaky))._tag, "OAuthError")
    const down = authorizationCode.interpretPushed({ ...answer(undefined, 503, "down"), contentType: "text/plain" })
    const unavailable = Option.getOrThrow(Either.getLeft(down))
    assert.strictEqual(unavailable._tag, "EndpointUnavailable")
    assert.isTrue(unavailable.retryable)
  })
})

/** The server's endpoints as the client discovers them, for `client`. */
const discovered = (client: ClientAuth.ClientAuth = auth) => Endpoint.discover(issuer, { auth: client })

const pushOptions = { authorizeUrl, clientId: "app", redirectUri, scopes: ["orders.read"], nonce: true }

/** Sends the browser to `url`: the Location the server redirects it to. */
const follow = (url: URL) =>
  Effect.gen(function*() {
    const response = yield* HttpClient.get(url)
    assert.strictEqual(response.status, 302)
    return new URL(response.headers["location"] ?? assert.fail("no Location"))
  })

const callbackOptions = { issuer, issuerRequired: true } as const

describe("AuthorizationCode.push against the simulated server", () => {
  it.effect("push → authorize with client_id and request_uri only → callback → exchange", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const endpoint = yield* discovered()
      assert.isFalse(endpoint.requirePushedAuthorizationRequests)
      const pushed = yield* AuthorizationCode.push(endpoint, pushOptions)
      assert.deepStrictEqual([...pushed.url.searchParams.keys()], ["client_id", "request_uri"])
      assert.strictEqual(pushed.url.searchParams.get("request_uri"), pushed.requestUri)
      assert.strictEqual(`${pushed.url.origin}${pushed.url.pathname}`, authorizeUrl)
      assert.deepStrictEqual(pushed.expiresIn, Duration.seconds(60))

      const result = yield* AuthorizationCode.callback(pushed.pending, yield* follow(pushed.url), callbackOptions)
      const token = yield* AuthorizationCode.exchange(endpoint, pushed.pending, result)
      assert.deepStrictEqual(token.scopes, ["orders.read"])

      // the pushed request carried the redirect URI, the scopes, the nonce and the S256 challenge
      const [code] = yield* server.codes
      assert.deepStrictEqual(
        [code?.redirectUri, code?.scopes, code?.nonce, code?.codeChallengeMethod],
        [redirectUri, ["orders.read"], Option.getOrThrow(pushed.pending.nonce), "S256"]
      )
      const journal = yield* server.journal
      const par = journal.find((entry) => entry.endpoint === "par")
      assert.deepStrictEqual([par?.method, par?.status, par?.clientId], ["POST", 201, "app"])
    })))

  it.effect("a server whose metadata requires PAR refuses a plain start, and takes a push", () =>
    withServer(
      Effect.gen(function*() {
        const endpoint = yield* discovered()
        assert.isTrue(endpoint.requirePushedAuthorizationRequests)
        const plain = yield* AuthorizationCode.start(pushOptions)
        const refused = AuthorizationCode.callback(plain.pending, yield* follow(plain.url), callbackOptions)
        assert.strictEqual(Either.isLeft(refused) && refused.left._tag === "AuthorizationFailed" && refused.left.error, "invalid_request")

        const pushed = yield* AuthorizationCode.push(endpoint, pushOptions)
        const result = yield* AuthorizationCode.callback(pushed.pending, yield* follow(pushed.url), callbackOptions)
        yield* AuthorizationCode.exchange(endpoint, pushed.pending, result)
      }),
      { requirePushedAuthorizationRequests: true }
    ))

  it.effect("an endpoint without a PAR URL fails before anything is sent, saying why", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const required = Endpoint.make({ tokenUrl, auth, requirePushedAuthorizationRequests: true })
      const error = yield* Effect.flip(AuthorizationCode.push(required, pushOptions))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.include(error.message, "requires pushed authorization requests")
      assert.include(error.message, "pushedAuthorizationUrl")
      const optional = yield* Effect.flip(AuthorizationCode.push(Endpoint.make({ tokenUrl, auth }), pushOptions))
      assert.include(optional.message, "has no pushed authorization request URL")
      assert.deepStrictEqual(yield* server.journal, [])
    })))

  it.effect("an expired request_uri comes back as invalid_request_uri", () =>
    withServer(Effect.gen(function*() {
      const pushed = yield* AuthorizationCode.push(yield* discovered(), pushOptions)
      yield* TestClock.adjust(pushed.expiresIn)
      const result = AuthorizationCode.callback(pushed.pending, yield* follow(pushed.url), callbackOptions)
      assert.isTrue(Either.isLeft(result))
      const error = Either.getLeft(result).pipe(Option.getOrThrow)
      assert.strictEqual(error._tag === "AuthorizationFailed" ? error.error : error._tag, "invalid_request_uri")
    }), { pushedRequestLifetime: "30 seconds" }))

  it.effect("a reused request_uri comes back as invalid_request_uri; the first use still yields its token", () =>
    withServer(Effect.gen(function*() {
      const endpoint = yield* discovered()
      const pushed = yield* AuthorizationCode.push(endpoint, pushOptions)
      const first = yield* follow(pushed.url)
      const second = AuthorizationCode.callback(pushed.pending, yield* follow(pushed.url), callbackOptions)
      assert.strictEqual(
        Either.isLeft(second) && second.left._tag === "AuthorizationFailed" && second.left.error,
        "invalid_request_uri"
      )
      const result = yield* AuthorizationCode.callback(pushed.pending, first, callbackOptions)
      yield* AuthorizationCode.exchange(endpoint, pushed.pending, result)
    })))

  it.effect("a wrong client secret is an OAuthError of the PAR endpoint that shows no secret", () =>
    withServer(Effect.gen(function*() {
      const error = yield* Effect.flip(AuthorizationCode.push(yield* discovered(wrongSecret), pushOptions))
      assert.strictEqual(error._tag, "OAuthError")
      if (error instanceof TokenError.OAuthError) {
        assert.strictEqual(error.endpoint, "pushedAuthorization")
        assert.strictEqual(error.error, "invalid_client")
        assert.isFalse(error.retryable)
        assertShowsNone(error, [...secrets, "not the secret"])
      }
    })))

  it.effect("client_secret_post and a public client push too; the endpoint must be for the request's client id", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const post = yield* discovered(ClientAuth.clientSecretPost("app", Redacted.make(secret)))
      const pushed = yield* AuthorizationCode.push(post, pushOptions)
      const result = yield* AuthorizationCode.callback(pushed.pending, yield* follow(pushed.url), callbackOptions)
      yield* AuthorizationCode.exchange(post, pushed.pending, result)

      const spa = yield* discovered(ClientAuth.none("spa"))
      const spaPushed = yield* AuthorizationCode.push(spa, { ...pushOptions, clientId: "spa", scopes: [] })
      assert.isString((yield* follow(spaPushed.url)).searchParams.get("code"))

      yield* server.clearJournal
      const mismatch = yield* Effect.flip(AuthorizationCode.push(spa, pushOptions))
      assert.strictEqual(mismatch._tag, "InvalidTokenRequest")
      assert.deepStrictEqual(yield* server.journal, [])
    }), { clients: [{ clientId: "spa", public: true, redirectUris: [redirectUri] }, { clientId: "app", clientSecret: secret, grants: ["authorization_code"], redirectUris: [redirectUri], scopes: ["orders.read"] }] }))
})
