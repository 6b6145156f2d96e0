/**
 * P5: 16 processes (p5-member.ts) share one client credentials token through
 * a store for 20 token lifetimes, each asking for a token continuously; the
 * simulated server, on a loopback port of this process, counts the token
 * requests. Tokens are refreshed at expiry, so each serves one whole lifetime
 * and a single process needs 20. The same processes, in the same window, also
 * hold a provider over a store of their own, against another client: the
 * per-process cache baseline, 16 × 20. Goal: 20 for the whole fleet.
 *
 * The fleet runs twice, over Redis and then over PostgreSQL (the SQL store,
 * in tables of this run's own); the last line gives the tokens the shared
 * providers served per second over PostgreSQL against Redis.
 */
import { TokenStore } from "@grantflow/core"
import { Loopback, RedisTokenStore } from "@grantflow/node"
import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
import { AuthServer } from "@grantflow/testing"
import * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Option, Queue, Redacted } from "effect"
import { spawn } from "node:child_process"
import * as readline from "node:readline"
import { info, report, tsxArguments } from "./lib.js"

const PROCESSES = 16
const LIFETIMES = 20
const LIFETIME = Duration.seconds(2)
const REDIS = process.env.GRANTFLOW_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379"
const DATABASE = process.env.GRANTFLOW_BENCH_DATABASE_URL ??
  "postgres://grantflow:grantflow@127.0.0.1:5432/grantflow_test"

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

type Store = "redis" | "postgres"

const names: Record<Store, string> = { redis: "Redis", postgres: "PostgreSQL" }

const pg = PgClient.layer({ url: Redacted.make(DATABASE), maxConnections: 2 })

/** The shared store of a run, for the parent's own reads and its cleanup. */
const sharedStore = (store: Store, location: string) =>
  store === "redis"
    ? RedisTokenStore.make({ redis: REDIS, prefix: location, encryption: "none" })
    : Effect.flatMap(Layer.build(pg), (pool) =>
      Effect.orDie(Effect.provide(SqlTokenStore.make({ tablePrefix: location, encryption: "none" }), pool)))

/** One run of the fleet over `store`: token requests, and tokens served. */
const fleet = (store: Store) =>
  Effect.gen(function*() {
    const run = `${process.pid}-${Date.now()}`
    const server = yield* AuthServer.make({
      clients: [{ clientId: "fleet", clientSecret: "fleet-secret" }, { clientId: "solo", clientSecret: "solo-secret" }],
      tokenLifetime: LIFETIME
    })
    const tokenUrl = new URL("/token", (yield* Loopback.make(server.app)).url).toString()
    const key = TokenStore.key({ issuer: tokenUrl, clientId: "fleet", grant: "client_credentials", subject: `p5-${run}` })
    const location = store === "redis" ? `grantflow-bench:${run}:` : `gf_bench_${run.replace("-", "_")}_`
    if (store === "postgres") {
      yield* SqlTokenStore.migrate({ tablePrefix: location }).pipe(Effect.provide(pg), Effect.orDie)
      // the tables go at the end; in Redis the leases expire by themselves
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          for (const table of ["tokens", "leases", "migrations"]) yield* sql`DROP TABLE IF EXISTS ${sql(`${location}${table}`)}`
        }).pipe(Effect.provide(pg), Effect.ignore)
      )
    }
    const members = yield* Effect.forEach(
      Array.from({ length: PROCESSES }),
      () =>
        member({
          P5_TOKEN_URL: tokenUrl,
          P5_STORE: store,
          P5_SERVER: store === "redis" ? REDIS : DATABASE,
          P5_LOCATION: location,
          P5_KEY: key
        })
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

    // the shared record goes
    yield* Effect.gen(function*() {
      const records = yield* sharedStore(store, location)
      const entry = yield* records.get(key)
      if (Option.isSome(entry)) yield* records.remove(key, entry.value.version)
    }).pipe(Effect.scoped, Effect.ignore)

    const pass = yield* report(
      "P5",
      `${PROCESSES} processes sharing ${names[store]}, ${LIFETIMES} token lifetimes → token requests`,
      `${shared}`,
      `${LIFETIMES}`,
      served > 0 && shared <= LIFETIMES && failed === 0,
      `baseline without a shared store: ${baseline} (${PROCESSES} × ${LIFETIMES} = ${PROCESSES * LIFETIMES}); ` +
        `${served} tokens served by the shared providers, ${failed} failed`
    )
    return { pass, perSecond: served / Duration.toSeconds(Duration.times(LIFETIME, LIFETIMES)) }
  }).pipe(Effect.scoped)

export const p5 = Effect.gen(function*() {
  const redis = yield* fleet("redis")
  const postgres = yield* fleet("postgres")
  yield* info(
    "P5",
    "tokens served per second by the shared providers, PostgreSQL / Redis",
    (postgres.perSecond / redis.perSecond).toFixed(2),
    `${postgres.perSecond.toFixed(0)}/s over PostgreSQL, ${redis.perSecond.toFixed(0)}/s over Redis, same fleet, same run`
  )
  return redis.pass && postgres.pass
})
