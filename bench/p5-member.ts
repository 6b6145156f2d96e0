/**
 * One process of the P5 fleet (p5-fleet.ts): two providers of a client
 * credentials token, one over the Redis or PostgreSQL store every process
 * shares (client `fleet`), one over a store of its own (client `solo`, the
 * per-process cache baseline). It prints `ready`, and on `go` asks both for a
 * token continuously until `stop`; then it prints `served <gets of the shared
 * provider> failed <failures of either>` and exits.
 *
 * Environment: P5_TOKEN_URL, P5_STORE (`redis` or `postgres`), P5_SERVER (its
 * URL), P5_LOCATION (the Redis key prefix or the table prefix), P5_KEY (the
 * connection key, the same for both providers: their stores differ).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as ClientAuth from "@grantflow/core/ClientAuth"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Grant from "@grantflow/core/Grant"
import * as RefreshPolicy from "@grantflow/core/RefreshPolicy"
import * as TokenProvider from "@grantflow/core/TokenProvider"
import * as TokenStore from "@grantflow/core/TokenStore"
import * as RedisTokenStore from "@grantflow/node/RedisTokenStore"
import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as readline from "node:readline"

// Refreshed at expiry, not ahead of it: each token serves one whole lifetime.
const policy = RefreshPolicy.make({ skew: 0 })

const provider = (clientId: string, key: string, tokenUrl: string) =>
  Effect.flatMap(
    TokenStore.shared({
      key: key as TokenStore.Key,
      acquire: Grant.clientCredentials(
        Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretBasic(clientId, Redacted.make(`${clientId}-secret`)) })
      )
    }),
    (fetch) => TokenProvider.make(fetch, { policy })
  )

const main = Effect.gen(function*() {
  const lines = yield* Queue.unbounded<string>()
  readline.createInterface({ input: process.stdin }).on("line", (line) => Queue.unsafeOffer(lines, line))
  const { key, location, server, store, tokenUrl } = yield* Config.all({
    tokenUrl: Config.string("P5_TOKEN_URL"),
    store: Config.literal("redis", "postgres")("P5_STORE"),
    server: Config.string("P5_SERVER"),
    location: Config.string("P5_LOCATION"),
    key: Config.string("P5_KEY")
  })
  const shared = store === "redis"
    ? yield* RedisTokenStore.make({ redis: server, prefix: location, encryption: "none" })
    : yield* Effect.flatMap(
      // the pool lives as long as this process's scope, not just while the store is made
      Layer.build(PgClient.layer({ url: Redacted.make(server), maxConnections: 2 })),
      (pool) => Effect.orDie(Effect.provide(SqlTokenStore.make({ tablePrefix: location, encryption: "none" }), pool))
    )
  const own = yield* TokenStore.makeMemory
  const fleet = yield* Effect.provideService(provider("fleet", key, tokenUrl), TokenStore.TokenStore, shared)
  const solo = yield* Effect.provideService(provider("solo", key, tokenUrl), TokenStore.TokenStore, own)
  process.stdout.write("ready\n")
  yield* Queue.take(lines)

  let served = 0
  let failed = 0
  const ask = (tokens: TokenProvider.TokenProvider["Type"], count: boolean) =>
    Effect.match(tokens.get, { onFailure: () => failed++, onSuccess: () => count && served++ })
  const calling = yield* Effect.fork(
    Effect.repeat(Effect.zip(ask(fleet, true), ask(solo, false)), Schedule.spaced("10 millis"))
  )
  yield* Queue.take(lines)
  yield* Fiber.interrupt(calling)
  process.stdout.write(`served ${served} failed ${failed}\n`)
}).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer))

// stdout is the protocol: logs (a store miss, say) go to stderr, which the parent passes through
const LoggerLive = Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))

Effect.runPromise(Effect.provide(main, LoggerLive)).then(() => process.exit(0), (error) => {
  process.stdout.write(`failed ${String(error)}\n`)
  process.exit(1)
})
