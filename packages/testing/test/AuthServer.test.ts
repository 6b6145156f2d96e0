import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, FastCheck, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import * as AuthServer from "../src/AuthServer.js"

const clients: AuthServer.Options["clients"] = [
  { clientId: "crm", clientSecret: "s3cret", scopes: ["crm.read", "crm.write"] },
  { clientId: "free", clientSecret: "free-secret" },
  { clientId: "basic-only", clientSecret: "b", authMethods: ["client_secret_basic"] },
  { clientId: "post-only", clientSecret: "p", authMethods: ["client_secret_post"] },
  { clientId: "we:ird %id+ é", clientSecret: "p:a%2Bs+s wörd ✓", scopes: [] }
]

const serverLayer = (options: Partial<AuthServer.Options> = {}) =>
  AuthServer.layerClient.pipe(
    Layer.provideMerge(AuthServer.layer({ clients, tokenLifetime: "10 minutes", ...options }))
  )

// the default issuer's API metadata (RFC 9728), which every challenge of the API names
const resourceMetadata = "http://127.0.0.1/.well-known/oauth-protected-resource/api"

/** A fresh server and its in-memory client for each test. */
const withServer = <A, E>(
  self: Effect.Effect<A, E, AuthServer.AuthServer | HttpClient.HttpClient>,
  options?: Partial<AuthServer.Options>
) => Effect.provide(self, serverLayer(options))

// application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks before base64
const formEncode = (s: string) => new URLSearchParams({ s }).toString().slice(2)
const basic = (clientId: string, clientSecret: string) =>
  `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(request))

const tokenRequest = (params: Record<string, string>, headers: Record<string, string> = {}) =>
  send(
    HttpClientRequest.post("/token").pipe(
      HttpClientRequest.bodyUrlParams(params),
      HttpClientRequest.setHeaders(headers)
    )
  )

const basicToken = (clientId: string, clientSecret: string, params: Record<string, string> = {}) =>
  tokenRequest({ grant_type: "client_credentials", ...params }, { authorization: basic(clientId, clientSecret) })

const postToken = (clientId: string, clientSecret: string, params: Record<string, string> = {}) =>
  tokenRequest({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, ...params })

interface TokenBody {
  readonly access_token: string
  readonly token_type: string
  readonly expires_in: number
  readonly scope?: string
}

const body = <A = Record<string, unknown>>(response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.json, (json) => json as A)

const accessToken = (response: Effect.Effect<HttpClientResponse.HttpClientResponse, unknown, HttpClient.HttpClient>) =>
  response.pipe(
    Effect.flatMap((r) => body<TokenBody>(r)),
    Effect.map((json) => json.access_token)
  )

const callApi = (token: string | undefined, path = "/api/things", method: "GET" | "POST" | "PUT" | "DELETE" = "GET") =>
  send(
    HttpClientRequest.make(method)(`https://api.example.com${path}`).pipe(
      token === undefined ? (r) => r : HttpClientRequest.bearerToken(token)
    )
  )

