/**
 * P8: requests per second of a DPoP client (RFC 9449: a proof signed per
 * request, the token bound to the key) against the same client with Bearer.
 * Goal: ≥ 0.85 of the Bearer client. The client is what is measured, so both
 * call one loopback API in a process of its own that costs the same for either
 * scheme (`echo-api.mjs`); the tokens come from the simulated server, DPoP-bound
 * for the DPoP client. The physical cost is the proof's signature: the
 * microseconds one ES256 proof takes are printed too. Then the same DPoP
 * client calls the simulated API, which checks every proof and wants nonces:
 * the share of its requests that paid an extra round trip for a nonce once the
 * client had one (goal: 0 — the nonce is kept per origin).
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { BearerAuth, ClientAuth, Dpop, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Effect, Layer, Redacted } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { formatNs, interleaved, nsPerOp, report, spread } from "./lib.js"

const REQUESTS = 2_000
const CONCURRENCY = 8
const PROOFS = 2_000

/** `echo-api.mjs` in a child process for the scope; its base URL once it listens. */
const echoApi = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly stop: () => void }, Error>((resume) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL("./echo-api.mjs", import.meta.url))], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    const stop = () => child.kill()
    child.once("error", (error) => resume(Effect.fail(error)))
    child.stdout.once("data", (port: Buffer) => resume(Effect.succeed({ url: `http://127.0.0.1:${String(port).trim()}`, stop })))
    return Effect.sync(stop)
  }),
  (api) => Effect.sync(api.stop)
)

const load = (client: HttpClient.HttpClient.With<unknown>, url: string, requests: number) =>
  Effect.as(
    Effect.forEach(
      Array.from({ length: requests }),
      () =>
        Effect.flatMap(client.get(url), (response) =>
          response.status === 200 ? response.text : Effect.dieMessage(`${url} answered ${response.status}`)),
      { concurrency: CONCURRENCY, discard: true }
    ),
    requests
  )

export const p8 = Effect.gen(function*() {
  const server = yield* AuthServer.AuthServer
  const base = (yield* Loopback.Loopback).url.origin
  const endpoint = (dpop?: Dpop.DpopKey) =>
    Endpoint.make({
      tokenUrl: `${base}/token`,
      auth: ClientAuth.clientSecretBasic("bench", Redacted.make("bench-secret")),
      dpop
    })
  const key = yield* Dpop.generateKey()
  const http = yield* HttpClient.HttpClient
  const bearerClient = http.pipe(BearerAuth.authenticate(yield* TokenProvider.make(Grant.clientCredentials(endpoint()))))
  const dpopClient = http.pipe(
    BearerAuth.authenticate(yield* TokenProvider.make(Grant.clientCredentials(endpoint(key))), { dpop: key })
  )

  const api = `${(yield* echoApi).url}/api/orders`
  const rounds = yield* interleaved({
    baseline: nsPerOp(load(bearerClient, api, REQUESTS)),
    subject: nsPerOp(load(dpopClient, api, REQUESTS)),
    ratio: (bearerNs, dpopNs) => bearerNs / dpopNs,
    rounds: 15
  })
  const proofNs = yield* nsPerOp(Effect.as(
    Effect.forEach(
      Array.from({ length: PROOFS }),
      () => Dpop.proof(key, { htm: "GET", htu: api, accessToken: "a".repeat(43) }),
      { discard: true }
    ),
    PROOFS
  ))

  // The simulated API checks proofs and wants a nonce; the client's first
  // request there pays the round trip for it, the rest must not.
  const simApi = `${base}/api/orders`
  yield* load(dpopClient, simApi, 1)
  const before = (yield* server.journal).length
  yield* load(dpopClient, simApi, REQUESTS)
  const steady = (yield* server.journal).slice(before).filter((entry) => entry.endpoint === "api")
  const nonceAnswers = steady.filter((entry) => entry.dpop === "nonce").length

  const format = (ratio: number) => ratio.toFixed(3)
  const throughput = yield* report(
    "P8",
    "DPoP client throughput vs Bearer (loopback)",
    format(rounds.ratio),
    "≥ 0.85",
    rounds.ratio >= 0.85,
    `${spread(rounds, format)}; ${(1e9 / rounds.subject).toFixed(0)} req/s vs ${(1e9 / rounds.baseline).toFixed(0)} req/s; ` +
      `${formatNs(proofNs)} per ES256 proof`
  )
  const nonces = yield* report(
    "P8",
    "requests that paid a nonce round trip in steady state",
    `${nonceAnswers} of ${steady.length}`,
    "0",
    nonceAnswers === 0 && steady.length === REQUESTS
  )
  return throughput && nonces
}).pipe(
  Effect.scoped,
  Effect.provide(
    Loopback.layer(Effect.flatMap(AuthServer.AuthServer, (server) => server.app)).pipe(
      Layer.provideMerge(AuthServer.layer({
        clients: [{ clientId: "bench", clientSecret: "bench-secret" }],
        dpop: { nonce: true }
      })),
      Layer.provideMerge(NodeHttpClient.layerUndici)
    )
  )
)
