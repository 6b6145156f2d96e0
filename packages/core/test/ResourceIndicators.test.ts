/**
 * Resource indicators (RFC 8707) sent by every grant and by the
 * authorization request, in the URL or pushed (RFC 9126), checked at the simulated server: the `aud` of the
 * token it issues is the resource the request named, and an unknown resource
 * is refused with `invalid_target`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { AuthorizationCode, ClientAuth, Endpoint, Grant, TokenError, TokenProvider } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Deferred, Effect, Fiber, Redacted, TestClock } from "effect"
import * as Jose from "jose"
import {
  auth,
  authorizeUrl,
  deviceGrant,
  endpoint,
  endpointOf,
  issuer,
  redirectUri,
  refreshTokenOf,
  withServer
} from "./simServer.js"

const orders = "https://orders.example.com"
const billing = "https://billing.example.com"
const options = { accessTokenFormat: "jwt" as const, resources: [orders, billing] }

/** The `aud` of a JWT access token. */
const audienceOf = (token: { readonly token: Redacted.Redacted<string> }) =>
  Jose.decodeJwt(Redacted.value(token.token)).aud

const run = <A, E, R>(self: Effect.Effect<A, E, R>) => withServer(self, options)

describe("resource indicators (RFC 8707)", () => {
  it.effect("client credentials: the token is for the resource asked for, the server's API otherwise", () =>
    run(Effect.gen(function*() {
      assert.strictEqual(audienceOf(yield* Grant.clientCredentials(endpoint, { resource: orders })), orders)
      assert.strictEqual(audienceOf(yield* Grant.clientCredentials(endpoint, { resource: billing })), billing)
      assert.strictEqual(audienceOf(yield* Grant.clientCredentials(endpoint)), `${issuer}/api`)
      // one resource parameter each (RFC 8707 §2): the token is for both
      assert.deepStrictEqual(
        audienceOf(yield* Grant.clientCredentials(endpoint, { resource: [orders, billing] })),
        [orders, billing]
      )
    })))

  it.effect("refresh token and refresh token flow send the resource", () =>
    run(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const granted = yield* server.grant("app")
      const refreshed = yield* Grant.refreshToken(endpoint, { refreshToken: granted.refreshToken!, resource: billing })
      assert.strictEqual(audienceOf(refreshed), billing)
      const fetch = yield* Grant.refreshTokenFlow(endpoint, { initial: refreshTokenOf(refreshed), resource: orders })
      assert.strictEqual(audienceOf(yield* fetch), orders)
    })))

  it.effect("the JWT bearer grant and token exchange send the resource", () =>
    run(Effect.gen(function*() {
      const bearer = yield* Grant.jwtBearer(endpoint, { assertion: Redacted.make("accepted-assertion"), resource: orders })
      assert.strictEqual(audienceOf(bearer), orders)
      const exchanged = yield* Grant.tokenExchange(endpoint, {
        subjectToken: Redacted.make("accepted-subject"),
        subjectTokenType: Grant.tokenTypes.accessToken,
        resource: billing
      })
      assert.strictEqual(audienceOf(exchanged.token), billing)
    })))

  it.effect("the device flow sends the resource with the device authorization request and each poll", () =>
    run(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const shown = yield* Deferred.make<string>()
      const fiber = yield* Effect.fork(Grant.deviceCode(endpoint, {
        resource: orders,
        onUserCode: ({ userCode }) => Deferred.succeed(shown, userCode)
      }))
      assert.isTrue(yield* server.decideDevice(yield* Deferred.await(shown), true))
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(audienceOf(yield* Fiber.join(fiber)), orders)
      const grants = (yield* server.journal).filter((entry) => entry.grantType === deviceGrant)
      assert.deepStrictEqual(grants.map((entry) => entry.status), [200])
    })))

  it.effect("the authorization request carries the resource, and the code exchange sends it again", () =>
    run(Effect.gen(function*() {
      const { pending, url } = yield* AuthorizationCode.start({
        authorizeUrl,
        clientId: "app",
        redirectUri,
        scopes: ["orders.read"],
        resource: [orders, billing]
      })
      assert.deepStrictEqual(url.searchParams.getAll("resource"), [orders, billing])
      assert.deepStrictEqual(pending.resource, [orders, billing])
      const response = yield* HttpClient.get(url)
      const callback = yield* AuthorizationCode.callback(pending, new URL(response.headers["location"]!))
      const token = yield* AuthorizationCode.exchange(endpoint, pending, callback)
      assert.deepStrictEqual(audienceOf(token), [orders, billing])
    })))

  it.effect("a pushed authorization request carries the resource; /par refuses an unknown one with invalid_target", () =>
    run(Effect.gen(function*() {
      const discovered = yield* Endpoint.discover(issuer, { auth })
      const request = { authorizeUrl, clientId: "app", redirectUri, scopes: ["orders.read"] }
      const pushed = yield* AuthorizationCode.push(discovered, { ...request, resource: [orders, billing] })
      assert.deepStrictEqual([...pushed.url.searchParams.keys()], ["client_id", "request_uri"])
      assert.deepStrictEqual(pushed.pending.resource, [orders, billing])
      const response = yield* HttpClient.get(pushed.url)
      const callback = yield* AuthorizationCode.callback(pushed.pending, new URL(response.headers["location"]!))
      const token = yield* AuthorizationCode.exchange(discovered, pushed.pending, callback)
      assert.deepStrictEqual(audienceOf(token), [orders, billing])

      const error = yield* Effect.flip(
        AuthorizationCode.push(discovered, { ...request, resource: [orders, "https://unknown.example.com"] })
      )
      assert.instanceOf(error, TokenError.OAuthError)
      const refused = error as TokenError.OAuthError
      assert.deepStrictEqual([refused.error, refused.endpoint], ["invalid_target", "pushedAuthorization"])
    })))

  it.effect("start refuses a resource set through extraParams: it sets the parameter itself", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AuthorizationCode.start({
        authorizeUrl,
        clientId: "app",
        redirectUri,
        extraParams: { resource: orders }
      }))
      assert.strictEqual(error._tag, "InvalidAuthorizationRequest")
    }))

  it.effect("an unknown resource is invalid_target, at the token endpoint and at /authorize", () =>
    run(Effect.gen(function*() {
      const error = yield* Effect.flip(Grant.clientCredentials(endpoint, { resource: "https://unknown.example.com" }))
      assert.instanceOf(error, TokenError.OAuthError)
      assert.strictEqual((error as TokenError.OAuthError).error, "invalid_target")
      assert.isFalse(error.retryable)

      const { pending, url } = yield* AuthorizationCode.start({
        authorizeUrl,
        clientId: "app",
        redirectUri,
        resource: "https://unknown.example.com"
      })
      const response = yield* HttpClient.get(url)
      const failed = yield* Effect.flip(AuthorizationCode.callback(pending, new URL(response.headers["location"]!)))
      assert.strictEqual(failed._tag, "AuthorizationFailed")
      assert.strictEqual((failed as AuthorizationCode.AuthorizationFailed).error, "invalid_target")
      assert.include(failed.message, "\"invalid_target\"")
    })))

  it.scoped("audience-restricted tokens: one provider per resource, each caching its own token", () =>
    run(Effect.gen(function*() {
      const machine = endpointOf(ClientAuth.clientSecretBasic("machine", Redacted.make("machine-secret")))
      const forOrders = yield* TokenProvider.make(Grant.clientCredentials(machine, { resource: orders }))
      const forBilling = yield* TokenProvider.make(Grant.clientCredentials(machine, { resource: billing }))
      assert.strictEqual(audienceOf(yield* forOrders.get), orders)
      assert.strictEqual(audienceOf(yield* forBilling.get), billing)
      assert.strictEqual(audienceOf(yield* forOrders.get), orders)
      const server = yield* AuthServer.AuthServer
      assert.strictEqual(yield* server.issued, 2)
    })))
})
