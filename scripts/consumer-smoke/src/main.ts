import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { callApi } from "./client.js"

callApi.pipe(
  Effect.flatMap(({ issued, statuses }) =>
    statuses.every((status) => status === 200) && issued === 1
      ? Console.log(`consumer: API answered ${statuses.join(", ")} with ${issued} token`)
      : Effect.dieMessage(`consumer: expected three 200s from one token, got ${statuses.join(", ")} from ${issued}`)
  ),
  NodeRuntime.runMain
)
