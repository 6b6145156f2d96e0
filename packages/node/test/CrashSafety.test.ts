/**
 * Crash safety (issue 5). Child processes (crash/child.ts) hold users'
 * connections through `TokenStore.shared` on a file, Redis or PostgreSQL store (or
 * through `Grant.refreshTokenFlow`, whose `onRotate` writes there), and
 * refresh their rotating refresh tokens against the simulated server, served
 * here on loopback with rotation and reuse detection. Each child is killed
 * with SIGKILL while every connection it holds is at a chosen point of a
 * refresh — before the token request, after the server rotated (its answer is
 * held back until the child is dead), before or after the store write — or a
 * random time into one; then a new process on the same store must carry every
 * chain on.
 *
 * One window cannot be closed: the server rotated, and the process died
 * before it wrote the new refresh token. The next process presents the
 * retired one; without a grace period that is a reuse and the family is
 * revoked (shown below, deterministically); with the server's grace period it
 * gets the current refresh token back. The trials run with grace on and count
 * how often they hit that window.
 *
 * Children are bundled once with esbuild: loading the
 * bundle takes a fraction of the CPU that loading the sources through tsx
 * takes. GF_CRASH_SEED replays a run's plan; GF_CRASH_TRIALS changes its size.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpApp from "@effect/platform/HttpApp"
import { assert, describe, it } from "@effect/vitest"
import { ClientAuth, Endpoint, Grant, TokenCipher, TokenStore } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
import { AuthServer, Journal } from "@grantflow/testing"
import { Data, Deferred, Duration, Effect, Either, Exit, Layer, Option, Queue, Random, Redacted, Ref, type Scope } from "effect"
import { Redis } from "ioredis"
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"
import { clientSecret, type Connection, type Path, type Settings, storeLayer, toEnv } from "./crash/protocol.js"
import { bundleChild } from "./support/child.js"
import { dropTables, pgLayer, TEST_DATABASE } from "./support/sql.js"

const REDIS = process.env.GRANTFLOW_TEST_REDIS_URL ?? "redis://127.0.0.1:6379"
const TRIALS = Number(process.env.GF_CRASH_TRIALS ?? 100)
/** Connections per process: one SIGKILL interrupts a refresh of each. */
const CONNECTIONS = 5
/** Sequences of processes run side by side, so that one's waits (a dead process's leases) overlap another's work. */
const PROCESSES = 2
const ROUNDS = Math.ceil(TRIALS / (CONNECTIONS * PROCESSES))
/** Short, so that a dead process's leases expire soon; a live child refreshes in milliseconds. */
const LEASE_TTL = Duration.seconds(1)

// ---------------------------------------------------------------------------
// The child, bundled

const bundle = bundleChild(new URL("./crash/child.ts", import.meta.url), "grantflow-crash-")

class ChildFailed extends Data.TaggedError("ChildFailed")<{ readonly pid: number; readonly reason: string }> {
  override get message() {
    return `child ${this.pid}: ${this.reason}`
  }
}

interface Child {
  readonly send: (line: string) => Effect.Effect<void>
  /**
   * Waits for the child to print `wanted` — about connection `connection`, if
   * given; fails if it prints anything else there, exits, or is silent for 30 s.
   */
  readonly expect: (wanted: string, connection?: number) => Effect.Effect<void, ChildFailed>
  /** SIGKILL, then waits for it to be gone. */
  readonly kill: Effect.Effect<void>
}

