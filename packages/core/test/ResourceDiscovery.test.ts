import { assert, describe, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { AuthServer } from "@grantflow/testing"
import { Effect, Either, FastCheck, Option, Redacted, Ref, Schema, TestClock } from "effect"
import * as Discovery from "../src/Discovery.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import { json, layerOf, makeRecorder } from "./routerClient.js"
import { issuer, machine, withServer } from "./simServer.js"

const params = (header: string) =>
  Discovery.parseChallenges(header).map((challenge) => ({
    scheme: challenge.scheme,
    params: Object.fromEntries(challenge.params),
    token68: Option.getOrUndefined(challenge.token68)
  }))

describe("Discovery.parseChallenges", () => {
  it("reads the shapes servers send", () => {
    assert.deepStrictEqual(
      params(`Bearer realm="api", error="invalid_token", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"`),
      [{
        scheme: "bearer",
        params: {
          realm: "api",
          error: "invalid_token",
          resource_metadata: "https://api.example.com/.well-known/oauth-protected-resource"
        },
        token68: undefined
      }]
    )
    // several challenges, token and quoted values, spaces around "=", a list with empty items
    assert.deepStrictEqual(params(` , Basic realm="a, b" ,, Bearer  scope = "orders.read orders.write" , error=insufficient_scope`), [
      { scheme: "basic", params: { realm: "a, b" }, token68: undefined },
      { scheme: "bearer", params: { scope: "orders.read orders.write", error: "insufficient_scope" }, token68: undefined }
    ])
    // a token68 (with its padding), then a challenge with parameters
    assert.deepStrictEqual(params(`Negotiate YII+/w==, DPoP algs="ES256 PS256", Bearer`), [
      { scheme: "negotiate", params: {}, token68: "YII+/w==" },
      { scheme: "dpop", params: { algs: "ES256 PS256" }, token68: undefined },
      { scheme: "bearer", params: {}, token68: undefined }
    ])
    // names in lower case, the first of a repeated parameter, escapes removed
    assert.deepStrictEqual(params(`BEARER Realm="a \\"quoted\\" \\\\ realm", REALM="second", error_description="x\\y"`), [
      { scheme: "bearer", params: { realm: `a "quoted" \\ realm`, error_description: "xy" }, token68: undefined }
    ])
  })

  it("skips what it cannot read and keeps the rest", () => {
    // an unterminated quoted string ends the header: what came before is kept
    assert.deepStrictEqual(params(`Bearer error="invalid_token", resource_metadata="https://api.example.com`), [
      { scheme: "bearer", params: { error: "invalid_token" }, token68: undefined }
    ])
    // junk between items is skipped up to the next comma, quoted commas included
    assert.deepStrictEqual(params(`Bearer realm="api" junk "x,y" more, error="invalid_token", =oops, "lost", scope=a`), [
      { scheme: "bearer", params: { realm: "api", error: "invalid_token", scope: "a" }, token68: undefined }
    ])
    assert.deepStrictEqual(params(""), [])
    assert.deepStrictEqual(params(`"""`), [])
    assert.deepStrictEqual(params(`= , ,`), [])
  })

  it("reads at most 8 KiB, 16 challenges and 64 parameters of each, whatever the header", () => {
    const late = `Bearer realm="${"r".repeat(9000)}", resource_metadata="https://x"`
    assert.deepStrictEqual(params(late), [{ scheme: "bearer", params: {}, token68: undefined }])
    const many = Discovery.parseChallenges(Array.from({ length: 500 }, (_, i) => `S${i} a=b`).join(", "))
    assert.strictEqual(many.length, 16)
    const wide = Discovery.parseChallenges(`Bearer ${Array.from({ length: 500 }, (_, i) => `p${i}=v`).join(", ")}`)
    assert.strictEqual(wide[0]?.params.size, 64)
    // hostile headers end in one pass (the BearerAuth rules, which read through this parser, time it)
    for (
      const hostile of [
        "\"".repeat(1_000_000),
        `Bearer ${"a=\"\\".repeat(300_000)}`,
        `Bearer ${", ".repeat(500_000)}error="invalid_token"`,
        `Bearer ${"x".repeat(1_000_000)}=`,
        `${"Bearer ".repeat(200_000)}`
      ]
    ) {
      const challenges = Discovery.parseChallenges(hostile)
      assert.isAtMost(challenges.length, 16)
      assert.isFalse(challenges.some((challenge) => challenge.params.has("error")))
    }
  })

  it("gives back any value quoted as RFC 9110 says, and never throws", () => {
    const quote = (value: string) => `"${value.replace(/["\\]/g, "\\$&")}"`
    FastCheck.assert(
      FastCheck.property(FastCheck.string({ maxLength: 200 }), FastCheck.string({ maxLength: 200 }), (value, junk) => {
        const [first] = Discovery.parseChallenges(`Bearer resource_metadata=${quote(value)}, other=${quote(junk)}`)
        assert.strictEqual(first?.params.get("resource_metadata"), value)
        const any = Discovery.parseChallenges(junk)
        assert.isAtMost(any.length, 16)
      })
    )
  })
})

const decode = Schema.decodeUnknownSync(Discovery.ProtectedResourceMetadata)

describe("Discovery.ProtectedResourceMetadata", () => {
  it("decodes the wire names, with defaults for what is left out", () => {
    const metadata = decode({
      resource: "https://api.example.com",
      authorization_servers: ["https://auth.example.com"],
      scopes_supported: ["orders.read"],
      bearer_methods_supported: ["header"],
      dpop_signing_alg_values_supported: ["ES256"],
      dpop_bound_access_tokens_required: true,
      resource_documentation: "https://docs.example.com",
      vendor: { anything: 1 }
    })
    assert.deepStrictEqual(metadata.authorizationServers, ["https://auth.example.com"])
    assert.deepStrictEqual(metadata.dpopSigningAlgValuesSupported, ["ES256"])
    assert.isTrue(metadata.dpopBoundAccessTokensRequired)
    assert.deepStrictEqual(metadata.resourceDocumentation, Option.some("https://docs.example.com"))
    const bare = decode({ resource: "https://api.example.com" })
    assert.deepStrictEqual(
      [bare.authorizationServers, bare.scopesSupported, bare.dpopBoundAccessTokensRequired, bare.jwksUri],
      [[], [], false, Option.none()]
    )
  })
})

describe("Discovery.checkResourceMetadata", () => {
  const metadata = (resource: string) => decode({ resource, authorization_servers: ["https://auth.example.com"] })
  const check = (resource: string, expected: Discovery.ExpectedResource, allowInsecure = false) =>
    Either.match(Discovery.checkResourceMetadata(metadata(resource), expected, { allowInsecure }), {
      onLeft: (error) => error._tag,
      onRight: () => "ok"
    })

  it("asks an identifier the client knows to be exactly the metadata's resource", () => {
    assert.strictEqual(check("https://api.example.com/v1", { resource: "https://api.example.com/v1" }), "ok")
    assert.strictEqual(check("https://api.example.com/v1/", { resource: "https://api.example.com/v1" }), "ResourceMismatch")
    assert.strictEqual(check("https://API.example.com/v1", { resource: "https://api.example.com/v1" }), "ResourceMismatch")
  })

  it("asks the metadata's resource to cover the URL called: same origin, a path prefix at a segment", () => {
    assert.strictEqual(check("https://api.example.com/v1", { url: "https://api.example.com/v1/orders?page=2" }), "ok")
    assert.strictEqual(check("https://api.example.com/v1", { url: "https://api.example.com/v1" }), "ok")
    assert.strictEqual(check("https://api.example.com/v1/", { url: "https://api.example.com/v1/orders" }), "ok")
    assert.strictEqual(check("https://api.example.com", { url: "https://api.example.com/anything" }), "ok")
    assert.strictEqual(check("https://api.example.com/v1", { url: "https://api.example.com/v10/orders" }), "ResourceMismatch")
    assert.strictEqual(check("https://api.example.com/v1", { url: "https://api.example.com/" }), "ResourceMismatch")
    assert.strictEqual(check("https://evil.example.com/v1", { url: "https://api.example.com/v1" }), "ResourceMismatch")
    assert.strictEqual(check("https://api.example.com:8443/v1", { url: "https://api.example.com/v1" }), "ResourceMismatch")
    assert.strictEqual(check("https://api.example.com/v1?tenant=a", { url: "https://api.example.com/v1?tenant=a" }), "ok")
    assert.strictEqual(check("https://api.example.com/v1?tenant=a", { url: "https://api.example.com/v1?tenant=b" }), "ResourceMismatch")
  })

  it("refuses a resource on plain http: unless loopback or allowInsecure, and one that is not a URL", () => {
    assert.strictEqual(check("http://api.example.com", { url: "http://api.example.com/v1" }), "InvalidResource")
    assert.strictEqual(check("http://api.example.com", { url: "http://api.example.com/v1" }, true), "ok")
    assert.strictEqual(check("http://127.0.0.1:8080/api", { url: "http://127.0.0.1:8080/api/x" }), "ok")
    assert.strictEqual(check("api.example.com", { resource: "api.example.com" }), "InvalidResource")
    assert.strictEqual(check("https://api.example.com#frag", { url: "https://api.example.com" }), "InvalidResource")
    assert.strictEqual(check("https://api.example.com", { url: "http://api.example.com" }), "InvalidResource")
  })

  it("names the URL called without its query, and the server's text made printable", () => {
    const error = Discovery.checkResourceMetadata(
      metadata("https://evil.example.com/\u001b[2J"),
      { url: "https://api.example.com/v1?api_key=secret-key-value" }
    )
    assert.isTrue(Either.isLeft(error))
    if (Either.isLeft(error)) {
      assert.notInclude(error.left.message, "secret-key-value")
      assert.notInclude(error.left.message, "\u001b")
      assert.include(error.left.message, "https://api.example.com/v1")
      assert.isFalse(error.left.retryable)
    }
  })
})

describe("Discovery.resourceMetadataUrl", () => {
  it("inserts the well-known path between the host and the path (RFC 9728 §3.1)", () => {
    const url = (resource: string) => Discovery.resourceMetadataUrl(new URL(resource))
    assert.strictEqual(url("https://api.example.com"), "https://api.example.com/.well-known/oauth-protected-resource")
    assert.strictEqual(url("https://api.example.com/"), "https://api.example.com/.well-known/oauth-protected-resource")
    assert.strictEqual(url("https://api.example.com:8443/v1/"), "https://api.example.com:8443/.well-known/oauth-protected-resource/v1")
    assert.strictEqual(url("https://api.example.com/v1?t=a"), "https://api.example.com/.well-known/oauth-protected-resource/v1?t=a")
  })
})

const resource = "https://api.example.com/v1"
const wellKnown = "/.well-known/oauth-protected-resource/v1"
const asMetadata = {
  issuer: "https://auth.example.com",
  token_endpoint: "https://auth.example.com/token"
}

type Answer = Effect.Effect<HttpServerResponse.HttpServerResponse>

/** A resource at {@link resource} whose metadata answer a Ref holds, and its authorization server's metadata. */
const withResource = <A, E, R>(
  first: Answer,
  body: (server: {
    readonly set: (answer: Answer) => Effect.Effect<void>
    readonly count: (path: string) => Effect.Effect<number>
  }) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const recorder = yield* makeRecorder
    const answer = yield* Ref.make(first)
    const router = HttpRouter.empty.pipe(
      HttpRouter.get(wellKnown, recorder.record(() => Effect.flatten(Ref.get(answer)))),
      HttpRouter.get("/.well-known/oauth-protected-resource", recorder.record(() => json({ resource: "https://api.example.com" }))),
      HttpRouter.get("/.well-known/oauth-authorization-server", recorder.record(() => json(asMetadata)))
    )
    return yield* body({
      set: (next) => Ref.set(answer, next),
      count: (path) => Effect.map(recorder.at(path), (all) => all.length)
    }).pipe(Effect.provide(layerOf(router)))
  })

