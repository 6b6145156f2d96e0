import { assert, describe, it } from "@effect/vitest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Either, Option, Redacted } from "effect"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Introspection from "../src/Introspection.js"
import * as Json from "../src/Json.js"
import { json, layerOf, makeRecorder, type Received } from "./routerClient.js"

const introspectionUrl = "https://auth.example.com/oauth/introspect"
const auth = ClientAuth.clientSecretBasic("orders-api", Redacted.make("s3cret"))
// a resource server has no token endpoint of its own
const endpoint = Endpoint.make({ introspectionUrl, auth })
const token = Redacted.make("opaque-token-value")

/** Runs `body` against an introspection endpoint answering every request with `answer`. */
const withEndpoint = <A, E, R>(
  answer: Effect.Effect<HttpServerResponse.HttpServerResponse>,
  body: (received: Effect.Effect<ReadonlyArray<Received>>) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const recorder = yield* makeRecorder
    const router = HttpRouter.empty.pipe(HttpRouter.post("/oauth/introspect", recorder.record(() => answer)))
    return yield* body(recorder.all).pipe(Effect.provide(layerOf(router)))
  })

describe("Introspection.introspect", () => {
  it.effect("posts the token and its hint, client-authenticated, and hands back the answer", () =>
    withEndpoint(json({ active: true, sub: "user-1", scope: "orders.read" }), (received) =>
      Effect.gen(function*() {
        const answer = yield* Introspection.introspect(endpoint, { token, tokenTypeHint: "access_token" })
        assert.isTrue(answer.active)
        assert.deepStrictEqual(answer.claims, { active: true, sub: "user-1", scope: "orders.read" })
        const [request] = yield* received
        assert.deepStrictEqual(request!.form, { token: "opaque-token-value", token_type_hint: "access_token" })
        assert.match(request!.headers["authorization"]!, /^Basic /)
      })))

  it.effect("an inactive token is an answer, not an error; no hint is sent unless given", () =>
    withEndpoint(json({ active: false }), (received) =>
      Effect.gen(function*() {
        const answer = yield* Introspection.introspect(endpoint, { token })
        assert.isFalse(answer.active)
        const [request] = yield* received
        assert.deepStrictEqual(request!.form, { token: "opaque-token-value" })
      })))

  it.effect("an answer without a boolean active is malformed", () =>
    withEndpoint(json({ active: "yes" }), () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Introspection.introspect(endpoint, { token }))
        assert.strictEqual(error._tag, "MalformedResponse")
        if (error._tag === "MalformedResponse") assert.strictEqual(error.field, "active")
      })))

  it.effect("an answer longer than maxResponseLength is malformed, and says so without quoting it", () =>
    withEndpoint(json({ active: true, padding: "x".repeat(200) }), () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Introspection.introspect(endpoint, { token, maxResponseLength: 100 }))
        assert.strictEqual(error._tag, "MalformedResponse")
        assert.include(error.message, "longer than 100 characters")
        assert.notInclude(error.message, "xxxx")
      })))

  it.effect("an error status is EndpointUnavailable; the token appears in no message", () =>
    withEndpoint(Effect.succeed(HttpServerResponse.text("down", { status: 503 })), () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Introspection.introspect(endpoint, { token }))
        assert.strictEqual(error._tag, "EndpointUnavailable")
        if (error._tag === "EndpointUnavailable") assert.deepStrictEqual(error.status, Option.some(503))
        assert.notInclude(String(error), "opaque-token-value")
      })))

  it.effect("an endpoint without an introspection URL fails before anything is sent", () =>
    withEndpoint(json({ active: true }), (received) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Introspection.introspect(Endpoint.make({ tokenUrl: "https://auth.example.com/token", auth }), { token })
        )
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        assert.include(error.message, "introspection URL")
        assert.strictEqual((yield* received).length, 0)
      })))
})

describe("Endpoint without a token URL", () => {
  it("has no token URL to hand out", () => {
    const url = Endpoint.url(endpoint, "token")
    assert.isTrue(Either.isLeft(url))
    if (Either.isLeft(url)) assert.include(url.left.reason, "set tokenUrl")
  })
})

describe("Endpoint.checkUrl", () => {
  it("accepts https and loopback http, and refuses the rest without quoting the URL", () => {
    assert.isTrue(Either.isRight(Endpoint.checkUrl("https://auth.example.com/jwks", { name: "JWKS URL" })))
    assert.isTrue(Either.isRight(Endpoint.checkUrl("http://127.0.0.1:8080/jwks", { name: "JWKS URL" })))
    assert.isTrue(Either.isRight(Endpoint.checkUrl("http://auth.internal/jwks", { name: "JWKS URL", allowInsecure: true })))
    const refused = Endpoint.checkUrl("https://user:pa55word@auth.example.com/jwks", { name: "JWKS URL" })
    assert.isTrue(Either.isLeft(refused))
    if (Either.isLeft(refused)) {
      assert.include(refused.left.reason, "JWKS URL")
      assert.notInclude(refused.left.reason, "pa55word")
    }
  })
})

describe("Json.parse", () => {
  it("parses within bounds and refuses, without quoting, what is too deep, too long or not JSON", () => {
    assert.deepStrictEqual(Json.parse("{\"keys\":[]}"), Either.right({ keys: [] }))
    const deep = Json.parse(`${"[".repeat(65)}${"]".repeat(65)}`)
    assert.isTrue(Either.isLeft(deep))
    if (Either.isLeft(deep)) assert.strictEqual(Json.describeFailure(deep.left), "nests deeper than 64 levels")
    assert.deepStrictEqual(Json.parse("[[1]]", { maxDepth: 1 }), Either.left({ _tag: "TooDeep", maxDepth: 1 }))
    assert.deepStrictEqual(Json.parse("\"secret\"", { maxLength: 3 }), Either.left({ _tag: "TooLarge", maxLength: 3 }))
    assert.deepStrictEqual(Json.parse("{secret"), Either.left({ _tag: "Syntax" }))
  })
})
