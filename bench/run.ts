/**
 * Runs the benchmarks and prints one line per measure:
 * `pnpm bench` for all of them, `pnpm bench P2 P6` for some.
 *
 * Each measure runs in a child process of its own (this file again, with
 * `--measure <id>`, under tsx with `--conditions=@grantflow/source`), one after the
 * other, its output passed through: nothing one measure leaves behind — a
 * clock, a fiber, a server, a process — can reach the next.
 *
 * Ratios. A measure that prints a ratio times its baseline and its subject in
 * interleaved rounds (`interleaved` in lib.ts): after unrecorded warm-up
 * rounds, each round measures both sides, the side that goes first
 * alternating, and gives one ratio from its own pair. The verdict is the
 * median of at least five such ratios, printed with their spread (`median of
 * 9 rounds, 0.95–1.01`), so one noisy moment on a shared machine moves one
 * round, not the verdict.
 *
 * Bounds. Each measure has a time bound (`bound` in `measures` below; the environment
 * variable GRANTFLOW_BENCH_TIMEOUT, in seconds, replaces all of them). A
 * measure still running at its bound is stopped with every process it started
 * (its process group: SIGTERM, then SIGKILL 5 s later), and a MISS line names
 * the measure and the bound. The exit code is 1 when a measure was stopped or
 * crashed (130 when the run itself is interrupted); a MISS verdict of a
 * measure that finished does not change it.
 */
import { NodeRuntime } from "@effect/platform-node"
import { type Effect, Exit } from "effect"
import { spawn } from "node:child_process"
import { line, tsxArguments } from "./lib.js"

type Measure = Effect.Effect<boolean, unknown>

/** Each measure, loaded only in its own process, and its time bound in seconds. */
const measures: Record<string, { readonly load: () => Promise<Measure>; readonly bound: number }> = {
  P1: { load: () => import("./p1-bearer-throughput.js").then((m) => m.p1), bound: 180 },
  P2: { load: () => import("./p2-warm-get.js").then((m) => m.p2), bound: 90 },
  P3: { load: () => import("./p3-single-flight.js").then((m) => m.p3), bound: 60 },
  P4: { load: () => import("./p4-simulated-hour.js").then((m) => m.p4), bound: 120 },
  P5: { load: () => import("./p5-fleet.js").then((m) => m.p5), bound: 420 },
  P6: { load: () => import("./p6-many-connections.js").then((m) => m.p6), bound: 180 },
  P7: { load: () => import("./p7-token-endpoint.js").then((m) => m.p7), bound: 300 },
  P8: { load: () => import("./p8-dpop.js").then((m) => m.p8), bound: 180 }
}

/** The grace a stopped measure has between SIGTERM and SIGKILL. */
const GRACE_MILLIS = 5_000

const boundOverride = (): number | undefined => {
  const text = process.env.GRANTFLOW_BENCH_TIMEOUT
  if (text === undefined || text === "") return undefined
  const seconds = Number(text)
  if (!(seconds > 0)) {
    console.error(`GRANTFLOW_BENCH_TIMEOUT must be a number of seconds above 0, not "${text}".`)
    process.exit(2)
  }
  return seconds
}

type Outcome = "finished" | "crashed" | "stopped"

/** Signals the measure's process group, i.e. the measure and every process it started. */
const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: nothing of the group is left
  }
}

let stopCurrent: (() => void) | undefined
let interrupted = false
const onSignal = () => {
  interrupted = true
  stopCurrent?.()
}

/** Runs one measure in a child process of its own, stopping it at `bound` seconds. */
const runChild = (id: string, bound: number) =>
  new Promise<{ readonly outcome: Outcome; readonly detail: string }>((resolve) => {
    const child = spawn(process.execPath, [...tsxArguments(new URL(import.meta.url)), "--measure", id], {
      stdio: ["ignore", "inherit", "inherit"],
      // its own process group, so that stopping it reaches the processes it started
      detached: true
    })
    const pid = child.pid!
    let stopped = false
    let grace: NodeJS.Timeout | undefined
    const stop = () => {
      if (stopped) return
      stopped = true
      signalGroup(pid, "SIGTERM")
      grace = setTimeout(() => signalGroup(pid, "SIGKILL"), GRACE_MILLIS)
    }
    stopCurrent = stop
    const timer = setTimeout(stop, bound * 1000)
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      clearTimeout(grace)
      stopCurrent = undefined
      // whatever it started and left running goes with it
      signalGroup(pid, "SIGKILL")
      if (stopped) resolve({ outcome: "stopped", detail: "" })
      else if (code === 0) resolve({ outcome: "finished", detail: "" })
      else resolve({ outcome: "crashed", detail: signal === null ? `exit code ${code}` : `killed by ${signal}` })
    })
  })

const parent = async (wanted: ReadonlyArray<string>) => {
  const unknown = wanted.filter((id) => !(id in measures))
  if (unknown.length > 0) {
    console.error(`No measure ${unknown.join(", ")}: the measures are ${Object.keys(measures).join(", ")}.`)
    process.exit(2)
  }
  const override = boundOverride()
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  let failed = false
  for (const id of Object.keys(measures).filter((id) => wanted.length === 0 || wanted.includes(id))) {
    if (interrupted) break
    const bound = override ?? measures[id]!.bound
    const { detail, outcome } = await runChild(id, bound)
    if (interrupted) break
    if (outcome === "stopped") {
      failed = true
      console.log(line(
        id,
        "finished within its time bound",
        "no",
        `bound ${bound} s`,
        "MISS",
        "stopped with every process it started; GRANTFLOW_BENCH_TIMEOUT=<seconds> sets the bound"
      ))
    } else if (outcome === "crashed") {
      failed = true
      console.log(line(id, "finished", detail, "goal exit code 0", "MISS", "its error is above"))
    }
  }
  process.exit(interrupted ? 130 : failed ? 1 : 0)
}

/** In the child: the one measure, then exit, whatever handles it left open. */
const child = async (id: string) => {
  const measure = await measures[id]!.load()
  NodeRuntime.runMain(measure, { teardown: (exit) => process.exit(Exit.isSuccess(exit) ? 0 : 1) })
}

const at = process.argv.indexOf("--measure")
if (at === -1) await parent(process.argv.slice(2).map((id) => id.toUpperCase()))
else await child(process.argv[at + 1]!)
