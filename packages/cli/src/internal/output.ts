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