describe("AuthServer", () => {
  describe("token endpoint", () => {
    it.effect("issues a token to a client authenticated with HTTP Basic", () =>
      withServer(Effect.gen(function*() {
        const response = yield* basicToken("crm", "s3cret")
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.headers["cache-control"], "no-store")
        assert.match(response.headers["content-type"] ?? "", /^application\/json/)
        const json = yield* body<TokenBody>(response)
        assert.match(json.access_token, /^[\w-]{43}$/)
        assert.strictEqual(json.token_type, "Bearer")
        assert.strictEqual(json.expires_in, 600)
        assert.strictEqual(json.scope, "crm.read crm.write")
        const server = yield* AuthServer.AuthServer
        assert.strictEqual(yield* server.issued, 1)
      })))

    it.effect("issues a token to a client authenticated in the body", () =>
      withServer(Effect.gen(function*() {
        const response = yield* postToken("post-only", "p")
        assert.strictEqual(response.status, 200)
        const json = yield* body<TokenBody>(response)
        assert.isAbove(json.access_token.length, 0)
        assert.isUndefined(json.scope)
        const server = yield* AuthServer.AuthServer
        const [token] = yield* server.tokens
        assert.deepStrictEqual(token, {
          id: "t1",
          clientId: "post-only",
          scopes: [],
          issuedAt: 0,
          expiresAt: 600_000,
          revoked: false
        })
      })))

    it.effect("form-decodes Basic credentials with ':', '%', '+', spaces and non-ASCII", () =>
      withServer(Effect.gen(function*() {
        const viaBasic = yield* basicToken("we:ird %id+ é", "p:a%2Bs+s wörd ✓")
        assert.strictEqual(viaBasic.status, 200)
        const viaPost = yield* postToken("we:ird %id+ é", "p:a%2Bs+s wörd ✓")
        assert.strictEqual(viaPost.status, 200)
        const server = yield* AuthServer.AuthServer
        const journal = yield* server.journal
        assert.deepStrictEqual(journal.map((entry) => entry.clientId), ["we:ird %id+ é", "we:ird %id+ é"])
      })))

    it.effect("rejects Basic credentials that were not form-encoded before base64", () =>
      withServer(Effect.gen(function*() {
        // a raw '+' decodes as a space, so the secret no longer matches
        const raw = yield* tokenRequest(
          { grant_type: "client_credentials" },
          { authorization: `Basic ${btoa("free:free+secret")}` }
        )
        assert.strictEqual(raw.status, 401)
        const malformed = yield* tokenRequest(
          { grant_type: "client_credentials" },
          { authorization: `Basic ${btoa("free:100%")}` }
        )
        assert.strictEqual(malformed.status, 401)
        assert.deepStrictEqual((yield* body(malformed)).error, "invalid_client")
      }), {
        clients: [{ clientId: "free", clientSecret: "free+secret" }]
      }))

    it.effect.prop(
      "authenticates any id and secret by either method",
      [FastCheck.string({ minLength: 1, unit: "grapheme" }), FastCheck.string({ unit: "grapheme" })],
      ([clientId, clientSecret]) =>
        withServer(
          Effect.gen(function*() {
            const statuses = [
              (yield* basicToken(clientId, clientSecret)).status,
              (yield* postToken(clientId, clientSecret)).status,
              (yield* basicToken(clientId, `${clientSecret}x`)).status
            ]
            assert.deepStrictEqual(statuses, [200, 200, 401])
          }),
          { clients: [{ clientId, clientSecret }] }
        ),
      { fastCheck: { numRuns: 200, examples: [[" ", ""], ["a:b", ":%+ é"], ["%41", "+"]] } }
    )

    it.effect("answers invalid_client for wrong or missing credentials", () =>
      withServer(Effect.gen(function*() {
        const wrongBasic = yield* basicToken("crm", "nope")
        assert.strictEqual(wrongBasic.status, 401)
        assert.strictEqual(wrongBasic.headers["www-authenticate"], `Basic realm="grantflow-sim"`)
        assert.strictEqual(wrongBasic.headers["cache-control"], "no-store")
        assert.deepStrictEqual(Object.keys(yield* body(wrongBasic)).sort(), ["error", "error_description"])
        assert.strictEqual((yield* body(wrongBasic)).error, "invalid_client")

        const wrongPost = yield* postToken("crm", "nope")
        assert.strictEqual(wrongPost.status, 401)
        assert.isUndefined(wrongPost.headers["www-authenticate"])
        assert.strictEqual((yield* body(wrongPost)).error, "invalid_client")

        const unknown = yield* postToken("nobody", "s3cret")
        assert.strictEqual(unknown.status, 401)

        const missing = yield* tokenRequest({ grant_type: "client_credentials" })
        assert.strictEqual(missing.status, 401)
        assert.strictEqual((yield* body(missing)).error, "invalid_client")

        const notBasic = yield* tokenRequest({ grant_type: "client_credentials" }, { authorization: "Bearer x" })
        assert.strictEqual(notBasic.status, 401)
        assert.strictEqual(notBasic.headers["www-authenticate"], `Basic realm="grantflow-sim"`)

        const server = yield* AuthServer.AuthServer
        assert.strictEqual(yield* server.issued, 0)
      })))

    it.effect("holds each client to its authentication methods", () =>
      withServer(Effect.gen(function*() {
        assert.strictEqual((yield* postToken("basic-only", "b")).status, 401)
        assert.strictEqual((yield* basicToken("basic-only", "b")).status, 200)
        assert.strictEqual((yield* basicToken("post-only", "p")).status, 401)
        assert.strictEqual((yield* postToken("post-only", "p")).status, 200)
      })))

    it.effect("answers invalid_request to a client using two authentication methods", () =>
      withServer(Effect.gen(function*() {
        const both = yield* tokenRequest(
          { grant_type: "client_credentials", client_id: "crm", client_secret: "s3cret" },
          { authorization: basic("crm", "s3cret") }
        )
        assert.strictEqual(both.status, 400)
        assert.strictEqual((yield* body(both)).error, "invalid_request")
        // naming the same client in the body as well is not a second method
        const idToo = yield* basicToken("crm", "s3cret", { client_id: "crm" })
        assert.strictEqual(idToo.status, 200)
      })))

    it.effect("answers unsupported_grant_type and invalid_request for bad requests", () =>
      withServer(Effect.gen(function*() {
        const password = yield* tokenRequest(
          { grant_type: "password", username: "u", password: "p" },
          { authorization: basic("crm", "s3cret") }
        )
        assert.strictEqual(password.status, 400)
        assert.strictEqual((yield* body(password)).error, "unsupported_grant_type")

        const noGrant = yield* tokenRequest({}, { authorization: basic("crm", "s3cret") })
        assert.strictEqual((yield* body(noGrant)).error, "invalid_request")

        const twice = yield* send(
          HttpClientRequest.post("/token").pipe(
            HttpClientRequest.bodyUrlParams([
              ["grant_type", "client_credentials"],
              ["grant_type", "client_credentials"]
            ]),
            HttpClientRequest.setHeader("authorization", basic("crm", "s3cret"))
          )
        )
        assert.strictEqual((yield* body(twice)).error, "invalid_request")

        const asJson = yield* send(
          HttpClientRequest.post("/token").pipe(
            HttpClientRequest.bodyUnsafeJson({ grant_type: "client_credentials" }),
            HttpClientRequest.setHeader("authorization", basic("crm", "s3cret"))
          )
        )
        assert.strictEqual(asJson.status, 400)
        assert.strictEqual((yield* body(asJson)).error, "invalid_request")

        const get = yield* send(HttpClientRequest.get("/token"))
        assert.strictEqual(get.status, 405)
        assert.strictEqual(get.headers["allow"], "POST")
      })))

    it.effect("grants the requested scopes within the client's scopes", () =>
      withServer(Effect.gen(function*() {
        const read = yield* body<TokenBody>(yield* basicToken("crm", "s3cret", { scope: "crm.read" }))
        assert.strictEqual(read.scope, "crm.read")

        const tooMuch = yield* basicToken("crm", "s3cret", { scope: "crm.read admin" })
        assert.strictEqual(tooMuch.status, 400)
        assert.strictEqual((yield* body(tooMuch)).error, "invalid_scope")

        const anything = yield* body<TokenBody>(yield* postToken("free", "free-secret", { scope: "a b a" }))
        assert.strictEqual(anything.scope, "a b")
      })))

    it.effect("issues tokens with the lifetime set last", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        yield* server.setTokenLifetime("90 seconds")
        const json = yield* body<TokenBody>(yield* basicToken("crm", "s3cret"))
        assert.strictEqual(json.expires_in, 90)
        // expires_in is whole seconds rounded down, never longer than the token lives
        yield* server.setTokenLifetime("1999 millis")
        assert.strictEqual((yield* body<TokenBody>(yield* basicToken("crm", "s3cret"))).expires_in, 1)
        // issued at an instant with a fraction of a millisecond (retry jitter gives them), 1 second is still 1
        yield* server.setTokenLifetime("1 second")
        yield* TestClock.adjust("31768.702211 millis")
        assert.strictEqual((yield* body<TokenBody>(yield* basicToken("crm", "s3cret"))).expires_in, 1)
      })))
  })

  describe("protected API", () => {
    it.effect("answers a valid token with the call it served, on any host", () =>
      withServer(Effect.gen(function*() {
        const token = yield* accessToken(basicToken("crm", "s3cret"))
        const first = yield* callApi(token, "/api/things?page=2")
        assert.strictEqual(first.status, 200)
        assert.deepStrictEqual(yield* body(first), { ok: true, path: "/api/things", clientId: "crm", call: 1 })
        for (const method of ["POST", "PUT", "DELETE"] as const) {
          assert.strictEqual((yield* callApi(token, "/api/a/b", method)).status, 200)
        }
        const fifth = yield* send(HttpClientRequest.get("/api/other").pipe(HttpClientRequest.bearerToken(token)))
        assert.strictEqual((yield* body(fifth)).call, 5)
      })))

    it.effect("challenges a request without a token", () =>
      withServer(Effect.gen(function*() {
        const response = yield* callApi(undefined)
        assert.strictEqual(response.status, 401)
        assert.strictEqual(
          response.headers["www-authenticate"],
          `Bearer realm="grantflow-sim", resource_metadata="${resourceMetadata}"`
        )
        const basicAuth = yield* send(
          HttpClientRequest.get("/api/things").pipe(HttpClientRequest.basicAuth("crm", "s3cret"))
        )
        assert.strictEqual(basicAuth.status, 401)
      })))

    it.effect("rejects an unknown token as invalid_token", () =>
      withServer(Effect.gen(function*() {
        const response = yield* callApi("made-up")
        assert.strictEqual(response.status, 401)
        assert.strictEqual(
          response.headers["www-authenticate"],
          `Bearer realm="grantflow-sim", error="invalid_token", error_description="The access token is not recognised", ` +
            `resource_metadata="${resourceMetadata}"`
        )
        assert.strictEqual((yield* body(response)).error, "invalid_token")
      })))

    it.effect("rejects a token from its expiry on, as the TestClock moves", () =>
      withServer(Effect.gen(function*() {
        const token = yield* accessToken(basicToken("crm", "s3cret"))
        yield* TestClock.adjust("599999 millis")
        assert.strictEqual((yield* callApi(token)).status, 200)
        yield* TestClock.adjust("1 millis")
        const expired = yield* callApi(token)
        assert.strictEqual(expired.status, 401)
        assert.match(
          expired.headers["www-authenticate"] ?? "",
          /error="invalid_token", error_description="The access token expired"/
        )
        // a new token works again
        assert.strictEqual((yield* callApi(yield* accessToken(basicToken("crm", "s3cret")))).status, 200)
      })))

    it.effect("rejects revoked tokens and only those", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* accessToken(basicToken("crm", "s3cret"))
        const second = yield* accessToken(postToken("free", "free-secret"))
        yield* server.revoke(first)
        const revoked = yield* callApi(first)
        assert.strictEqual(revoked.status, 401)
        assert.match(revoked.headers["www-authenticate"] ?? "", /error_description="The access token was revoked"/)
        assert.strictEqual((yield* callApi(second)).status, 200)
        assert.deepStrictEqual((yield* server.tokens).map((t) => [t.id, t.revoked]), [["t1", true], ["t2", false]])

        yield* server.revokeAll
        assert.strictEqual((yield* callApi(second)).status, 401)
        const third = yield* accessToken(basicToken("crm", "s3cret"))
        assert.strictEqual((yield* callApi(third)).status, 200)
        yield* server.revoke(Redacted.make(third))
        assert.strictEqual((yield* callApi(third)).status, 401)
      })))

    it.effect("revokes a token by its id, and ignores an unknown id", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* accessToken(basicToken("crm", "s3cret"))
        const second = yield* accessToken(basicToken("crm", "s3cret"))
        yield* server.revokeById("t2")
        yield* server.revokeById("t99")
        assert.strictEqual((yield* callApi(first)).status, 200)
        assert.strictEqual((yield* callApi(second)).status, 401)
        assert.deepStrictEqual((yield* server.tokens).map((t) => [t.id, t.revoked]), [["t1", false], ["t2", true]])
      })))

    it.effect("a provider's API route may answer a list as it is, and take the token in its own scheme", () =>
      withServer(
        Effect.gen(function*() {
          const token = yield* accessToken(basicToken("crm", "s3cret"))
          const list = yield* callApi(token, "/sites")
          assert.strictEqual(list.status, 200)
          assert.deepStrictEqual(yield* body<ReadonlyArray<unknown>>(list), [{ id: "site-1" }])
          const inScheme = (path: string, scheme: string) =>
            send(HttpClientRequest.get(`https://api.example.com${path}`).pipe(
              HttpClientRequest.setHeader("authorization", `${scheme} ${token}`)
            ))
          const metadata = yield* inScheme("/metadata", "OAuth")
          assert.strictEqual(metadata.status, 200)
          assert.strictEqual((yield* body(metadata)).dc, "us6")
          assert.strictEqual((yield* inScheme("/metadata", "bearer")).status, 200)
          // the scheme is the route's alone
          assert.strictEqual((yield* inScheme("/sites", "OAuth")).status, 401)
          assert.strictEqual((yield* inScheme("/metadata", "Basic")).status, 401)
        }),
        {
          routes: {
            "/sites": { endpoint: "api", body: [{ id: "site-1" }] },
            "/metadata": { endpoint: "api", body: { dc: "us6" }, scheme: "OAuth" }
          }
        }
      ))
  })

  describe("faults", () => {
    it.effect("answers a Status fault with its status, Retry-After and JSON body", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        yield* server.fail(
          AuthServer.Status({ status: 503, retryAfter: "1500 millis", body: { error: "temporarily_unavailable" } })
        )
        const response = yield* basicToken("crm", "s3cret")
        assert.strictEqual(response.status, 503)
        assert.strictEqual(response.headers["retry-after"], "2")
        assert.deepStrictEqual(yield* body(response), { error: "temporarily_unavailable" })

        yield* server.fail(AuthServer.Status({ status: 429 }))
        const limited = yield* basicToken("crm", "s3cret")
        assert.strictEqual(limited.status, 429)
        assert.isUndefined(limited.headers["retry-after"])
        assert.strictEqual(yield* limited.text, "")

        assert.strictEqual((yield* basicToken("crm", "s3cret")).status, 200)
        assert.strictEqual(yield* server.issued, 1)
      })))

    it.effect("delays a request by a Latency fault on the TestClock, then answers it", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        yield* server.fail(AuthServer.Latency({ duration: "5 seconds" }))
        const fiber = yield* Effect.fork(basicToken("crm", "s3cret"))
        yield* TestClock.adjust("4999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        yield* TestClock.adjust("1 millis")
        const response = yield* Fiber.join(fiber)
        assert.strictEqual(response.status, 200)
        const [token] = yield* server.tokens
        assert.strictEqual(token?.issuedAt, 5000)
        const [entry] = yield* server.journal
        assert.strictEqual(entry?.at, 0)
        assert.strictEqual(entry?.fault, "Latency")
      })))

    it.effect("answers MalformedJson with a 200 whose body does not parse", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        yield* server.fail(AuthServer.MalformedJson())
        const response = yield* basicToken("crm", "s3cret")
        assert.strictEqual(response.status, 200)
        assert.match(response.headers["content-type"] ?? "", /^application\/json/)
        const text = yield* response.text
        assert.throws(() => JSON.parse(text))
      })))

    it.effect("answers BlankToken with an empty access_token", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        yield* server.fail(AuthServer.BlankToken())
        const response = yield* basicToken("crm", "s3cret")
        assert.strictEqual(response.status, 200)
        assert.strictEqual((yield* body<TokenBody>(response)).access_token, "")
        assert.strictEqual(yield* server.issued, 0)
      })))

    it.effect("applies queued faults in order, each the times it was asked for", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        yield* server.fail(AuthServer.Status({ status: 503 }), { times: 2 })
        yield* server.fail(AuthServer.BlankToken())
        yield* server.fail(AuthServer.Status({ status: 500 }))
        const statuses: Array<number> = []
        for (let i = 0; i < 5; i++) statuses.push((yield* basicToken("crm", "s3cret")).status)
        assert.deepStrictEqual(statuses, [503, 503, 200, 500, 200])
        const journal = yield* server.journal
        assert.deepStrictEqual(journal.map((entry) => entry.fault), [
          "Status",
          "Status",
          "BlankToken",
          "Status",
          undefined
        ])
        assert.strictEqual(yield* server.issued, 1)
      })))

    it.effect("keeps faults for token requests only", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const token = yield* accessToken(basicToken("crm", "s3cret"))
        yield* server.fail(AuthServer.Status({ status: 503 }))
        assert.strictEqual((yield* callApi(token)).status, 200)
        assert.strictEqual((yield* basicToken("crm", "s3cret")).status, 503)
      })))
  })

  describe("journal", () => {
    it.effect("records every request without token values", () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const token = yield* accessToken(basicToken("crm", "s3cret"))
        yield* TestClock.adjust("1 second")
        yield* callApi(token, "/api/things?secret=no")
        yield* postToken("crm", "wrong")
        yield* send(HttpClientRequest.get("/elsewhere"))
        yield* callApi(undefined)

        const journal = yield* server.journal
        assert.deepStrictEqual(journal, [
          {
            at: 0,
            endpoint: "token",
            method: "POST",
            path: "/token",
            grantType: "client_credentials",
            clientId: "crm",
            tokenId: "t1",
            status: 200
          },
          {
            at: 1000,
            endpoint: "api",
            method: "GET",
            path: "/api/things",
            clientId: "crm",
            tokenId: "t1",
            tokenState: "valid",
            status: 200
          },
          {
            at: 1000,
            endpoint: "token",
            method: "POST",
            path: "/token",
            grantType: "client_credentials",
            clientId: "crm",
            status: 401
          },
          { at: 1000, endpoint: "other", method: "GET", path: "/elsewhere", status: 404 },
          { at: 1000, endpoint: "api", method: "GET", path: "/api/things", status: 401 }
        ])
        assert.notInclude(JSON.stringify(journal), token)
        assert.notInclude(JSON.stringify(yield* server.tokens), token)

        yield* server.clearJournal
        assert.deepStrictEqual(yield* server.journal, [])
      })))
  })

  describe("serve", () => {
    it.scoped("hands the same handlers to the provided HttpServer", () =>
      Effect.gen(function*() {
        const served = yield* Deferred.make<HttpApp.Default<unknown>>()
        const httpServer = HttpServer.make({
          serve: (app) => Deferred.succeed(served, app),
          address: { _tag: "TcpAddress", hostname: "127.0.0.1", port: 0 }
        })
        yield* Layer.build(AuthServer.serve.pipe(Layer.provide(Layer.succeed(HttpServer.HttpServer, httpServer))))
        const app = yield* Deferred.await(served)
        const response = yield* app.pipe(
          Effect.provideService(
            HttpServerRequest.HttpServerRequest,
            HttpServerRequest.fromWeb(new Request("http://127.0.0.1/api/things"))
          )
        )
        assert.strictEqual(response.status, 401)
        const server = yield* AuthServer.AuthServer
        assert.deepStrictEqual((yield* server.journal).map((entry) => entry.path), ["/api/things"])
      }).pipe(Effect.provide(AuthServer.layer({ clients }))))
  })
})
