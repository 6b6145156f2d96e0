/**
 * P6: 100,000 connections with cached tokens in one ConnectionPool (over
 * the in-memory TokenStore, which holds each token's record too) → heap per
 * connection, measured after a full GC as the pool fills: the growth of the
 * heap over the second 50,000 connections, per connection (what the first
 * fill also allocates once — code compiled on first use, the pool's own
 * structures — is not per connection; the average over the whole fill is
 * printed beside it);
 * and the cost of a warm `pool.get` on a random connection among 1,000 vs
 * among 100,000 beyond a plain `Map` read of the same tokens (which pays the
 * CPU-cache misses of a large working set, as any structure would). Goals:
 * ≤ 1 KiB per connection, and a flat lookup: the pool's own cost at 100,000
 * at most 1.5× its cost at 1,000.
 *
 * A round measures the pool's own cost at both sizes (interleaved rounds, see
 * lib.ts). At each size, Map reads and pool gets alternate in chunks of
 * 5,000 lookups, so that both run with the same cache contents and the same
 * load on the machine. Timed in long runs of their own, each side would warm
 * the CPU caches with its own records during its run, which favours the
 * smaller working set — the Map's — and moves with the machine's load between
 * the two runs.
 *
 * Tokens come from a local fetch shaped like a server's answer (43-character
 * tokens, as base64url of 32 random bytes): what is measured is the pool, not a
 * token endpoint.
 */
import { AccessToken, ConnectionPool, TokenStore } from "@grantflow/core"
import { Clock, Effect, Option, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { formatNs, interleaved, median, report, spread } from "./lib.js"

const LARGE = 100_000
const SMALL = 1_000
/** Lookups in one timed chunk, and chunks of each kind at each size in a round. */
const CHUNK = 5_000
const CHUNKS = 40

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

const heapAfterGc = () => {
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

/** A flat random string, as a token parsed from a JSON response is (not a rope of concatenations). */
const randomText = () => randomBytes(32).toString("base64url")

const issue = Effect.map(Clock.currentTimeMillis, (now) =>
  new AccessToken.AccessToken({
    token: Redacted.make(randomText()),
    type: "Bearer",
    issuedAt: now,
    expiresAt: now + 3_600_000,
    scopes: ["read"],
    refreshToken: Option.some(Redacted.make(randomText()))
  }))

const makePool = ConnectionPool.make({
  key: (tenant: number) =>
    TokenStore.key({ issuer: "https://auth.example.com", clientId: "app", grant: "client_credentials", subject: `tenant-${tenant}` }),
  acquire: () => issue,
  capacity: LARGE
}).pipe(Effect.provide(TokenStore.layerMemory))

const fill = (pool: ConnectionPool.ConnectionPool<number>, from: number, to: number) =>
  Effect.forEach(Array.from({ length: to - from }, (_, i) => from + i), pool.get, { discard: true })

const lookups = (pool: ConnectionPool.ConnectionPool<number>, count: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < CHUNK; i++) yield* pool.get(Math.floor(Math.random() * count))
  })

/** The same random reads from a plain `Map` of the same tokens: what memory alone costs at that size. */
const mapLookups = (tokens: Map<number, AccessToken.AccessToken>, count: number) =>
  Effect.gen(function*() {
    let sum = 0
    for (let i = 0; i < CHUNK; i++) sum += yield* Effect.succeed(tokens.get(Math.floor(Math.random() * count))!.expiresAt)
    return sum
  })

const tokensOf = (pool: ConnectionPool.ConnectionPool<number>, count: number) =>
  Effect.map(
    Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => Effect.map(pool.get(i), (token) => [i, token] as const)),
    (entries) => new Map(entries)
  )

export const p6 = Effect.gen(function*() {
  const before = heapAfterGc()
  const large = yield* makePool
  yield* fill(large, 0, LARGE / 2)
  const half = heapAfterGc()
  yield* fill(large, LARGE / 2, LARGE)
  const after = heapAfterGc()
  const perConnection = (after - half) / (LARGE / 2)
  const wholeFill = (after - before) / LARGE
  const small = yield* makePool
  yield* fill(small, 0, SMALL)

  // Random reads among 100,000 records miss the CPU caches where 1,000 do not, for any
  // data structure: so the pool's own cost is its time beyond a plain Map read of the
  // same tokens, at each size, and "flat" means that cost does not grow with the size.
  const ownCost = (pool: ConnectionPool.ConnectionPool<number>, count: number) =>
    Effect.gen(function*() {
      const tokens = yield* tokensOf(pool, count)
      const gets: Array<number> = []
      const reads: Array<number> = []
      const measure = Effect.gen(function*() {
        let getMillis = 0
        let readMillis = 0
        for (let i = 0; i < CHUNKS; i++) {
          const start = performance.now()
          yield* mapLookups(tokens, count)
          const between = performance.now()
          yield* lookups(pool, count)
          readMillis += between - start
          getMillis += performance.now() - between
        }
        const get = (getMillis * 1e6) / (CHUNKS * CHUNK)
        const read = (readMillis * 1e6) / (CHUNKS * CHUNK)
        gets.push(get)
        reads.push(read)
        return get - read
      })
      return { measure, gets, reads }
    })
  const few = yield* ownCost(small, SMALL)
  const many = yield* ownCost(large, LARGE)
  const rounds = yield* interleaved({
    baseline: few.measure,
    subject: many.measure,
    ratio: (ownFew, ownMany) => ownMany / ownFew,
    rounds: 15
  })
  const memoryOk = yield* report(
    "P6",
    `${LARGE.toLocaleString("en")} connections with cached tokens → heap per connection`,
    `${perConnection.toFixed(0)} B`,
    "≤ 1024 B",
    perConnection <= 1024,
    `pool record + in-memory store record + token and refresh token; growth over the second ${
      (LARGE / 2).toLocaleString("en")
    }, ${wholeFill.toFixed(0)} B averaged over the whole fill with its one-time allocations`
  )
  const format = (ratio: number) => `${ratio.toFixed(2)}×`
  const flatOk = yield* report(
    "P6",
    `pool.get's own cost among ${LARGE.toLocaleString("en")} vs ${SMALL.toLocaleString("en")} connections`,
    format(rounds.ratio),
    "flat, ≤ 1.5×",
    rounds.ratio <= 1.5,
    `${spread(rounds, format)}; ${formatNs(rounds.subject)} vs ${formatNs(rounds.baseline)} beyond a plain Map read; ` +
      `whole get ${formatNs(median(many.gets))} vs ${formatNs(median(few.gets))}, ` +
      `Map read ${formatNs(median(many.reads))} vs ${formatNs(median(few.reads))}`
  )
  return memoryOk && flatOk
}).pipe(Effect.scoped)