const spawnChild = (settings: Settings, cipherKey: string): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.gen(function*() {
    // what the child says about each connection, and the rest; its failure and exit go to all
    const queues = yield* Effect.forEach([...settings.connections, "process"], () => Queue.unbounded<string>())
    const broadcast = (line: string) => queues.forEach((queue) => Queue.unsafeOffer(queue, line))
    const exited = yield* Deferred.make<void>()
    const stderr: Array<string> = []
    const kill = (proc: ChildProcess) =>
      Effect.suspend(() => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL")
        return Deferred.await(exited)
      })
    const proc = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const proc = spawn(process.execPath, [bundle.script], {
          env: { ...process.env, ...toEnv(settings, cipherKey) },
          stdio: ["pipe", "pipe", "pipe"]
        })
        readline.createInterface({ input: proc.stdout }).on("line", (line) => {
          const about = /^\S+ (\d+)$/.exec(line)
          if (about !== null) Queue.unsafeOffer(queues[Number(about[1])]!, line)
          else if (line.startsWith("failed ")) broadcast(line)
          else Queue.unsafeOffer(queues[queues.length - 1]!, line)
        })
        proc.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")))
        proc.stdin.on("error", () => {}) // writing to a child just killed
        proc.on("exit", (code, signal) => {
          broadcast(`exited with ${signal ?? code}`)
          Deferred.unsafeDone(exited, Exit.void)
        })
        return proc
      }),
      kill
    )
    const failed = (reason: string) =>
      new ChildFailed({ pid: proc.pid ?? -1, reason: stderr.length === 0 ? reason : `${reason}; stderr: ${stderr.join("")}` })
    return {
      send: (line) => Effect.sync(() => void proc.stdin.write(`${line}\n`)),
      expect: (wanted, connection) => {
        const expected = connection === undefined ? wanted : `${wanted} ${connection}`
        return Queue.take(queues[connection ?? queues.length - 1]!).pipe(
          Effect.timeoutFail({
            duration: "30 seconds",
            onTimeout: () => failed(`said nothing for 30 s while expected to print "${expected}"`)
          }),
          Effect.flatMap((line) =>
            line === expected ? Effect.void : Effect.fail(failed(`printed "${line}" where "${expected}" was expected`))
          )
        )
      },
      kill: kill(proc)
    }
  })

// ---------------------------------------------------------------------------
// The server, the processes' connections and the stores

type StoreKind = Settings["store"]

const cipherSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")
const cipherKey = `crash:${cipherSecret}`
const cipher = TokenCipher.aesGcm({ current: { id: "crash", secret: Redacted.make(cipherSecret) } })

const parentStore = (settings: Settings) => Layer.unwrapEffect(Effect.map(cipher, (encryption) => storeLayer(settings, encryption)))

/** One chain: a connection with its own client, store key and loopback port, whose next token answer can be held back. */
interface Chain extends Connection {
  /** Holds back the next answer of the token endpoint after the server handled it; `reached` completes then. */
  readonly holdNextAnswer: Effect.Effect<Deferred.Deferred<void>>
}

/** A sequence of processes holding the same chains, one process at a time. */
interface Lane {
  readonly chains: ReadonlyArray<Chain>
  readonly spawn: Effect.Effect<Child, never, Scope.Scope>
}

/** The answer is ready — the refresh token rotated, the request is in the journal — and never sent. */
const holding = (app: HttpApp.Default, armed: Ref.Ref<Option.Option<Deferred.Deferred<void>>>): HttpApp.Default =>
  Effect.flatMap(app, (response) =>
    Effect.flatMap(Ref.getAndSet(armed, Option.none()), Option.match({
      onNone: () => Effect.succeed(response),
      // the child dies waiting; its connection closes and the server interrupts this
      onSome: (reached) => Effect.zipRight(Deferred.succeed(reached, undefined), Effect.never)
    })))

