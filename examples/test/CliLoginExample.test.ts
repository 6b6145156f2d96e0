import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import type { AuthServer } from "@grantflow/testing"
import { Effect, Either } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as CliLogin from "../cli-login/login.js"

const root = fileURLToPath(new URL("../../", import.meta.url))

/** Runs the example as `pnpm example:cli` does, with `args`: its exit code and output. */
const runProgram = (args: ReadonlyArray<string>) =>
  Effect.async<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resume) => {
    const child = execFile(
      "node_modules/.bin/tsx",
      ["--conditions=@grantflow/source", "examples/cli-login.ts", ...args],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) =>
        resume(Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }))
    )
    return Effect.sync(() => child.kill())
  })

/** Runs the example in this process, recording what it prints. */
const runInProcess = (mode: CliLogin.Mode) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const running = yield* CliLogin.run(mode, { print: (line) => Effect.sync(() => lines.push(line)) })
    return { ...running, lines }
  }).pipe(Effect.provide(NodeHttpClient.layerUndici))

const requests = (journal: ReadonlyArray<AuthServer.JournalEntry>, endpoint: AuthServer.JournalEntry["endpoint"]) =>
  journal.filter((entry) => entry.endpoint === endpoint)

/** What both modes do once logged in: call the API, and after the revocation refresh (rotating) and call again. */
const assertCallsTheApi = (journal: ReadonlyArray<AuthServer.JournalEntry>, lines: ReadonlyArray<string>) => {
  const refreshes = requests(journal, "token").filter((entry) => entry.grantType === "refresh_token")
  assert.deepStrictEqual(refreshes.map((entry) => [entry.status, entry.refreshTokenId]), [[200, "r1"]])
  const api = requests(journal, "api")
  assert.deepStrictEqual(api.map((entry) => [entry.status, entry.tokenState]), [[200, "valid"], [401, "revoked"], [200, "valid"]])
  assert.strictEqual(api[2]!.tokenId, refreshes[0]!.tokenId)
  assert.deepStrictEqual(lines.filter((line) => line.startsWith("GET /api/orders")), [
    `GET /api/orders → {"ok":true,"path":"/api/orders","clientId":"orders-cli","call":1}`,
    `GET /api/orders → {"ok":true,"path":"/api/orders","clientId":"orders-cli","call":2}`
  ])
}

describe("the cli-login example", () => {
  it.scopedLive("--browser: authorization code + PKCE through the loopback receiver, then the API", () =>
    Effect.gen(function*() {
      const { issuer, lines, rotations, server } = yield* runInProcess("browser")
      const shown = lines.find((line) => line.startsWith("Open this URL in your browser to sign in:\n"))
      assert.isDefined(shown)
      const url = new URL(shown!.split("\n")[1]!.trim())
      assert.strictEqual(url.origin + url.pathname, `${issuer}/authorize`)
      assert.strictEqual(url.searchParams.get("code_challenge_method"), "S256")
      assert.match(url.searchParams.get("redirect_uri")!, /^http:\/\/127\.0\.0\.1:\d+\/callback$/)
      assert.include(lines, `[simulated user] the browser opened it and now shows "Signed in"`)

      const journal = yield* server.journal
      assert.deepStrictEqual(requests(journal, "metadata").map((entry) => entry.status), [200])
      assert.deepStrictEqual(requests(journal, "authorize").map((entry) => [entry.method, entry.status]), [["GET", 302]])
      const exchanges = requests(journal, "token").filter((entry) => entry.grantType === "authorization_code")
      assert.deepStrictEqual(exchanges.map((entry) => [entry.status, entry.clientId]), [[200, "orders-cli"]])
      assertCallsTheApi(journal, lines)
      assert.strictEqual(rotations, 1)
    }), { timeout: 30_000 })

  it.scopedLive("--device: the user code and verification URI are shown, polling waits for the approval, then the API", () =>
    Effect.gen(function*() {
      const { issuer, lines, rotations, server } = yield* runInProcess("device")
      const shown = lines.map((line) => /^To sign in, open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4}) /.exec(line))
        .find((match) => match !== null)
      assert.isDefined(shown)
      assert.strictEqual(shown![1], `${issuer}/device`)
      assert.include(lines, `[simulated user] opened "Connect a device", approved the code: "Device connected"`)

      const journal = yield* server.journal
      assert.deepStrictEqual(requests(journal, "device_authorization").map((entry) => entry.status), [200])
      assert.deepStrictEqual(requests(journal, "device").map((entry) => [entry.method, entry.status]), [
        ["GET", 200],
        ["POST", 200]
      ])
      // polls until the user has approved: "authorization_pending" (400), then the token
      const polls = requests(journal, "token").filter((entry) => entry.grantType === "urn:ietf:params:oauth:grant-type:device_code")
      assert.isAbove(polls.length, 1)
      assert.deepStrictEqual(polls.map((entry) => entry.status), [...Array(polls.length - 1).fill(400), 200])
      assertCallsTheApi(journal, lines)
      assert.strictEqual(rotations, 1)
    }), { timeout: 30_000 })

  // one run as a separate program: it must end by itself, with exit code 0, once it is done
  it.live("runs from the command line as pnpm example:cli --device does, and exits 0", () =>
    Effect.gen(function*() {
      const device = yield* runProgram(["--device"])
      assert.strictEqual(device.code, 0, device.stderr)
      assert.match(device.stdout, /enter the code [A-Z]{4}-[A-Z]{4}/)
      assert.strictEqual(device.stdout.match(/GET \/api\/orders → \{"ok":true/g)?.length, 2)
    }), { timeout: 60_000 })

  it("parses its arguments; anything else is one line saying what to do", () => {
    assert.deepStrictEqual(CliLogin.parseArgs([]), Either.right("browser"))
    assert.deepStrictEqual(CliLogin.parseArgs(["--browser"]), Either.right("browser"))
    assert.deepStrictEqual(CliLogin.parseArgs(["--device"]), Either.right("device"))
    assert.deepStrictEqual(CliLogin.parseArgs(["--device", "--device"]), Either.right("device"))
    assert.deepStrictEqual(
      CliLogin.parseArgs(["--device", "--browser"]),
      Either.left("--browser and --device together: choose one")
    )
    assert.deepStrictEqual(
      CliLogin.parseArgs(["--bogus"]),
      Either.left("unknown argument --bogus: run it with --browser (the default) or --device")
    )
  })
})
