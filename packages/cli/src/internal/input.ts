import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Failure from "./failure.js"
import * as Output from "./output.js"

/**
 * The longest token the commands read, 16 KiB: a JWT is a few hundred
 * bytes to a few kilobytes, an opaque token far less. A longer input is
 * refused before it is decoded or sent anywhere.
 *
 * @internal
 */
export const maxTokenLength = 16 * 1024

const tooLong = (what: string) =>
  Failure.failure(`the ${what} is longer than ${maxTokenLength} characters`, `give a token of at most ${maxTokenLength / 1024} KiB`)

/**
 * Reads stdin to its end, or fails with `tooLong` as soon as it holds more
 * than `limit` bytes, so that no input, however long, is held in memory
 * whole. `what` names the input in a failure to read ("token", "request body").
 *
 * @internal
 */
export const readStdin = (options: {
  readonly limit: number
  readonly what: string
  readonly tooLong: Failure.CliFailure
}): Effect.Effect<Uint8Array, Failure.CliFailure> =>
  Effect.async<Uint8Array, Failure.CliFailure>((resume) => {
    const chunks: Array<Buffer> = []
    let length = 0
    const onData = (chunk: Buffer) => {
      length += chunk.length
      if (length > options.limit) {
        cleanup()
        process.stdin.pause()
        resume(Effect.fail(options.tooLong))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(new Uint8Array(Buffer.concat(chunks))))
    }
    const onError = (error: Error) => {
      cleanup()
      resume(Effect.fail(Failure.failure(`cannot read the ${options.what} from stdin (${error.message})`, `pipe the ${options.what} into the command`)))
    }
    const cleanup = () => {
      process.stdin.off("data", onData)
      process.stdin.off("end", onEnd)
      process.stdin.off("error", onError)
    }
    process.stdin.on("data", onData)
    process.stdin.on("end", onEnd)
    process.stdin.on("error", onError)
    return Effect.sync(() => {
      cleanup()
      process.stdin.pause()
    })
  })

/**
 * A token given on the command line, or read from stdin when it is `-` (so
 * that it appears in neither the shell history nor the process list), with
 * the whitespace around it removed; at most {@link maxTokenLength}
 * characters, and not empty. `what` names it in errors ("token"). The value
 * is never repeated in an error.
 *
 * @internal
 */
export const token = (argument: string, what: string): Effect.Effect<Redacted.Redacted<string>, Failure.CliFailure> =>
  Effect.gen(function*() {
    if (argument === "-" && process.stdin.isTTY) {
      yield* Output.stderr(`paste the ${what}, then press Enter and Ctrl-D`)
    }
    const raw = argument === "-"
      ? new TextDecoder().decode(yield* readStdin({ limit: maxTokenLength, what, tooLong: tooLong(`${what} on stdin`) }))
      : argument
    const value = raw.trim()
    if (value.length > maxTokenLength) return yield* tooLong(what)
    if (value === "") {
      return yield* Failure.failure(
        argument === "-" ? `no ${what} on stdin` : `the ${what} is empty`,
        argument === "-" ? "pipe the token into the command" : "give the token, or - to read it from stdin"
      )
    }
    return Redacted.make(value)
  })