const setUp = (
  store: StoreKind,
  options: {
    readonly grace: boolean
    readonly processes: number
    readonly connections: number
    readonly path?: Path | undefined
  }
) =>
  Effect.gen(function*() {
    const run = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    const clientIds = Array.from(
      { length: options.processes },
      (_, p) => Array.from({ length: options.connections }, (_, c) => `p${p}-c${c}`)
    )
    const server = yield* AuthServer.make({
      clients: clientIds.flat().map((clientId) => ({
        clientId,
        clientSecret,
        grants: ["client_credentials", "refresh_token"]
      })),
      refreshRotation: true,
      refreshTokenForClientCredentials: true,
      ...(options.grace ? { refreshGrace: "5 minutes" } : {})
    })
    const prefix = `grantflow-crash:${run}:`
    // PostgreSQL: tables of their own for each lane, made here once and dropped at the end
    const tablePrefix = `gf_crash_${run.replaceAll("-", "_")}_`
    if (store === "postgres") {
      yield* Effect.forEach(Array.from({ length: options.processes }), (_, p) => {
        const lane = `${tablePrefix}p${p}_`
        return Effect.zipRight(
          Effect.addFinalizer(() => Effect.orDie(dropTables(pgLayer(), lane))),
          SqlTokenStore.migrate({ tablePrefix: lane }).pipe(Effect.provide(pgLayer()), Effect.orDie)
        )
      })
    }
    if (store === "redis") {
      yield* Effect.addFinalizer(() =>
        Effect.promise(async () => {
          const client = new Redis(REDIS, { maxRetriesPerRequest: 1 })
          const keys = await client.keys(`${prefix}*`)
          if (keys.length > 0) await client.del(...keys)
          await client.quit()
        })
      )
    }
    const lanes = yield* Effect.forEach(clientIds, (ids, p) =>
      Effect.gen(function*() {
        const chains = yield* Effect.forEach(ids, (clientId) =>
          Effect.gen(function*() {
            const armed = yield* Ref.make(Option.none<Deferred.Deferred<void>>())
            const { url } = yield* Loopback.make(holding(server.app, armed))
            const chain: Chain = {
              tokenUrl: new URL("/token", url).toString(),
              clientId,
              key: TokenStore.key({ issuer: url.origin, clientId, grant: "refresh_token", subject: `crash-${run}` }),
              holdNextAnswer: Effect.tap(Deferred.make<void>(), (reached) => Ref.set(armed, Option.some(reached)))
            }
            return chain
          }))
        const settings: Settings = {
          store,
          path: options.path ?? "shared",
          location: store === "file"
            ? path.join(bundle.directory, run, `p${p}`)
            : store === "postgres"
            ? `${tablePrefix}p${p}_`
            : prefix,
          server: store === "postgres" ? TEST_DATABASE : REDIS,
          leaseTtl: LEASE_TTL,
          connections: chains.map(({ clientId, key, tokenUrl }) => ({ clientId, key, tokenUrl }))
        }
        // Each connection's first token, as an authorization-code exchange would have saved it.
        yield* Effect.forEach(chains, (chain) =>
          Grant.clientCredentials(Endpoint.make({
            tokenUrl: chain.tokenUrl,
            auth: ClientAuth.clientSecretBasic(chain.clientId, Redacted.make(clientSecret))
          })).pipe(
            Effect.flatMap((first) => TokenStore.save(chain.key as TokenStore.Key, first)),
            Effect.provide(Layer.merge(FetchHttpClient.layer, parentStore(settings)))
          ))
        const lane: Lane = { chains, spawn: spawnChild(settings, cipherKey) }
        return lane
      }))
    return { server, lanes }
  })

// ---------------------------------------------------------------------------
// What the journal says

type Entry = AuthServer.JournalEntry

const refreshesOf = (journal: ReadonlyArray<Entry>, clientId: string) =>
  Journal.tokenRequests(journal).filter((entry) => entry.grantType === "refresh_token" && entry.clientId === clientId)

/**
 * Requests the server let through on its grace period: a refresh token
 * presented again, answered with a refresh token it had issued already.
 */
const graceReuses = (journal: ReadonlyArray<Entry>): ReadonlyArray<Entry> => {
  const presented = new Set<string>()
  const issued = new Set<string>()
  const reuses: Array<Entry> = []
  for (const entry of Journal.tokenRequests(journal)) {
    if (
      entry.status === 200 && entry.refreshTokenId !== undefined && presented.has(entry.refreshTokenId) &&
      entry.issuedRefreshTokenId !== undefined && issued.has(entry.issuedRefreshTokenId)
    ) reuses.push(entry)
    if (entry.refreshTokenId !== undefined) presented.add(entry.refreshTokenId)
    if (entry.issuedRefreshTokenId !== undefined) issued.add(entry.issuedRefreshTokenId)
  }
  return reuses
}

