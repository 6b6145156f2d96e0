/**
 * One process of the P5 fleet (p5-fleet.ts): two providers of a client
 * credentials token, one over the Redis store every process shares (client
 * `fleet`), one over a store of its own (client `solo`, the per-process cache
 * baseline). It prints `ready`, and on `go` asks both for a token
 * continuously until `stop`; then it prints `served <gets> failed <failures>`
 * and exits.
 *
 * Environment: P5_TOKEN_URL, P5_REDIS, P5_PREFIX (Redis key prefix), P5_KEY
 * (the connection key, the same for both providers: their stores differ).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as ClientAuth from "@grantflow/core/ClientAuth"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Grant from "@grantflow/core/Grant"
import * as RefreshPolicy from "@grantflow/core/RefreshPolicy"
import * as TokenProvider from "@grantflow/core/TokenProvider"
import * as TokenStore from "@grantflow/core/TokenStore"
import * as RedisTokenStore from "@grantflow/node/RedisTokenStore"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
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
  const { key, prefix, redis, tokenUrl } = yield* Config.all({
    tokenUrl: Config.string("P5_TOKEN_URL"),
    redis: Config.string("P5_REDIS"),
    prefix: Config.string("P5_PREFIX"),
    key: Config.string("P5_KEY")
  })
  const shared = yield* RedisTokenStore.make({ redis, prefix, encryption: "none" })
  const own = yield* TokenStore.makeMemory
  const fleet = yield* Effect.provideService(provider("fleet", key, tokenUrl), TokenStore.TokenStore, shared)
  const solo = yield* Effect.provideService(provider("solo", key, tokenUrl), TokenStore.TokenStore, own)
  process.stdout.write("ready\n")
  yield* Queue.take(lines)

  let served = 0
  let failed = 0
  const ask = (tokens: TokenProvider.TokenProvider["Type"]) =>
    Effect.match(tokens.get, { onFailure: () => failed++, onSuccess: () => served++ })
  const calling = yield* Effect.fork(Effect.repeat(Effect.zip(ask(fleet), ask(solo)), Schedule.spaced("10 millis")))
  yield* Queue.take(lines)
  yield* Fiber.interrupt(calling)
  process.stdout.write(`served ${served} failed ${failed}\n`)
}).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer))

Effect.runPromise(main).then(() => process.exit(0), (error) => {
  process.stdout.write(`failed ${String(error)}\n`)
  process.exit(1)
})
