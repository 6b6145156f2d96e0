import * as Data from "effect/Data"
import * as Predicate from "effect/Predicate"

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