const familyOf = (server: AuthServer.AuthServer["Type"], clientId: string) =>
  Effect.map(server.families, (families) => {
    const own = families.filter((family) => family.clientId === clientId)
    assert.strictEqual(own.length, 1, `${clientId} has one refresh token family: no token was obtained anew`)
    return own[0]!
  })

// ---------------------------------------------------------------------------
// Trials

const points = ["before-request", "in-flight", "before-write", "after-write", "anywhere"] as const
type KillPoint = typeof points[number]

/** Where a kill landed, as the server and the next process saw it. */
type Landing = "before the server rotated" | "server rotated, store not written" | "after the store write"
const landings: ReadonlyArray<Landing> = [
  "before the server rotated",
  "server rotated, store not written",
  "after the store write"
]

const expectedLanding: Record<Exclude<KillPoint, "anywhere">, Landing> = {
  "before-request": "before the server rotated",
  "in-flight": "server rotated, store not written",
  "before-write": "server rotated, store not written",
  "after-write": "after the store write"
}

interface Planned {
  readonly point: KillPoint
  /** In `anywhere` trials, when to kill: a fraction of the time a refresh of that connection took. */
  readonly fraction: number
}

interface Outcome extends Planned {
  readonly landing: Landing
}

/** Takes connection `index` of `child` to `point` of a refresh, where it stays until the child dies. */
const reach = (child: Child, chain: Chain, index: number, point: Exclude<KillPoint, "anywhere">) =>
  Effect.gen(function*() {
    const go = child.send(`go ${index}`)
    const reached = point === "in-flight" ? yield* chain.holdNextAnswer : undefined
    yield* child.send(`step ${index}`)
    yield* child.expect("@request", index)
    if (point === "before-request") return
    yield* go
    if (reached !== undefined) return yield* Deferred.await(reached)
    yield* child.expect("@write", index)
    if (point === "before-write") return
    yield* go
    yield* child.expect("@written", index)
  })

/**
 * Runs `rounds` on one lane: in each, a new process (loaded while the
 * previous one ran) first completes a refresh of every connection — carrying
 * each chain on from whatever its predecessor left — then takes each to its
 * planned point of the next refresh, and is killed. A last process checks
 * that every chain still goes on.
 */
