/**
 * P5: 16 processes (p5-member.ts) share one client credentials token through
 * Redis for 20 token lifetimes, each asking for a token continuously; the
 * simulated server, on a loopback port of this process, counts the token
 * requests. Tokens are refreshed at expiry, so each serves one whole lifetime
 * and a single process needs 20. The same processes, in the same window, also
 * hold a provider over a store of their own, against another client: the
 * per-process cache baseline, 16 × 20. Goal: 20 for the whole fleet.
 */
import { TokenStore } from "@grantflow/core"
import { Loopback, RedisTokenStore } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Duration, Effect, Option, Queue } from "effect"
import { spawn } from "node:child_process"
import * as readline from "node:readline"
import { report, tsxArguments } from "./lib.js"

const PROCESSES = 16
const LIFETIMES = 20
const LIFETIME = Duration.seconds(2)
const REDIS = process.env.GRANTFLOW_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379"

/** A member process, run from its TypeScript source with tsx; killed when the scope closes. */
const member = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const lines = yield* Queue.unbounded<string>()
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, tsxArguments(new URL("./p5-member.ts", import.meta.url)), {
          env: { ...process.env, ...env },
          stdio: ["pipe", "pipe", "inherit"]
        })
      ),
      (child) => Effect.sync(() => child.kill())
    )
    readline.createInterface({ input: child.stdout }).on("line", (line) => Queue.unsafeOffer(lines, line))
    child.on("exit", (code) => Queue.unsafeOffer(lines, `exited with ${code}`))
    return {
      send: (line: string) => Effect.sync(() => void child.stdin.write(`${line}\n`)),
      next: Queue.take(lines)
    }
  })

export const p5 = Effect.gen(function*() {
  const run = `${process.pid}-${Date.now()}`
  const server = yield* AuthServer.make({
    clients: [{ clientId: "fleet", clientSecret: "fleet-secret" }, { clientId: "solo", clientSecret: "solo-secret" }],
    tokenLifetime: LIFETIME
  })
  const tokenUrl = new URL("/token", (yield* Loopback.make(server.app)).url).toString()
  const key = TokenStore.key({ issuer: tokenUrl, clientId: "fleet", grant: "client_credentials", subject: `p5-${run}` })
  const prefix = `grantflow-bench:${run}:`
  const members = yield* Effect.forEach(
    Array.from({ length: PROCESSES }),
    () => member({ P5_TOKEN_URL: tokenUrl, P5_REDIS: REDIS, P5_PREFIX: prefix, P5_KEY: key })
  )
  for (const m of members) {
    const line = yield* m.next
    if (line !== "ready") return yield* Effect.dieMessage(`P5: a member process printed "${line}"`)
  }

  yield* server.clearJournal
  const started = Date.now()
  yield* Effect.forEach(members, (m) => m.send("go"), { discard: true })
  yield* Effect.sleep(Duration.times(LIFETIME, LIFETIMES))
  const ended = started + Duration.toMillis(Duration.times(LIFETIME, LIFETIMES))
  yield* Effect.forEach(members, (m) => m.send("stop"), { discard: true })
  let served = 0
  let failed = 0
  for (const m of members) {
    const line = yield* m.next
    const counts = /^served (\d+) failed (\d+)$/.exec(line)
    if (counts === null) return yield* Effect.dieMessage(`P5: a member process printed "${line}"`)
    served += Number(counts[1])
    failed += Number(counts[2])
  }

  const requests = (clientId: string) =>
    Effect.map(server.journal, (journal) =>
      journal.filter((entry) => entry.endpoint === "token" && entry.clientId === clientId && entry.at < ended).length)
  const shared = yield* requests("fleet")
  const baseline = yield* requests("solo")

  // the shared record goes; the leases expire by themselves
  yield* Effect.gen(function*() {
    const store = yield* RedisTokenStore.make({ redis: REDIS, prefix, encryption: "none" })
    const entry = yield* store.get(key)
    if (Option.isSome(entry)) yield* store.remove(key, entry.value.version)
  }).pipe(Effect.scoped, Effect.ignore)

  return yield* report(
    "P5",
    `${PROCESSES} processes sharing Redis, ${LIFETIMES} token lifetimes → token requests`,
    `${shared}`,
    `${LIFETIMES}`,
    shared <= LIFETIMES && failed === 0,
    `baseline without a shared store: ${baseline} (${PROCESSES} × ${LIFETIMES} = ${PROCESSES * LIFETIMES}); ` +
      `${served} tokens served, ${failed} failed`
  )
}).pipe(Effect.scoped)
