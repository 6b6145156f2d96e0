/**
 * What the measures share: the interleaved rounds every printed ratio comes
 * from, the line format, a TestContext that stays inside its measure, and how
 * a TypeScript file is started in a child process.
 */
import { DefaultServices, Effect, FiberRef, TestContext } from "effect"
import { createRequire } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Nanoseconds per operation of `work`, which returns how many operations it did. */
export const nsPerOp = <E, R>(work: Effect.Effect<number, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    const ops = yield* work
    return ((performance.now() - start) * 1e6) / ops
  })

/** Fewer rounds than this and one noisy moment can still decide a median. */
export const MIN_ROUNDS = 5

export interface Rounds {
  /** The verdict: the median of the per-round ratios. */
  readonly ratio: number
  /** The smallest and the largest per-round ratio: how much the machine moved during the measure. */
  readonly min: number
  readonly max: number
  readonly count: number
  /** The median of each side's own measurements. */
  readonly baseline: number
  readonly subject: number
}

/**
 * Measures `baseline` and `subject` in alternating rounds — which side goes
 * first alternates too, so drift favours neither — after `warmup` unrecorded
 * rounds. Each round's ratio comes from that round's pair, and the verdict is
 * the median of those ratios: a moment when the shared machine is busy moves
 * one round, not the result.
 */
export const interleaved = <E, R>(options: {
  readonly baseline: Effect.Effect<number, E, R>
  readonly subject: Effect.Effect<number, E, R>
  /** The ratio one round's two measurements give. */
  readonly ratio: (baseline: number, subject: number) => number
  readonly rounds?: number
  readonly warmup?: number
}): Effect.Effect<Rounds, E, R> =>
  Effect.gen(function*() {
    for (let i = 0; i < (options.warmup ?? 2); i++) {
      yield* options.baseline
      yield* options.subject
    }
    const baseline: Array<number> = []
    const subject: Array<number> = []
    const ratios: Array<number> = []
    for (let i = 0; i < Math.max(MIN_ROUNDS, options.rounds ?? 9); i++) {
      let b: number
      let s: number
      if (i % 2 === 0) {
        b = yield* options.baseline
        s = yield* options.subject
      } else {
        s = yield* options.subject
        b = yield* options.baseline
      }
      baseline.push(b)
      subject.push(s)
      ratios.push(options.ratio(b, s))
    }
    return {
      ratio: median(ratios),
      min: Math.min(...ratios),
      max: Math.max(...ratios),
      count: ratios.length,
      baseline: median(baseline),
      subject: median(subject)
    }
  })

/** `median of 9 rounds, 0.95–1.01`: the start of a ratio line's detail. */
export const spread = (rounds: Rounds, format: (ratio: number) => string) =>
  `median of ${rounds.count} rounds, ${format(rounds.min)}–${format(rounds.max)}`

/** One line per measure: `P<n> <label>: <value> (goal <goal>) <PASS|MISS>[ — <detail>]`. */
export const report = (id: string, label: string, value: string, goal: string, pass: boolean, detail = "") =>
  Effect.sync(() => {
    console.log(line(id, label, value, `goal ${goal}`, pass ? "PASS" : "MISS", detail))
    return pass
  })

/** An informational line: a measure with no goal of its own. */
export const info = (id: string, label: string, value: string, detail = "") =>
  Effect.sync(() => {
    console.log(line(id, label, value, "", "", detail))
    return true
  })

export const line = (id: string, label: string, value: string, goal: string, verdict: string, detail: string) =>
  `${id} ${label}: ${value}${goal === "" ? "" : ` (${goal})`}${verdict === "" ? "" : ` ${verdict}`}${
    detail === "" ? "" : ` — ${detail}`
  }`

export const formatNs = (ns: number) =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(1)} µs` : `${ns.toFixed(0)} ns`

/**
 * `effect` with TestContext, and the caller's default services put back
 * afterwards. The TestClock layer installs itself as the fiber's Clock with a
 * scoped fiber-ref change inside TestContext's concurrently built layers; the
 * change is joined into the calling fiber, while the finalizer that undoes it
 * runs in a fiber of its own whose change is not, so after
 * `Effect.provide(TestContext.TestContext)` the caller would keep a TestClock
 * that nobody adjusts, and its next `Effect.sleep` would never end.
 */
export const withTestContext = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(
    FiberRef.get(DefaultServices.currentServices),
    (services) =>
      Effect.locally(Effect.provide(effect, TestContext.TestContext), DefaultServices.currentServices, services)
  )

/** Node's arguments that run the TypeScript file `url` from source with tsx, as `tsx --conditions=@grantflow/source` does. */
export const tsxArguments = (url: URL) => [
  "--import",
  pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href,
  "--conditions=@grantflow/source",
  fileURLToPath(url)
]