const runLane = (server: AuthServer.AuthServer["Type"], lane: Lane, rounds: ReadonlyArray<ReadonlyArray<Planned>>) =>
  Effect.gen(function*() {
    let spare = yield* lane.spawn
    const next = Effect.gen(function*() {
      const child = spare
      yield* child.expect("ready")
      yield* child.send("start")
      yield* child.expect("started")
      spare = yield* lane.spawn
      return child
    })
    /** One refresh; whether it presented a refresh token already presented (the server's grace let it through). */
    const refresh = (child: Child, index: number) =>
      Effect.gen(function*() {
        yield* child.send(`cycle ${index}`)
        yield* child.expect("refreshed", index)
        const refreshes = refreshesOf(yield* server.journal, lane.chains[index]!.clientId)
        const last = refreshes[refreshes.length - 1]!
        assert.strictEqual(last.status, 200)
        return refreshes.slice(0, -1).some((entry) => entry.refreshTokenId === last.refreshTokenId)
      })
    const generation = (index: number) =>
      Effect.map(familyOf(server, lane.chains[index]!.clientId), (family) => family.generation)

    const outcomes: Array<Outcome> = []
    const previous: Array<{ readonly planned: Planned; readonly generation: number } | undefined> = []
    /** Where the kill of connection `index`'s previous refresh landed, now that its next one is done. */
    const settle = (index: number, reused: boolean, generationNow: number) => {
      const killed = previous[index]
      if (killed === undefined) return
      // the refresh just done rotated unless it was a reuse; the rest happened in the killed one
      const rotatedThen = generationNow - killed.generation - (reused ? 0 : 1)
      assert.include([0, 1], rotatedThen)
      const landing: Landing = rotatedThen === 0
        ? "before the server rotated"
        : reused
        ? "server rotated, store not written"
        : "after the store write"
      if (killed.planned.point !== "anywhere") {
        assert.strictEqual(landing, expectedLanding[killed.planned.point], `a kill at ${killed.planned.point}`)
      }
      outcomes.push({ ...killed.planned, landing })
    }

    for (const round of rounds) {
      const child = yield* next
      const anywhere = yield* Effect.forEach(round, (planned, index) =>
        Effect.gen(function*() {
          settle(index, yield* refresh(child, index), yield* generation(index))
          if (planned.point === "anywhere") return Option.some(index)
          previous[index] = { planned, generation: yield* generation(index) }
          yield* reach(child, lane.chains[index]!, index, planned.point)
          return Option.none()
        }), { concurrency: "unbounded" }).pipe(Effect.map((indices) => indices.flatMap(Option.toArray)))
      // A random kill is timed against a refresh of the same connection, timed here while the
      // others wait at their points, as they will during the refresh that is killed.
      const delays = yield* Effect.forEach(anywhere, (index) =>
        Effect.gen(function*() {
          const started = performance.now()
          assert.isFalse(yield* refresh(child, index))
          const millis = round[index]!.fraction * (performance.now() - started)
          previous[index] = { planned: round[index]!, generation: yield* generation(index) }
          return { index, millis }
        }), { concurrency: "unbounded" })
      // each killed refresh starts so that the kill lands its delay after it started
      const longest = Math.max(0, ...delays.map(({ millis }) => millis))
      yield* Effect.forEach(delays, ({ index, millis }) =>
        Effect.fork(Effect.delay(child.send(`cycle ${index}`), Duration.millis(longest - millis))))
      yield* Effect.sleep(Duration.millis(longest))
      yield* child.kill
    }
    const last = yield* next
    yield* Effect.forEach(lane.chains, (chain, index) =>
      Effect.gen(function*() {
        settle(index, yield* refresh(last, index), yield* generation(index))
        // after a reuse, the chain goes on with fresh rotations
        assert.isFalse(yield* refresh(last, index), "the refresh after recovery presents the current refresh token")
        assert.isFalse((yield* familyOf(server, chain.clientId)).revoked)
      }), { concurrency: "unbounded", discard: true })
    return outcomes
  }).pipe(Effect.scoped)

