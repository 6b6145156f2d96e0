import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { ProviderTwin } from "@grantflow/testing"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as SimServer from "../../SimServer.js"
import * as Failure from "../failure.js"
import * as Output from "../output.js"

const config = Options.text("config").pipe(
  Options.withDescription("A JSON file with the server's options (clients, lifetimes, quirks)."),
  Options.optional
)
const twin = Options.text("twin").pipe(
  Options.withDescription(
    "Run a catalog provider's twin: its paths, token and error shapes, lifetimes and rotation, with the " +
      "configuration's clients (or demo-client / demo-secret). The configuration's \"twin\" does the same."
  ),
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
const admin = Options.boolean("admin").pipe(
  Options.withDescription(
    "Serve the admin API under /__grantflow/ on the same port, to loopback callers only: faults, revocation, " +
      "the virtual clock, the journal, reset (see docs/cli-admin.md)."
  )
)
const virtualClock = Options.boolean("virtual-clock").pipe(
  Options.withDescription("Run the server on a clock that POST /__grantflow/clock moves forward (needs --admin).")
)

/** @internal */
export const sim = Command.make("sim", { config, twin, port, host, admin, virtualClock }, (options) =>
  Effect.gen(function*() {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      return yield* Failure.usage(`--port must be 0–65535, got ${options.port}`, "give a free port, or 0 for any")
    }
    if (options.virtualClock && !options.admin) {
      return yield* Failure.usage("--virtual-clock needs --admin", "the clock moves through the admin API: add --admin")
    }
    const twin = Option.getOrUndefined(options.twin)
    const twinId = ProviderTwin.ids.find((id) => id === twin)
    if (twin !== undefined && twinId === undefined) {
      return yield* Failure.usage(
        `--twin ${JSON.stringify(twin.slice(0, 80))} is not a provider with a twin`,
        `the twins are ${ProviderTwin.ids.join(", ")}`
      )
    }
    const configPath = Option.getOrUndefined(options.config)
    const running = yield* SimServer.start({
      configPath,
      port: options.port,
      host: options.host,
      admin: options.admin,
      virtualClock: options.virtualClock,
      twin: twinId
    }).pipe(
      Effect.catchTags({
        ServerConfigError: (error) =>
          Failure.usage(error.message, configPath === undefined ? "give another --twin" : `fix ${configPath}`),
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
        ...running.routes.map(({ endpoint, path }) => `  ${endpoint.padEnd(10)} ${running.issuer}${path}`),
        ...(options.admin ? [`  admin      ${running.issuer}/__grantflow/ (loopback callers only)`] : []),
        ...(options.virtualClock ? ["  clock      virtual: POST /__grantflow/clock moves it forward"] : []),
        "stop it with Ctrl-C"
      ].join("\n")
    )
    // the one line scripts wait for: the server answers from now on
    yield* Output.stdout(`LISTEN ${running.issuer}`)
    // serving until stopped: the signal that stops it is how it ends
    yield* Failure.signalEndsCommand
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "Run the simulated authorization server and protected API until stopped. Prints `LISTEN <issuer>` on " +
        "stdout when it answers. With --admin, loopback callers control it under /__grantflow/.\n\n" +
        "Example: grantflow sim --config sim.json --port 9000 --admin\n" +
        "Example: grantflow sim --twin github --config github-app.json"
    )
  )
