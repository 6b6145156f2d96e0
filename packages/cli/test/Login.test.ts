/**
 * `grantflow login` as a real process, against the simulated server (with
 * its admin API) in this process: the browser flow driven by HTTP calls, the
 * device flow approved through the admin API; then the saved connection used
 * and removed. Each test has its own home.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { mkdtempSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SimServer from "../src/SimServer.js"
import * as Browser from "./support/browser.js"
import * as Cli from "./support/cli.js"
import * as Support from "./support/connections.js"

const clientSecret = "login-test-secret-7f3a"
const redirectUris = ["http://127.0.0.1/callback"]
const configPath = join(mkdtempSync(join(tmpdir(), "grantflow-sim-")), "sim.json")
writeFileSync(
  configPath,
  JSON.stringify({
    deviceInterval: 1,
    clients: [
      {
        clientId: "app",
        clientSecret,
        grants: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
        redirectUris,
        scopes: ["read", "write"]
      },
      { clientId: "cli", public: true, redirectUris, scopes: ["read"] }
    ]
  })
)

const start = SimServer.start({ configPath, admin: true })

const Live = Layer.merge(NodeContext.layer, NodeHttpClient.layerUndici)

/** The values of the connection's saved tokens, and the client secret: what no output may contain. */
const savedValues = (env: Record<string, string>, name: string) =>
  Effect.gen(function*() {
    const store = yield* Support.open(env)
    const token = Option.getOrThrow(yield* store.token((yield* store.load(name)).settings))
    return [clientSecret, Redacted.value(token.token), ...Option.toArray(Option.map(token.refreshToken, Redacted.value))]
  })

const assertClean = (outputs: ReadonlyArray<{ readonly stdout: string; readonly stderr: string }>, values: ReadonlyArray<string>) => {
  for (const output of outputs) {
    for (const value of values) {
      assert.notInclude(output.stdout, value)
      assert.notInclude(output.stderr, value)
    }
  }
}

/** A failure: one line on stderr, `grantflow: … (hint)`, nothing on stdout. */
const assertFailure = (result: Cli.Result, code: number, line: RegExp) => {
  assert.strictEqual(result.code, code, JSON.stringify(result))
  assert.strictEqual(result.stdout, "")
  assert.match(result.stderr, /^grantflow: [^\n]+ \([^\n]+\)\n$/)
  assert.match(result.stderr.trimEnd(), line)
}

