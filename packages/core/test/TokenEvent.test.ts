import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import {
  AccessToken,
  BearerAuth,
  ClientAuth,
  ConnectionPool,
  Endpoint, Grant,
  RefreshPolicy,
  TokenError,
  TokenEvent,
  TokenProvider,
  TokenStore
} from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Chunk, Duration, Effect, Exit, Fiber, Layer, Option, Redacted, Ref, Schedule, Scope, Stream } from "effect"
import * as TestClock from "effect/TestClock"
import { fail, makeEndpoint, oauthError, tokenValue, unavailable } from "./fixtures.js"
import { clientSecretForms, printings } from "./leakCapture.js"

const policy = RefreshPolicy.make({
  retry: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(2))),
  coolDown: "5 seconds"
})

/** Lets forked fibers (background refreshes, subscribers) run to their next suspension. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** The next `n` events of a subscription. */
const take = (events: Stream.Stream<TokenEvent.TokenEvent>, n: number) =>
  Effect.map(Stream.runCollect(Stream.take(events, n)), Chunk.toArray)

describe("TokenEvent", () => {
  it.scoped("a token's life: Fetched, then BackgroundRefresh in the refresh window; ids count the tokens", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint({ lifetime: "10 minutes" })
      const provider = yield* TokenProvider.make(endpoint.fetch, { name: "crm", policy })
      const events = yield* provider.subscribe
      yield* provider.get
      // the 60-second window of a 10-minute token opens at 540,000 ms
      yield* TestClock.adjust("9 minutes")
      yield* provider.get
      assert.deepStrictEqual(yield* take(events, 2), [
        TokenEvent.Fetched({
          provider: "crm",
          tokenId: 1,
          previousTokenId: Option.none(),
          reason: "initial",
          expiresAt: 600_000,
          attempts: 1
        }),
        TokenEvent.BackgroundRefresh({
          provider: "crm",
          tokenId: 2,
          previousTokenId: Option.some(1),
          expiresAt: 1_140_000,
          attempts: 1
        })
      ])
    }))

  it.scoped("a failing refresh: one RefreshFailed per token request, then CoolingDown while the old token is served", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint({ lifetime: "10 minutes" })
      const errors = [unavailable(503), unavailable(429, "2 seconds"), unavailable(503)] as const
      const provider = yield* TokenProvider.make(endpoint.fetch, { name: "crm", policy })
      const events = yield* provider.subscribe
      yield* provider.get
      yield* endpoint.script(...errors.map(fail))
      yield* TestClock.adjust("9 minutes")
      yield* provider.get
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* settle
      // the server's Retry-After, longer than the schedule's second
      yield* TestClock.adjust("2 seconds")
      const [, ...failed] = yield* take(events, 5)
      assert.deepStrictEqual(failed, [
        ...errors.map((error, i) =>
          TokenEvent.RefreshFailed({
            provider: "crm",
            reason: "background",
            attempt: i + 1,
            error,
            retryAfter: TokenError.retryAfter(error)
          })
        ),
        TokenEvent.CoolingDown({
          provider: "crm",
          reason: "background",
          attempts: 3,
          error: errors[2],
          until: 543_000 + 5_000,
          serving: Option.some(1)
        })
      ])
      assert.deepStrictEqual(Option.map(TokenError.retryAfter(errors[1]), Duration.toMillis), Option.some(2_000))
    }))

  it.scoped("a refused refresh token: CoolingDown with nothing served, then Reauthorize", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint()
      const refused = new TokenError.ReauthorizationRequired({ cause: oauthError("invalid_grant") })
      yield* endpoint.script(fail(refused))
      const provider = yield* TokenProvider.make(endpoint.fetch, { name: "crm", policy })
      const events = yield* provider.subscribe
      assert.strictEqual((yield* Effect.flip(provider.get))._tag, "ReauthorizationRequired")
      assert.deepStrictEqual(yield* take(events, 3), [
        TokenEvent.RefreshFailed({
          provider: "crm",
          reason: "initial",
          attempt: 1,
          error: refused,
          retryAfter: Option.none()
        }),
        TokenEvent.CoolingDown({
          provider: "crm",
          reason: "initial",
          attempts: 1,
          error: refused,
          until: 5_000,
          serving: Option.none()
        }),
        TokenEvent.Reauthorize({ provider: "crm", error: refused })
      ])
    }))

  it.scoped("invalidate reports a rejection each time; only the token still held is discarded", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint()
      const provider = yield* TokenProvider.make(endpoint.fetch, { name: "crm", policy })
      const events = yield* provider.subscribe
      const first = yield* provider.get
      yield* provider.invalidate(first)
      yield* provider.invalidate(first)
      yield* provider.get
      const [, once, twice, refetched] = yield* take(events, 4)
      assert.deepStrictEqual([once, twice], [
        TokenEvent.Rejected({ provider: "crm", tokenId: 1, invalidated: true, request: Option.none() }),
        TokenEvent.Rejected({ provider: "crm", tokenId: 1, invalidated: false, request: Option.none() })
      ])
      assert.isTrue(TokenEvent.$is("Fetched")(refetched))
      assert.deepStrictEqual(
        TokenEvent.$is("Fetched")(refetched) ? [refetched.tokenId, refetched.previousTokenId, refetched.reason] : [],
        [2, Option.some(1), "invalidated"]
      )
    }))

  it.scoped("an initial token is the provider's first: it has id 1", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint()
      const initial = yield* endpoint.fetch
      const provider = yield* TokenProvider.make(endpoint.fetch, { name: "crm", policy, initial })
      const events = yield* provider.subscribe
      yield* provider.invalidate(initial)
      yield* provider.get
      const [rejected, fetched] = yield* take(events, 2)
      assert.deepStrictEqual(rejected, TokenEvent.Rejected({ provider: "crm", tokenId: 1, invalidated: true, request: Option.none() }))
      assert.deepStrictEqual(
        TokenEvent.$is("Fetched")(fetched) ? [fetched.tokenId, fetched.previousTokenId] : [],
        [2, Option.some(1)]
      )
    }))

  it.scoped("a token obtained again, by value, keeps its id", () =>
    Effect.gen(function*() {
      // a new record of the same token each time, as a store read gives
      const fetch = Effect.sync(() =>
        new AccessToken.AccessToken({
          token: Redacted.make("the-same-token"),
          type: "Bearer",
          issuedAt: 0,
          expiresAt: 600_000,
          scopes: [],
          refreshToken: Option.none()
        })
      )
      const provider = yield* TokenProvider.make(fetch, { name: "crm", policy })
      const events = yield* provider.subscribe
      yield* provider.get
      yield* provider.refresh
      assert.deepStrictEqual(
        (yield* take(events, 2)).map((event) => TokenEvent.$is("Fetched")(event) ? [event.tokenId, event.previousTokenId] : []),
        [[1, Option.none()], [1, Option.some(1)]]
      )
    }))

  it.scoped("publishing never waits for a subscriber: one that does not read loses the oldest beyond 1,024", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint()
      const provider = yield* TokenProvider.make(endpoint.fetch, { name: "crm", policy })
      const events = yield* provider.subscribe
      // 1,100 tokens the provider never held: each gets the next id
      for (let i = 0; i < 1_100; i++) {
        yield* provider.invalidate(
          new AccessToken.AccessToken({
            token: Redacted.make(`unknown-${i}`),
            type: "Bearer",
            issuedAt: 0,
            expiresAt: 60_000,
            scopes: [],
            refreshToken: Option.none()
          })
        )
      }
      const kept = yield* take(events, 1_024)
      assert.deepStrictEqual(
        kept.map((event) => (TokenEvent.$is("Rejected")(event) ? event.tokenId : 0)),
        Array.from({ length: 1_024 }, (_, i) => 77 + i)
      )
    }))

  it.effect("the stream ends when the provider's scope closes, and a late report is no error", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint()
      const scope = yield* Scope.make()
      const provider = yield* Scope.extend(TokenProvider.make(endpoint.fetch, { name: "crm", policy }), scope)
      const collecting = yield* Effect.fork(Stream.runCollect(provider.events))
      yield* settle
      const token = yield* provider.get
      yield* Scope.close(scope, Exit.void)
      const seen = Chunk.toArray(yield* Fiber.join(collecting))
      assert.deepStrictEqual(seen.map((event) => event._tag), ["Fetched"])
      yield* provider.invalidate(token)
    }))

  it.scoped("a pool's providers publish on the pool's events, named after the pool", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint()
      const pool = yield* ConnectionPool.make({
        key: (tenant: string) =>
          TokenStore.key({ issuer: "https://auth.example.com", clientId: tenant, grant: "client_credentials" }),
        acquire: () => endpoint.fetch,
        name: "tenants",
        policy
      })
      const events = yield* pool.provider("a").subscribe
      const token = yield* pool.provider("b").get
      yield* pool.invalidate("b", token)
      assert.deepStrictEqual(yield* take(events, 2), [
        TokenEvent.Fetched({
          provider: "tenants",
          tokenId: 1,
          previousTokenId: Option.none(),
          reason: "initial",
          expiresAt: token.expiresAt,
          attempts: 1
        }),
        TokenEvent.Rejected({ provider: "tenants", tokenId: 1, invalidated: true, request: Option.none() })
      ])
    }).pipe(Effect.provide(TokenStore.layerMemory)))

  describe("with BearerAuth against the simulated server", () => {
    const clientSecret = "event-secret: pä ss+/="
    const ServerLive = AuthServer.layerClient.pipe(
      Layer.provideMerge(AuthServer.layer({
        clients: [{ clientId: "app", clientSecret }],
        tokenLifetime: "10 minutes"
      }))
    )

    it.scoped("the rejection and the replay go on the provider's events, without the query", () =>
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const obtained = yield* Ref.make<ReadonlyArray<string>>([])
        const fetch = Grant.clientCredentials(Endpoint.make({
          tokenUrl: "http://127.0.0.1/token",
          auth: ClientAuth.clientSecretBasic("app", Redacted.make(clientSecret))
        })).pipe(Effect.tap((token) => Ref.update(obtained, (values) => [...values, tokenValue(token)])))
        const provider = yield* TokenProvider.make(fetch, { name: "orders", policy })
        const events = yield* provider.subscribe
        const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider))
        yield* client.get("http://127.0.0.1/api/orders")
        yield* server.revokeAll
        assert.strictEqual((yield* client.get("http://127.0.0.1/api/orders?page=2&code=q-secret")).status, 200)

        const seen = yield* take(events, 4)
        const request = { method: "GET", url: "http://127.0.0.1/api/orders", status: 401 }
        assert.deepStrictEqual(seen.slice(1).map((event) => event._tag), ["Rejected", "Fetched", "Replayed"])
        assert.deepStrictEqual(seen[1], TokenEvent.Rejected({ provider: "orders", tokenId: 1, invalidated: true, request: Option.some(request) }))
        assert.deepStrictEqual(
          TokenEvent.$is("Fetched")(seen[2]!) ? [seen[2].tokenId, seen[2].reason] : [],
          [2, "forced"]
        )
        assert.deepStrictEqual(seen[3], TokenEvent.Replayed({ provider: "orders", tokenId: 2, rejectedTokenId: 1, request }))

        // no printing of an event shows a token, the client secret or the query
        const forbidden = [...clientSecretForms("app", clientSecret), ...(yield* Ref.get(obtained)), "q-secret"]
        assert.strictEqual(forbidden.length, 7)
        const printed = seen.flatMap(printings).join("\n")
        for (const value of forbidden) assert.notInclude(printed, value)
      }).pipe(Effect.provide(ServerLive)))

    it.scoped("a request still rejected with the new token: two Rejected, one Replayed", () =>
      Effect.gen(function*() {
        const provider = yield* TokenProvider.make(
          Grant.clientCredentials(Endpoint.make({
            tokenUrl: "http://127.0.0.1/token",
            auth: ClientAuth.clientSecretBasic("app", Redacted.make(clientSecret))
          })),
          { name: "orders", policy }
        )
        const events = yield* provider.subscribe
        const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider, { bodyPattern: /orders/ }))
        const error = yield* Effect.flip(client.get("http://127.0.0.1/api/orders"))
        assert.strictEqual(error._tag, "TokenRejected")
        const seen = yield* take(events, 5)
        assert.deepStrictEqual(
          seen.map((event) => [event._tag, "tokenId" in event ? event.tokenId : undefined]),
          [["Fetched", 1], ["Rejected", 1], ["Fetched", 2], ["Replayed", 2], ["Rejected", 2]]
        )
        assert.deepStrictEqual(
          TokenEvent.$is("Rejected")(seen[4]!) ? [seen[4].invalidated, Option.map(seen[4].request, (r) => r.status)] : [],
          [true, Option.some(200)]
        )
      }).pipe(Effect.provide(ServerLive)))
  })
})
