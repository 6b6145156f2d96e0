import * as Effect from "effect/Effect"

/**
 * Where a command writes: stdout carries the result (for pipes and scripts),
 * stderr the human summary. Writes go straight to the process streams, not
 * through `Console`, which the command-line parser uses for its own messages.
 *
 * @internal
 */
export const stdout = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`)
  })

/** @internal */
export const stderr = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stderr.write(text.endsWith("\n") ? text : `${text}\n`)
  })

/** Bytes to stdout as they are (a response body): no newline added. @internal */
export const stdoutBytes = (bytes: Uint8Array): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    process.stdout.write(bytes, () => resume(Effect.void))
  })
