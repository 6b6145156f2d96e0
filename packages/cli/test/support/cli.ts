/**
 * Runs the `grantflow` command as a real process, from source (bundled once
 * per run, see bundle.ts), the way a user's shell or another language's test
 * suite would.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { entries } from "./bundle.js"

/** The program and arguments that start `grantflow` (or its former name) from the bundled source. */
export const command = (
  args: ReadonlyArray<string>,
  entry: keyof typeof entries = "grantflow"
): readonly [string, ReadonlyArray<string>] => [process.execPath, [entries[entry], ...args]]

export interface Options {
  /** Added to the test process's environment. */
  readonly env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed. */
  readonly stdin?: string
  readonly cwd?: string
}

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const start = (args: ReadonlyArray<string>, options: Options): ChildProcessWithoutNullStreams => {
  const [program, argv] = command(args)
  const child = spawn(program, argv, {
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd })
  })
  child.stdin.end(options.stdin ?? "")
  return child
}

/** Runs `grantflow args…` to its end. */
export const run = (args: ReadonlyArray<string>, options: Options = {}): Effect.Effect<Result> =>
  Effect.async<Result>((resume) => {
    const child = start(args, options)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

export interface Running {
  readonly child: ChildProcessWithoutNullStreams
  /** Everything printed so far. */
  readonly output: () => { readonly stdout: string; readonly stderr: string }
  /** Waits until stdout matches `pattern`, and succeeds with the match. */
  readonly waitFor: (pattern: RegExp, stream?: "stdout" | "stderr") => Effect.Effect<RegExpExecArray, Error>
  /** Waits until the process has exited, and succeeds with its exit code. */
  readonly exited: Effect.Effect<number | null>
}

/** Starts `grantflow args…` for the life of the scope (SIGTERM when it closes). */
export const spawnScoped = (args: ReadonlyArray<string>, options: Options = {}): Effect.Effect<Running, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = start(args, options)
      const printed = { stdout: "", stderr: "" }
      child.stdout.on("data", (chunk: Buffer) => (printed.stdout += chunk.toString()))
      child.stderr.on("data", (chunk: Buffer) => (printed.stderr += chunk.toString()))
      const waitFor = (pattern: RegExp, stream: "stdout" | "stderr" = "stdout") =>
        Effect.async<RegExpExecArray, Error>((resume) => {
          const check = () => {
            const match = pattern.exec(printed[stream])
            if (match !== null) {
              cleanup()
              resume(Effect.succeed(match))
            }
          }
          const onClose = (code: number | null) => {
            cleanup()
            resume(Effect.fail(new Error(`grantflow exited with ${code} before printing ${pattern}: ${JSON.stringify(printed)}`)))
          }
          const cleanup = () => {
            child[stream].off("data", check)
            child.off("close", onClose)
          }
          child[stream].on("data", check)
          child.on("close", onClose)
          check()
          return Effect.sync(cleanup)
        }).pipe(
          Effect.timeoutFail({
            duration: "60 seconds",
            onTimeout: () => new Error(`grantflow did not print ${pattern}: ${JSON.stringify(printed)}`)
          })
        )
      const exited = Effect.async<number | null>((resume) => {
        if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
        child.on("close", (code) => resume(Effect.succeed(code)))
      })
      return { child, output: () => ({ ...printed }), waitFor, exited }
    }),
    ({ child }) =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.on("close", () => resume(Effect.void))
        child.kill("SIGTERM")
      })
  )

/** Starts `grantflow sim args…` and succeeds with the issuer from its `LISTEN` line. */
export const sim = (args: ReadonlyArray<string> = [], options: Options = {}) =>
  Effect.gen(function*() {
    const running = yield* spawnScoped(["sim", ...args], options)
    const [, issuer] = yield* Effect.orDie(running.waitFor(/^LISTEN (\S+)$/m))
    return { ...running, issuer: issuer! }
  })
