import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SimServer from "../src/SimServer.js"
import * as Cli from "./support/cli.js"

const configFile = (config: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "grantflow-decode-")), "sim.json")
  writeFileSync(path, JSON.stringify(config))
  return path
}

/** A simulated server that issues JWT access tokens, and one of its tokens. */
const jwtSim = Effect.gen(function*() {
  const running = yield* SimServer.start({
    configPath: configFile({
      clients: [{ clientId: "cli", clientSecret: "cli-secret", scopes: ["orders.read"] }],
      accessTokenFormat: "jwt",
      tokenLifetime: "15 minutes"
    })
  })
  const granted = yield* running.server.grant("cli")
  return { ...running, token: Redacted.value(granted.accessToken) }
}).pipe(Effect.provide(NodeContext.layer))

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url")
const signature = "c2lnbmF0dXJlLW5vdC1zaG93bg"
const nowSeconds = () => Math.floor(Date.now() / 1000)

/** The token's signature segment appears in neither stream. */
const assertNoSignature = (result: Cli.Result, token: string) => {
  const segment = token.split(".")[2]!
  assert.notInclude(result.stdout, segment)
  assert.notInclude(result.stderr, segment)
}

/** A failure: exit code 1, one line on stderr, nothing on stdout. */
const assertOneLine = (result: Cli.Result, pattern: RegExp) => {
  assert.strictEqual(result.code, 1, result.stderr)
  assert.strictEqual(result.stdout, "")
  assert.match(result.stderr, /^grantflow: [^\n]+\n$/)
  assert.match(result.stderr, pattern)
}

describe("grantflow decode", () => {
  it.scopedLive("shows a JWT of the simulated server: JSON on stdout, the summary on stderr, never the signature", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtSim
      const result = yield* Cli.run(["decode", token])
      assert.strictEqual(result.code, 0, result.stderr)
      const decoded = JSON.parse(result.stdout) as { header: Record<string, unknown>; claims: Record<string, unknown> }
      assert.deepStrictEqual(Object.keys(decoded), ["header", "claims"])
      assert.strictEqual(decoded.header["alg"], "RS256")
      assert.strictEqual(decoded.header["typ"], "at+jwt")
      assert.strictEqual(decoded.claims["iss"], issuer)
      assert.strictEqual(decoded.claims["client_id"], "cli")
      assert.match(result.stderr, /^JWT {2}alg RS256, typ at\+jwt, kid /)
      assert.match(result.stderr, /exp +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(expires in 1[45] min\)/)
      assert.include(result.stderr, "scope       orders.read")
      assert.include(result.stderr, "signature not verified")
      assertNoSignature(result, token)
    }))

  it.scopedLive("reads the token from stdin with -", () =>
    Effect.gen(function*() {
      const { token } = yield* jwtSim
      const result = yield* Cli.run(["decode", "-"], { stdin: `${token}\n` })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual((JSON.parse(result.stdout) as { claims: { client_id: string } }).claims.client_id, "cli")
      assertNoSignature(result, token)
    }))

  it.live("says how long ago an expired JWT expired", () =>
    Effect.gen(function*() {
      const exp = nowSeconds() - 3 * 3600 - 120
      const token = `${b64({ alg: "ES256", typ: "JWT" })}.${b64({ sub: "user-1", iat: exp - 600, exp })}.${signature}`
      const result = yield* Cli.run(["decode", token])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stderr, /exp +\S+ \(expired 3 h ago\)/)
      assert.match(result.stderr, /iat +\S+ \(issued 3 h ago\)/)
      assertNoSignature(result, token)
    }))

  it.live("refuses an opaque token with one line that does not repeat it", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["decode", "opaque-access-token-value"])
      assertOneLine(result, /the token is not a JWT: it has no dots/)
      assert.notInclude(result.stderr, "opaque-access-token-value")
    }))

  it.live("refuses a token whose payload is not JSON", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["decode", "-"], { stdin: `${b64({ alg: "RS256" })}.${b64("not json")}.${signature}` })
      assertOneLine(result, /the token is not a JWT: its payload is not a JSON object/)
    }))

  it.live("refuses an oversized input before decoding it", () =>
    Effect.gen(function*() {
      const huge = `${b64({ alg: "RS256" })}.${b64({ pad: "x".repeat(20_000) })}.${signature}`
      const result = yield* Cli.run(["decode", "-"], { stdin: huge })
      assertOneLine(result, /the token on stdin is longer than 16384 characters/)
    }))

  it.scopedLive("verifies the signature with --jwks", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtSim
      const result = yield* Cli.run(["decode", token, "--jwks", `${issuer}/jwks`])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stderr, /signature verified with the keys from \S+\/jwks; iss not checked/)
      assertNoSignature(result, token)
    }))

  // options go before a lone -: @effect/cli reads no option after it
  it.scopedLive("verifies with --issuer (keys found through its metadata) and --audience", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtSim
      const result = yield* Cli.run(["decode", "--issuer", issuer, "--audience", `${issuer}/api`, "-"], { stdin: token })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.include(result.stderr, `signature verified with the keys from the metadata of ${issuer}; iss checked, aud checked`)
      assert.strictEqual((JSON.parse(result.stdout) as { claims: { iss: string } }).claims.iss, issuer)
    }))

  it.scopedLive("fails with one line when the token comes from another issuer", () =>
    Effect.gen(function*() {
      const { token } = yield* jwtSim
      const other = yield* jwtSim
      const result = yield* Cli.run(["decode", token, "--issuer", other.issuer])
      assertOneLine(result, /^grantflow: verification failed: /)
      assertNoSignature(result, token)
    }))

  it.scopedLive("fails with one line when the keys fit but iss is not the --issuer", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtSim
      const result = yield* Cli.run(["decode", token, "--jwks", `${issuer}/jwks`, "--issuer", "https://other.example.com"])
      assertOneLine(result, /verification failed: the access token was issued by another issuer \(check --issuer/)
    }))
})
