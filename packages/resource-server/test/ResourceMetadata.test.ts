/**
 * Protected resource metadata (RFC 9728) on the resource server's side: the
 * document it serves, the `resource_metadata` its challenges carry, and a
 * grantflow client that finds the authorization server from a 401 alone.
 */
import { assert, describe, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { ClientAuth, Discovery, Endpoint, Grant } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Either, Option, Redacted, Schema } from "effect"
import { createServer } from "node:http"
import * as ResourceServer from "../src/ResourceServer.js"
import * as TokenVerifier from "../src/TokenVerifier.js"

const resource = "https://api.example.com/orders"
const metadataUrl = "https://api.example.com/.well-known/oauth-protected-resource/orders"
const token = "good-token.v1"

const StaticLive = TokenVerifier.layer(
  TokenVerifier.staticToken({ current: Redacted.make(token), scopes: ["orders.read"] })
)

const serve = <E, R>(app: HttpApp.Default<E, R>, path: string, init: RequestInit = {}) =>
  Effect.gen(function*() {
    const request = HttpServerRequest.fromWeb(new Request(`https://api.example.com${path}`, init))
    const response = yield* Effect.provideService(app, HttpServerRequest.HttpServerRequest, request)
    const web = HttpServerResponse.toWeb(response)
    return { status: web.status, headers: web.headers, body: yield* Effect.promise(() => web.text()) }
  })

describe("ResourceServer.metadataRouter", () => {
  it("derives the document's URL from the resource identifier (RFC 9728 §3.1)", () => {
    assert.strictEqual(ResourceServer.metadataUrl(resource), metadataUrl)
    assert.strictEqual(
      ResourceServer.metadataUrl("https://api.example.com/"),
      "https://api.example.com/.well-known/oauth-protected-resource"
    )
    assert.throws(() => ResourceServer.metadataUrl("orders"))
  })

  it.effect("serves the document at the well-known path, which a grantflow client reads and accepts", () =>
    Effect.gen(function*() {
      const router = ResourceServer.metadataRouter({
        resource,
        authorizationServers: ["https://auth.example.com"],
        scopesSupported: ["orders.read", "orders.write"],
        resourceName: "Orders",
        dpopSigningAlgValuesSupported: ["ES256"]
      })
      const answer = yield* serve(router, "/.well-known/oauth-protected-resource/orders")
      assert.strictEqual(answer.status, 200)
      assert.strictEqual(answer.headers.get("content-type"), "application/json")
      assert.strictEqual(answer.headers.get("cache-control"), "public, max-age=3600")
      const body = JSON.parse(answer.body)
      assert.deepStrictEqual(body, {
        resource,
        authorization_servers: ["https://auth.example.com"],
        scopes_supported: ["orders.read", "orders.write"],
        bearer_methods_supported: ["header"],
        resource_name: "Orders",
        dpop_signing_alg_values_supported: ["ES256"]
      })
      const metadata = Schema.decodeUnknownSync(Discovery.ProtectedResourceMetadata)(body)
      assert.isTrue(Either.isRight(Discovery.checkResourceMetadata(metadata, { resource })))
      assert.isTrue(Either.isRight(Discovery.checkResourceMetadata(metadata, { url: `${resource}/42` })))
      const other = yield* Effect.flip(serve(router, "/.well-known/oauth-protected-resource"))
      assert.strictEqual(other._tag, "RouteNotFound")
    }))
})

