/**
 * Log in from a command line, and call an API as the user.
 *
 * Run it with `pnpm example:cli` (a browser comes back to a loopback redirect
 * receiver: authorization code + PKCE) or `pnpm example:cli --device` (the
 * device flow: a code to enter on a verification page). It starts the
 * simulated authorization server on 127.0.0.1, plays the user itself, calls
 * the orders API, and exits.
 *
 * The program is in `cli-login/login.ts`.
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Effect, Either } from "effect"
import * as BadInput from "./badInput.js"
import * as CliLogin from "./cli-login/login.js"

const mode = CliLogin.parseArgs(process.argv.slice(2))
if (Either.isLeft(mode)) BadInput.exit("cli-login", mode.left)

CliLogin.run(mode.right).pipe(
  Effect.scoped,
  Effect.provide(NodeHttpClient.layerUndici),
  NodeRuntime.runMain
)
