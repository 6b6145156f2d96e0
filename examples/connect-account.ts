/**
 * "Connect an account" with the authorization code flow: a small web app
 * and the simulated provider it connects to, both on 127.0.0.1.
 *
 * Run it with `pnpm example:connect` (PORT=8080 picks the app's port), open
 * the URL it prints, click Connect, approve on the provider's consent page,
 * and see the API's answer; "Call the API again" a minute later shows a
 * refreshed token at work. Ctrl-C stops it.
 *
 * The app itself is in `connect-account/app.ts`.
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, ConfigError, Console, Effect } from "effect"
import * as BadInput from "./badInput.js"
import * as ConnectAccount from "./connect-account/app.js"

Effect.gen(function*() {
  const port = yield* Config.port("PORT").pipe(Config.withDefault(0))
  const { providerUrl, url } = yield* ConnectAccount.start({ port })
  yield* Console.log(`the simulated provider (consent page, token endpoint, orders API) runs on ${providerUrl.origin}`)
  yield* Console.log(`open ${url.href} to connect an account — Ctrl-C to stop`)
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.catchIf(ConfigError.isConfigError, () =>
    Effect.sync(() =>
      BadInput.exit(
        "connect-account",
        `PORT must be a port number from 1 to 65535, got "${process.env.PORT}": set a free port, or unset PORT for any`
      )
    )),
  Effect.catchTag("ServeError", (error) =>
    Effect.sync(() =>
      BadInput.exit(
        "connect-account",
        `cannot listen on port ${process.env.PORT} (${BadInput.listenFailure(error.cause)}): set another PORT`
      )
    )),
  Effect.provide(NodeHttpClient.layerUndici),
  NodeRuntime.runMain
)