describe("ResourceServer.middleware with resourceMetadata", () => {
  const orders = HttpRouter.empty.pipe(
    HttpRouter.get("/orders", HttpServerResponse.text("[]")),
    HttpRouter.post("/orders", Effect.as(ResourceServer.requireScopes("orders.write"), HttpServerResponse.empty({ status: 201 }))),
    ResourceServer.middleware({ realm: "orders", resourceMetadata: metadataUrl })
  )

  it.effect("names the metadata in every challenge, after the RFC 6750 parameters", () =>
    Effect.gen(function*() {
      const missing = yield* serve(orders, "/orders")
      assert.strictEqual(missing.status, 401)
      assert.strictEqual(missing.headers.get("www-authenticate"), `Bearer realm="orders", resource_metadata="${metadataUrl}"`)
      const invalid = yield* serve(orders, "/orders", { headers: { authorization: "Bearer made-up" } })
      assert.strictEqual(
        invalid.headers.get("www-authenticate"),
        `Bearer realm="orders", error="invalid_token", error_description="The access token is not valid", ` +
          `resource_metadata="${metadataUrl}"`
      )
      const malformed = yield* serve(orders, "/orders", { headers: { authorization: "Bearer a b" } })
      assert.strictEqual(malformed.status, 400)
      const scope = yield* serve(orders, "/orders", { method: "POST", headers: { authorization: `Bearer ${token}` } })
      assert.strictEqual(scope.status, 403)
      for (const answer of [missing, invalid, malformed, scope]) {
        const [bearer] = Discovery.parseChallenges(answer.headers.get("www-authenticate") ?? "")
        assert.strictEqual(bearer?.params.get("resource_metadata"), metadataUrl)
      }
      assert.strictEqual((yield* serve(orders, "/orders", { headers: { authorization: `Bearer ${token}` } })).status, 200)
    }).pipe(Effect.provide(StaticLive)))

  it("adds nothing to a 503, which has no challenge, and quotes the URL as a quoted-string", () => {
    const unavailable = ResourceServer.toResponse(new ResourceServer.TemporarilyUnavailable(), { resourceMetadata: metadataUrl })
    assert.isUndefined(unavailable.headers["www-authenticate"])
    const odd = ResourceServer.toResponse(new ResourceServer.MissingToken(), {
      resourceMetadata: new URL("https://api.example.com/.well-known/oauth-protected-resource/a\"b")
    })
    const [bearer] = Discovery.parseChallenges(odd.headers["www-authenticate"] ?? "")
    assert.strictEqual(bearer?.params.get("resource_metadata"), "https://api.example.com/.well-known/oauth-protected-resource/a%22b")
  })
})

describe("a client that knows only the API's URL, over loopback", () => {
  it.scopedLive("401 → resource metadata → authorization server → token → 200", () =>
    Effect.gen(function*() {
      const asHttp = yield* NodeHttpServer.make(() => createServer(), { port: 0, host: "127.0.0.1" })
      const issuer = `http://127.0.0.1:${(asHttp.address as HttpServer.TcpAddress).port}`
      const authServer = yield* AuthServer.make({
        issuer,
        accessTokenFormat: "jwt",
        audience: "orders",
        clients: [{ clientId: "billing", clientSecret: "billing-secret", scopes: ["orders.read"] }]
      })
      yield* asHttp.serve(authServer.app)

      const rsHttp = yield* NodeHttpServer.make(() => createServer(), { port: 0, host: "127.0.0.1" })
      const api = `http://127.0.0.1:${(rsHttp.address as HttpServer.TcpAddress).port}/orders`
      const verifier = yield* TokenVerifier.jwt({ issuer, audience: "orders" })
      const protectedOrders = HttpRouter.empty.pipe(
        HttpRouter.get("/", HttpServerResponse.text("[]")),
        ResourceServer.middleware({ resourceMetadata: ResourceServer.metadataUrl(api) })
      )
      const app = ResourceServer.metadataRouter({ resource: api, authorizationServers: [issuer] }).pipe(
        HttpRouter.mountApp("/orders", protectedOrders)
      )
      yield* rsHttp.serve(Effect.provideService(app, TokenVerifier.TokenVerifier, verifier))

      const client = yield* HttpClient.HttpClient
      const refused = yield* client.get(api)
      assert.strictEqual(refused.status, 401)
      const found = yield* Discovery.fromChallenge(refused, api)
      assert.strictEqual(found.resource.resource, api)
      const endpoint = Endpoint.fromMetadata(found.authorizationServer, {
        auth: ClientAuth.clientSecretBasic("billing", Redacted.make("billing-secret"))
      })
      const issued = yield* Grant.clientCredentials(endpoint)
      const served = yield* client.execute(
        HttpClientRequest.get(api).pipe(HttpClientRequest.bearerToken(Redacted.value(issued.token)))
      )
      assert.strictEqual(served.status, 200)
      assert.strictEqual(yield* served.text, "[]")
      assert.deepStrictEqual(Option.map(found.authorizationServer.tokenEndpoint, (url) => url.startsWith(issuer)), Option.some(true))
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
