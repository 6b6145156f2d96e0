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

  it.scopedLive("the script rejects a bad port with a usage message", () =>
    Effect.gen(function*() {
      const root = resolve(__dirname, "../../..")
      const result = yield* Effect.async<{ code: number | null; stderr: string }>((resume) => {
        const child = spawn(join(root, "node_modules/.bin/tsx"), [
          "--conditions=@grantflow/source",
          join(root, "packages/cli/src/bin/grantflow-sim.ts"),
          "--port",
          "70000"
        ])
        let stderr = ""
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
        child.on("exit", (code) => resume(Effect.succeed({ code, stderr })))
      })
      assert.strictEqual(result.code, 2)
      assert.include(result.stderr, "--port must be 0–65535, got 70000")
    }))
})