describe("grantflow login", () => {
  it.scopedLive("browser login through the loopback receiver, then request, connections and logout", () =>
    Effect.gen(function*() {
      const { GRANTFLOW_HOME } = Support.home()
      const env = { GRANTFLOW_HOME }
      const { issuer, server } = yield* start
      const login = yield* Cli.spawnScoped(
        ["login", "work", issuer, "--client-id", "app", "--scope", "read"],
        { env: { ...env, GRANTFLOW_KEY: undefined, GRANTFLOW_CLIENT_SECRET: clientSecret } }
      )
      const [, url] = yield* login.waitFor(/^ {2}(http:\/\/\S+\/authorize\?\S+)$/m, "stderr")
      const page = yield* Browser.approve(url!, issuer)
      assert.strictEqual(page.url.pathname, "/callback")
      assert.strictEqual(yield* login.exited, 0, login.output().stderr)
      const { stderr } = login.output()
      // no key in the environment: one was made, and its path said
      const keyFile = join(GRANTFLOW_HOME, "key")
      assert.include(stderr, `grantflow: created the key ${keyFile} (mode 0600)`)
      assert.strictEqual(statSync(keyFile).mode & 0o777, 0o600)
      assert.match(stderr, /^Logged in: connection work to http:\/\/127\.0\.0\.1:\d+ as client app\.$/m)
      assert.match(stderr, /^ {2}access token expires in 59 min; scopes: read$/m)
      const values = yield* savedValues(env, "work")

      const request = yield* Cli.run(["request", "work", `${issuer}/api/me`], { env })
      assert.strictEqual(request.code, 0, request.stderr)
      assert.strictEqual(JSON.parse(request.stdout).clientId, "app")
      const list = yield* Cli.run(["connections"], { env })
      assert.match(list.stdout, /^work +http:\/\/127\.0\.0\.1:\d+ +app +in 59 min +read +ok$/m)
      const logout = yield* Cli.run(["logout", "work"], { env })
      assert.strictEqual(logout.stderr, "logged out of work: its tokens were revoked at the server\n")
      assert.isTrue((yield* server.families).every((family) => family.revoked))
      const after = yield* Cli.run(["request", "work", `${issuer}/api/me`], { env })
      assertFailure(after, 1, /^grantflow: no connection named work \(run grantflow login work first\)$/)
      assertClean([login.output(), request, list, logout, after], values)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a login stopped by a signal before it finished exits 130 and saves nothing", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const { issuer } = yield* start
      const login = yield* Cli.spawnScoped(
        ["login", "dev", issuer, "--client-id", "app", "--device"],
        { env: { ...env, GRANTFLOW_CLIENT_SECRET: clientSecret } }
      )
      yield* login.waitFor(/│ +(\S+) +│/, "stderr")
      login.child.kill("SIGINT")
      assert.strictEqual(yield* login.exited, 130, login.output().stderr)
      const list = yield* Cli.run(["connections"], { env })
      assert.notInclude(list.stdout, "dev")
    }).pipe(Effect.provide(Live)))

  it.scopedLive("device login, approved through the admin API; logging in again without the issuer reuses the saved settings", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const { issuer } = yield* start
      const login = yield* Cli.spawnScoped(
        ["login", "dev", issuer, "--client-id", "app", "--device", "--scope", "read write"],
        { env: { ...env, GRANTFLOW_CLIENT_SECRET: clientSecret } }
      )
      const [, userCode] = yield* login.waitFor(/│ +(\S+) +│/, "stderr")
      assert.include(login.output().stderr, `To sign in, open ${issuer}/device`)
      yield* Browser.approveDevice(issuer, userCode!)
      assert.strictEqual(yield* login.exited, 0, login.output().stderr)
      assert.match(login.output().stderr, /^ {2}access token expires in 59 min; scopes: read write$/m)
      const first = yield* savedValues(env, "dev")

      // again, with nothing but the name: the saved issuer, client, secret and scopes
      const again = yield* Cli.spawnScoped(["login", "dev", "--device"], { env: { ...env, GRANTFLOW_CLIENT_SECRET: undefined } })
      const [, second] = yield* again.waitFor(/│ +(\S+) +│/, "stderr")
      yield* Browser.approveDevice(issuer, second!)
      assert.strictEqual(yield* again.exited, 0, again.output().stderr)
      assert.match(again.output().stderr, /^ {2}access token expires in 59 min; scopes: read write$/m)
      const request = yield* Cli.run(["request", "dev", `${issuer}/api/me`], { env })
      assert.strictEqual(request.code, 0, request.stderr)
      assertClean([login.output(), again.output(), request], [...first, ...(yield* savedValues(env, "dev"))])
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a wrong secret, an unreachable issuer: exit 1; an unknown connection, bad flags: exit 2", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const { issuer } = yield* start
      const wrong = yield* Cli.run(["login", "w", issuer, "--client-id", "app", "--device"], {
        env: { ...env, GRANTFLOW_CLIENT_SECRET: "not-the-secret-9c2e" }
      })
      assertFailure(wrong, 1, /^grantflow: the device authorization endpoint answered HTTP 401 with OAuth error "invalid_client"/)
      assert.notInclude(wrong.stderr, "not-the-secret-9c2e")
      const gone = yield* Effect.scoped(Effect.map(start, ({ issuer }) => issuer))
      assertFailure(
        yield* Cli.run(["login", "w", gone, "--client-id", "cli", "--auth-method", "none"], { env }),
        1,
        /^grantflow: the issuer's metadata endpoint could not be reached/
      )
      assertFailure(
        yield* Cli.run(["login", "nope"], { env }),
        2,
        /^grantflow: no connection named nope to log in to again \(give its issuer: grantflow login nope ISSUER --client-id ID; or a catalog provider with --provider \(github, .*\)\)$/
      )
      assertFailure(
        yield* Cli.run(["login", "w", issuer, "--client-id", "cli", "--device", "--no-browser"], { env }),
        2,
        /^grantflow: --no-browser does not apply to --device \(leave it out, or sign in through the browser\)$/
      )
      assertFailure(
        yield* Cli.run(["login", "../etc", issuer, "--client-id", "cli"], { env }),
        2,
        /^grantflow: "..\/etc" is not a connection name/
      )
    }).pipe(Effect.provide(Live)))
})
