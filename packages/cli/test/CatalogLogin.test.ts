/**
 * `grantflow login <provider>` from the catalog, as real processes: the
 * simulated server runs the provider's twin (`grantflow sim --twin`), the
 * login's requests go to it with `--via`, the consent page is approved by
 * HTTP calls, and `grantflow request` then calls the provider's API through
 * the entry's connector. Each test has its own home.
 */
import { HttpClient } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Connections from "../src/internal/connections.js"
import * as Browser from "./support/browser.js"
import * as Cli from "./support/cli.js"
import * as Support from "./support/connections.js"

const clientSecret = "catalog-test-secret-41d9"

const configFile = (config: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "grantflow-sim-")), "sim.json")
  writeFileSync(path, JSON.stringify(config))
  return path
}

/** The github twin with one OAuth app, whose redirect may come back to any loopback port. */
const githubApp = configFile({
  clients: [{ clientId: "app", clientSecret, redirectUris: ["http://127.0.0.1/callback"] }]
})

const Live = Layer.merge(NodeContext.layer, NodeHttpClient.layerUndici)

/** A failure: one line on stderr, `grantflow: … (hint)`, nothing on stdout. */
const assertFailure = (result: Cli.Result, code: number, line: RegExp) => {
  assert.strictEqual(result.code, code, JSON.stringify(result))
  assert.strictEqual(result.stdout, "")
  assert.match(result.stderr, /^grantflow: [^\n]+ \([^\n]+\)\n$/)
  assert.match(result.stderr.trimEnd(), line)
}