const good = json({ resource, authorization_servers: ["https://auth.example.com"] })
const challenge = (metadataUrl: string) => ({
  headers: { "www-authenticate": `Bearer realm="api", resource_metadata="${metadataUrl}"` }
})

describe("Discovery.fetchResource", () => {
  it.effect("reads the well-known document and checks its resource exactly", () =>
    withResource(good, ({ set }) =>
      Effect.gen(function*() {
        const metadata = yield* Discovery.fetchResource(resource)
        assert.deepStrictEqual(metadata.authorizationServers, ["https://auth.example.com"])
        assert.strictEqual((yield* Effect.flip(Discovery.fetchResource(`${resource}/`)))._tag, "ResourceMismatch")
        yield* set(json({ resource: "https://api.example.com" }))
        assert.strictEqual((yield* Effect.flip(Discovery.fetchResource(resource)))._tag, "ResourceMismatch")
        yield* set(json({ resource, authorization_servers: "https://auth.example.com" }))
        const wrongType = yield* Effect.flip(Discovery.fetchResource(resource))
        assert.strictEqual(wrongType._tag, "MalformedResponse")
        if (wrongType._tag === "MalformedResponse") {
          assert.deepStrictEqual([wrongType.endpoint, wrongType.field], ["resourceMetadata", "authorization_servers"])
          assert.include(wrongType.message, "RFC 9728")
        }
        yield* set(json({ authorization_servers: [] }))
        assert.strictEqual((yield* Effect.flip(Discovery.fetchResource(resource)))._tag, "MalformedResponse")
        yield* set(json("x".repeat(1024 * 1024 + 10)))
        const large = yield* Effect.flip(Discovery.fetchResource(resource))
        assert.strictEqual(large._tag === "MalformedResponse" ? large.reason : large._tag, "is larger than 1 MiB")
        yield* set(json({ error: "nope" }, 404))
        const missing = yield* Effect.flip(Discovery.fetchResource(resource))
        assert.strictEqual(missing._tag, "EndpointUnavailable")
        assert.include(missing.message, "the protected resource's metadata endpoint answered HTTP 404")
        assert.include(missing.message, "configure its authorization server by hand")
      })))

  it.effect("sends nothing for a resource that is not https: (unless loopback)", () =>
    withResource(good, ({ count }) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Discovery.fetchResource("http://api.example.com/v1"))
        assert.strictEqual(error._tag, "InvalidResource")
        assert.include(error.message, "must use https:")
        assert.strictEqual(yield* count(wellKnown), 0)
      })))
})

