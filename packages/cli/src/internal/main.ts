import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { createRequire } from "node:module"
import { connections } from "./commands/connections.js"
import { decode } from "./commands/decode.js"
import { introspect } from "./commands/introspect.js"
import { login } from "./commands/login.js"
import { logout } from "./commands/logout.js"
import { request } from "./commands/request.js"
import { sim } from "./commands/sim.js"
import { token } from "./commands/token.js"
import * as Failure from "./failure.js"
import * as Output from "./output.js"

// src/internal and dist/internal are both two levels below the package
const { version } = createRequire(import.meta.url)("../../package.json") as { readonly version: string }

/** @internal */
export const command = Command.make("grantflow").pipe(
  Command.withDescription("Get OAuth tokens, call protected APIs, and run the simulated authorization server."),
  Command.withSubcommands([
    token,
    login,
    logout,
    connections,
    request,
    decode,
    introspect,
    sim
  ])
)

// eslint-disable-next-line no-control-regex -- the parser colours its text with ANSI escapes
const ansi = /\u001b\[[0-9;]*m/g

/** A parser error as one plain line. */
const validationText = (error: ValidationError.ValidationError): string =>
  HelpDoc.toAnsiText(error.error).replace(ansi, "").replace(/\s+/g, " ").trim()

/**
 * The parser's console: its error messages are replaced by one line of ours,
 * and its help is plain text unless stdout is a terminal.
 */
const parserConsole = Effect.map(Console.consoleWith(Effect.succeed), (console): Console.Console => {
  const plain = (args: ReadonlyArray<unknown>) =>
    process.stdout.isTTY ? args : args.map((arg) => typeof arg === "string" ? arg.replace(ansi, "") : arg)
  return {
    ...console,
    log: (...args) => console.log(...plain(args)),
    error: () => Effect.void,
    unsafe: { ...console.unsafe, log: (...args) => console.unsafe.log(...plain(args)), error: () => {} }
  }
})

/**
 * Runs the command line and succeeds with the process's exit code: 0, 1 when
 * the command failed, 2 when the command line was wrong. Every failure is one
 * line on stderr.
 *
 * @internal
 */
export const run = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const console = yield* parserConsole
    return yield* Command.run(command, { name: "grantflow", version })(argv).pipe(
      Effect.as(0),
      Effect.catchAll((error) => {
        const described = ValidationError.isValidationError(error)
          ? Failure.usage(ValidationError.isHelpRequested(error) ? "" : validationText(error), "see grantflow --help")
          : Failure.describe(error)
        return Effect.as(Output.stderr(Failure.render(described)), described.usage ? 2 : 1)
      }),
      // a defect is a bug in grantflow: still one line, no stack trace
      Effect.catchAllDefect((defect) =>
        Effect.as(
          Output.stderr(Failure.render(Failure.failure(
            `internal error: ${Failure.describe(defect).message}`,
            "please report it to grantflow with the command line"
          ))),
          1
        )
      ),
      Effect.withConsole(console)
    )
  })

/** @internal */
export const main = (argv: ReadonlyArray<string>): void => {
  const interruptExitCode = Ref.unsafeMake(130)
  const layer = Layer.mergeAll(
    NodeContext.layer,
    NodeHttpClient.layerUndici,
    Layer.succeed(Failure.InterruptExitCode, interruptExitCode)
  )
  NodeRuntime.runMain(Effect.provide(run(argv), layer), {
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(
        Exit.isSuccess(exit)
          ? exit.value as number
          : Cause.isInterruptedOnly(exit.cause)
          ? Effect.runSync(Ref.get(interruptExitCode))
          : 1
      )
  })
}
