/**
 * Runs every benchmark and prints one line per measure.
 * `pnpm bench` — or `pnpm bench P2` to run some of them.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { p2 } from "./p2-warm-get.js"

const all: Record<string, Effect.Effect<boolean, unknown>> = { P2: p2 }

const wanted = process.argv.slice(2).map((id) => id.toUpperCase())
const selected = Object.entries(all).filter(([id]) => wanted.length === 0 || wanted.includes(id))

NodeRuntime.runMain(Effect.gen(function*() {
  for (const [, bench] of selected) yield* bench
}))