describe("Discovery.fromChallenge", () => {
  it.effect("follows resource_metadata, checks it covers the URL called, and discovers the first server", () =>
    withResource(good, () =>
      Effect.gen(function*() {
        const found = yield* Discovery.fromChallenge(
          challenge(`https://api.example.com${wellKnown}`),
          "https://api.example.com/v1/orders/7"
        )
        assert.strictEqual(found.resource.resource, resource)
        assert.strictEqual(found.authorizationServer.issuer, "https://auth.example.com")
        assert.deepStrictEqual(Option.map(found.challenge, (c) => c.params.get("realm")), Option.some("api"))
      })))

  it.effect("without a challenge naming it, tries the well-known URL under the path, then at the root", () =>
    withResource(json({}, 404), ({ count }) =>
      Effect.gen(function*() {
        // the root document names https://api.example.com, which covers every path, but no server
        const error = yield* Effect.flip(Discovery.fromChallenge({ headers: {} }, "https://api.example.com/v1"))
        assert.strictEqual(error._tag, "NoAuthorizationServer")
        assert.include(error.message, "lists no authorization server")
        assert.strictEqual(yield* count(wellKnown), 1)
        assert.strictEqual(yield* count("/.well-known/oauth-protected-resource"), 1)
      })))

  it.effect("gives the response's first challenge, with its scope, when none names the metadata", () =>
    withResource(good, ({ count }) =>
      Effect.gen(function*() {
        const found = yield* Discovery.fromChallenge(
          { headers: { "www-authenticate": `Bearer realm="api", scope="orders.read"` } },
          resource
        )
        assert.deepStrictEqual(Option.map(found.challenge, (c) => c.params.get("scope")), Option.some("orders.read"))
        assert.strictEqual(yield* count(wellKnown), 1)
      })))

  it.effect("refuses metadata for another resource, a resource_metadata URL on plain http:, and no accepted server", () =>
    withResource(good, ({ count, set }) =>
      Effect.gen(function*() {
        const elsewhere = yield* Effect.flip(
          Discovery.fromChallenge(challenge(`https://api.example.com${wellKnown}`), "https://api.example.com/v2/orders")
        )
        assert.strictEqual(elsewhere._tag, "ResourceMismatch")
        const insecure = yield* Effect.flip(
          Discovery.fromChallenge(challenge(`http://api.example.com${wellKnown}`), "https://api.example.com/v1")
        )
        assert.strictEqual(insecure._tag, "InvalidResource")
        assert.strictEqual(yield* count(wellKnown), 1)
        const refused = yield* Effect.flip(
          Discovery.fromChallenge(challenge(`https://api.example.com${wellKnown}`), "https://api.example.com/v1", {
            authorizationServer: (issuer) => issuer.startsWith("https://login.")
          })
        )
        assert.strictEqual(refused._tag, "NoAuthorizationServer")
        assert.include(refused.message, `lists only "https://auth.example.com"`)
        // the authorization server must be exactly its metadata's issuer
        yield* set(json({ resource, authorization_servers: ["https://auth.example.com/"] }))
        const mismatch = yield* Effect.flip(Discovery.fromChallenge(challenge(`https://api.example.com${wellKnown}`), resource))
        assert.strictEqual(mismatch._tag, "IssuerMismatch")
      })))
})

