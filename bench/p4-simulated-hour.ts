/**
 * P4: a simulated hour (TestClock) of continuous API calls, one a second, with
 * 5-minute tokens. Each token is refreshed once when its window opens, so the
 * token endpoint sees ⌈T / (lifetime − window)⌉ requests, and the caller
 * never sees a 401.
 */
import { HttpClient } from "@effect/platform"
import { AccessToken, BearerAuth, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenProvider } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Duration, Effect, Layer, Option, Redacted, TestClock } from "effect"
import { report, withTestContext } from "./lib.js"

const HOUR = Duration.hours(1)
const LIFETIME = Duration.minutes(5)

export const p4 = Effect.gen(function*() {
  const server = yield* AuthServer.AuthServer
  const policy = RefreshPolicy.defaultPolicy
  const provider = yield* TokenProvider.make(Grant.clientCredentials(Endpoint.make({
    tokenUrl: "http://127.0.0.1/token",
    auth: ClientAuth.clientSecretPost("bench", Redacted.make("bench-secret"))
  })), { policy })
  const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider))
  let callerRejections = 0
  const seconds = Duration.toSeconds(HOUR)
  for (let second = 0; second < seconds; second++) {
    const response = yield* client.get("http://127.0.0.1/api/orders")
    if (response.status === 401) callerRejections++
    yield* TestClock.adjust("1 second")
  }
  const journal = yield* server.journal
  const tokenRequests = journal.filter((e) => e.endpoint === "token").length
  const apiRejections = journal.filter((e) => e.endpoint === "api" && e.status === 401).length
  const probe = new AccessToken.AccessToken({
    token: Redacted.make("-"), type: "Bearer", issuedAt: 0, expiresAt: Duration.toMillis(LIFETIME), scopes: [], refreshToken: Option.none()
  })
  const period = Duration.toMillis(LIFETIME) - AccessToken.windowMillis(probe, policy)
  const expected = Math.ceil(Duration.toMillis(HOUR) / period)
  yield* report(
    "P4",
    "simulated hour, 5-minute tokens → token requests",
    `${tokenRequests}`,
    `= ⌈T/(lifetime − window)⌉ = ${expected}`,
    tokenRequests === expected
  )
  return yield* report(
    "P4",
    "simulated hour → 401s seen by the caller",
    `${callerRejections}`,
    "0",
    callerRejections === 0,
    `${apiRejections} rejected at the API`
  )
}).pipe(
  Effect.scoped,
  Effect.provide(AuthServer.layerClient.pipe(
    Layer.provideMerge(AuthServer.layer({
      clients: [{ clientId: "bench", clientSecret: "bench-secret" }],
      tokenLifetime: LIFETIME
    }))
  )),
  withTestContext
)
