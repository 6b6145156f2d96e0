/**
 * Connect to a protected API knowing only its URL: discovery from its 401
 * (RFC 9728), the authorization server's metadata (RFC 8414), dynamic client
 * registration (RFC 7591), authorization code + PKCE pushed to the server
 * (RFC 9126) for that resource (RFC 8707), DPoP-bound tokens (RFC 9449) kept
 * in a file token store.
 *
 * Run it with `pnpm example:connect-by-url` (the simulated API on 127.0.0.1,
 * a simulated user approving), or `pnpm example:connect-by-url <API-URL>
 * [--store DIRECTORY]` for a real API: open the URL it prints in a browser.
 *
 * The grantflow part is `connect-by-url/connect.ts`.
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Effect, Either } from "effect"
import * as BadInput from "./badInput.js"
import * as Main from "./connect-by-url/main.js"

const args = Main.parseArgs(process.argv.slice(2))
if (Either.isLeft(args)) BadInput.exit("connect-by-url", args.left)

Main.run(Either.getOrThrow(args)).pipe(
  Effect.scoped,
  Effect.provide(NodeHttpClient.layerUndici),
  NodeRuntime.runMain
)
