import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import * as SimServer from "../src/SimServer.js"

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

  it.scopedLive("a configuration that does not decode names the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(SimServer.start({ configPath: configFile({ clients: [{ clientSecret: "x" }] }) }))
      assert.strictEqual(error._tag, "ServerConfigError")
      assert.include(error.message, "clients[0].clientId is missing")
    }).pipe(Effect.provide(Live)))

  it.scopedLive("the grantflow-sim script starts on the given port and stops on SIGTERM", () =>
    Effect.gen(function*() {
      const config = configFile({ clients: [{ clientId: "cli", clientSecret: "cli-secret" }] })
      const root = resolve(__dirname, "../../..")
      const child = yield* Effect.acquireRelease(
        Effect.sync(() =>
          spawn(join(root, "node_modules/.bin/tsx"), [
            "--conditions=@grantflow/source",
            join(root, "packages/cli/src/bin/grantflow-sim.ts"),
            "--config",
            config,
            "--port",
            "0"
          ], { stdio: ["ignore", "pipe", "pipe"] })
        ),
        (child) => Effect.sync(() => child.kill("SIGTERM"))
      )
      // the log line names the address it listens on
      const base = yield* Effect.async<string, Error>((resume) => {
        let output = ""
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
          if (match !== null) resume(Effect.succeed(match[1]!))
        }
        child.stdout.on("data", onData)
        child.stderr.on("data", onData)
        child.on("exit", (code) => resume(Effect.fail(new Error(`grantflow-sim exited with ${code}: ${output}`))))
      }).pipe(Effect.timeout("20 seconds"))
      const response = yield* HttpClient.execute(tokenRequest(base))
      assert.strictEqual(response.status, 200)
    }).pipe(Effect.provide(Live)))

  describe("the script on bad input: one line saying what to do, exit code 2", () => {
    const root = resolve(__dirname, "../../..")
    const runScript = (args: ReadonlyArray<string>) =>
      Effect.async<{ readonly code: number | null; readonly stderr: string }>((resume) => {
        const child = spawn(join(root, "node_modules/.bin/tsx"), [
          "--conditions=@grantflow/source",
          join(root, "packages/cli/src/bin/grantflow-sim.ts"),
          ...args
        ])
        let stderr = ""
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
        child.on("exit", (code) => resume(Effect.succeed({ code, stderr })))
        return Effect.sync(() => child.kill())
      })
    const rejects = (args: ReadonlyArray<string>, line: string) =>
      Effect.gen(function*() {
        const result = yield* runScript(args)
        assert.deepStrictEqual(result, { code: 2, stderr: `grantflow-sim: ${line}\n` })
      })

    it.live("a port out of range", () => rejects(["--port", "70000"], "--port must be 0–65535, got 70000: give a free port, or 0 for any"))
    it.live("a port that is not a number", () => rejects(["--port", "9e3"], "--port must be 0–65535, got 9e3: give a free port, or 0 for any"))
    it.live("an option without its value", () =>
      rejects(["--port"], "--port needs a value (usage: grantflow-sim [--config FILE] [--port N] [--host ADDRESS])"))
    it.live("a missing configuration file", () => {
      const missing = join(tmpdir(), "grantflow-sim-missing.json")
      return rejects(["--config", missing], `cannot read the configuration ${missing} (NotFound): give --config a readable JSON file`)
    })
    it.live("a configuration that is a directory", () => {
      const directory = mkdtempSync(join(tmpdir(), "grantflow-sim-"))
      return rejects(["--config", directory], `cannot read the configuration ${directory} (BadResource): give --config a readable JSON file`)
    })
    it.live("a configuration that is not JSON", () => {
      const config = configFile("{")
      return Effect.gen(function*() {
        const result = yield* runScript(["--config", config])
        assert.strictEqual(result.code, 2)
        assert.match(result.stderr, new RegExp(`^grantflow-sim: invalid simulated server configuration: the document is not JSON .*: fix ${config}\\n$`))
      })
    })
    it.scopedLive("a port in use", () =>
      Effect.gen(function*() {
        const { url } = yield* SimServer.start({})
        yield* rejects(["--port", url.port], `cannot listen on 127.0.0.1:${url.port} (EADDRINUSE): choose another --port or --host`)
      }).pipe(Effect.provide(Live)))
  })
})
