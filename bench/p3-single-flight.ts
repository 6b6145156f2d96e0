/**
 * P3: 10,000 callers ask for a token at once while the cached one has
 * expired. Single flight means the token endpoint sees one request.
 */
import { ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Fiber, Layer, Redacted, TestClock } from "effect"
import { report, withTestContext } from "./lib.js"

const CALLERS = 10_000

export const p3 = Effect.gen(function*() {
  const server = yield* AuthServer.AuthServer
  const provider = yield* TokenProvider.make(Grant.clientCredentials(Endpoint.make({
    tokenUrl: "http://127.0.0.1/token",
    auth: ClientAuth.clientSecretBasic("bench", Redacted.make("bench-secret"))
  })))
  yield* provider.get
  yield* TestClock.adjust("2 hours")
  const before = (yield* server.journal).filter((e) => e.endpoint === "token").length
  // the token endpoint answers after 50 ms, so every caller arrives while the request runs
  yield* server.fail(AuthServer.Latency({ duration: "50 millis" }))
  const callers = yield* Effect.fork(
    Effect.all(Array.from({ length: CALLERS }, () => provider.get), { concurrency: "unbounded", discard: true })
  )
  yield* TestClock.adjust("50 millis")
  yield* Fiber.join(callers)
  const requests = (yield* server.journal).filter((e) => e.endpoint === "token").length - before
  return yield* report("P3", `${CALLERS} concurrent callers on an expired token → token requests`, `${requests}`, "1", requests === 1)
}).pipe(
  Effect.scoped,
  Effect.provide(AuthServer.layerClient.pipe(
    Layer.provideMerge(AuthServer.layer({ clients: [{ clientId: "bench", clientSecret: "bench-secret" }] }))
  )),
  withTestContext
)
