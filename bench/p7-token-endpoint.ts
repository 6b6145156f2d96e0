/**
 * P7: client_credentials token requests per second — the simulated server in
 * memory, the simulated server on a loopback port, and oauth2-mock-server (a
 * popular peer, npm) on a loopback port, all driven by the same grantflow
 * grant in the same run. Goal: ours ≥ 2× the peer on loopback.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { ClientAuth, Grant } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Effect, Layer, Redacted } from "effect"
import { OAuth2Server } from "oauth2-mock-server"
import { compare, info, report } from "./lib.js"

const REQUESTS = 1_000
const CONCURRENCY = 8

const fetchFrom = (tokenUrl: string) =>
  Grant.clientCredentials({
    tokenUrl,
    auth: ClientAuth.clientSecretBasic("bench", Redacted.make("bench-secret")),
    scopes: ["read"]
  })

const rate = <E, R>(fetch: Effect.Effect<unknown, E, R>) =>
  Effect.as(
    Effect.forEach(Array.from({ length: REQUESTS }), () => fetch, { concurrency: CONCURRENCY, discard: true }),
    REQUESTS
  )

const ServerOptions = { clients: [{ clientId: "bench", clientSecret: "bench-secret", scopes: ["read"] }] }

const inMemory = Effect.gen(function*() {
  const fetch = fetchFrom("http://127.0.0.1/token")
  const { subjectNs } = yield* compare({ baseline: rate(fetch), subject: rate(fetch), rounds: 3, warmup: 1 })
  return 1e9 / subjectNs
}).pipe(
  Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(ServerOptions))))
)

export const p7 = Effect.gen(function*() {
  const ours = `${(yield* Loopback.Loopback).url.origin}/token`
  const peer = yield* Effect.acquireRelease(
    Effect.promise(async () => {
      const server = new OAuth2Server()
      await server.issuer.keys.generate("RS256")
      await server.start(0, "127.0.0.1")
      return server
    }),
    (server) => Effect.promise(() => server.stop())
  )
  const peerUrl = `${peer.issuer.url}/token`.replace("localhost", "127.0.0.1")

  const { baselineNs, subjectNs } = yield* compare({
    baseline: rate(fetchFrom(peerUrl)),
    subject: rate(fetchFrom(ours)),
    rounds: 5,
    warmup: 1
  })
  const memory = yield* inMemory
  const ratio = baselineNs / subjectNs
  yield* info("P7", "token requests/s, simulated server in memory", memory.toFixed(0), `${CONCURRENCY} concurrent callers`)
  return yield* report(
    "P7",
    "token requests/s on loopback, ours vs oauth2-mock-server",
    `${ratio.toFixed(2)}×`,
    "≥ 2×",
    ratio >= 2,
    `${(1e9 / subjectNs).toFixed(0)}/s vs ${(1e9 / baselineNs).toFixed(0)}/s (the peer signs an RS256 JWT per token; ours are opaque)`
  )
}).pipe(
  Effect.scoped,
  Effect.provide(
    Loopback.layer(Effect.flatMap(AuthServer.AuthServer, (server) => server.app)).pipe(
      Layer.provideMerge(AuthServer.layer(ServerOptions)),
      Layer.provideMerge(NodeHttpClient.layerUndici)
    )
  )
)
