/**
 * Runs `grantflow` on a terminal, as a person would: in a detached tmux
 * session of a tmux server of its own, whose screen the test reads and
 * whose keyboard it types on.
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as Cli from "./cli.js"

const quote = (word: string): string => `'${word.replaceAll("'", `'"'"'`)}'`

export interface Terminal {
  /** The text on the screen now. */
  readonly screen: Effect.Effect<string>
  /** Waits until the screen matches `pattern`, and succeeds with the match. */
  readonly waitFor: (pattern: RegExp) => Effect.Effect<RegExpExecArray, Error>
  /** Types `text` (`Enter` is typed as a key by `enter`). */
  readonly type: (text: string) => Effect.Effect<void>
  readonly enter: Effect.Effect<void>
  /** Waits for the command to end and succeeds with its exit code. */
  readonly exitCode: Effect.Effect<number, Error>
}

/**
 * Starts `grantflow args…` on a 200×50 terminal for the life of the scope.
 * `env` is set for the command (a `undefined` value unsets the variable).
 */
export const run = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string | undefined> } = {}
): Effect.Effect<Terminal, never, Scope.Scope> =>
  Effect.gen(function*() {
    const socket = `grantflow-test-${randomBytes(6).toString("hex")}`
    const tmux = (...tmuxArgs: ReadonlyArray<string>) =>
      execFileSync("tmux", ["-L", socket, ...tmuxArgs], { encoding: "utf8" })
    const [program, argv] = Cli.command(args)
    const env = Object.entries({ NO_COLOR: "1", ...options.env })
    const command = [
      "env",
      ...env.filter(([, value]) => value === undefined).flatMap(([name]) => ["-u", name]),
      ...env.flatMap(([name, value]) => value === undefined ? [] : [`${name}=${value}`]),
      program,
      ...argv
    ].map(quote).join(" ")
    // the shell stays after the command, showing its exit code, until the session is killed
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        tmux("new-session", "-d", "-x", "200", "-y", "50", "-s", "test", `${command}; echo "EXIT:$?"; sleep 600`)
      ),
      () => Effect.sync(() => tmux("kill-server"))
    )
    const screen = Effect.sync(() => tmux("capture-pane", "-p", "-J", "-t", "test"))
    const waitFor = (pattern: RegExp) =>
      screen.pipe(
        Effect.flatMap((text) => {
          const match = pattern.exec(text)
          return match === null ? Effect.fail(new Error(`the screen does not show ${pattern}:\n${text}`)) : Effect.succeed(match)
        }),
        Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("60 seconds")))
      )
    return {
      screen,
      waitFor,
      type: (text) => Effect.sync(() => void tmux("send-keys", "-t", "test", "-l", text)),
      enter: Effect.sync(() => void tmux("send-keys", "-t", "test", "Enter")),
      exitCode: Effect.map(waitFor(/^EXIT:(\d+)$/m), (match) => Number(match[1]))
    }
  })
