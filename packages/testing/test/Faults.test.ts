import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Either, Fiber, Layer, Option, TestClock } from "effect"
import { createServer } from "node:http"
import * as AuthServer from "../src/AuthServer.js"
import { apiStatus, body, expectError, send, tokenRequest, tokens, withServer } from "./grantFixtures.js"

const options: AuthServer.Options = {
  clients: [{ clientId: "crm", clientSecret: "s3cret", grants: ["client_credentials", "refresh_token"] }],
  tokenLifetime: "10 minutes",
  refreshTokenForClientCredentials: true
}

const crm = ["crm", "s3cret"] as const

const clientCredentials = tokenRequest(crm, { grant_type: "client_credentials" })

const refresh = (refreshToken: string) => tokenRequest(crm, { grant_type: "refresh_token", refresh_token: refreshToken })

const post = (path: string, params: Record<string, string>) =>
  send(HttpClientRequest.post(path).pipe(HttpClientRequest.bodyUrlParams(params), HttpClientRequest.basicAuth(...crm)))

const server = AuthServer.AuthServer

const lastEntry = Effect.flatMap(server, (s) => Effect.map(s.journal, (journal) => journal.at(-1)!))

describe("faults", () => {
  it.effect("are scripted per endpoint, the token endpoint by default", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const s = yield* server
        const { access_token } = yield* tokens(clientCredentials)
        yield* s.fail(AuthServer.Status({ status: 503 }), { endpoint: "api", times: 2 })
        yield* s.fail(AuthServer.Status({ status: 500 }), { endpoint: "introspect" })
        yield* s.fail(AuthServer.Status({ status: 429, retryAfter: "3 seconds" }))
        assert.strictEqual(yield* apiStatus(access_token), 503)
        assert.strictEqual((yield* post("/introspect", { token: access_token })).status, 500)
        const limited = yield* clientCredentials
        assert.strictEqual(limited.status, 429)
        assert.strictEqual(limited.headers["retry-after"], "3")
        assert.strictEqual(yield* apiStatus(access_token), 503)
        assert.strictEqual(yield* apiStatus(access_token), 200)
        assert.strictEqual((yield* post("/introspect", { token: access_token })).status, 200)

        const journal = yield* s.journal
        assert.deepStrictEqual(journal.map((entry) => [entry.endpoint, entry.status, entry.fault]), [
          ["token", 200, undefined],
          ["api", 503, "Status"],
          ["introspect", 500, "Status"],
          ["token", 429, "Status"],
          ["api", 503, "Status"],
          ["api", 200, undefined],
          ["introspect", 200, undefined]
        ])
        // a faulted API request is still journaled with the token it carried
        assert.deepInclude(journal[1], { tokenId: "t1", tokenState: "valid" })
      })
    ))

  it.effect("DropConnection fails the in-memory client with a transport error, after journaling", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const s = yield* server
        yield* s.fail(AuthServer.DropConnection())
        const error = yield* Effect.flip(clientCredentials)
        assert.strictEqual(error._tag, "RequestError")
        assert.strictEqual(error._tag === "RequestError" && error.reason, "Transport")
        assert.strictEqual(yield* s.issued, 0)
        assert.deepInclude(yield* lastEntry, { endpoint: "token", status: 0, fault: "DropConnection" })

        yield* s.fail(AuthServer.DropConnection(), { endpoint: "api" })
        const { access_token } = yield* tokens(clientCredentials)
        assert.strictEqual((yield* Effect.flip(apiStatus(access_token)))._tag, "RequestError")
        assert.strictEqual(yield* apiStatus(access_token), 200)
      })
    ))

  it.scopedLive("DropConnection destroys the socket of a Node server", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(
        AuthServer.serve.pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
          Layer.provideMerge(AuthServer.layer(options))
        )
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      assert(address._tag === "TcpAddress")
      const s = Context.get(context, AuthServer.AuthServer)
      const client = yield* HttpClient.HttpClient
      const request = HttpClientRequest.post(`http://127.0.0.1:${address.port}/token`).pipe(
        HttpClientRequest.bodyUrlParams({ grant_type: "client_credentials" }),
        HttpClientRequest.basicAuth(...crm)
      )

      yield* s.fail(AuthServer.DropConnection())
      const error = yield* Effect.flip(client.execute(request))
      assert.strictEqual(error._tag, "RequestError")
      assert.strictEqual(error._tag === "RequestError" && error.reason, "Transport")
      // the server lives on: the next request gets its token
      assert.strictEqual((yield* client.execute(request)).status, 200)
      assert.deepStrictEqual((yield* s.journal).map((entry) => [entry.status, entry.fault]), [
        [0, "DropConnection"],
        [200, undefined]
      ])
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("ErrorBody answers 200 with an OAuth error and issues nothing", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const s = yield* server
        yield* s.fail(AuthServer.ErrorBody({ error: "invalid_grant", description: "Token revoked" }))
        yield* s.fail(AuthServer.ErrorBody())
        const first = yield* clientCredentials
        assert.strictEqual(first.status, 200)
        assert.deepStrictEqual(yield* body(first), { error: "invalid_grant", error_description: "Token revoked" })
        assert.strictEqual((yield* body(yield* clientCredentials)).error, "server_error")
        assert.strictEqual(yield* s.issued, 0)
      })
    ))

  it.effect("ExpiresIn sends expires_in as a string, not at all, or huge, for a token that still works", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const s = yield* server
        yield* s.fail(AuthServer.ExpiresIn({ as: "string" }))
        yield* s.fail(AuthServer.ExpiresIn({ as: "missing" }))
        yield* s.fail(AuthServer.ExpiresIn({ as: "huge" }))
        const asString = yield* body(yield* clientCredentials)
        assert.strictEqual(asString.expires_in, "600")
        const missing = yield* body(yield* clientCredentials)
        assert.isFalse("expires_in" in missing)
        assert.strictEqual(missing.token_type, "Bearer")
        const huge = yield* body(yield* clientCredentials)
        assert.strictEqual(huge.expires_in, 2 ** 31)
        assert.isString(huge.refresh_token)

        for (const json of [asString, missing, huge]) {
          assert.strictEqual(yield* apiStatus(json.access_token as string), 200)
        }
        // the server keeps its own lifetime whatever the answer said
        assert.deepStrictEqual((yield* s.tokens).map((token) => token.expiresAt), [600_000, 600_000, 600_000])
        yield* TestClock.adjust("10 minutes")
        assert.strictEqual(yield* apiStatus(huge.access_token as string), 401)
      })
    ))

  it.effect("MissingTokenType leaves token_type out", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const s = yield* server
        yield* s.fail(AuthServer.MissingTokenType())
        const json = yield* body(yield* clientCredentials)
        assert.deepStrictEqual(Object.keys(json).sort(), ["access_token", "expires_in", "refresh_token"])
        assert.strictEqual(yield* apiStatus(json.access_token as string), 200)
        // error answers pass as they are
        yield* s.fail(AuthServer.MissingTokenType())
        yield* expectError(refresh("unknown"), "invalid_grant")
      })
    ))

  it.effect("LostResponse rotates the refresh token, then answers 502; the retry is a reuse", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const s = yield* server
        const first = yield* tokens(clientCredentials)
        yield* s.fail(AuthServer.LostResponse())
        const lost = yield* refresh(first.refresh_token!)
        assert.strictEqual(lost.status, 502)
        assert.strictEqual(yield* lost.text, "")
        // the server did rotate: the client never saw r2, and its retry presents r1 again
        const [family] = yield* s.families
        assert.deepStrictEqual(family!.refreshTokenIds, ["r1", "r2"])
        assert.deepInclude(yield* lastEntry, {
          status: 502,
          fault: "LostResponse",
          refreshTokenId: "r1",
          issuedRefreshTokenId: "r2",
          tokenId: "t2"
        })
        yield* expectError(refresh(first.refresh_token!), "invalid_grant")
        assert.isTrue((yield* s.families)[0]!.revoked)
      })
    ))

  it.effect("LostResponse with drop revokes (say) and then drops the connection", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const s = yield* server
        const { access_token } = yield* tokens(clientCredentials)
        yield* s.fail(AuthServer.LostResponse({ drop: true }), { endpoint: "revoke" })
        const error = yield* Effect.flip(post("/revoke", { token: access_token }))
        assert.strictEqual(error._tag, "RequestError")
        assert.isTrue((yield* s.tokens)[0]!.revoked)
        assert.deepInclude(yield* lastEntry, { endpoint: "revoke", status: 0, fault: "LostResponse", tokenId: "t1" })
      })
    ))

  it.effect("Latency and MalformedJson apply to other endpoints too", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const s = yield* server
        const { access_token } = yield* tokens(clientCredentials)
        yield* s.fail(AuthServer.Latency({ duration: "2 seconds" }), { endpoint: "introspect" })
        const fiber = yield* Effect.fork(post("/introspect", { token: access_token }))
        yield* TestClock.adjust("1999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        yield* TestClock.adjust("1 millis")
        assert.isTrue((yield* body(yield* Fiber.join(fiber))).active)

        yield* s.fail(AuthServer.MalformedJson(), { endpoint: "api" })
        const garbled = yield* send(
          HttpClientRequest.get("/api/things").pipe(HttpClientRequest.bearerToken(access_token))
        )
        assert.strictEqual(garbled.status, 200)
        assert.isTrue(Either.isLeft(yield* Effect.either(garbled.json)))

        yield* s.fail(AuthServer.Status({ status: 503 }), { endpoint: "metadata" })
        assert.strictEqual((yield* send(HttpClientRequest.get("/.well-known/openid-configuration"))).status, 503)
        // token response faults cannot be scripted for another endpoint
        // @ts-expect-error BlankToken shapes token responses only
        yield* s.fail(AuthServer.BlankToken(), { endpoint: "api" }).pipe(Effect.when(() => false))
      })
    ))
})
