import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Dpop, Registration, TokenStore } from "@grantflow/core"
import { FileTokenStore, RedirectReceiver } from "@grantflow/node"
import type { AuthServer } from "@grantflow/testing"
import { Effect, Either, Option, Redacted } from "effect"
import * as TestClock from "effect/TestClock"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as ConnectByUrl from "../connect-by-url/connect.js"
import * as Main from "../connect-by-url/main.js"
import * as Simulated from "../connect-by-url/simulated.js"
import { launchBrowser } from "../../packages/testing/test/chromium.js"

const root = fileURLToPath(new URL("../../", import.meta.url))

const temporaryDirectory = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "grantflow-connect-test-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const stores = (dir: string) => FileTokenStore.layer(dir, { encryption: "none" })

const entries = (journal: ReadonlyArray<AuthServer.JournalEntry>, endpoint: AuthServer.JournalEntry["endpoint"]) =>
  journal.filter((entry) => entry.endpoint === endpoint)

/** Every secret the connection keeps: its tokens, the client's secret, the DPoP private key. */
const keptSecrets = (
  dir: string,
  connection: Pick<ConnectByUrl.Connection, "issuer" | "clientId" | "resource">
) =>
  Effect.gen(function*() {
    const store = yield* TokenStore.TokenStore
    const tokens = yield* store.get(
      TokenStore.key({ issuer: connection.issuer, clientId: connection.clientId, grant: "authorization_code", resource: connection.resource })
    )
    const client = yield* store.get(Registration.key(connection.issuer, "connect-by-url"))
    const token = Option.getOrThrow(tokens).token
    // the key, read back from the store with the token it is bound to
    const key = yield* Dpop.exportKey(token.dpop!)
    return [
      Redacted.value(token.token),
      Redacted.value(Option.getOrThrow(token.refreshToken)),
      Redacted.value(Option.getOrThrow(client).token.token),
      Redacted.value(key).d!
    ]
  }).pipe(Effect.provide(stores(dir)))

