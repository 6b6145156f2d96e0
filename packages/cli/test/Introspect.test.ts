import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AuthServer } from "@grantflow/testing"
import { Effect, Redacted } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SimServer from "../src/SimServer.js"
import * as Cli from "./support/cli.js"

const secret = "cli-secret-value"

const configFile = (config: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "grantflow-introspect-")), "sim.json")
  writeFileSync(path, JSON.stringify(config))
  return path
}

/** A simulated server with one confidential client, and an access token issued to it. */
const sim = Effect.gen(function*() {
  const running = yield* SimServer.start({
    configPath: configFile({
      clients: [{ clientId: "cli", clientSecret: secret, scopes: ["orders.read", "orders.write"] }],
      tokenLifetime: "15 minutes"
    })
  })
  const granted = yield* running.server.grant("cli")
  return { ...running, token: Redacted.value(granted.accessToken) }
}).pipe(Effect.provide(NodeContext.layer))

/** Neither the token nor the client secret appears in either stream. */
const assertNoSecrets = (result: Cli.Result, token: string) => {
  for (const value of [token, secret]) {
    assert.notInclude(result.stdout, value)
    assert.notInclude(result.stderr, value)
  }
}

/** A failure: exit code `code`, one line on stderr, nothing on stdout. */
const assertOneLine = (result: Cli.Result, code: number, pattern: RegExp) => {
  assert.strictEqual(result.code, code, result.stderr)
  assert.strictEqual(result.stdout, "")
  assert.match(result.stderr, /^grantflow: [^\n]+\n$/)
  assert.match(result.stderr, pattern)
}

describe("grantflow introspect", () => {
  it.scopedLive("an active token, its endpoint found through the issuer's metadata, the token read from stdin", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* sim
      const result = yield* Cli.run(["introspect", issuer, "--token", "-", "--client-id", "cli", "--client-secret", secret], {
        stdin: `${token}\n`
      })
      assert.strictEqual(result.code, 0, result.stderr)
      const answer = JSON.parse(result.stdout) as Record<string, unknown>
      assert.strictEqual(answer["active"], true)
      assert.strictEqual(answer["client_id"], "cli")
      assert.strictEqual(answer["scope"], "orders.read orders.write")
      assert.match(result.stderr, new RegExp(`^active: yes, according to ${issuer}/introspect\n`))
      assert.include(result.stderr, "client_id   cli")
      assert.match(result.stderr, /exp +\S+ \(expires in 1[45] min\)/)
      assertNoSecrets(result, token)
    }))

  it.scopedLive("the introspection URL itself, the secret from GRANTFLOW_CLIENT_SECRET", () =>
    Effect.gen(function*() {
      const { issuer, server, token } = yield* sim
      const result = yield* Cli.run(["introspect", `${issuer}/introspect`, "--token", token, "--client-id", "cli"], {
        env: { GRANTFLOW_CLIENT_SECRET: secret }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual((JSON.parse(result.stdout) as { active: boolean }).active, true)
      // the argument was tried as an issuer first (no metadata there), then used as the endpoint
      const introspections = (yield* server.journal).filter((entry) => entry.endpoint === "introspect")
      assert.deepStrictEqual(introspections.map((entry) => [entry.status, entry.clientId]), [[200, "cli"]])
      assertNoSecrets(result, token)
    }))

  it.scopedLive("a revoked token is not active: an answer, exit code 0", () =>
    Effect.gen(function*() {
      const { issuer, server, token } = yield* sim
      yield* server.revoke(token)
      const result = yield* Cli.run(["introspect", issuer, "--token", "-", "--client-id", "cli"], {
        stdin: token,
        env: { GRANTFLOW_CLIENT_SECRET: secret }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual(JSON.parse(result.stdout), { active: false })
      assert.match(result.stderr, /^active: no, according to \S+ \(revoked, expired, or unknown to it\)\n$/)
      assertNoSecrets(result, token)
    }))

  it.scopedLive("an answer that echoes the token: printed without it", () =>
    Effect.gen(function*() {
      const { issuer, server, token } = yield* sim
      // RFC 7662 answers never carry the token; a server that does must not make grantflow print it
      yield* server.fail(AuthServer.Status({ status: 200, body: { active: true, token, note: `was ${token}`, n: [token] } }), {
        endpoint: "introspect"
      })
      const result = yield* Cli.run(["introspect", issuer, "--token", "-", "--client-id", "cli"], {
        stdin: token,
        env: { GRANTFLOW_CLIENT_SECRET: secret }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual(JSON.parse(result.stdout), {
        active: true,
        token: "[token removed]",
        note: "[token removed]",
        n: ["[token removed]"]
      })
      assertNoSecrets(result, token)
    }))

  it.scopedLive("a wrong client secret: exit code 1, one line", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* sim
      const result = yield* Cli.run(["introspect", issuer, "--token", "-", "--client-id", "cli"], {
        stdin: token,
        env: { GRANTFLOW_CLIENT_SECRET: "not-the-secret" }
      })
      assertOneLine(result, 1, /client/)
      assertNoSecrets(result, token)
      assert.notInclude(result.stderr, "not-the-secret")
    }))

  it.scopedLive("a malformed answer: exit code 1, one line", () =>
    Effect.gen(function*() {
      const { issuer, server, token } = yield* sim
      yield* server.fail(AuthServer.MalformedJson(), { endpoint: "introspect" })
      const result = yield* Cli.run(["introspect", issuer, "--token", "-", "--client-id", "cli"], {
        stdin: token,
        env: { GRANTFLOW_CLIENT_SECRET: secret }
      })
      assertOneLine(result, 1, /the introspection endpoint answered HTTP 200, but `body` is not valid JSON/)
      assertNoSecrets(result, token)
    }))

  it.live("an unreachable issuer: exit code 1, one line", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["introspect", "http://127.0.0.1:1", "--token", "-", "--client-id", "cli"], {
        stdin: "some-opaque-token",
        env: { GRANTFLOW_CLIENT_SECRET: secret }
      })
      assertOneLine(result, 1, /could not be reached/)
      assertNoSecrets(result, "some-opaque-token")
    }))

  it.live("without a client secret: a bad command line, exit code 2", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["introspect", "http://127.0.0.1:1", "--token", "-", "--client-id", "cli"], {
        stdin: "some-opaque-token",
        env: { GRANTFLOW_CLIENT_SECRET: undefined }
      })
      assertOneLine(result, 2, /client-secret|GRANTFLOW_CLIENT_SECRET/)
    }))

  it.live("--help says that a flag's value is visible in the process list", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["introspect", "--help"])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.include(result.stdout, "GRANTFLOW_CLIENT_SECRET")
      assert.match(result.stdout.replace(/\s+/g, " "), /visible to other users in the process list/)
    }))
})
