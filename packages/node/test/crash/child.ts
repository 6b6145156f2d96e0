/**
 * One process of the crash-safety harness (CrashSafety.test.ts): token
 * providers over `TokenStore.shared` on a file, Redis or PostgreSQL store — or over
 * `Grant.refreshTokenFlow` started from the stored refresh token, whose
 * `onRotate` writes the rotated one there — one per user's connection, each
 * holding a chain whose only copy of the rotating refresh token is in the
 * store.
 *
 * Lines on stdin and stdout, `<n>` being a connection's index:
 * - it prints `ready` once loaded and waits for `start` before it touches the
 *   store, so that a spare child can load while another one runs; then
 *   `started`;
 * - `cycle <n>`: one refresh of connection n — get, invalidate, get; for a
 *   flow, whose access token the store does not hold, one `refresh` — then
 *   `refreshed <n>`;
 * - `step <n>`: the same, stopping before the token request (`@request <n>`),
 *   before the store write (`@write <n>`) and after it (`@written <n>`), each
 *   time until it reads `go <n>`: the parent kills it there, or lets it go on;
 * - a failure prints `failed <tag>: <message>` and exits with 1.
 *
 * With no refresh token in the store, a connection fails with
 * ReauthorizationRequired: a lost refresh token means the user has to log in
 * again.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as AccessToken from "@grantflow/core/AccessToken"
import * as ClientAuth from "@grantflow/core/ClientAuth"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Grant from "@grantflow/core/Grant"
import * as RefreshPolicy from "@grantflow/core/RefreshPolicy"
import * as TokenCipher from "@grantflow/core/TokenCipher"
import type * as TokenError from "@grantflow/core/TokenError"
import * as TokenProvider from "@grantflow/core/TokenProvider"
import * as TokenStore from "@grantflow/core/TokenStore"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as readline from "node:readline"
import { cipherPrefix, clientSecret, type Point, settingsConfig, storeLayer } from "./protocol.js"

const say = (line: string) => Effect.sync(() => process.stdout.write(`${line}\n`))

const policy = RefreshPolicy.make({ retry: Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(2))) })

const main = Effect.gen(function*() {
  const lines = yield* Queue.unbounded<string>()
  const input = readline.createInterface({ input: process.stdin })
  input.on("line", (line) => Queue.unsafeOffer(lines, line))
  // the parent is gone: so are its chains
  input.on("close", () => process.exit(0))

  // Node loads its fetch on first use: done now, not while a refresh holds its lease
  yield* Effect.promise(() => fetch("data:,ready"))
  yield* say("ready")
  const first = yield* Queue.take(lines)
  if (first !== "start") return yield* Effect.dieMessage(`expected "start", read "${first}"`)

  const settings = yield* settingsConfig
  const encryption = yield* Effect.flatMap(TokenCipher.keysConfig(cipherPrefix), TokenCipher.aesGcm)
  const gates = yield* Effect.forEach(settings.connections, () =>
    Effect.all({ stepping: Ref.make(false), go: Queue.unbounded<void>() }))
  const pause = (index: number, point: Point) =>
    Effect.whenEffect(
      Effect.zipRight(say(`@${point} ${index}`), Queue.take(gates[index]!.go)),
      Ref.get(gates[index]!.stepping)
    )
  const indexOf = new Map(settings.connections.map((connection, index) => [connection.key, index]))

  const BaseStore = storeLayer(settings, encryption)
  const StoreLive = Layer.effect(
    TokenStore.TokenStore,
    Effect.map(TokenStore.TokenStore, (store) =>
      TokenStore.TokenStore.of({
        ...store,
        set: (key, token, options) =>
          pause(indexOf.get(key)!, "write").pipe(
            Effect.zipRight(store.set(key, token, options)),
            Effect.tap(() => pause(indexOf.get(key)!, "written"))
          )
      }))
  ).pipe(Layer.provide(BaseStore))

  yield* Effect.gen(function*() {
    const providers = yield* Effect.forEach(settings.connections, (connection, index) =>
      Effect.gen(function*() {
        const endpoint = Endpoint.make({
          tokenUrl: connection.tokenUrl,
          auth: ClientAuth.clientSecretBasic(connection.clientId, Redacted.make(clientSecret))
        })
        const key = connection.key as TokenStore.Key
        if (settings.path === "refreshTokenFlow") {
          const stored = yield* Effect.flatMap(TokenStore.TokenStore, (store) => store.get(key))
          const initial = Option.flatMap(stored, (entry) => entry.token.refreshToken)
          if (Option.isNone(initial)) return yield* Effect.dieMessage("the store holds no refresh token")
          const fetch = yield* Grant.refreshTokenFlow(endpoint, {
            initial: initial.value,
            onRotate: (refreshToken) => TokenStore.saveRefreshToken(key, refreshToken)
          })
          // the flow's token request goes through this client: the stop before it is there
          const paused = Effect.updateService(fetch, HttpClient.HttpClient, (client) =>
            HttpClient.mapRequestEffect(client, (request) => Effect.as(pause(index, "request"), request)))
          return yield* TokenProvider.make(paused, { policy })
        }
        const fetch = yield* TokenStore.shared({
          key,
          acquire: Grant.reauthorizationRequired("the store holds no refresh token"),
          refresh: (refreshToken) =>
            Effect.zipRight(pause(index, "request"), Grant.refreshToken(endpoint, { refreshToken })),
          leaseTtl: settings.leaseTtl,
          poll: Schedule.spaced("20 millis")
        })
        return yield* TokenProvider.make(fetch, { policy })
      }))
    const cycle = (index: number) =>
      Effect.gen(function*() {
        const provider = providers[index]!
        if (settings.path === "refreshTokenFlow") {
          yield* provider.refresh
          return yield* say(`refreshed ${index}`)
        }
        const rejected = yield* provider.get
        yield* provider.invalidate(rejected)
        if (AccessToken.sameToken(yield* provider.get, rejected)) {
          return yield* Effect.dieMessage("the provider served the rejected token again")
        }
        yield* say(`refreshed ${index}`)
      })

    // Connections refresh side by side; the first failure ends the process.
    const failed = yield* Deferred.make<never, TokenError.TokenError>()
    const commands = Effect.forever(Effect.gen(function*() {
      const line = yield* Queue.take(lines)
      const [verb, n] = line.split(" ")
      const index = Number(n)
      if (gates[index] === undefined) return yield* Effect.dieMessage(`unknown command "${line}"`)
      if (verb === "go") return yield* Queue.offer(gates[index].go, undefined)
      if (verb !== "cycle" && verb !== "step") return yield* Effect.dieMessage(`unknown command "${line}"`)
      yield* Ref.set(gates[index].stepping, verb === "step")
      yield* Effect.forkScoped(Effect.catchAllCause(cycle(index), (cause) => Deferred.failCause(failed, cause)))
    }))
    yield* say("started")
    return yield* Effect.raceFirst(commands, Deferred.await(failed))
  }).pipe(Effect.scoped, Effect.provide(Layer.merge(StoreLive, FetchHttpClient.layer)))
})

// stdout is the protocol: logs go to stderr, which the parent shows when a child fails
const LoggerLive = Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))

Effect.runPromiseExit(Effect.provide(main, LoggerLive)).then((exit) => {
  if (Exit.isFailure(exit)) {
    const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
    const reason = failure === undefined
      ? Cause.pretty(exit.cause).split("\n")[0]
      : `${(failure as { readonly _tag?: string })._tag ?? "Error"}: ${(failure as Error).message}`
    process.stdout.write(`failed ${reason}\n`)
  }
  process.exit(Exit.isSuccess(exit) ? 0 : 1)
})
