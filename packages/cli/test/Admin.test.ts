import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AuthServer } from "@grantflow/testing"
import { Duration, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { networkInterfaces, tmpdir } from "node:os"
import { join } from "node:path"
import * as Admin from "../src/internal/admin.js"
import * as SimServer from "../src/SimServer.js"

const Live = Layer.merge(NodeContext.layer, NodeHttpClient.layerUndici)

const configFile = (config: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "grantflow-admin-")), "sim.json")
  writeFileSync(path, JSON.stringify(config))
  return path
}

// demo-client for client credentials; app, public, for refresh token families and the device flow
const config = configFile({
  clients: [
    { clientId: "demo-client", clientSecret: "demo-secret" },
    { clientId: "app", public: true, redirectUris: ["http://127.0.0.1/callback"] }
  ],
  tokenLifetime: 60
})

type Method = "GET" | "POST" | "DELETE"

/** A request to the server at `base`, with a JSON body (or, for a string, that text as the body). */
const call = (base: URL, method: Method, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  HttpClient.execute(
    HttpClientRequest.make(method)(new URL(path, base)).pipe(
      HttpClientRequest.setHeaders(headers),
      (request) =>
        body === undefined
          ? request
          : typeof body === "string"
          ? HttpClientRequest.bodyText(request, body, "application/json")
          : HttpClientRequest.bodyUnsafeJson(request, body)
    )
  )

const clientCredentials = (base: URL) =>
  HttpClient.execute(
    HttpClientRequest.post(new URL("/token", base)).pipe(
      HttpClientRequest.basicAuth("demo-client", "demo-secret"),
      HttpClientRequest.bodyUrlParams({ grant_type: "client_credentials" })
    )
  ).pipe(Effect.flatMap((response) => response.json), Effect.map((body) => (body as { access_token: string }).access_token))

const api = (base: URL, token: string) => call(base, "GET", "/api/orders", undefined, { authorization: `Bearer ${token}` })

const status = <E, R>(response: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>) =>
  Effect.map(response, (r) => r.status)

/** A 4xx answer of the admin API: its status and JSON error. */
const rejection = <E, R>(response: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>) =>
  Effect.flatMap(response, (r) =>
    Effect.map(r.json, (body) => ({ status: r.status, ...(body as { error: string; message: string }) })))

const startAdmin = (options: SimServer.Options = {}) => SimServer.start({ configPath: config, admin: true, ...options })

describe("the admin API's pure parts", () => {
  const decode = Schema.decodeUnknownSync(Admin.FaultsBody)
  const queued = (body: unknown) => Admin.toQueued(decode(body))

  it("maps each fault JSON to the server's fault, on the token endpoint once by default", () => {
    const cases: ReadonlyArray<readonly [unknown, AuthServer.Fault]> = [
      [{ type: "status", status: 503 }, AuthServer.Status({ status: 503 })],
      [
        { type: "status", status: 429, retryAfter: 2, body: { error: "slow_down" } },
        AuthServer.Status({ status: 429, retryAfter: Duration.seconds(2), body: { error: "slow_down" } })
      ],
      [{ type: "latency", ms: 1500 }, AuthServer.Latency({ duration: Duration.millis(1500) })],
      [{ type: "malformed" }, AuthServer.MalformedJson()],
      [{ type: "blank-token" }, AuthServer.BlankToken()],
      [{ type: "drop" }, AuthServer.DropConnection()],
      [{ type: "lost-response" }, AuthServer.LostResponse()],
      [{ type: "lost-response", drop: true }, AuthServer.LostResponse({ drop: true })],
      [{ type: "error-body" }, AuthServer.ErrorBody()],
      [
        { type: "error-body", error: "invalid_grant", description: "Token revoked" },
        AuthServer.ErrorBody({ error: "invalid_grant", description: "Token revoked" })
      ],
      [{ type: "expires-in", as: "huge" }, AuthServer.ExpiresIn({ as: "huge" })],
      [{ type: "missing-token-type" }, AuthServer.MissingTokenType()]
    ]
    for (const [fault, expected] of cases) {
      assert.deepStrictEqual(queued({ fault }), Either.right({ endpoint: "token", fault: expected, times: 1 }))
    }
  })

  it("queues any-endpoint faults on the endpoint and times given", () => {
    assert.deepStrictEqual(
      queued({ endpoint: "api", times: 3, fault: { type: "drop" } }),
      Either.right({ endpoint: "api", fault: AuthServer.DropConnection(), times: 3 })
    )
    assert.deepStrictEqual(
      queued({ endpoint: "par", fault: { type: "status", status: 503 } }),
      Either.right({ endpoint: "par", fault: AuthServer.Status({ status: 503 }), times: 1 })
    )
  })

  it("refuses token-response faults on the other endpoints", () => {
    for (const type of ["blank-token", "missing-token-type"]) {
      assert.deepStrictEqual(
        queued({ endpoint: "introspect", fault: { type } }),
        Either.left(`fault.type "${type}" shapes token responses: queue it on endpoint "token"`)
      )
    }
  })

  it("knows loopback addresses", () => {
    for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "::FFFF:127.0.0.9"]) {
      assert.isTrue(Admin.isLoopback(address), address)
    }
    for (const address of ["192.0.2.2", "10.0.0.1", "::ffff:10.0.0.1", "fd00::2", "fe80::1", "128.0.0.1", "0.0.0.0"]) {
      assert.isFalse(Admin.isLoopback(address), address)
    }
  })

  it("reserves /__grantflow and what lies under it", () => {
    assert.isTrue(Admin.isAdminPath("/__grantflow/tokens?x=1"))
    assert.isTrue(Admin.isAdminPath("/__grantflow"))
    assert.isFalse(Admin.isAdminPath("/__grantflowx"))
    assert.isFalse(Admin.isAdminPath("/api/__grantflow/tokens"))
  })
})