const harness = (store: StoreKind, path: Path) =>
  Effect.gen(function*() {
    const seed = Number(process.env.GF_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
    const started = performance.now()
    return yield* Effect.gen(function*() {
      const plan = yield* Effect.forEach(Array.from({ length: PROCESSES * ROUNDS }), () =>
        Effect.forEach(Array.from({ length: CONNECTIONS }), () =>
          Effect.all({ point: Random.choice(points), fraction: Random.next }))).pipe(
          Effect.withRandom(Random.make(seed))
        )
      const { lanes, server } = yield* setUp(store, { grace: true, processes: PROCESSES, connections: CONNECTIONS, path })
      const outcomes = (yield* Effect.forEach(
        lanes,
        (lane, p) => runLane(server, lane, plan.filter((_, round) => round % PROCESSES === p)),
        { concurrency: "unbounded" }
      )).flat()

      // 0 lost refresh tokens: every chain went on from its store to the end, in its one family
      const families = yield* server.families
      assert.strictEqual(families.length, PROCESSES * CONNECTIONS)
      assert.isTrue(families.every((family) => !family.revoked), "no refresh token family was revoked")
      // 0 reuse detections: every refresh succeeded, and a refresh token came back only within the grace period
      const journal = yield* server.journal
      const refused = Journal.tokenRequests(journal).filter((entry) => entry.status !== 200)
      assert.deepStrictEqual(refused.map(Journal.describe), [])
      const reuses = graceReuses(journal)
      const presentedOnce = yield* Journal.noRefreshTokenUsedTwice(journal.filter((entry) => !reuses.includes(entry)))
      const windowHits = outcomes.filter((outcome) => outcome.landing === "server rotated, store not written").length
      assert.strictEqual(reuses.length, windowHits, "each grace reuse follows a kill in the window")
      assert.strictEqual(outcomes.length, PROCESSES * ROUNDS * CONNECTIONS)

      const count = (point: KillPoint, landing?: Landing) =>
        outcomes.filter((outcome) => outcome.point === point && (landing === undefined || outcome.landing === landing))
          .length
      const byPoint = points.map((point) =>
        `${point} ${count(point)} (window ${count(point, "server rotated, store not written")})`
      )
      console.log(
        `crash safety, ${store} store, ${path} (GF_CRASH_SEED=${seed}): ${outcomes.length} refreshes killed by ` +
          `${PROCESSES * ROUNDS} SIGKILLs of ${CONNECTIONS}-connection processes — ${byPoint.join(", ")}; random kills ` +
          `landed: ${landings.map((landing) => `${count("anywhere", landing)} ${landing}`).join(", ")}; ` +
          `${windowHits} in the window, all covered by the grace period; ` +
          `${presentedOnce.length + reuses.length} refreshes in all, 0 lost refresh tokens, 0 reuse detections; ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s`
      )
    }).pipe(
      Effect.scoped,
      Effect.tapErrorCause(() =>
        Effect.sync(() =>
          console.error(`crash safety, ${store} store, ${path}: failed; replay with GF_CRASH_SEED=${seed}`)
        )
      )
    )
  })

describe("crash safety: SIGKILL at any point of a refresh loses no refresh token", () => {
  for (const path of ["shared", "refreshTokenFlow"] as const) {
    it.live(`file store, ${path}: ${TRIALS} refreshes killed`, () => harness("file", path), 240_000)
    it.live(`Redis store, ${path}: ${TRIALS} refreshes killed`, () => harness("redis", path), 240_000)
    it.live(`PostgreSQL store, ${path}: ${TRIALS} refreshes killed`, () => harness("postgres", path), 240_000)
  }
})

describe("the window that cannot be closed: the server rotated, the process died before writing", () => {
  /** Kills a process at `point` of a refresh, then lets the next one refresh from the store. */
  const window = (point: "in-flight" | "before-write", grace: boolean) =>
    Effect.gen(function*() {
      const { lanes, server } = yield* setUp("file", { grace, processes: 1, connections: 1 })
      const lane = lanes[0]!
      const start = (child: Child) =>
        Effect.zipRight(child.expect("ready"), Effect.zipRight(child.send("start"), child.expect("started")))
      const first = yield* lane.spawn
      yield* start(first)
      yield* reach(first, lane.chains[0]!, 0, point)
      yield* first.kill
      const second = yield* lane.spawn
      yield* start(second)
      yield* second.send("cycle 0")
      const outcome = yield* Effect.either(second.expect("refreshed", 0))
      const journal = yield* server.journal
      const [killed, retried] = refreshesOf(journal, lane.chains[0]!.clientId)
      // both presented the refresh token the store held; the first one's answer carried the new one
      assert.strictEqual(retried?.refreshTokenId, killed?.refreshTokenId)
      assert.strictEqual(killed?.status, 200)
      return { outcome, journal, family: yield* familyOf(server, lane.chains[0]!.clientId) }
    }).pipe(Effect.scoped)

  for (const point of ["in-flight", "before-write"] as const) {
    it.live(`grace off, killed ${point}: the next process's refresh is a reuse, and the family is revoked`, () =>
      Effect.gen(function*() {
        const { family, journal, outcome } = yield* window(point, false)
        assert.isTrue(Either.isLeft(outcome))
        if (Either.isLeft(outcome)) assert.include(outcome.left.reason, "failed ReauthorizationRequired")
        assert.isTrue(family.revoked)
        assert.isTrue(Either.isLeft(Journal.noRefreshTokenUsedTwice(journal)))
      }), 30_000)

    it.live(`grace on, killed ${point}: the next process's reuse gets the current refresh token, and the chain goes on`, () =>
      Effect.gen(function*() {
        const { family, journal, outcome } = yield* window(point, true)
        assert.isTrue(Either.isRight(outcome))
        assert.isFalse(family.revoked)
        assert.strictEqual(graceReuses(journal).length, 1)
      }), 30_000)
  }
})
