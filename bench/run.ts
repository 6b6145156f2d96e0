/**
 * Runs every benchmark and prints one line per measure.
 * `pnpm bench` — or `pnpm bench P2` to run some of them.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { p1 } from "./p1-bearer-throughput.js"
import { p2 } from "./p2-warm-get.js"
import { p3 } from "./p3-single-flight.js"
import { p4 } from "./p4-simulated-hour.js"
import { p5 } from "./p5-fleet.js"
import { p6 } from "./p6-many-connections.js"
import { p7 } from "./p7-token-endpoint.js"

const all: Record<string, Effect.Effect<boolean, unknown>> = { P1: p1, P2: p2, P3: p3, P4: p4, P5: p5, P6: p6, P7: p7 }

const wanted = process.argv.slice(2).map((id) => id.toUpperCase())
const selected = Object.entries(all).filter(([id]) => wanted.length === 0 || wanted.includes(id))

NodeRuntime.runMain(Effect.gen(function*() {
  for (const [, bench] of selected) yield* bench
}))
