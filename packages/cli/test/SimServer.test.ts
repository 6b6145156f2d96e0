import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SimServer from "../src/SimServer.js"
import * as Cli from "./support/cli.js"

const configFile = (config: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "grantflow-sim-")), "sim.json")
  writeFileSync(path, typeof config === "string" ? config : JSON.stringify(config))
  return path
}

const tokenRequest = (base: string) =>
  HttpClientRequest.post(new URL("/token", base)).pipe(
    HttpClientRequest.basicAuth("cli", "cli-secret"),
    HttpClientRequest.bodyUrlParams({ grant_type: "client_credentials" })
  )

const Live = Layer.merge(NodeContext.layer, NodeHttpClient.layerUndici)

const issuerOf = (base: string) =>
  HttpClient.get(new URL("/.well-known/oauth-authorization-server", base)).pipe(
    Effect.flatMap((response) => response.json),
    Effect.map((metadata) => (metadata as { readonly issuer: string }).issuer)
  )

/** A port that was free a moment ago. */
const freePort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { readonly port: number }
    server.close(() => resume(Effect.succeed(port)))
  })
})

describe("SimServer", () => {
  it.scopedLive("serves the configured clients on loopback", () =>
    Effect.gen(function*() {
      const { server, url } = yield* SimServer.start({
        configPath: configFile({ clients: [{ clientId: "cli", clientSecret: "cli-secret" }], tokenLifetime: 60 })
      })
      const response = yield* HttpClient.execute(tokenRequest(url.origin))
      assert.strictEqual(response.status, 200)
      const body = (yield* response.json) as { expires_in: number }
      assert.strictEqual(body.expires_in, 60)
      assert.strictEqual(yield* server.issued, 1)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("runs a provider's twin from the configuration: its paths and shapes on the loopback socket", () =>
    Effect.gen(function*() {
      const { issuer, url } = yield* SimServer.start({
        configPath: configFile({ twin: "github", clients: [{ clientId: "app", clientSecret: "app-secret" }] })
      })
      // the server's own address, not the provider's
      assert.strictEqual(issuer, url.origin)
      // GitHub's token endpoint answers its errors with 200, in its own codes
      const refused = yield* HttpClient.execute(
        HttpClientRequest.post(new URL("/login/oauth/access_token", issuer)).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.bodyUrlParams({ grant_type: "authorization_code", code: "nope", client_id: "app", client_secret: "app-secret" })
        )
      )
      assert.strictEqual(refused.status, 200)
      assert.strictEqual(((yield* refused.json) as { error: string }).error, "bad_verification_code")
      // and its API refuses a bad token with GitHub's body
      const whoami = yield* HttpClient.execute(
        HttpClientRequest.get(new URL("/user", issuer)).pipe(HttpClientRequest.bearerToken("not-a-token"))
      )
      assert.strictEqual(whoami.status, 401)
      assert.strictEqual(((yield* whoami.json) as { message: string }).message, "Bad credentials")
    }).pipe(Effect.provide(Live)))

  it.scopedLive("runs a twin named by the option, over the configuration's clients; a configuration naming another is refused", () =>
    Effect.gen(function*() {
      const { issuer } = yield* SimServer.start({
        twin: "entra",
        configPath: configFile({ clients: [{ clientId: "cli", clientSecret: "cli-secret" }] })
      })
      const response = yield* HttpClient.execute(
        HttpClientRequest.post(new URL("/twin.onmicrosoft.com/oauth2/v2.0/token", issuer)).pipe(
          HttpClientRequest.bodyUrlParams({
            grant_type: "client_credentials",
            client_id: "cli",
            client_secret: "cli-secret",
            scope: "https://graph.microsoft.com/.default"
          })
        )
      )
      assert.strictEqual(response.status, 200, yield* response.text)
      const error = yield* Effect.flip(SimServer.start({ twin: "github", configPath: configFile({ twin: "slack", clients: [] }) }))
      assert.strictEqual(error._tag, "ServerConfigError")
      assert.include(error.message, `twin is "slack", not the twin asked for, "github"`)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a configuration that does not decode names the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(SimServer.start({ configPath: configFile({ clients: [{ clientSecret: "x" }] }) }))
      assert.strictEqual(error._tag, "ServerConfigError")
      assert.include(error.message, "clients[0].clientId is missing")
    }).pipe(Effect.provide(Live)))
})

describe("grantflow sim", () => {
  it.scopedLive("prints LISTEN with the issuer the metadata advertises, on the port the system picked", () =>
    Effect.gen(function*() {
      const { issuer, output } = yield* Cli.sim(["--port", "0"])
      assert.match(issuer, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.notStrictEqual(new URL(issuer).port, "0")
      assert.strictEqual(yield* issuerOf(issuer), issuer)
      // the banner goes to stderr, stdout has the LISTEN line alone
      assert.strictEqual(output().stdout, `LISTEN ${issuer}\n`)
      assert.include(output().stderr, `grantflow simulated authorization server: ${issuer}`)
      assert.notInclude(output().stderr, "/__grantflow/")
    }).pipe(Effect.provide(Live)))

  it.scopedLive("listens on the port given, with the configured clients", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const config = configFile({ clients: [{ clientId: "cli", clientSecret: "cli-secret" }] })
      const { issuer } = yield* Cli.sim(["--config", config, "--port", String(port)])
      assert.strictEqual(issuer, `http://127.0.0.1:${port}`)
      const response = yield* HttpClient.execute(tokenRequest(issuer))
      assert.strictEqual(response.status, 200)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("--twin runs a provider's twin, with the demo client when there is no configuration", () =>
    Effect.gen(function*() {
      const { issuer, output } = yield* Cli.sim(["--twin", "github"])
      // the banner names the provider's paths
      assert.include(output().stderr, `  token      ${issuer}/login/oauth/access_token`)
      assert.include(output().stderr, `  api        ${issuer}/user`)
      const response = yield* HttpClient.execute(
        HttpClientRequest.post(new URL("/login/oauth/access_token", issuer)).pipe(
          HttpClientRequest.bodyUrlParams({ grant_type: "authorization_code", code: "nope", client_id: "demo-client", client_secret: "demo-secret" })
        )
      )
      // form-encoded unless JSON is asked for, and refused with 200, as GitHub does
      assert.strictEqual(response.status, 200)
      assert.strictEqual(new URLSearchParams(yield* response.text).get("error"), "bad_verification_code")
    }).pipe(Effect.provide(Live)))

  it.scopedLive("says in its banner that the admin API and the virtual clock are on", () =>
    Effect.gen(function*() {
      const { issuer, output } = yield* Cli.sim(["--admin", "--virtual-clock"])
      assert.include(output().stderr, `admin      ${issuer}/__grantflow/ (loopback callers only)`)
      assert.include(output().stderr, "clock      virtual")
      const clock = yield* Effect.flatMap(HttpClient.get(new URL("/__grantflow/clock", issuer)), (r) => r.json)
      assert.strictEqual((clock as { virtual: boolean }).virtual, true)
    }).pipe(Effect.provide(Live)))

  /** `grantflow args…` fails with `code` and one line on stderr: `grantflow: …`, with a hint and no stack trace. */
  const rejects = (args: ReadonlyArray<string>, code: number, pattern: RegExp) =>
    Effect.gen(function*() {
      const result = yield* Cli.run(args)
      assert.strictEqual(result.code, code, JSON.stringify(result))
      assert.strictEqual(result.stdout, "")
      const lines = result.stderr.split("\n").filter((line) => line !== "")
      assert.lengthOf(lines, 1, result.stderr)
      assert.match(lines[0]!, /^grantflow: .+ \(.+\)$/)
      assert.match(lines[0]!, pattern)
      assert.notMatch(result.stderr, /^ +at /m)
    })

  describe("on a bad command line: exit code 2", () => {
    it.live("a port that is not a number", () => rejects(["sim", "--port=abc"], 2, /abc/))
    it.live("a port out of range", () =>
      rejects(["sim", "--port", "70000"], 2, /^grantflow: --port must be 0–65535, got 70000 \(give a free port, or 0 for any\)$/))
    it.live("an unknown flag", () => rejects(["sim", "--colour"], 2, /--colour/))
    it.live("a virtual clock without the admin API", () =>
      rejects(["sim", "--virtual-clock"], 2, /^grantflow: --virtual-clock needs --admin \(/))
    it.live("a missing configuration file", () => {
      const missing = join(tmpdir(), "grantflow-sim-missing.json")
      return rejects(
        ["sim", "--config", missing],
        2,
        new RegExp(`^grantflow: cannot read the configuration ${missing} \\(NotFound\\) \\(give --config a readable JSON file\\)$`)
      )
    })
    it.live("a configuration that is a directory", () =>
      rejects(["sim", "--config", mkdtempSync(join(tmpdir(), "grantflow-sim-"))], 2, /cannot read the configuration/))
    it.live("a configuration that is not JSON", () => {
      const config = configFile("{")
      return rejects(
        ["sim", "--config", config],
        2,
        new RegExp(`^grantflow: invalid simulated server configuration: the document is not JSON .* \\(fix ${config}\\)$`)
      )
    })
    it.live("an unknown twin: the known ones are listed", () =>
      rejects(
        ["sim", "--twin", "acme-crm"],
        2,
        /^grantflow: --twin "acme-crm" is not a provider with a twin \(the twins are github, salesforce, .*, zoom, .*\)$/
      ))
    it.live("a configuration naming an unknown twin: the known ones are listed", () =>
      rejects(
        ["sim", "--config", configFile({ twin: "acme-crm", clients: [] })],
        2,
        /^grantflow: invalid simulated server configuration: twin\.id expected one of "github", "salesforce", .*, got "acme-crm" \(fix /
      ))
    it.live("a configuration that does not decode", () =>
      rejects(["sim", "--config", configFile({ clients: [{ clientSecret: "x" }] })], 2, /clients\[0\]\.clientId is missing/))
  })

  it.scopedLive("a port in use: exit code 1", () =>
    Effect.gen(function*() {
      const { url } = yield* SimServer.start({})
      yield* rejects(
        ["sim", "--port", url.port],
        1,
        new RegExp(`^grantflow: cannot listen on 127\\.0\\.0\\.1:${url.port} \\(EADDRINUSE\\) \\(choose another --port or --host\\)$`)
      )
    }).pipe(Effect.provide(Live)))

  it.scopedLive("stopped by a signal once it serves, it exits 0: that is how a server ends, whatever options come first", () =>
    Effect.gen(function*() {
      for (const args of [["sim", "--port", "0"], ["--log-level", "info", "sim", "--port", "0"]]) {
        const running = yield* Cli.spawnScoped(args)
        yield* running.waitFor(/^LISTEN \S+$/m)
        running.child.kill("SIGTERM")
        assert.strictEqual(yield* running.exited, 0, JSON.stringify(running.output()))
      }
    }).pipe(Effect.provide(Live)))

  it.scopedLive("grantflow-sim still starts it, and says it is now grantflow sim", () =>
    Effect.gen(function*() {
      const [program, args] = Cli.command(["--port", "0"], "grantflow-sim")
      const child = yield* Effect.acquireRelease(
        Effect.sync(() => spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] })),
        (child) => Effect.sync(() => child.kill("SIGTERM"))
      )
      const printed = { stdout: "", stderr: "" }
      child.stderr.on("data", (chunk: Buffer) => (printed.stderr += chunk.toString()))
      const issuer = yield* Effect.async<string, Error>((resume) => {
        child.stdout.on("data", (chunk: Buffer) => {
          printed.stdout += chunk.toString()
          const match = /^LISTEN (\S+)$/m.exec(printed.stdout)
          if (match !== null) resume(Effect.succeed(match[1]!))
        })
        child.on("exit", (code) => resume(Effect.fail(new Error(`grantflow-sim exited with ${code}: ${JSON.stringify(printed)}`))))
      }).pipe(Effect.timeout("60 seconds"))
      assert.include(printed.stderr, "grantflow-sim is now `grantflow sim`")
      assert.strictEqual(yield* issuerOf(issuer), issuer)
    }).pipe(Effect.provide(Live)))
})