describe("the admin API", () => {
  it.scopedLive("answers 404 on every /__grantflow/ path when it is off", () =>
    Effect.gen(function*() {
      const { url } = yield* SimServer.start({ configPath: config })
      assert.strictEqual(yield* status(call(url, "GET", "/__grantflow/tokens")), 404)
      assert.strictEqual(yield* status(call(url, "POST", "/__grantflow/reset")), 404)
      assert.strictEqual(yield* status(call(url, "GET", "/__grantflow/clock")), 404)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("queues faults: a 503 burst with Retry-After, then the API answers again", () =>
    Effect.gen(function*() {
      const { server, url } = yield* startAdmin()
      const token = yield* clientCredentials(url)
      const queued = yield* call(url, "POST", "/__grantflow/faults", {
        endpoint: "api",
        times: 2,
        fault: { type: "status", status: 503, retryAfter: 2 }
      })
      assert.strictEqual(queued.status, 204)
      for (let i = 0; i < 2; i++) {
        const response = yield* api(url, token)
        assert.strictEqual(response.status, 503)
        assert.strictEqual(response.headers["retry-after"], "2")
      }
      assert.strictEqual(yield* status(api(url, token)), 200)
      const faults = (yield* server.journal).filter((entry) => entry.endpoint === "api").map((entry) => entry.fault)
      assert.deepStrictEqual(faults, ["Status", "Status", undefined])
    }).pipe(Effect.provide(Live)))

  it.scopedLive("queues token-response faults on the token endpoint by default", () =>
    Effect.gen(function*() {
      const { url } = yield* startAdmin()
      assert.strictEqual(yield* status(call(url, "POST", "/__grantflow/faults", { fault: { type: "blank-token" } })), 204)
      assert.strictEqual(yield* clientCredentials(url), "")
    }).pipe(Effect.provide(Live)))

  it.scopedLive("answers 400 naming the field to a body that does not decode", () =>
    Effect.gen(function*() {
      const { url } = yield* startAdmin()
      const faults = (body: unknown) => rejection(call(url, "POST", "/__grantflow/faults", body))
      assert.deepStrictEqual(yield* faults({ fault: { type: "status", status: 700 } }), {
        status: 400,
        error: "bad_request",
        message: "fault.status: Expected a number between 100 and 599, actual 700"
      })
      assert.include((yield* faults({ endpoint: "token", tims: 3, fault: { type: "drop" } })).message, "tims: is not a known field")
      assert.include((yield* faults({})).message, "fault: is missing")
      assert.include((yield* faults({ fault: { type: "teapot" } })).message, "fault.type: Expected \"status\"")
      assert.include((yield* faults({ endpoint: "api", fault: { type: "blank-token" } })).message, "shapes token responses")
      assert.include((yield* faults("{ not json")).message, "the body must be JSON")
      assert.strictEqual((yield* faults({ fault: { type: "error-body", description: "x".repeat(Admin.maxBodyBytes) } })).status, 413)
      assert.include(
        (yield* rejection(call(url, "POST", "/__grantflow/revoke", {}))).message,
        "token: is missing; tokenId: is missing"
      )
      assert.deepStrictEqual(yield* rejection(call(url, "GET", "/__grantflow/nothing-here")), {
        status: 404,
        error: "not_found",
        message: "no admin route GET /__grantflow/nothing-here"
      })
    }).pipe(Effect.provide(Live)))

  it.scopedLive("revokes a token by value, by id, or all of them", () =>
    Effect.gen(function*() {
      const { url } = yield* startAdmin()
      const [first, second, third] = yield* Effect.all([clientCredentials(url), clientCredentials(url), clientCredentials(url)])
      assert.strictEqual(yield* status(call(url, "POST", "/__grantflow/revoke", { token: first })), 204)
      assert.strictEqual(yield* status(api(url, first!)), 401)
      assert.strictEqual(yield* status(api(url, second!)), 200)
      const tokens = (yield* Effect.flatMap(call(url, "GET", "/__grantflow/tokens"), (r) => r.json)) as ReadonlyArray<
        { readonly id: string; readonly revoked: boolean }
      >
      assert.deepStrictEqual(tokens.map((token) => token.revoked), [true, false, false])
      assert.strictEqual(yield* status(call(url, "POST", "/__grantflow/revoke", { tokenId: tokens[1]!.id })), 204)
      assert.strictEqual(yield* status(api(url, second!)), 401)
      assert.strictEqual(yield* status(api(url, third!)), 200)
      assert.strictEqual(yield* status(call(url, "POST", "/__grantflow/revoke-all")), 204)
      assert.strictEqual(yield* status(api(url, third!)), 401)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("lists tokens and families by id, and revokes a family", () =>
    Effect.gen(function*() {
      const { server, url } = yield* startAdmin()
      const granted = yield* server.grant("app")
      const tokens = yield* Effect.flatMap(call(url, "GET", "/__grantflow/tokens"), (r) => r.json)
      assert.deepStrictEqual(tokens, [{
        id: granted.tokenId,
        clientId: "app",
        scopes: [],
        issuedAt: granted.issuedAt,
        expiresAt: granted.expiresAt,
        revoked: false
      }])
      const families = () => Effect.flatMap(call(url, "GET", "/__grantflow/families"), (r) => r.json)
      assert.deepStrictEqual(yield* families(), [{
        id: granted.familyId,
        clientId: "app",
        grantType: "authorization_code",
        scopes: [],
        generation: 1,
        revoked: false
      }])
      assert.notInclude(JSON.stringify([tokens, yield* families()]), Redacted.value(granted.accessToken))
      assert.strictEqual(yield* status(call(url, "POST", `/__grantflow/families/${granted.familyId}/revoke`)), 204)
      assert.deepStrictEqual((yield* families() as Effect.Effect<ReadonlyArray<{ revoked: boolean }>>).map((f) => f.revoked), [true])
      assert.strictEqual(yield* status(api(url, Redacted.value(granted.accessToken))), 401)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("approves and denies device authorizations by user code", () =>
    Effect.gen(function*() {
      const { url } = yield* startAdmin()
      const userCode = HttpClient.execute(
        HttpClientRequest.post(new URL("/device_authorization", url)).pipe(
          HttpClientRequest.bodyUrlParams({ client_id: "app" })
        )
      ).pipe(Effect.flatMap((r) => r.json), Effect.map((body) => (body as { user_code: string }).user_code))
      const decide = (decision: "approve" | "deny", user_code: string) =>
        status(call(url, "POST", `/__grantflow/device/${decision}`, { user_code }))
      const approved = yield* userCode
      assert.strictEqual(yield* decide("approve", approved), 204)
      // decided: no longer pending
      assert.strictEqual(yield* decide("deny", approved), 404)
      assert.strictEqual(yield* decide("deny", yield* userCode), 204)
      assert.deepStrictEqual(yield* rejection(call(url, "POST", "/__grantflow/device/approve", { user_code: "ABCD-EFGH" })), {
        status: 404,
        error: "not_found",
        message: "no pending device authorization has this user_code"
      })
    }).pipe(Effect.provide(Live)))

  it.scopedLive("moves the virtual clock: a token expires, and the API rejects it", () =>
    Effect.gen(function*() {
      const { clock, url } = yield* startAdmin({ virtualClock: true })
      const token = yield* clientCredentials(url)
      assert.strictEqual(yield* status(api(url, token)), 200)
      const before = (yield* Effect.flatMap(call(url, "GET", "/__grantflow/clock"), (r) => r.json)) as {
        now: number
        virtual: boolean
      }
      assert.isTrue(before.virtual)
      const moved = yield* call(url, "POST", "/__grantflow/clock", { advance: 61 })
      assert.strictEqual(moved.status, 200)
      const { now } = (yield* moved.json) as { now: number }
      assert.isAtLeast(now, before.now + 61_000)
      const rejected = yield* api(url, token)
      assert.strictEqual(rejected.status, 401)
      assert.include(rejected.headers["www-authenticate"], "The access token expired")
      // a duration in words moves it too, and Running's clock sees the same time
      const later = (yield* Effect.flatMap(call(url, "POST", "/__grantflow/clock", { advance: "1 hour" }), (r) => r.json)) as {
        now: number
      }
      assert.isAtLeast(later.now, now + 3_600_000)
      assert.isAtLeast(yield* Option.getOrThrow(clock).now, later.now)
      assert.include(
        (yield* rejection(call(url, "POST", "/__grantflow/clock", { advance: "soon" }))).message,
        "advance: expected seconds (a number ≥ 0) or a duration"
      )
      assert.strictEqual((yield* rejection(call(url, "POST", "/__grantflow/clock", { advance: -5 }))).status, 400)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("keeps a real clock without --virtual-clock: 409 on a move", () =>
    Effect.gen(function*() {
      const { clock, url } = yield* startAdmin()
      assert.isTrue(Option.isNone(clock))
      const read = (yield* Effect.flatMap(call(url, "GET", "/__grantflow/clock"), (r) => r.json)) as { virtual: boolean }
      assert.isFalse(read.virtual)
      assert.deepStrictEqual(yield* rejection(call(url, "POST", "/__grantflow/clock", { advance: 60 })), {
        status: 409,
        error: "conflict",
        message: "the clock is real: start the server with --virtual-clock to move it"
      })
    }).pipe(Effect.provide(Live)))

  it.scopedLive("reads the journal with ids, never values, and clears it", () =>
    Effect.gen(function*() {
      const { url } = yield* startAdmin()
      const token = yield* clientCredentials(url)
      yield* api(url, token)
      const journal = () =>
        Effect.flatMap(call(url, "GET", "/__grantflow/journal"), (r) => r.json) as Effect.Effect<
          ReadonlyArray<Record<string, unknown>>,
          unknown
        >
      const entries = yield* journal()
      // admin requests are not journaled
      assert.deepStrictEqual(entries.map(({ endpoint, status, tokenId }) => ({ endpoint, status, tokenId })), [
        { endpoint: "token", status: 200, tokenId: "t1" },
        { endpoint: "api", status: 200, tokenId: "t1" }
      ])
      assert.strictEqual(entries[0]!.clientId, "demo-client")
      assert.strictEqual(entries[0]!.grantType, "client_credentials")
      assert.strictEqual(entries[1]!.tokenState, "valid")
      assert.notInclude(JSON.stringify(entries), token)
      assert.strictEqual(yield* status(call(url, "DELETE", "/__grantflow/journal")), 204)
      assert.deepStrictEqual(yield* journal(), [])
    }).pipe(Effect.provide(Live)))

  it.scopedLive("resets to a fresh server with the same issuer; the virtual clock keeps its time", () =>
    Effect.gen(function*() {
      const { clock, issuer, server, url } = yield* startAdmin({ virtualClock: true })
      const token = yield* clientCredentials(url)
      yield* call(url, "POST", "/__grantflow/faults", { endpoint: "api", fault: { type: "status", status: 500 } })
      const moved = yield* Option.getOrThrow(clock).advance("10 minutes")
      assert.strictEqual(yield* status(call(url, "POST", "/__grantflow/reset")), 204)
      assert.deepStrictEqual(yield* server.journal, [])
      assert.deepStrictEqual(yield* server.tokens, [])
      assert.isAtLeast(yield* Option.getOrThrow(clock).now, moved)
      // the old token is unknown, and the queued fault is gone: the API answers 401, not 500
      const rejected = yield* api(url, token)
      assert.strictEqual(rejected.status, 401)
      assert.include(rejected.headers["www-authenticate"], "not recognised")
      const metadata = yield* Effect.flatMap(call(url, "GET", "/.well-known/oauth-authorization-server"), (r) => r.json)
      assert.strictEqual((metadata as { issuer: string }).issuer, issuer)
      // the fresh server issues again from t1, and what `server` gives is the fresh server
      assert.strictEqual(yield* status(api(url, yield* clientCredentials(url))), 200)
      assert.deepStrictEqual((yield* server.tokens).map((t) => t.id), ["t1"])
    }).pipe(Effect.provide(Live)))

  // a non-loopback address of this machine, if it has one, to call the admin API from elsewhere
  const external = Object.values(networkInterfaces()).flat().find((address) =>
    address !== undefined && !address.internal && address.family === "IPv4"
  )?.address

  it.scopedLive("refuses callers that are not on loopback with a 403", () =>
    external === undefined
      ? Effect.sync(() => assert.isFalse(Admin.isLoopback("192.0.2.2")))
      : Effect.gen(function*() {
        const { url } = yield* SimServer.start({ host: external, admin: true })
        assert.strictEqual(url.hostname, external)
        assert.deepStrictEqual(yield* rejection(call(url, "GET", "/__grantflow/tokens")), {
          status: 403,
          error: "forbidden",
          message: "the admin API answers loopback callers only"
        })
        assert.strictEqual(yield* status(call(url, "POST", "/__grantflow/revoke-all")), 403)
        // the server itself still answers
        assert.strictEqual(yield* status(call(url, "GET", "/.well-known/oauth-authorization-server")), 200)
      }).pipe(Effect.provide(Live)))
})
