import { HttpClient, HttpClientError } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { BearerAuth, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenError, TokenProvider } from "@grantflow/core"
import { Effect, Fiber, Layer, Option, Redacted, Schedule } from "effect"
import * as TestClock from "effect/TestClock"
import { AuthServer } from "@grantflow/testing"

const ServerLive = AuthServer.layerClient.pipe(
  Layer.provideMerge(AuthServer.layer({
    clients: [{ clientId: "app", clientSecret: "app-secret" }],
    tokenLifetime: "10 minutes"
  }))
)

const policy = RefreshPolicy.make({ retry: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(2))) })

const providerFor = (secret = "app-secret") =>
  TokenProvider.make(
    Grant.clientCredentials(
      Endpoint.make({ tokenUrl: "http://127.0.0.1/token", auth: ClientAuth.clientSecretBasic("app", Redacted.make(secret)) })
    ),
    { policy }
  )

const setup = (rules?: BearerAuth.Options, secret?: string) =>
  Effect.gen(function*() {
    const server = yield* AuthServer.AuthServer
    const provider = yield* providerFor(secret)
    const http = yield* HttpClient.HttpClient
    const client = http.pipe(BearerAuth.authenticate(provider, rules))
    const api = (path = "/api/orders") => client.get(`http://127.0.0.1${path}`)
    const apiEntries = Effect.map(server.journal, (j) => j.filter((e) => e.endpoint === "api"))
    const tokenEntries = Effect.map(server.journal, (j) => j.filter((e) => e.endpoint === "token"))
    return { server, provider, http, client, api, apiEntries, tokenEntries }
  })