describe("Discovery service", () => {
  const service = Discovery.make({ ttl: "1 hour" })

  it.effect("caches resource documents and issuer metadata; a failure or a mismatch is never kept", () =>
    withResource(json({}, 503), ({ count, set }) =>
      Effect.gen(function*() {
        const discovery = yield* service
        const response = challenge(`https://api.example.com${wellKnown}`)
        assert.strictEqual((yield* Effect.flip(discovery.fromChallenge(response, resource)))._tag, "EndpointUnavailable")
        yield* set(json({ resource: "https://evil.example.com", authorization_servers: ["https://auth.example.com"] }))
        assert.strictEqual((yield* Effect.flip(discovery.fromChallenge(response, resource)))._tag, "ResourceMismatch")
        assert.strictEqual((yield* Effect.flip(discovery.resource(resource)))._tag, "ResourceMismatch")
        yield* set(good)
        yield* discovery.fromChallenge(response, `${resource}/orders`)
        yield* discovery.fromChallenge(response, `${resource}/invoices`)
        const known = yield* discovery.resource(resource)
        assert.strictEqual(known.resource, resource)
        // three failures, then one fetch for the three lookups that found it
        assert.strictEqual(yield* count(wellKnown), 4)
        assert.strictEqual(yield* count("/.well-known/oauth-authorization-server"), 1)
        // a cached document is still checked against each URL called
        yield* set(json({}, 500))
        const other = yield* Effect.flip(discovery.fromChallenge(response, "https://api.example.com/v2"))
        assert.strictEqual(other._tag, "ResourceMismatch")
        assert.strictEqual(yield* count(wellKnown), 4)
        yield* TestClock.adjust("61 minutes")
        assert.strictEqual((yield* Effect.flip(discovery.resource(resource)))._tag, "EndpointUnavailable")
        assert.strictEqual(yield* count(wellKnown), 5)
      })))
})

