/**
 * `grantflow login` on a terminal (tmux, a server of its own per test): the
 * secret prompt echoes nothing, and the device flow's display shows the
 * verification URI and the user code.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SimServer from "../src/SimServer.js"
import * as Browser from "./support/browser.js"
import * as Support from "./support/connections.js"
import * as Terminal from "./support/terminal.js"

const clientSecret = "terminal-test-secret-51ab"
const configPath = join(mkdtempSync(join(tmpdir(), "grantflow-sim-")), "sim.json")
writeFileSync(
  configPath,
  JSON.stringify({
    deviceInterval: 1,
    clients: [{
      clientId: "app",
      clientSecret,
      grants: ["refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      scopes: ["read"]
    }]
  })
)

const Live = Layer.merge(NodeContext.layer, NodeHttpClient.layerUndici)

describe("grantflow login on a terminal", () => {
  it.scopedLive("asks for the secret without echoing it, then shows the device code until it is approved", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const { issuer } = yield* SimServer.start({ configPath, admin: true })
      const terminal = yield* Terminal.run(
        ["login", "tty", issuer, "--client-id", "app", "--device", "--scope", "read"],
        { env: { ...env, GRANTFLOW_CLIENT_SECRET: undefined } }
      )
      yield* terminal.waitFor(/Client secret for app/)
      yield* terminal.type(clientSecret)
      yield* terminal.enter
      const [, userCode] = yield* terminal.waitFor(/│ +(\S+) +│/)
      const shown = yield* terminal.screen
      assert.notInclude(shown, clientSecret)
      assert.include(shown, `To sign in, open ${issuer}/device`)
      assert.match(shown, /The code expires in 10m\. Waiting for the approval/)
      yield* Browser.approveDevice(issuer, userCode!)
      assert.strictEqual(yield* terminal.exitCode, 0, yield* terminal.screen)
      const screen = yield* terminal.screen
      assert.match(screen, /^Logged in: connection tty to http:\/\/127\.0\.0\.1:\d+ as client app\.$/m)
      // neither the secret nor a token on the screen
      const store = yield* Support.open(env)
      const token = Option.getOrThrow(yield* store.token((yield* store.load("tty")).settings))
      for (const value of [clientSecret, Redacted.value(token.token), ...Option.toArray(Option.map(token.refreshToken, Redacted.value))]) {
        assert.notInclude(screen, value)
      }
    }).pipe(Effect.provide(Live)))
})