describe("grantflow login from the catalog", () => {
  it.scopedLive("logs in to github's twin with --via, then request calls its API by path", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const { issuer } = yield* Cli.sim(["--twin", "github", "--config", githubApp, "--admin"])
      const login = yield* Cli.spawnScoped(
        ["login", "github", "--client-id", "app", "--via", issuer, "--no-browser"],
        { env: { ...env, GRANTFLOW_CLIENT_SECRET: clientSecret } }
      )
      // the entry's authorization URL, at the twin: GitHub's path, PKCE, the entry's scope
      const [, url] = yield* login.waitFor(/^ {2}(http:\/\/\S+\/authorize\?\S+)$/m, "stderr")
      const authorize = new URL(url!)
      assert.strictEqual(authorize.origin, issuer)
      assert.strictEqual(authorize.pathname, "/login/oauth/authorize")
      assert.strictEqual(authorize.searchParams.get("client_id"), "app")
      assert.strictEqual(authorize.searchParams.get("scope"), "read:user")
      assert.strictEqual(authorize.searchParams.get("code_challenge_method"), "S256")
      yield* Browser.approve(url!, issuer)
      assert.strictEqual(yield* login.exited, 0, login.output().stderr)
      const { stderr } = login.output()
      assert.match(stderr, /^Logged in: connection github to https:\/\/github\.com as client app\.$/m)
      assert.include(stderr, `  GitHub (OAuth app) from the catalog, its requests sent to ${issuer}`)
      assert.include(stderr, "Use it: grantflow request github /user")

      // saved with the entry's id and the via origin, the provider's real URLs, and no secret in clear
      const settingsText = readFileSync(join(env.GRANTFLOW_HOME, "connections", "github.json"), "utf8")
      const settings = Schema.decodeUnknownSync(Schema.parseJson(Connections.Settings))(settingsText)
      assert.strictEqual(settings.provider, "github")
      assert.strictEqual(settings.via, issuer)
      assert.strictEqual(settings.tokenUrl, "https://github.com/login/oauth/access_token")
      assert.strictEqual(settings.authMethod, "client_secret_post")
      assert.notInclude(settingsText, clientSecret)

      // the list names the entry and where its requests go
      const listed = yield* Cli.run(["connections", "--json"], { env })
      const [entry] = JSON.parse(listed.stdout) as ReadonlyArray<{ readonly provider?: string; readonly via?: string }>
      assert.deepStrictEqual([entry?.provider, entry?.via], ["github", issuer])
      const table = yield* Cli.run(["connections"], { env })
      assert.include(table.stdout, `https://github.com via ${issuer}`)

      // the entry's connector: the path under api.github.com, sent to the twin with the entry's headers
      const request = yield* Cli.run(["request", "github", "/user", "-v"], { env })
      assert.strictEqual(request.code, 0, request.stderr)
      const me = JSON.parse(request.stdout) as { login: string; clientId: string }
      assert.strictEqual(me.login, "octocat")
      assert.strictEqual(me.clientId, "app")
      const store = yield* Support.open(env)
      const token = Option.getOrThrow(yield* store.token(settings))
      for (const printed of [login.output().stdout, stderr, request.stdout, request.stderr]) {
        assert.notInclude(printed, Redacted.value(token.token))
        assert.notInclude(printed, clientSecret)
      }

      // an absolute URL of the API works too; another origin is refused before the token is sent
      const absolute = yield* Cli.run(["request", "github", "https://api.github.com/user"], { env })
      assert.strictEqual(JSON.parse(absolute.stdout).login, "octocat")
      const elsewhere = yield* Cli.run(["request", "github", "https://example.com/user"], { env })
      assertFailure(elsewhere, 1, /sends its token only to its base URL's origin \(https:\/\/api\.github\.com\)/)

      // GitHub's tokens do not expire and come without a refresh token: one the API refuses needs a new login
      yield* Browser.revokeAll(issuer)
      const refused = yield* Cli.run(["request", "github", "/user"], { env })
      assertFailure(refused, 1, /^grantflow: connection github needs a new login \(run grantflow login github\)$/)

      // logging in again needs nothing but the name: the saved client, secret, via and scopes
      const again = yield* Cli.spawnScoped(["login", "github", "--no-browser"], { env })
      const [, second] = yield* again.waitFor(/^ {2}(http:\/\/\S+\/authorize\?\S+)$/m, "stderr")
      assert.strictEqual(new URL(second!).origin, issuer)
      yield* Browser.approve(second!, issuer)
      assert.strictEqual(yield* again.exited, 0, again.output().stderr)

      // logout revokes with GitHub's own request (DELETE /applications/{client_id}/token), at the twin
      const logout = yield* Cli.run(["logout", "github"], { env })
      assert.strictEqual(logout.stderr, "logged out of github: its tokens were revoked at the server\n")
      const journal = yield* Effect.flatMap(HttpClient.get(`${issuer}/__grantflow/journal`), (response) => response.json)
      const revocations = (journal as ReadonlyArray<{ readonly endpoint: string; readonly method: string; readonly path: string }>)
        .filter((entry) => entry.endpoint === "revoke")
        .map((entry) => `${entry.method} ${entry.path}`)
      assert.deepStrictEqual(revocations, ["DELETE /applications/app/token"])
      const families = yield* Effect.flatMap(HttpClient.get(`${issuer}/__grantflow/families`), (response) => response.json)
      assert.isTrue((families as ReadonlyArray<{ readonly revoked: boolean }>).every((family) => family.revoked))
    }).pipe(Effect.provide(Live)))

  it.scopedLive("--provider logs in to a catalog provider under any name; its --param fields are saved", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const config = configFile({
        twin: "salesforce",
        clients: [{ clientId: "sf-app", clientSecret, redirectUris: ["http://127.0.0.1/callback"] }]
      })
      const { issuer } = yield* Cli.sim(["--config", config, "--admin", "--virtual-clock"])
      const login = yield* Cli.spawnScoped(
        [
          "login",
          "acme",
          "--provider",
          "salesforce",
          "--client-id",
          "sf-app",
          "--param",
          "INSTANCE_URL=https://acme.my.salesforce.com",
          "--via",
          issuer,
          "--no-browser"
        ],
        { env: { ...env, GRANTFLOW_CLIENT_SECRET: clientSecret } }
      )
      const [, url] = yield* login.waitFor(/^ {2}(http:\/\/\S+\/authorize\?\S+)$/m, "stderr")
      assert.strictEqual(new URL(url!).pathname, "/services/oauth2/authorize")
      yield* Browser.approve(url!, issuer)
      assert.strictEqual(yield* login.exited, 0, login.output().stderr)
      assert.include(login.output().stderr, "a refresh token is kept")
      const settings = yield* Effect.flatMap(Support.open(env), (store) => store.settings("acme"))
      assert.deepStrictEqual(settings.params, { INSTANCE_URL: "https://acme.my.salesforce.com" })
      const request = yield* Cli.run(["request", "acme", "/services/oauth2/userinfo"], { env })
      assert.strictEqual(request.code, 0, request.stderr)
      assert.strictEqual(JSON.parse(request.stdout).clientId, "sf-app")

      // past the session's two hours at the twin: the API refuses the token, which is refreshed at the entry's
      // token endpoint (at the twin) and the request sent once more
      yield* Browser.advanceClock(issuer, "3 hours")
      const later = yield* Cli.run(["request", "acme", "/services/oauth2/userinfo", "-v"], { env })
      assert.strictEqual(later.code, 0, later.stderr)
      assert.strictEqual(JSON.parse(later.stdout).clientId, "sf-app")
      assert.match(later.stderr, /^\* token \d+ rejected by GET https:\/\/acme\.my\.salesforce\.com\/services\/oauth2\/userinfo \(HTTP 401\)$/m)
      assert.match(later.stderr, /^\* token 2 ready \(forced\)/m, later.stderr)
      assert.match(later.stderr, /^\* replayed GET https:\/\/acme\.my\.salesforce\.com\/services\/oauth2\/userinfo with token 2$/m)
      // the refreshed token was saved: the next run uses it as it is
      const next = yield* Cli.run(["request", "acme", "/services/oauth2/userinfo", "-v"], { env })
      assert.strictEqual(next.code, 0, next.stderr)
      assert.notInclude(next.stderr, "rejected")

      // logout revokes at the entry's revocation endpoint, at the twin
      const logout = yield* Cli.run(["logout", "acme"], { env })
      assert.strictEqual(logout.stderr, "logged out of acme: its tokens were revoked at the server\n")
      const families = yield* Effect.flatMap(HttpClient.get(`${issuer}/__grantflow/families`), (response) => response.json)
      assert.isNotEmpty(families)
      assert.isTrue((families as ReadonlyArray<{ readonly revoked: boolean }>).every((family) => family.revoked))
      const gone = yield* Cli.run(["request", "acme", "/services/oauth2/userinfo"], { env })
      assertFailure(gone, 1, /^grantflow: no connection named acme/)
    }).pipe(Effect.provide(Live)))

  describe("usage errors: exit code 2, nothing sent", () => {
    const env = { ...Support.home(), GRANTFLOW_CLIENT_SECRET: clientSecret }
    const login = (args: ReadonlyArray<string>) => Cli.run(["login", ...args], { env })

    it.live("an unknown provider: the catalog's ids are listed", () =>
      Effect.gen(function*() {
        assertFailure(
          yield* login(["work", "--provider", "acme-crm", "--client-id", "app"]),
          2,
          /^grantflow: the catalog has no provider "acme-crm" \(its providers are github, salesforce, .*, zoom, .*\)$/
        )
        // a name that is neither a connection nor a catalog id
        assertFailure(
          yield* login(["acme-crm", "--client-id", "app"]),
          2,
          /^grantflow: no connection named acme-crm to log in to again \(give its issuer: .*; or a catalog provider with --provider \(github, salesforce, .*\)\)$/
        )
      }))

    it.live("missing --param fields are listed; an unknown one names the entry's fields", () =>
      Effect.gen(function*() {
        assertFailure(
          yield* login(["acme", "--provider", "salesforce", "--client-id", "app"]),
          2,
          /^grantflow: salesforce needs --param INSTANCE_URL=… \(missing: INSTANCE_URL; the fields of salesforce are LOGIN_URL, INSTANCE_URL\)$/
        )
        assertFailure(
          yield* login(["shop", "--provider", "shopify", "--client-id", "app", "--param", "STORE=acme"]),
          2,
          /^grantflow: --param "STORE" is not a field of shopify \(the fields of shopify are SHOP\)$/
        )
        assertFailure(
          yield* login(["shop", "--provider", "shopify", "--client-id", "app", "--param", "SHOP=../admin"]),
          2,
          /^grantflow: .*SHOP.* \(the fields of shopify are SHOP\)$/
        )
        assertFailure(
          yield* login(["github", "--client-id", "app", "--param", "CLIENT_SECRET=x"]),
          2,
          /^grantflow: --param CLIENT_SECRET cannot be given \(give the client with --client-id and --client-secret\)$/
        )
      }))

    it.live("--via takes an https: origin or http: on loopback; flags the entry decides are refused", () =>
      Effect.gen(function*() {
        assertFailure(yield* login(["github", "--client-id", "app", "--via", "http://example.com"]), 2, /--via/)
        assertFailure(
          yield* login(["github", "--client-id", "app", "--via", "http://127.0.0.1:9000/twin"]),
          2,
          /^grantflow: --via "http:\/\/127\.0\.0\.1:9000\/twin" is not an origin \(give its origin alone: http:\/\/127\.0\.0\.1:9000\)$/
        )
        assertFailure(
          yield* login(["github", "--client-id", "app", "--device"]),
          2,
          /^grantflow: --device does not apply to a catalog provider/
        )
        assertFailure(
          yield* login(["graph", "--provider", "entra", "--client-id", "app", "--param", "TENANT=contoso"]),
          2,
          /^grantflow: entra, as the catalog makes it by default, connects an application with its own credentials, not a user's sign-in/
        )
        assertFailure(
          yield* login(["work", "https://auth.example.com", "--client-id", "app", "--param", "SHOP=acme"]),
          2,
          /^grantflow: --param applies to a catalog provider only/
        )
        assertFailure(
          yield* login(["work", "https://auth.example.com", "--provider", "github", "--client-id", "app"]),
          2,
          /^grantflow: an issuer and --provider were both given/
        )
      }))
  })

  it.effect("a connection saved before the catalog (no provider, params or via) still loads", () =>
    Effect.sync(() => {
      const old = JSON.stringify({
        name: "work",
        issuer: "https://auth.example.com",
        tokenUrl: "https://auth.example.com/token",
        clientId: "app",
        authMethod: "client_secret_basic",
        scopes: ["read"],
        insecure: false,
        timeout: 30,
        createdAt: 1_700_000_000_000
      })
      const settings = Schema.decodeUnknownSync(Schema.parseJson(Connections.Settings))(old)
      assert.isUndefined(settings.provider)
      assert.strictEqual(settings.clientId, "app")
    }))
})
