/**
 * Protecting your own endpoints with access tokens: two services (billing
 * calls orders with a grantflow client; orders verifies JWT access tokens
 * from the simulated authorization server) and a webhook protected by a
 * static shared token, all on 127.0.0.1. It prints what each request got.
 *
 * Run it with `pnpm example:protected`. The webhook token comes from
 * WEBHOOK_TOKEN and WEBHOOK_PREVIOUS_TOKEN (demo values when they are unset).
 *
 * The services are in `protected-services/app.ts`.
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { ConfigProvider, Console, Effect } from "effect"
import * as ProtectedServices from "./protected-services/app.js"

const demoWebhookTokens = ConfigProvider.fromMap(
  new Map([["WEBHOOK_TOKEN", "demo-webhook-token-v2"], ["WEBHOOK_PREVIOUS_TOKEN", "demo-webhook-token-v1"]]),
  { pathDelim: "_" }
)

ProtectedServices.run.pipe(
  Effect.flatMap((steps) =>
    Effect.forEach(steps, ({ body, challenge, status, what }) =>
      Console.log(
        `${String(status).padEnd(4)} ${what}` +
          (status === 200 ? `\n     ${body}` : "") +
          (challenge === undefined ? "" : `\n     WWW-Authenticate: ${challenge}`)
      ))
  ),
  Effect.scoped,
  Effect.withConfigProvider(ConfigProvider.fromEnv().pipe(ConfigProvider.orElse(() => demoWebhookTokens))),
  Effect.provide(NodeHttpClient.layerUndici),
  NodeRuntime.runMain
)
