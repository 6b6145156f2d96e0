import { assert, describe, it } from "@effect/vitest"
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, FastCheck, Layer, Logger, Option, Redacted, Ref, Schema } from "effect"
import { ClientAuth } from "@grantflow/core"
import { timeBoundMs, timed } from "../../core/test/hostile.js"
import { json, layerOf } from "../../core/test/routerClient.js"
import * as bearerToken from "../src/internal/bearerToken.js"
import * as ResourceServer from "../src/ResourceServer.js"
import * as TokenVerifier from "../src/TokenVerifier.js"

const token = "good-token.v1"

const StaticLive = TokenVerifier.layer(
  TokenVerifier.staticToken({ current: Redacted.make(token), scopes: ["orders.read"], subject: "billing" })
)

const orders = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/orders",
    Effect.flatMap(ResourceServer.Caller, (verified) =>
      HttpServerResponse.json({ subject: Option.getOrNull(verified.subject), scopes: verified.scopes }))
  ),
  HttpRouter.post("/orders", Effect.as(ResourceServer.requireScopes("orders.write"), HttpServerResponse.empty({ status: 201 }))),
  ResourceServer.middleware({ realm: "orders" })
)

interface Answer {
  readonly status: number
  readonly challenge: string | null
  readonly body: string
}

const call = <E>(
  app: HttpApp.Default<E, TokenVerifier.TokenVerifier>,
  init: { readonly path?: string; readonly method?: string; readonly headers?: HeadersInit; readonly body?: string } = {}
): Effect.Effect<Answer, E, TokenVerifier.TokenVerifier> =>
  Effect.gen(function*() {
    const request = new Request(`http://orders.local${init.path ?? "/orders"}`, {
      method: init.method ?? "GET",
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body })
    })
    const response = yield* Effect.provideService(app, HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(request))
    const web = HttpServerResponse.toWeb(response)
    return { status: web.status, challenge: web.headers.get("www-authenticate"), body: yield* Effect.promise(() => web.text()) }
  })

const bearer = (value: string) => ({ authorization: `Bearer ${value}` })

