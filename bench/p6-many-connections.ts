/**
 * P6: 100,000 connections with cached tokens in one ConnectionPool (over
 * the in-memory TokenStore, which holds each token's record too) → heap per
 * connection, measured after a full GC before and after filling the pool;
 * and the cost of a warm `pool.get` on a random connection among 1,000 vs
 * among 100,000 beyond a plain `Map` read of the same tokens (which pays the
 * CPU-cache misses of a large working set, as any structure would), timed in
 * alternating rounds. Goals: ≤ 1 KiB per connection, and a flat lookup: the
 * pool's own cost at 100,000 at most 1.5× its cost at 1,000.
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
import { formatNs, interleaved, median, nsPerOp, report, spread } from "./lib.js"

const LARGE = 100_000
const SMALL = 1_000
const LOOKUPS = 200_000

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

const fill = (pool: ConnectionPool.ConnectionPool<number>, count: number) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i), pool.get, { discard: true })

const lookups = (pool: ConnectionPool.ConnectionPool<number>, count: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < LOOKUPS; i++) yield* pool.get(Math.floor(Math.random() * count))
    return LOOKUPS
  })

/** The same random reads from a plain `Map` of the same tokens: what memory alone costs at that size. */
const mapLookups = (tokens: Map<number, AccessToken.AccessToken>, count: number) =>
  Effect.gen(function*() {
    let sum = 0
    for (let i = 0; i < LOOKUPS; i++) sum += yield* Effect.succeed(tokens.get(Math.floor(Math.random() * count))!.expiresAt)
    return sum > 0 ? LOOKUPS : 0
  })

const tokensOf = (pool: ConnectionPool.ConnectionPool<number>, count: number) =>
  Effect.map(
    Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => Effect.map(pool.get(i), (token) => [i, token] as const)),
    (entries) => new Map(entries)
  )

export const p6 = Effect.gen(function*() {
  const before = heapAfterGc()
  const large = yield* makePool
  yield* fill(large, LARGE)
  const perConnection = (heapAfterGc() - before) / LARGE
  const small = yield* makePool
  yield* fill(small, SMALL)

  // Random reads among 100,000 records miss the CPU caches where 1,000 do not, for any
  // data structure: so the pool's own cost is its time beyond a plain Map read of the
  // same tokens, at each size, and "flat" means that cost does not grow with the size.
  // A round measures that cost at both sizes; each is the pool's time less the mean of
  // Map reads just before and just after it, so that drift within the round cancels.
  const ownCost = (pool: ConnectionPool.ConnectionPool<number>, count: number) =>
    Effect.gen(function*() {
      const tokens = yield* tokensOf(pool, count)
      const gets: Array<number> = []
      const reads: Array<number> = []
      const measure = Effect.gen(function*() {
        const before = yield* nsPerOp(mapLookups(tokens, count))
        const get = yield* nsPerOp(lookups(pool, count))
        const read = (before + (yield* nsPerOp(mapLookups(tokens, count)))) / 2
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
    "pool record + in-memory store record + token and refresh token"
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
