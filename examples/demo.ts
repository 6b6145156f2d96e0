/**
 * The grantflow demo: an API integration kept authenticated through token
 * expiry, a revoked token and a flaky token endpoint.
 *
 * Everything runs in this process on loopback: the simulated authorization
 * server and protected API from `@grantflow/testing`, and a grantflow client
 * that calls the API every 100 ms for 20 seconds with 3-second tokens. A
 * script revokes the token once and makes the token endpoint fail a few
 * times; the timeline — the token provider's event stream, printed as it
 * comes — shows what grantflow did about it, and the summary shows that the
 * caller never saw a failure.
 *
 * Run it with `pnpm demo`.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { BearerAuth, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenEvent, TokenProvider } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Duration, Effect, Layer, Logger, LogLevel, Option, Redacted, Ref, Schedule, Stream } from "effect"

const DURATION = Duration.seconds(20)
const CALL_EVERY = Duration.millis(100)
const TOKEN_LIFETIME = Duration.seconds(3)

const clientId = "demo-client"
const clientSecret = "demo-secret: never printed"

// ── the timeline, built from the provider's events ──────────────────────────

const startedAt = Date.now()
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(2).padStart(6)}s`
const print = (line: string) => console.log(`${elapsed()}  ${line}`)

const validFor = (expiresAt: number) => `valid ${((expiresAt - Date.now()) / 1000).toFixed(1)}s`
const replacing = (previous: Option.Option<number>) =>
  Option.match(previous, { onNone: () => "", onSome: (id) => ` (replaces #${id})` })

const describeEvent = TokenEvent.$match({
  Fetched: ({ expiresAt, previousTokenId, reason, tokenId }) => {
    const what = reason === "initial"
      ? "first token fetched"
      : reason === "invalidated"
      ? "token fetched after the API rejected the old one"
      : reason === "expired"
      ? "token fetched while callers waited (the old one was within its safety margin)"
      : "token fetched for the replay, requested after the rejection"
    return `🔑 ${what}: #${tokenId}${replacing(previousTokenId)}, ${validFor(expiresAt)}`
  },
  BackgroundRefresh: ({ expiresAt, previousTokenId, tokenId }) =>
    `🔑 background refresh before expiry: #${tokenId}${replacing(previousTokenId)}, ${validFor(expiresAt)}`,
  RefreshFailed: ({ error, retryAfter }) =>
    `✗  token request failed: ${error.message.split(";")[0]}` +
    (!error.retryable
      ? " → not retryable"
      : Option.match(retryAfter, {
        onNone: () => " → retry with backoff",
        onSome: (wait) => ` → retry after the server's Retry-After (${Duration.format(wait)})`
      })),
  CoolingDown: ({ error, serving }) =>
    Option.match(serving, {
      onNone: () => `⚠  refresh failed: ${error.message}`,
      onSome: (id) => `⚠  refresh failed; token #${id} is still valid and still served`
    }),
  Reauthorize: () => "🔒 the refresh token was refused: the user must authorize again",
  Rejected: ({ invalidated, request, tokenId }) =>
    Option.match(request, {
      onNone: () => `🚫 token #${tokenId} reported rejected`,
      onSome: ({ method, status, url }) => `🚫 API answered ${status} to ${method} ${new URL(url).pathname}`
    }) + (invalidated ? ` → token #${tokenId} is invalidated` : ` → token #${tokenId} was replaced already`),
  Replayed: ({ request, tokenId }) => `↺  request replayed once with token #${tokenId} (${request.method})`
})

// ── the scenario ────────────────────────────────────────────────────────────

const scenario = Effect.gen(function*() {
  const server = yield* AuthServer.AuthServer
  const { url } = yield* Loopback.Loopback
  const api = new URL("/api/orders", url).toString()

  const provider = yield* TokenProvider.make(
    Grant.clientCredentials(
      Endpoint.make({
        tokenUrl: new URL("/token", url),
        auth: ClientAuth.clientSecretBasic(clientId, Redacted.make(clientSecret))
      }),
      { scopes: ["orders.read"] }
    ),
    {
      name: "demo",
      policy: RefreshPolicy.make({
        retry: Schedule.exponential("200 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(5))),
        coolDown: "1 second",
        // 3-second tokens have a 1.5-second refresh window, which the default 2-second margin would fill:
        // half a second leaves a second for the background refresh (this server does not round issue times)
        safetyMargin: "500 millis"
      })
    }
  )
  // subscribed before the first call: the timeline has every event from the first token on
  const events = yield* provider.subscribe
  yield* Effect.forkScoped(Stream.runForEach(events, (event) => Effect.sync(() => print(describeEvent(event)))))
  const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider))

  const calls = yield* Ref.make({ ok: 0, failed: 0 })
  const call = client.get(api).pipe(
    Effect.flatMap(HttpClientResponse.filterStatusOk),
    Effect.flatMap((response) => response.json),
    Effect.matchEffect({
      onSuccess: () => Ref.update(calls, (c) => ({ ...c, ok: c.ok + 1 })),
      onFailure: (error) =>
        Effect.zipRight(
          Ref.update(calls, (c) => ({ ...c, failed: c.failed + 1 })),
          Effect.sync(() => print(`❌ the caller saw a failure: ${error.message}`))
        )
    })
  )

  const script = Effect.gen(function*() {
    yield* Effect.sleep("6500 millis")
    print("⚡ the server revokes every token it issued")
    yield* server.revokeAll
    yield* Effect.sleep("4 seconds")
    print("⚡ the token endpoint will answer 503 to the next 3 token requests")
    yield* server.fail(AuthServer.Status({ status: 503 }), { times: 3 })
    yield* Effect.sleep("4 seconds")
    print("⚡ the token endpoint will answer 429 with Retry-After: 1 once")
    yield* server.fail(AuthServer.Status({ status: 429, retryAfter: "1 second" }), { times: 1 })
  })

  console.log(`grantflow demo — simulated authorization server and API on ${url.origin}`)
  console.log(`calling GET /api/orders every ${Duration.format(CALL_EVERY)} for ${Duration.format(DURATION)}, tokens live ${Duration.format(TOKEN_LIFETIME)}\n`)

  yield* Effect.fork(script)
  yield* call.pipe(Effect.repeat(Schedule.spaced(CALL_EVERY)), Effect.timeout(DURATION), Effect.ignore)

  const { failed, ok } = yield* Ref.get(calls)
  const journal = yield* server.journal
  const tokenRequests = journal.filter((entry) => entry.endpoint === "token")
  const rejected = journal.filter((entry) => entry.endpoint === "api" && entry.status === 401)
  console.log(`
summary
  API calls made by the caller ........ ${ok + failed}
  failures seen by the caller ......... ${failed}
  token requests (incl. failed) ....... ${tokenRequests.length} (${tokenRequests.filter((e) => e.status !== 200).length} failed)
  API requests rejected with 401 ...... ${rejected.length} (each replayed once with a new token)
`)
  if (failed > 0) return yield* Effect.fail(new Error(`the caller saw ${failed} failures`))
})

const ServerLive = AuthServer.layer({
  clients: [{ clientId, clientSecret, scopes: ["orders.read"] }],
  tokenLifetime: TOKEN_LIFETIME
})

// the simulated server on a loopback port, as a real integration would reach it
const LoopbackLive = Loopback.layer(Effect.flatMap(AuthServer.AuthServer, (server) => server.app)).pipe(
  Layer.provideMerge(ServerLive)
)

scenario.pipe(
  Effect.scoped,
  Effect.provide(LoopbackLive),
  Effect.provide(NodeHttpClient.layerUndici),
  // the timeline is the events; grantflow's log lines say the same in prose
  Logger.withMinimumLogLevel(LogLevel.None),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
