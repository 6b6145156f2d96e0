/**
 * P1: requests per second of a BearerAuth client against the same client with
 * a static Authorization header, both calling the simulated API on a loopback
 * port with the same valid token. Goal: ≥ 0.97 of the baseline.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { AccessToken, BearerAuth, ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Effect, Layer, Redacted } from "effect"
import { interleaved, nsPerOp, report, spread } from "./lib.js"

const REQUESTS = 2_000
const CONCURRENCY = 8

export const p1 = Effect.gen(function*() {
  const base = (yield* Loopback.Loopback).url.origin
  const api = `${base}/api/orders`
  const provider = yield* TokenProvider.make(Grant.clientCredentials(Endpoint.make({
    tokenUrl: `${base}/token`,
    auth: ClientAuth.clientSecretBasic("bench", Redacted.make("bench-secret"))
  })))
  const token = yield* provider.get
  const http = yield* HttpClient.HttpClient
  const staticClient = http.pipe(
    HttpClient.mapRequest(HttpClientRequest.setHeader("authorization", Redacted.value(AccessToken.authorizationHeader(token))))
  )
  const bearerClient = http.pipe(BearerAuth.authenticate(provider))

  const load = (client: HttpClient.HttpClient.With<unknown>) =>
    Effect.as(
      Effect.forEach(
        Array.from({ length: REQUESTS }),
        () => Effect.flatMap(client.get(api), (response) => response.text),
        { concurrency: CONCURRENCY, discard: true }
      ),
      REQUESTS
    )

  // a round's ratio: BearerAuth's requests per second as a share of the static header's
  const rounds = yield* interleaved({
    baseline: nsPerOp(load(staticClient)),
    subject: nsPerOp(load(bearerClient)),
    ratio: (staticNs, bearerNs) => staticNs / bearerNs,
    rounds: 31
  })
  const format = (ratio: number) => ratio.toFixed(3)
  return yield* report(
    "P1",
    "BearerAuth client throughput vs static header (loopback)",
    format(rounds.ratio),
    "≥ 0.97",
    rounds.ratio >= 0.97,
    `${spread(rounds, format)}; ${(1e9 / rounds.subject).toFixed(0)} req/s vs ${(1e9 / rounds.baseline).toFixed(0)} req/s`
  )
}).pipe(
  Effect.scoped,
  Effect.provide(
    Loopback.layer(Effect.flatMap(AuthServer.AuthServer, (server) => server.app)).pipe(
      Layer.provideMerge(AuthServer.layer({ clients: [{ clientId: "bench", clientSecret: "bench-secret" }] })),
      Layer.provideMerge(NodeHttpClient.layerUndici)
    )
  )
)
