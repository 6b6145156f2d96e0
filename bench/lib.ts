/**
 * Same-run comparisons: a subject and its baseline are timed in alternating
 * rounds inside one process, and the ratio of their medians is printed, so a
 * noisy shared machine moves both sides alike.
 */
import { Effect } from "effect"

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

export interface Timed<E, R> {
  /** Runs the measured work once and returns how many operations it did. */
  readonly run: Effect.Effect<number, E, R>
}

/** Per-operation time (ns) of `run`, median over `rounds`, alternating with the other side. */
export const compare = <E, R>(options: {
  readonly baseline: Effect.Effect<number, E, R>
  readonly subject: Effect.Effect<number, E, R>
  readonly rounds?: number
  readonly warmup?: number
}) =>
  Effect.gen(function*() {
    const time = (work: Effect.Effect<number, E, R>) =>
      Effect.gen(function*() {
        const start = performance.now()
        const ops = yield* work
        return ((performance.now() - start) * 1e6) / ops
      })
    for (let i = 0; i < (options.warmup ?? 2); i++) {
      yield* options.baseline
      yield* options.subject
    }
    const baseline: Array<number> = []
    const subject: Array<number> = []
    for (let i = 0; i < (options.rounds ?? 7); i++) {
      // alternate which side goes first so drift does not favour one
      if (i % 2 === 0) {
        baseline.push(yield* time(options.baseline))
        subject.push(yield* time(options.subject))
      } else {
        subject.push(yield* time(options.subject))
        baseline.push(yield* time(options.baseline))
      }
    }
    return { baselineNs: median(baseline), subjectNs: median(subject) }
  })

/** One line per measure: `P<n> <label>: <value> (goal <goal>) <detail>`. */
export const report = (id: string, label: string, value: string, goal: string, pass: boolean, detail = "") =>
  Effect.sync(() => {
    console.log(`${id} ${label}: ${value} (goal ${goal}) ${pass ? "PASS" : "MISS"}${detail === "" ? "" : ` — ${detail}`}`)
    return pass
  })

export const formatNs = (ns: number) => ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(1)} µs` : `${ns.toFixed(0)} ns`

/** An informational line: a measure with no goal of its own. */
export const info = (id: string, label: string, value: string, detail = "") =>
  Effect.sync(() => {
    console.log(`${id} ${label}: ${value}${detail === "" ? "" : ` — ${detail}`}`)
    return true
  })