describe("ResourceServer.middleware", () => {
  it.effect("runs the handler with the verified token", () =>
    Effect.gen(function*() {
      const answer = yield* call(orders, { headers: bearer(token) })
      assert.strictEqual(answer.status, 200)
      assert.deepStrictEqual(JSON.parse(answer.body), { subject: "billing", scopes: ["orders.read"] })
      // the scheme is case-insensitive, and several spaces may separate it from the token
      assert.strictEqual((yield* call(orders, { headers: { authorization: `bearer   ${token}` } })).status, 200)
    }).pipe(Effect.provide(StaticLive)))

  it.effect("answers a request without a token with a bare challenge (RFC 6750 §3.1)", () =>
    Effect.gen(function*() {
      for (const headers of [{}, { authorization: "Basic b3JkZXJzOnNlY3JldA==" }]) {
        const answer = yield* call(orders, { headers })
        assert.strictEqual(answer.status, 401)
        assert.strictEqual(answer.challenge, `Bearer realm="orders"`)
      }
    }).pipe(Effect.provide(StaticLive)))

  it.effect("answers malformed and duplicated Authorization headers with 400 invalid_request", () =>
    Effect.gen(function*() {
      const malformed = ["Bearer", "Bearer ", "Bearer a b", "Bearer tok!en", "Bearer\ttoken"]
      for (const authorization of malformed) {
        const answer = yield* call(orders, { headers: { authorization } })
        assert.strictEqual(answer.status, 400, authorization)
        assert.match(answer.challenge ?? "", /^Bearer realm="orders", error="invalid_request", error_description="[^"]+"$/)
      }
      // the fetch API joins repeated header lines with ", "
      const twice = yield* call(orders, { headers: [["authorization", `Bearer ${token}`], ["authorization", "Bearer other"]] })
      assert.strictEqual(twice.status, 400)
      assert.notInclude(twice.body, token)
    }).pipe(Effect.provide(StaticLive)))

  it.effect("answers a token that does not verify with 401 invalid_token, never echoing it", () =>
    Effect.gen(function*() {
      const answer = yield* call(orders, { headers: bearer("stolen-or-made-up") })
      assert.strictEqual(answer.status, 401)
      assert.strictEqual(
        answer.challenge,
        `Bearer realm="orders", error="invalid_token", error_description="The access token is not valid"`
      )
      assert.deepStrictEqual(JSON.parse(answer.body), {
        _tag: "InvalidToken",
        error_description: "The access token is not valid"
      })
    }).pipe(Effect.provide(StaticLive)))

  it.effect("answers a missing scope with 403 insufficient_scope and the scope required", () =>
    Effect.gen(function*() {
      const answer = yield* call(orders, { method: "POST", headers: bearer(token) })
      assert.strictEqual(answer.status, 403)
      assert.strictEqual(
        answer.challenge,
        `Bearer realm="orders", error="insufficient_scope", ` +
          `error_description="The access token lacks the scope this resource requires", scope="orders.write"`
      )
      const strict = HttpRouter.empty.pipe(
        HttpRouter.get("/orders", HttpServerResponse.text("ok")),
        ResourceServer.middleware({ scopes: ["orders.read", "orders.export"] })
      )
      const refused = yield* call(strict, { headers: bearer(token) })
      assert.strictEqual(refused.status, 403)
      assert.include(refused.challenge ?? "", `scope="orders.read orders.export"`)
    }).pipe(Effect.provide(StaticLive)))

  it.effect("reads the query and the form body only when enabled, and refuses a token sent two ways", () =>
    Effect.gen(function*() {
      const form = { "content-type": "application/x-www-form-urlencoded" }
      assert.strictEqual((yield* call(orders, { path: `/orders?access_token=${token}` })).status, 401)
      const lenient = HttpRouter.empty.pipe(
        HttpRouter.get("/orders", HttpServerResponse.text("ok")),
        HttpRouter.post("/orders", HttpServerResponse.text("ok")),
        ResourceServer.middleware({ allowQuery: true, allowForm: true })
      )
      assert.strictEqual((yield* call(lenient, { path: `/orders?access_token=${token}` })).status, 200)
      const posted = yield* call(lenient, { method: "POST", headers: form, body: `access_token=${token}&amount=3` })
      assert.strictEqual(posted.status, 200)
      const both = yield* call(lenient, { path: `/orders?access_token=${token}`, headers: bearer(token) })
      assert.strictEqual(both.status, 400)
      const repeated = yield* call(lenient, { path: `/orders?access_token=${token}&access_token=${token}` })
      assert.strictEqual(repeated.status, 400)
    }).pipe(Effect.provide(StaticLive)))

  it.effect("refuses an Authorization header or access_token parameter over the bound with 400, before verifying", () =>
    Effect.gen(function*() {
      const bound = ResourceServer.defaultMaxCredentialLength
      const description = (what: string) => `The ${what} is longer than ${bound} characters`
      const over = yield* call(orders, { headers: bearer("a".repeat(bound)) })
      assert.strictEqual(over.status, 400)
      assert.strictEqual(
        over.challenge,
        `Bearer realm="orders", error="invalid_request", error_description="${description("Authorization header")}"`
      )
      // at the bound, the token is read and verified (and refused: it is not the shared token)
      assert.strictEqual((yield* call(orders, { headers: bearer("a".repeat(bound - "Bearer ".length)) })).status, 401)

      const form = { "content-type": "application/x-www-form-urlencoded" }
      const lenient = HttpRouter.empty.pipe(
        HttpRouter.get("/orders", HttpServerResponse.text("ok")),
        HttpRouter.post("/orders", HttpServerResponse.text("ok")),
        ResourceServer.middleware({ allowQuery: true, allowForm: true })
      )
      const long = "a".repeat(bound + 1)
      const query = yield* call(lenient, { path: `/orders?access_token=${long}` })
      assert.strictEqual(query.status, 400)
      assert.include(query.challenge ?? "", description("access_token parameter"))
      const posted = yield* call(lenient, { method: "POST", headers: form, body: `access_token=${long}` })
      assert.strictEqual(posted.status, 400)

      // the bound is an option, for issuers whose tokens are longer
      const raised = HttpRouter.empty.pipe(
        HttpRouter.get("/orders", HttpServerResponse.text("ok")),
        ResourceServer.middleware({ maxCredentialLength: 2 * bound })
      )
      assert.strictEqual((yield* call(raised, { headers: bearer(long) })).status, 401)
    }).pipe(Effect.provide(StaticLive)))

  it.effect("fails closed with 503 when the verifier cannot reach the authorization server, logging no token", () =>
    Effect.gen(function*() {
      const logs = yield* Ref.make<ReadonlyArray<string>>([])
      const logger = Logger.make(({ annotations, message }) => {
        Effect.runSync(Ref.update(logs, (all) => [...all, `${String(message)} ${JSON.stringify([...annotations])}`]))
      })
      const router = HttpRouter.empty.pipe(
        HttpRouter.post("/introspect", json({ error: "temporarily_unavailable" }, 503))
      )
      const verifier = yield* TokenVerifier.introspection({
        introspectionUrl: "https://auth.example.com/introspect",
        auth: ClientAuth.clientSecretBasic("orders-api", Redacted.make("rs-secret"))
      }).pipe(Effect.provide(layerOf(router)))
      const answer = yield* call(orders, { headers: bearer("opaque-token-123") }).pipe(
        Effect.provideService(TokenVerifier.TokenVerifier, verifier),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      assert.strictEqual(answer.status, 503)
      assert.isNull(answer.challenge)
      const lines = yield* Ref.get(logs)
      assert.isTrue(lines.some((line) => line.includes("503")))
      assert.isTrue(lines.every((line) => !line.includes("opaque-token-123") && !line.includes("rs-secret")))
    }))

  it.effect("a JWKS endpoint that is down is EndpointUnavailable (jwks) for the verifier and a 503 for the caller", () =>
    Effect.gen(function*() {
      const router = HttpRouter.empty.pipe(HttpRouter.get("/jwks", json({ error: "unavailable" }, 503)))
      const verifier = yield* TokenVerifier.jwt({
        issuer: "https://auth.example.com",
        audience: "https://orders.example.com",
        jwksUri: "https://auth.example.com/jwks"
      }).pipe(Effect.provide(layerOf(router)))
      // a well-formed, unsigned-for-real JWS: the keys are needed before its signature is checked
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
      const jws = `${b64({ alg: "RS256", typ: "at+jwt", kid: "k1" })}.${b64({ sub: "user-1" })}.${b64("sig")}`
      const error = yield* Effect.flip(verifier.verify(Redacted.make(jws)))
      assert.strictEqual(error._tag, "EndpointUnavailable")
      if (error._tag === "EndpointUnavailable") {
        assert.strictEqual(error.endpoint, "jwks")
        assert.deepStrictEqual(error.status, Option.some(503))
      }
      const answer = yield* call(orders, { headers: bearer(jws) }).pipe(
        Effect.provideService(TokenVerifier.TokenVerifier, verifier)
      )
      assert.strictEqual(answer.status, 503)
      assert.isNull(answer.challenge)
      assert.deepStrictEqual(JSON.parse(answer.body), { _tag: "TemporarilyUnavailable" })
    }))

  it.effect("a misconfigured verifier fails closed with 503 too: InvalidTokenRequest, never a 401", () =>
    Effect.gen(function*() {
      const verifier = yield* TokenVerifier.introspection({
        introspectionUrl: "http://auth.example.com/introspect",
        auth: ClientAuth.clientSecretBasic("orders-api", Redacted.make("rs-secret"))
      }).pipe(Effect.provide(layerOf(HttpRouter.empty)))
      const error = yield* Effect.flip(verifier.verify(Redacted.make("opaque-token-123")))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      const answer = yield* call(orders, { headers: bearer("opaque-token-123") }).pipe(
        Effect.provideService(TokenVerifier.TokenVerifier, verifier)
      )
      assert.strictEqual(answer.status, 503)
      assert.isNull(answer.challenge)
      assert.deepStrictEqual(JSON.parse(answer.body), { _tag: "TemporarilyUnavailable" })
    }))
})

describe("the Authorization header parser", () => {
  const spaces = " ".repeat(16 * 1024)

  it("answers 16 KB of spaces within the time bound: refused over the bound, and a linear scan without it", () => {
    const refused = timed(() => bearerToken.parseHeader(spaces))
    assert.strictEqual(refused.result._tag, "Invalid")
    assert.isBelow(refused.ms, timeBoundMs)
    const unbounded: ReadonlyArray<readonly [string, bearerToken.Presented["_tag"]]> = [
      [spaces, "None"],
      [`Bearer ${spaces}`, "Invalid"],
      [`Bearer${spaces}token`, "Token"],
      [`${spaces}Bearer${spaces}token${spaces}`, "Token"],
      [`Bearer ${spaces}token!`, "Invalid"]
    ]
    for (const [value, expected] of unbounded) {
      const { ms, result } = timed(() => bearerToken.parseHeader(value, Number.POSITIVE_INFINITY))
      assert.strictEqual(result._tag, expected)
      assert.isBelow(ms, timeBoundMs)
    }
  })

  // pieces that make trims, scheme scans and the b64token pattern work hardest, repeated up to the bound
  const piece = FastCheck.constantFrom(" ", "\t", "Bearer", "bearer ", "Basic ", "a", "Z9", "-._~+/", "=", "==", ",", "!", "\u00ff")
  const header = FastCheck.tuple(
    FastCheck.array(piece, { maxLength: 6 }),
    FastCheck.array(piece, { minLength: 1, maxLength: 3 }),
    FastCheck.integer({ min: 0, max: bearerToken.defaultMaxLength }),
    FastCheck.array(piece, { maxLength: 6 })
  ).map(([prefix, unit, count, suffix]) =>
    (prefix.join("") + unit.join("").repeat(count) + suffix.join("")).slice(0, bearerToken.defaultMaxLength)
  )

  it.prop("answers any header up to the bound within the time bound", [header], ([value]) => {
    const { ms, result } = timed(() => bearerToken.parseHeader(value))
    assert.include(["None", "Token", "Invalid"], result._tag)
    assert.isBelow(ms, timeBoundMs, `a header of ${value.length} characters`)
  }, { fastCheck: { numRuns: 300 } })
})

class Orders extends HttpApiGroup.make("orders")
  .add(HttpApiEndpoint.get("list", "/orders").addSuccess(Schema.Struct({ subject: Schema.String })))
  .add(HttpApiEndpoint.post("create", "/orders").addSuccess(Schema.Void).addError(ResourceServer.InsufficientScope))
  .middleware(ResourceServer.Guard)
{}

class Api extends HttpApi.make("api").add(Orders) {}

const OrdersLive = HttpApiBuilder.group(Api, "orders", (handlers) =>
  handlers
    .handle("list", () =>
      Effect.map(ResourceServer.Caller, (verified) => ({ subject: Option.getOrElse(verified.subject, () => "") })))
    .handle("create", () => Effect.asVoid(ResourceServer.requireScopes("orders.write"))))

describe("ResourceServer.Guard (HttpApi)", () => {
  it.scoped("protects an HttpApi group with the same RFC 6750 answers", () =>
    Effect.gen(function*() {
      const { dispose, handler } = HttpApiBuilder.toWebHandler(
        Layer.mergeAll(
          HttpApiBuilder.api(Api).pipe(
            Layer.provide(OrdersLive),
            Layer.provide(ResourceServer.layerGuard({ realm: "orders" })),
            Layer.provide(StaticLive)
          ),
          HttpServer.layerContext
        )
      )
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const send = (method: string, headers: HeadersInit = {}) =>
        Effect.promise(async () => {
          const response = await handler(new Request("http://orders.local/orders", { method, headers }))
          return { status: response.status, challenge: response.headers.get("www-authenticate"), body: await response.text() }
        })

      const ok = yield* send("GET", bearer(token))
      assert.strictEqual(ok.status, 200)
      assert.deepStrictEqual(JSON.parse(ok.body), { subject: "billing" })

      const missing = yield* send("GET")
      assert.strictEqual(missing.status, 401)
      assert.strictEqual(missing.challenge, `Bearer realm="orders"`)

      const invalid = yield* send("GET", bearer("made-up"))
      assert.strictEqual(invalid.status, 401)
      assert.include(invalid.challenge ?? "", `error="invalid_token"`)

      // the platform's own bearer decoder would take "Basic …" apart; the request is read per RFC 6750
      const malformed = yield* send("GET", { authorization: "Bearer two tokens" })
      assert.strictEqual(malformed.status, 400)
      assert.include(malformed.challenge ?? "", `error="invalid_request"`)

      const forbidden = yield* send("POST", bearer(token))
      assert.strictEqual(forbidden.status, 403)
      assert.include(forbidden.challenge ?? "", `scope="orders.write"`)
    }))
})
