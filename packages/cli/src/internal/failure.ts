import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Ref from "effect/Ref"

/**
 * What ends a command: one line saying what happened and a hint saying what
 * to do. `usage` failures (bad flags or arguments) exit with code 2, the
 * others with 1.
 *
 * @internal
 */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly message: string
  readonly hint: string
  readonly usage: boolean
}> {}

/** A failure of the command line itself: exit code 2. @internal */
export const usage = (message: string, hint: string): CliFailure => new CliFailure({ message, hint, usage: true })

/** A failure of what the command tried to do: exit code 1. @internal */
export const failure = (message: string, hint: string): CliFailure => new CliFailure({ message, hint, usage: false })

const firstLine = (text: string): string => text.split(/\r?\n/, 1)[0]!.trim()

/**
 * Any failure as a {@link CliFailure}. grantflow's errors already say what
 * happened and what to do; other errors keep their message's first line, so
 * no stack trace ever reaches the terminal.
 *
 * @internal
 */
export const describe = (error: unknown): CliFailure => {
  if (error instanceof CliFailure) return error
  const message = Predicate.hasProperty(error, "message") && typeof error.message === "string" && error.message !== ""
    ? firstLine(error.message)
    : Predicate.hasProperty(error, "_tag")
    ? String(error._tag)
    : "unexpected failure"
  return failure(message, "run the command again with --help to check its options")
}

/** The one line a failure prints on stderr. @internal */
export const render = (error: CliFailure): string => `grantflow: ${error.message} (${error.hint})`

/** The system error code under a failure, e.g. EADDRINUSE for a port in use. @internal */
export const errorCode = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "unknown error"

/**
 * The exit code of a command stopped by a signal (Ctrl-C, SIGTERM): 130, as
 * shells report a command that did not finish, unless the command says that a
 * signal is how it ends (a server: 0).
 *
 * @internal
 */
export class InterruptExitCode extends Context.Tag("@grantflow/cli/InterruptExitCode")<InterruptExitCode, Ref.Ref<number>>() {}

/** Says that from now on a signal ends the command as it should: exit code 0. @internal */
export const signalEndsCommand: Effect.Effect<void, never, InterruptExitCode> = Effect.flatMap(
  InterruptExitCode,
  (code) => Ref.set(code, 0)
)