describe("the connect-by-url example", () => {
  // TestClock: the simulated server and the client share it, so moving it expires the tokens for both
  it.scoped("a real browser approves; DPoP-bound calls; a refresh with the same key; a restart finds the connection", () =>
    Effect.gen(function*() {
      const { api, server } = yield* Simulated.start
      const dir = yield* temporaryDirectory
      const lines: Array<string> = []
      const print = (line: string) => Effect.sync(() => void lines.push(line))
      const browser = yield* launchBrowser
      const page = yield* Effect.promise(() => browser.newPage())
      const consent: Array<string | null> = []

      const connectOnce = ConnectByUrl.connect(api, {
        print,
        signIn: (endpoint, request) =>
          RedirectReceiver.authorize(endpoint, {
            ...request,
            onAuthorizeUrl: (url) =>
              Effect.promise(async () => {
                await page.goto(url.href)
                consent.push(await page.title(), await page.textContent("#client"), await page.textContent("#scopes"))
                await Promise.all([page.waitForURL("http://127.0.0.1:*/callback?**"), page.click("#approve")])
              })
          })
      }).pipe(Effect.provide(stores(dir)))

      const connection = yield* connectOnce
      assert.deepStrictEqual(consent, ["Authorize access", connection.clientId, "orders.read"])
      const call = Effect.flatMap(connection.api.get(api), (response) => Effect.as(response.text, response.status))
      assert.strictEqual(yield* call, 200)
      assert.strictEqual(yield* call, 200)
      // past the access token's hour: the client refreshes, with a proof of the same key
      yield* TestClock.adjust("61 minutes")
      assert.strictEqual(yield* call, 200)

      // one registration, one pushed request, the code exchanged and the token refreshed with proofs of the
      // key, every API call with a proof of it; each nonce challenge answered once
      const journal = yield* server.journal
      assert.deepStrictEqual(journal.map((e) => [e.endpoint, e.method, e.status, e.grantType, e.dpop, e.tokenId]), [
        ["api", "GET", 401, undefined, undefined, undefined],
        ["resource_metadata", "GET", 200, undefined, undefined, undefined],
        ["metadata", "GET", 200, undefined, undefined, undefined],
        ["register", "POST", 201, undefined, undefined, undefined],
        ["par", "POST", 201, undefined, undefined, undefined],
        ["authorize", "GET", 200, undefined, undefined, undefined],
        ["authorize", "POST", 302, undefined, undefined, undefined],
        ["token", "POST", 400, "authorization_code", "nonce", undefined],
        ["token", "POST", 200, "authorization_code", "valid", "t1"],
        // the token read back from the store comes with its key, read back too: without the nonce it had heard
        ["api", "GET", 401, undefined, "nonce", "t1"],
        ["api", "GET", 200, undefined, "valid", "t1"],
        ["api", "GET", 200, undefined, "valid", "t1"],
        ["token", "POST", 400, "refresh_token", "nonce", undefined],
        ["token", "POST", 200, "refresh_token", "valid", "t2"],
        ["api", "GET", 200, undefined, "valid", "t2"]
      ])
      assert.deepStrictEqual(entries(journal, "register").map((e) => e.clientId), [connection.clientId])
      const proven = journal.filter((e) => e.dpop !== undefined)
      assert.isTrue(proven.every((e) => e.dpopJkt === connection.jkt))

      // a restart: the registered client, the key and the tokens come from the store, nothing is asked again
      yield* server.clearJournal
      const again = yield* connectOnce
      assert.deepStrictEqual([again.clientId, again.jkt], [connection.clientId, connection.jkt])
      assert.strictEqual(yield* Effect.flatMap(again.api.get(api), (response) => Effect.as(response.text, response.status)), 200)
      const after = yield* server.journal
      assert.deepStrictEqual(
        after.filter((e) => !["api", "resource_metadata", "metadata"].includes(e.endpoint)).map((e) => e.endpoint),
        []
      )
      assert.include(lines, "the store holds this connection already: no sign-in")

      // nothing printed shows a token, the client's secret or the private key
      const secrets = yield* keptSecrets(dir, connection)
      assert.strictEqual(secrets.length, 4)
      for (const line of lines) for (const secret of secrets) assert.notInclude(line, secret)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)), { timeout: 60_000 })

  it.scopedLive("runs as pnpm example:connect-by-url --store DIR does, prints what it did, none of its secrets, exits 0", () =>
    Effect.gen(function*() {
      const dir = yield* temporaryDirectory
      const { code, stderr, stdout } = yield* Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
        const child = execFile(
          "node_modules/.bin/tsx",
          ["--conditions=@grantflow/source", "examples/connect-by-url.ts", "--store", dir],
          { cwd: root, timeout: 60_000 },
          (error, stdout, stderr) =>
            resume(Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }))
        )
        return Effect.sync(() => child.kill())
      })
      assert.strictEqual(code, 0, stderr)
      const lines = stdout.trim().split("\n")
      assert.match(lines[0]!, /^the simulated protected API runs at http:\/\/127\.0\.0\.1:\d+\/api\/orders$/)
      assert.match(lines[1]!, /^\/api\/orders answered 401; its metadata says: resource http:\/\/127\.0\.0\.1:\d+\/api, tokens from /)
      assert.match(lines[2]!, /^registered at http:\/\/127\.0\.0\.1:\d+ as client dyn-/)
      assert.match(stdout, /request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A/)
      assert.include(stdout, `signed in: a DPoP token for "orders.read" and a refresh token, saved`)
      assert.strictEqual(stdout.match(/GET \/api\/orders with a DPoP-bound token → 200 \{"ok":true/g)?.length, 2)
      assert.include(stdout, `the connection is kept in ${dir}`)
      // the secrets it kept in the store, which it printed none of
      const issuer = /tokens from (\S+)$/m.exec(stdout)![1]!
      const clientId = / as client (\S+)$/m.exec(stdout)![1]!
      const secrets = yield* keptSecrets(dir, { issuer, clientId, resource: `${issuer}/api` })
      for (const secret of secrets) assert.notInclude(stdout + stderr, secret)
    }), { timeout: 60_000 })

  it("parses its arguments; anything else is one line saying what to do", () => {
    assert.deepStrictEqual(Main.parseArgs([]), Either.right({ url: Option.none(), store: Option.none() }))
    assert.deepStrictEqual(
      Main.parseArgs(["https://api.example.com/v1", "--store", "/var/lib/x"]),
      Either.right({ url: Option.some(new URL("https://api.example.com/v1")), store: Option.some("/var/lib/x") })
    )
    assert.deepStrictEqual(
      Main.parseArgs(["--store"]),
      Either.left("--store needs a directory: run it as: pnpm example:connect-by-url [API-URL] [--store DIRECTORY]")
    )
    assert.isTrue(Either.isLeft(Main.parseArgs(["ftp://x"])))
    assert.isTrue(Either.isLeft(Main.parseArgs(["https://a.example", "https://b.example"])))
  })
})
