import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as SimServer from "../../SimServer.js"
import * as Failure from "../failure.js"
import * as Output from "../output.js"

const config = Options.text("config").pipe(
  Options.withDescription("A JSON file with the server's options (clients, lifetimes, quirks)."),
  Options.optional
)
const port = Options.integer("port").pipe(
  Options.withDescription("The port to listen on; 0 (the default) lets the system pick a free one."),
  Options.withDefault(0)
)
const host = Options.text("host").pipe(
  Options.withDescription("The address to listen on."),
  Options.withDefault("127.0.0.1")
)

/** @internal */
export const sim = Command.make("sim", { config, port, host }, (options) =>
  Effect.gen(function*() {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      return yield* Failure.usage(`--port must be 0–65535, got ${options.port}`, "give a free port, or 0 for any")
    }
    const configPath = Option.getOrUndefined(options.config)
    const running = yield* SimServer.start({ configPath, port: options.port, host: options.host }).pipe(
      Effect.catchTags({
        ServerConfigError: (error) => Failure.usage(error.message, `fix ${configPath}`),
        SystemError: (error) =>
          Failure.usage(
            `cannot read the configuration ${configPath} (${error.reason})`,
            "give --config a readable JSON file"
          ),
        BadArgument: (error) =>
          Failure.usage(`cannot read the configuration ${configPath} (${error.message})`, "give --config a readable JSON file"),
        ServeError: (error) =>
          Failure.failure(
            `cannot listen on ${options.host}:${options.port} (${Failure.errorCode(error.cause)})`,
            "choose another --port or --host"
          )
      })
    )
    yield* Output.stderr(
      [
        `grantflow simulated authorization server: ${running.issuer}`,
        `  metadata   ${running.issuer}/.well-known/oauth-authorization-server`,
        `  token      ${running.issuer}/token`,
        `  authorize  ${running.issuer}/authorize`,
        `  api        ${running.issuer}/api/`,
        "stop it with Ctrl-C"
      ].join("\n")
    )
    // the one line scripts wait for: the server answers from now on
    yield* Output.stdout(`LISTEN ${running.issuer}`)
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "Run the simulated authorization server and protected API until stopped. Prints `LISTEN <issuer>` on " +
        "stdout when it answers.\n\nExample: grantflow sim --config sim.json --port 9000"
    )
  )
