/**
 * P7: client_credentials token requests per second — the simulated server in
 * memory (driven by grantflow's grant), and on a loopback port against
 * oauth2-mock-server (a popular peer, npm), both loopback servers driven by
 * the same plain `fetch` load so that the servers, not the client, are
 * measured. Ours runs twice: with opaque tokens, and with signed JWTs like
 * the peer's, each as the standalone server (`SimServer`) runs it, without
 * per-request spans. Goal: ours ≥ 2× the peer on loopback.
 */
import { ClientAuth, Endpoint, Grant } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Context, Effect, Layer, Redacted } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { OAuth2Server } from "oauth2-mock-server"
import { info, interleaved, median, nsPerOp, report, type Rounds, spread } from "./lib.js"

const REQUESTS = 1_000
const LOOPBACK_REQUESTS = 3_000
const CONCURRENCY = 8

const fetchFrom = (tokenUrl: string) =>
  Grant.clientCredentials(
    Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretBasic("bench", Redacted.make("bench-secret")) }),
    { scopes: ["read"] }
  )

const rate = <E, R>(fetch: Effect.Effect<unknown, E, R>) =>
  Effect.as(
    Effect.forEach(Array.from({ length: REQUESTS }), () => fetch, { concurrency: CONCURRENCY, discard: true }),
    REQUESTS
  )

/**
 * `REQUESTS` token requests, `CONCURRENCY` at a time, sent by `load-token.mjs`
 * in a child process (the servers run in this one); its own measure of the
 * elapsed time leaves process start-up out.
 */
const loadMillis = (tokenUrl: string) =>
  Effect.async<number, Error>((resume) => {
    const child = execFile(
      process.execPath,
      [fileURLToPath(new URL("./load-token.mjs", import.meta.url)), tokenUrl, String(LOOPBACK_REQUESTS), String(CONCURRENCY)],
      (error, stdout) => resume(error === null ? Effect.succeed(Number(stdout.trim())) : Effect.fail(error))
    )
    return Effect.sync(() => child.kill())
  })

/** Our requests per second over the peer's, in interleaved rounds: the peer's time for the same load over ours. */
const versus = (ours: string, peer: string) =>
  interleaved({
    baseline: loadMillis(peer),
    subject: loadMillis(ours),
    ratio: (peerMs, oursMs) => peerMs / oursMs,
    rounds: 11,
    warmup: 1
  })

const ServerOptions = { clients: [{ clientId: "bench", clientSecret: "bench-secret", scopes: ["read"] }] }

const inMemory = Effect.gen(function*() {
  const fetch = fetchFrom("http://127.0.0.1/token")
  yield* rate(fetch)
  const runs = yield* Effect.forEach(Array.from({ length: 3 }), () => nsPerOp(rate(fetch)))
  return 1e9 / median(runs)
}).pipe(
  Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(ServerOptions))))
)

/** Serves a simulated server on loopback, as the standalone server does, for the rest of the enclosing scope. */
const onLoopback = (options: AuthServer.Options) =>
  Layer.build(
    Loopback.layer(Effect.flatMap(AuthServer.AuthServer, (server) => server.app), { traced: false }).pipe(
      Layer.provide(AuthServer.layer(options))
    )
  ).pipe(Effect.map((context) => `${Context.get(context, Loopback.Loopback).url.origin}/token`))

export const p7 = Effect.gen(function*() {
  const opaque = yield* onLoopback(ServerOptions)
  const jwt = yield* onLoopback({ ...ServerOptions, accessTokenFormat: "jwt" })
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

  const opaqueRun = yield* versus(opaque, peerUrl)
  const jwtRun = yield* versus(jwt, peerUrl)
  const memory = yield* inMemory
  yield* info("P7", "token requests/s, simulated server in memory", memory.toFixed(0), `${CONCURRENCY} concurrent grantflow grants`)
  const perSecond = (millis: number) => (LOOPBACK_REQUESTS * 1000) / millis
  const format = (ratio: number) => `${ratio.toFixed(2)}×`
  const line = (label: string, rounds: Rounds) =>
    report(
      "P7",
      `token requests/s on loopback, ours (${label}) vs oauth2-mock-server (RS256 JWT)`,
      format(rounds.ratio),
      "≥ 2×",
      rounds.ratio >= 2,
      `${spread(rounds, format)}; ${perSecond(rounds.subject).toFixed(0)}/s vs ${perSecond(rounds.baseline).toFixed(0)}/s, ` +
        "load from a separate process"
    )
  yield* line("opaque tokens", opaqueRun)
  return yield* line("RS256 JWT", jwtRun)
}).pipe(Effect.scoped)