describe("discovery from a 401 of the simulated server", () => {
  const api = `${issuer}/api/orders`

  it.effect("401 → resource metadata → authorization server metadata → client credentials token → 200", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const client = yield* HttpClient.HttpClient
      const refused = yield* client.execute(HttpClientRequest.get(api))
      assert.strictEqual(refused.status, 401)
      const found = yield* Discovery.fromChallenge(refused, api)
      assert.strictEqual(found.resource.resource, `${issuer}/api`)
      assert.deepStrictEqual(found.resource.authorizationServers, [issuer])
      assert.deepStrictEqual(found.resource.bearerMethodsSupported, ["header", "query"])
      assert.strictEqual(found.authorizationServer.issuer, issuer)
      const endpoint = Endpoint.fromMetadata(found.authorizationServer, { auth: machine })
      const token = yield* Grant.clientCredentials(endpoint)
      const served = yield* client.execute(HttpClientRequest.get(api).pipe(HttpClientRequest.bearerToken(Redacted.value(token.token))))
      assert.strictEqual(served.status, 200)
      const endpoints = (yield* server.journal).map((entry) => `${entry.endpoint} ${entry.status}`)
      assert.deepStrictEqual(endpoints, ["api 401", "resource_metadata 200", "metadata 200", "token 200", "api 200"])
    })))

  it.effect("an invalid token's challenge names the metadata too; the service fetches each document once", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const client = yield* HttpClient.HttpClient
      const discovery = yield* Discovery.make({ ttl: "1 hour" })
      for (const path of ["orders", "invoices", "orders/7"]) {
        const url = `${issuer}/api/${path}`
        const refused = yield* client.execute(HttpClientRequest.get(url).pipe(HttpClientRequest.bearerToken("made-up")))
        assert.strictEqual(refused.status, 401)
        const found = yield* discovery.fromChallenge(refused, url)
        assert.strictEqual(Option.getOrUndefined(found.authorizationServer.tokenEndpoint), `${issuer}/token`)
        assert.deepStrictEqual(Option.flatMap(found.challenge, (c) => Option.fromNullable(c.params.get("error"))), Option.some("invalid_token"))
      }
      const journal = yield* server.journal
      assert.strictEqual(journal.filter((entry) => entry.endpoint === "resource_metadata").length, 1)
      assert.strictEqual(journal.filter((entry) => entry.endpoint === "metadata").length, 1)
    })))
})
