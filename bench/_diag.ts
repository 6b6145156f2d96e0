import { NodeRuntime } from "@effect/platform-node"
import { Effect, TestContext, TestClock } from "effect"
import { p3 } from "./p3-single-flight.js"
const show = (label: string) => Effect.gen(function*() {
  const clock = yield* Effect.clock
  console.log(label, clock.constructor.name)
})
NodeRuntime.runMain(Effect.gen(function*() {
  yield* show("before")
  yield* Effect.provide(Effect.void, TestContext.TestContext)
  yield* show("after plain provide")
  yield* Effect.provide(TestClock.adjust("1 second"), TestContext.TestContext)
  yield* show("after adjust")
  yield* Effect.provide(Effect.sleep("1 second").pipe(Effect.fork, Effect.zipRight(TestClock.adjust("2 seconds"))), TestContext.TestContext)
  yield* show("after sleep+adjust")
  yield* p3
  yield* show("after p3")
}))
