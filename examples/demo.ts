/**
 * The grantflow demo: an API integration kept authenticated through token
 * expiry, a revoked token and a flaky token endpoint.
 *
 * Everything runs in this process on loopback: the simulated authorization
 * server and protected API from `@grantflow/testing`, and a grantflow client
 * that calls the API every 100 ms for 20 seconds with 3-second tokens. A
 * script revokes the token once and makes the token endpoint fail a few
 * times; the timeline shows what grantflow did about it, and the summary
 * shows that the caller never saw a failure.
 *
 * Run it with `pnpm demo`.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { BearerAuth, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenProvider } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Duration, Effect, HashMap, Layer, Logger, LogLevel, Redacted, Ref, Schedule } from "effect"

const DURATION = Duration.seconds(20)
const CALL_EVERY = Duration.millis(100)
const TOKEN_LIFETIME = Duration.seconds(3)

const clientId = "demo-client"
const clientSecret = "demo-secret: never printed"

// ── the timeline ────────────────────────────────────────────────────────────

const startedAt = Date.now()
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(2).padStart(6)}s`

const describeEvent = (message: string, annotations: HashMap.HashMap<string, unknown>): string | undefined => {
  const get = (key: string) => HashMap.get(annotations, key).pipe((o) => (o._tag === "Some" ? String(o.value) : ""))
  switch (message) {
    case "grantflow: token obtained": {
      const expiresIn = (Number(get("expiresInMillis")) / 1000).toFixed(1)
      const reason = get("reason")
      const what = reason === "initial"
        ? "first token fetched"
        : reason === "background"
        ? "background refresh before expiry: new token"
        : reason === "invalidated"
        ? "token refreshed after the API rejected the old one"
        : reason === "expired"
        ? "token refreshed while callers waited (it was within its safety margin)"
        : `token refreshed (${reason})`
      return `🔑 ${what}, valid ${expiresIn}s`
    }
    case "grantflow: token request failed":
      return `✗  token request failed: ${get("error").split(";")[0]}` +
        (get("retryable") !== "true"
          ? " → not retryable"
          : get("retryAfterMillis") !== ""
          ? ` → retry after the server's Retry-After (${Number(get("retryAfterMillis")) / 1000}s)`
          : " → retry with backoff")
    case "grantflow: token invalidated":
      return `🚫 API answered 401 → the rejected token is invalidated`
    case "grantflow: the API rejected the token; request replayed with a new one":
      return `↺  request replayed once with the new token (${get("method")})`
    case "grantflow: token refresh failed; serving the current token until it expires":
      return `⚠  refresh failed; the current token is still valid and still served`
    case "grantflow: token refresh failed":
      return `⚠  refresh failed: ${get("error")}`
    default:
      return message.startsWith("demo: ") ? `⚡ ${message.slice(6)}` : undefined
  }
}

const TimelineLogger = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ annotations, message }) => {
    const text = describeEvent(String(Array.isArray(message) ? message[0] : message), annotations)
    if (text !== undefined) console.log(`${elapsed()}  ${text}`)
  })
)

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
          Effect.sync(() => console.log(`${elapsed()}  ❌ the caller saw a failure: ${error.message}`))
        )
    })
  )

  const script = Effect.gen(function*() {
    yield* Effect.sleep("6500 millis")
    yield* Effect.logInfo("demo: the server revokes every token it issued")
    yield* server.revokeAll
    yield* Effect.sleep("4 seconds")
    yield* Effect.logInfo("demo: the token endpoint will answer 503 to the next 3 token requests")
    yield* server.fail(AuthServer.Status({ status: 503 }), { times: 3 })
    yield* Effect.sleep("4 seconds")
    yield* Effect.logInfo("demo: the token endpoint will answer 429 with Retry-After: 1 once")
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
  Effect.provide(TimelineLogger),
  Logger.withMinimumLogLevel(LogLevel.Debug),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