describe("BearerAuth against the simulated server", () => {
  it.scoped("puts the current token on every request", () =>
    Effect.gen(function*() {
      const { api, apiEntries, tokenEntries } = yield* setup()
      for (let i = 0; i < 5; i++) assert.strictEqual((yield* api()).status, 200)
      const calls = yield* apiEntries
      assert.deepStrictEqual(calls.map((e) => [e.tokenId, e.status]), Array.from({ length: 5 }, () => ["t1", 200]))
      assert.strictEqual((yield* tokenEntries).length, 1)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("a 401 invalidates the token it sent and replays the request once with a new one", () =>
    Effect.gen(function*() {
      const { api, apiEntries, server, tokenEntries } = yield* setup()
      yield* api()
      yield* server.revokeAll
      const response = yield* api()
      assert.strictEqual(response.status, 200)
      const calls = yield* apiEntries
      assert.deepStrictEqual(calls.map((e) => [e.tokenId, e.status]), [["t1", 200], ["t1", 401], ["t2", 200]])
      assert.strictEqual((yield* tokenEntries).length, 2)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("a burst of requests rejected for one token causes one token request", () =>
    Effect.gen(function*() {
      const { api, server, tokenEntries } = yield* setup()
      yield* api()
      yield* server.revokeAll
      const responses = yield* Effect.all(Array.from({ length: 50 }, () => api()), { concurrency: "unbounded" })
      assert.isTrue(responses.every((r) => r.status === 200))
      assert.strictEqual((yield* tokenEntries).length, 2)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("the invalid_token challenge alone triggers the replay", () =>
    Effect.gen(function*() {
      // written with the deprecated name, which stays an alias of BearerAuth.Options for this version
      const rules: BearerAuth.RejectionRules = { statuses: [] }
      const { api, apiEntries, server } = yield* setup(rules)
      yield* api()
      yield* server.revokeAll
      assert.strictEqual((yield* api()).status, 200)
      assert.deepStrictEqual((yield* apiEntries).map((e) => e.status), [200, 401, 200])
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("replays once and only once: still rejected → TokenRejected after exactly two sends", () =>
    Effect.gen(function*() {
      // every answer of the API matches, as if it rejected every token
      const { api, apiEntries, tokenEntries } = yield* setup({ bodyPattern: /"ok":true/ })
      const error = yield* Effect.flip(api("/api/orders?secret_param=1"))
      assert.strictEqual(error._tag, "TokenRejected")
      if (error._tag === "TokenRejected") {
        assert.strictEqual(error.url, "http://127.0.0.1/api/orders")
        assert.strictEqual(error.status, 200)
      }
      assert.strictEqual((yield* apiEntries).length, 2)
      assert.strictEqual((yield* tokenEntries).length, 2)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("when no token can be had, the request is not sent", () =>
    Effect.gen(function*() {
      const { api, apiEntries } = yield* setup(undefined, "wrong-secret")
      const error = yield* Effect.flip(api())
      assert.strictEqual(error._tag, "OAuthError")
      assert.strictEqual((yield* apiEntries).length, 0)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("a retry around the client re-runs the authentication: no stale header", () =>
    Effect.gen(function*() {
      // BearerAuth leaves 401s alone here; the caller's own retry handles them
      const { apiEntries, client, server } = yield* setup({ statuses: [], invalidTokenChallenge: false })
      const call = client.pipe(
        HttpClient.filterStatusOk,
        HttpClient.retry(Schedule.spaced("11 minutes").pipe(Schedule.intersect(Schedule.recurs(1))))
      ).get("http://127.0.0.1/api/orders")
      assert.strictEqual((yield* call).status, 200)
      yield* server.revokeAll
      const fiber = yield* Effect.fork(call)
      // the retry waits 11 minutes: by then t1 has expired and the provider fetches t2
      yield* TestClock.adjust("11 minutes")
      assert.strictEqual((yield* Fiber.join(fiber)).status, 200)
      assert.deepStrictEqual((yield* apiEntries).map((e) => [e.tokenId, e.status]), [
        ["t1", 200],
        ["t1", 401],
        ["t2", 200]
      ])
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("BearerAuth.layer replaces the HttpClient and keeps the typed error as the cause", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const TokenLive = TokenProvider.layer(Grant.clientCredentials(Endpoint.make({
        tokenUrl: "http://127.0.0.1/token",
        auth: ClientAuth.clientSecretPost("app", Redacted.make("wrong-secret"))
      })))
      const error = yield* HttpClient.get("http://127.0.0.1/api/orders").pipe(
        Effect.flip,
        Effect.provide(BearerAuth.layer().pipe(Layer.provide(TokenLive)))
      )
      assert.isTrue(HttpClientError.isHttpClientError(error))
      assert.strictEqual(error._tag, "RequestError")
      assert.strictEqual((error.cause as { _tag: string })._tag, "OAuthError")
      assert.isFalse((yield* server.journal).some((e) => e.endpoint === "api"))
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("BearerAuth.tokenError gives back an invalid_client as an OAuthError of the token endpoint", () =>
    Effect.gen(function*() {
      const TokenLive = TokenProvider.layer(Grant.clientCredentials(Endpoint.make({
        tokenUrl: "http://127.0.0.1/token",
        auth: ClientAuth.clientSecretBasic("app", Redacted.make("wrong-secret"))
      })))
      const error = yield* HttpClient.get("http://127.0.0.1/api/orders").pipe(
        Effect.flip,
        Effect.provide(BearerAuth.layer().pipe(Layer.provide(TokenLive)))
      )
      // still the platform's error type, for code that expects a plain HttpClient
      assert.isTrue(HttpClientError.isHttpClientError(error))
      assert.strictEqual(error.reason, "Transport")
      const tokenError = BearerAuth.tokenError(error)
      assert.isTrue(Option.isSome(tokenError))
      if (Option.isSome(tokenError)) {
        assert.isTrue(TokenError.isGrantflowError(tokenError.value))
        assert.strictEqual(tokenError.value._tag, "OAuthError")
        if (tokenError.value._tag === "OAuthError") {
          assert.strictEqual(tokenError.value.endpoint, "token")
          assert.strictEqual(tokenError.value.error, "invalid_client")
        }
        assert.isFalse(tokenError.value.retryable)
        assert.notInclude(tokenError.value.message, "wrong-secret")
      }
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("BearerAuth.tokenError is None for a failure that is not the token's", () =>
    Effect.gen(function*() {
      const { server } = yield* setup()
      const TokenLive = TokenProvider.layer(Grant.clientCredentials(Endpoint.make({
        tokenUrl: "http://127.0.0.1/token",
        auth: ClientAuth.clientSecretBasic("app", Redacted.make("app-secret"))
      })))
      // every answer of the API rejects the token, also after a refresh: a TokenRejected, not a TokenError
      yield* server.revokeAll
      const rejected = yield* HttpClient.get("http://127.0.0.1/api/orders").pipe(
        Effect.flip,
        Effect.provide(BearerAuth.layer({ bodyPattern: /./ }).pipe(Layer.provide(TokenLive)))
      )
      assert.strictEqual(rejected._tag, "ResponseError")
      assert.strictEqual((rejected.cause as { _tag: string })._tag, "TokenRejected")
      assert.isTrue(Option.isNone(BearerAuth.tokenError(rejected)))
    }).pipe(Effect.provide(ServerLive)))
})
