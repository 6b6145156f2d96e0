/**
 * `grantflow connections`, `request` and `logout` as real processes, against
 * the simulated server in this process; each test has its own home.
 */
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { mkdtempSync, truncateSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AuthServer } from "@grantflow/testing"
import * as SimServer from "../src/SimServer.js"
import * as Cli from "./support/cli.js"
import * as Support from "./support/connections.js"

const clientSecret = "conn-test-secret-4b1d"
const config = {
  clients: [{
    clientId: "app",
    clientSecret,
    grants: ["authorization_code", "refresh_token"],
    scopes: ["read", "write"]
  }]
}

const writeConfig = (document: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "grantflow-sim-")), "sim.json")
  writeFileSync(path, JSON.stringify(document))
  return path
}

const start = Effect.suspend(() => SimServer.start({ configPath: writeConfig(config) }))

/** Saves the connection `name` of the client `app`, with its secret, logged in at `running`. */
const connection = (
  env: Record<string, string>,
  running: SimServer.Running,
  name: string,
  options: Partial<Support.SeedOptions> = {}
) => Support.seed(env, running, { name, clientId: "app", clientSecret: Redacted.make(clientSecret), ...options })

/** A fresh home with the connection `work` logged in on a server of its own. */
const work = (options: { readonly expired?: boolean } = {}) =>
  Effect.gen(function*() {
    const env = Support.home()
    const running = yield* start
    return { env, granted: yield* connection(env, running, "work", options), running }
  })

/** Every value that must never be printed. */
const secrets = (...granted: ReadonlyArray<{ readonly accessToken: Redacted.Redacted<string>; readonly refreshToken: Redacted.Redacted<string> | undefined }>) => [
  clientSecret,
  ...granted.flatMap((tokens) => [Redacted.value(tokens.accessToken), ...Option.toArray(Option.map(Option.fromNullable(tokens.refreshToken), Redacted.value))])
]

const assertClean = (result: Cli.Result, values: ReadonlyArray<string>) => {
  for (const value of values) {
    assert.notInclude(result.stdout, value)
    assert.notInclude(result.stderr, value)
  }
}

/** A failure: one line on stderr, `grantflow: … (hint)`, nothing on stdout. */
const assertFailure = (result: Cli.Result, code: number, line: RegExp) => {
  assert.strictEqual(result.code, code, JSON.stringify(result))
  assert.strictEqual(result.stdout, "")
  assert.match(result.stderr, /^grantflow: [^\n]+ \([^\n]+\)\n$/)
  assert.match(result.stderr.trimEnd(), line)
}

const Live = NodeContext.layer

describe("grantflow request", () => {
  it.scopedLive("calls the API with the connection's token; -i prints the status and headers, credentials redacted", () =>
    Effect.gen(function*() {
      const { env, granted, running } = yield* work()
      const result = yield* Cli.run(
        ["request", "work", `${running.issuer}/api/me`, "-i", "-H", "Accept: application/json"],
        { env }
      )
      assert.strictEqual(result.code, 0, result.stderr)
      const [head, body] = result.stdout.split("\n\n")
      assert.match(head!, /^HTTP 200 OK\n/)
      assert.match(head!, /^content-type: application\/json/m)
      assert.deepStrictEqual(JSON.parse(body!), { ok: true, path: "/api/me", clientId: "app", call: 1 })
      assertClean(result, secrets(granted))
      // the API saw the stored token: no token request was sent
      const journal = yield* running.server.journal
      assert.deepStrictEqual(journal.map((entry) => entry.endpoint), ["api"])
    }).pipe(Effect.provide(Live)))

  it.scopedLive("refreshes an expired token, saves the rotated refresh token, and --verbose tells the lifecycle", () =>
    Effect.gen(function*() {
      const { env, granted, running } = yield* work({ expired: true })
      const first = yield* Cli.run(["request", "work", `${running.issuer}/api/a`, "--verbose", "-H", "X-Api-Key: k-5150"], { env })
      assert.strictEqual(first.code, 0, first.stderr)
      assert.match(first.stderr, /^> GET http:\/\/127\.0\.0\.1:\d+\/api\/a$/m)
      assert.match(first.stderr, /^\* refreshing the token of work at http:\/\/127\.0\.0\.1:\d+\/token$/m)
      assert.match(first.stderr, /^\* the server rotated the refresh token: the new one is saved$/m)
      assert.match(first.stderr, /^\* token 1 ready \(initial\), expires in \d+ (min|s)/m)
      assert.match(first.stderr, /^< HTTP 200 OK$/m)
      assert.match(first.stderr, /^> authorization: <redacted>$/m)
      assert.match(first.stderr, /^> x-api-key: <redacted>$/m)
      assert.notInclude(first.stderr, "k-5150")
      // the second run uses the rotated refresh token's access token: no refresh
      const second = yield* Cli.run(["request", "work", `${running.issuer}/api/b`], { env })
      assert.strictEqual(second.code, 0, second.stderr)
      const tokens = (yield* running.server.journal).filter((entry) => entry.endpoint !== "api")
      assert.deepStrictEqual(tokens.map((entry) => [entry.grantType, entry.status]), [["refresh_token", 200]])
      const families = yield* running.server.families
      assert.strictEqual(families[0]!.generation, 2)
      assert.isFalse(families[0]!.revoked)
      for (const result of [first, second]) assertClean(result, secrets(granted))
    }).pipe(Effect.provide(Live)))

  it.scopedLive("two runs at once refresh an expired token once: the other waits for it (a lease between processes)", () =>
    Effect.gen(function*() {
      const { env, granted, running } = yield* work({ expired: true })
      // a slow token endpoint: the second run starts while the first one's refresh is under way
      yield* running.server.fail(AuthServer.Latency({ duration: "3 seconds" }), { times: 2 })
      const results = yield* Effect.all(
        [1, 2].map((n) => Cli.run(["request", "work", `${running.issuer}/api/${n}`], { env })),
        { concurrency: 2 }
      )
      for (const result of results) {
        assert.strictEqual(result.code, 0, result.stderr)
        assertClean(result, secrets(granted))
      }
      const journal = yield* running.server.journal
      assert.deepStrictEqual(journal.filter((entry) => entry.endpoint === "token").map((entry) => entry.status), [200])
      // a second use of the rotated refresh token would have revoked the family
      assert.isFalse((yield* running.server.families)[0]!.revoked)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a token the API rejects is refreshed and the request replayed once", () =>
    Effect.gen(function*() {
      const { env, granted, running } = yield* work()
      yield* running.server.revoke(granted.accessToken)
      const result = yield* Cli.run(["request", "work", `${running.issuer}/api/me`, "-v"], { env })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(JSON.parse(result.stdout).ok, true)
      assert.match(result.stderr, /^\* token 1 rejected by GET http:\/\/127\.0\.0\.1:\d+\/api\/me \(HTTP 401\)$/m)
      assert.match(result.stderr, /^\* replayed GET http:\/\/127\.0\.0\.1:\d+\/api\/me with token 2$/m)
      const journal = yield* running.server.journal
      assert.deepStrictEqual(journal.map((entry) => [entry.endpoint, entry.status]), [["api", 401], ["token", 200], ["api", 200]])
      assertClean(result, secrets(granted))
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a refused refresh token: one line saying to log in again, and the connection needs login", () =>
    Effect.gen(function*() {
      const { env, granted, running } = yield* work({ expired: true })
      yield* running.server.revokeFamily(granted.familyId!)
      const result = yield* Cli.run(["request", "work", `${running.issuer}/api/me`], { env })
      assertFailure(result, 1, /^grantflow: connection work needs a new login \(run grantflow login work\)$/)
      const list = yield* Cli.run(["connections", "--json"], { env })
      assert.strictEqual(JSON.parse(list.stdout)[0].health, "needs login")
      assertClean(result, secrets(granted))
    }).pipe(Effect.provide(Live)))

  it.scopedLive("an unreachable issuer, an unknown connection, another key: exit 1; bad command lines: exit 2", () =>
    Effect.gen(function*() {
      const { env, granted, running } = yield* work()
      // a connection whose issuer no longer answers (a server that was stopped), with an expired token
      const gone = yield* Effect.scoped(Effect.map(start, ({ issuer }) => issuer))
      const stale = yield* connection(env, running, "gone", { expired: true, issuer: gone })
      const unreachable = yield* Cli.run(["request", "gone", `${running.issuer}/api/me`], { env })
      assertFailure(unreachable, 1, /^grantflow: cannot get a token for connection gone: .+ \(check that gone's issuer is reachable, or run grantflow login gone\)$/)
      assertFailure(
        yield* Cli.run(["request", "nope", `${running.issuer}/api/me`], { env }),
        1,
        /^grantflow: no connection named nope \(the connections are gone, work; or run grantflow login nope\)$/
      )
      assertFailure(
        yield* Cli.run(["request", "work", `${running.issuer}/api/me`], { env: { ...env, GRANTFLOW_KEY: Support.home().GRANTFLOW_KEY } }),
        1,
        /^grantflow: cannot open the saved connection work \(.+\) \(set GRANTFLOW_KEY to the key it was saved with, or run grantflow login work again\)$/
      )
      assertFailure(
        yield* Cli.run(["request", "a/b", `${running.issuer}/api/me`], { env }),
        2,
        /^grantflow: "a\/b" is not a connection name/
      )
      assertFailure(
        yield* Cli.run(["request", "work", `${running.issuer}/api/me`, "-H", "Authorization: Bearer x"], { env }),
        2,
        /^grantflow: -H Authorization cannot be given \(the connection sets Authorization with its token\)$/
      )
      assertFailure(
        yield* Cli.run(["request", "work", "http://127.0.0.1/", "--frobnicate"], { env }),
        2,
        /^grantflow: Received unknown argument: '--frobnicate' \(see grantflow --help\)$/
      )
      assertFailure(
        yield* Cli.run(["request", "work", "http://api.example.com/me"], { env }),
        2,
        /^grantflow: .*http: .* \(give an https: URL/
      )
      for (const result of [unreachable]) assertClean(result, [...secrets(granted), ...secrets(stale)])
    }).pipe(Effect.provide(Live)))

  it.scopedLive("-d sends a body (@file or stdin), POST by default; --fail exits 1 on an error status", () =>
    Effect.gen(function*() {
      const { env, running } = yield* work()
      const file = join(mkdtempSync(join(tmpdir(), "grantflow-data-")), "body.json")
      writeFileSync(file, "{\"a\":1}")
      const fromFile = yield* Cli.run(["request", "work", `${running.issuer}/api/items`, "-d", `@${file}`, "-H", "Content-Type: application/json"], { env })
      assert.strictEqual(fromFile.code, 0, fromFile.stderr)
      const fromStdin = yield* Cli.run(["request", "work", `${running.issuer}/api/items`, "-X", "put", "-d", "-"], { env, stdin: "x=1" })
      assert.strictEqual(fromStdin.code, 0, fromStdin.stderr)
      const journal = yield* running.server.journal
      assert.deepStrictEqual(journal.map((entry) => [entry.method, entry.status]), [["POST", 200], ["PUT", 200]])
      // a body over 64 MiB is refused before anything is sent: a sparse file costs no disk
      const huge = join(mkdtempSync(join(tmpdir(), "grantflow-data-")), "huge.bin")
      writeFileSync(huge, "")
      truncateSync(huge, 64 * 1024 * 1024 + 1)
      const tooLong = yield* Cli.run(["request", "work", `${running.issuer}/api/items`, "-d", `@${huge}`], { env })
      assertFailure(tooLong, 1, /^grantflow: the request body in .*huge\.bin is longer than 64 MiB \(send a smaller body\)$/)
      assert.strictEqual((yield* running.server.journal).length, 2)
      const failed = yield* Cli.run(["request", "work", `${running.issuer}/api/items`, "-X", "PATCH", "--fail"], { env })
      assertFailure(failed, 1, /^grantflow: PATCH http:\/\/127\.0\.0\.1:\d+\/api\/items answered HTTP 405 \(run it without --fail to see the body\)$/)
    }).pipe(Effect.provide(Live)))
})

describe("grantflow connections", () => {
  it.scopedLive("lists names, issuer, expiry, scopes and health, never a value; --json too", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const running = yield* start
      const fresh = yield* connection(env, running, "fresh", { scopes: ["read"] })
      const old = yield* connection(env, running, "old", { expired: true })
      const table = yield* Cli.run(["connections"], { env })
      assert.strictEqual(table.code, 0, table.stderr)
      const lines = table.stdout.trimEnd().split("\n")
      assert.match(lines[0]!, /^NAME +ISSUER +CLIENT +EXPIRES +SCOPES +HEALTH$/)
      assert.match(lines[1]!, /^fresh +http:\/\/127\.0\.0\.1:\d+ +app +in (59|60) min( \d+ s)? +read +ok$/)
      assert.match(lines[2]!, /^old +http:\/\/127\.0\.0\.1:\d+ +app +1 min( \d+ s)? ago +read write +expired, refreshable$/)
      const json = yield* Cli.run(["connections", "--json"], { env })
      const listed = JSON.parse(json.stdout) as ReadonlyArray<Record<string, unknown>>
      assert.deepStrictEqual(listed.map((entry) => [entry.name, entry.clientId, entry.authMethod, entry.scopes, entry.health]), [
        ["fresh", "app", "client_secret_basic", ["read"], "ok"],
        ["old", "app", "client_secret_basic", ["read", "write"], "expired, refreshable"]
      ])
      for (const result of [table, json]) assertClean(result, secrets(fresh, old))
    }).pipe(Effect.provide(Live)))
})

describe("grantflow logout", () => {
  it.scopedLive("revokes the tokens at the server and deletes the connection", () =>
    Effect.gen(function*() {
      const { env, granted, running } = yield* work()
      const result = yield* Cli.run(["logout", "work"], { env })
      assert.deepStrictEqual(result, { code: 0, stdout: "", stderr: "logged out of work: its tokens were revoked at the server\n" })
      const journal = yield* running.server.journal
      assert.deepStrictEqual(journal.map((entry) => [entry.endpoint, entry.status]), [["revoke", 200], ["revoke", 200]])
      assert.isTrue((yield* running.server.families)[0]!.revoked)
      const after = yield* Cli.run(["connections", "--json"], { env })
      assert.deepStrictEqual(JSON.parse(after.stdout), [])
      assertClean(result, secrets(granted))
    }).pipe(Effect.provide(Live)))

  it.scopedLive("when revoking fails or the tokens cannot be opened, the connection is deleted all the same and the command says so, exit 1", () =>
    Effect.gen(function*() {
      const { env, running } = yield* work()
      yield* running.server.fail(AuthServer.Status({ status: 503 }), { endpoint: "revoke", times: 5 })
      const result = yield* Cli.run(["logout", "work"], { env })
      assertFailure(result, 1, /^grantflow: deleted connection work here, but revoking its tokens at http:\/\/127\.0\.0\.1:\d+ failed: .+ \(they stay valid at the server until they expire; revoke them there if they may have leaked\)$/)
      const kept = yield* Cli.run(["logout", "work", "--keep-remote"], { env })
      assertFailure(kept, 1, /^grantflow: no connection named work \(run grantflow login work first\)$/)
      // with another key, nothing can be opened to revoke: the connection still goes
      yield* connection(env, running, "locked")
      const locked = yield* Cli.run(["logout", "locked"], { env: { ...env, GRANTFLOW_KEY: Support.home().GRANTFLOW_KEY } })
      assertFailure(locked, 1, /^grantflow: deleted connection locked here, but its tokens could not be opened with the key given, to revoke them \(/)
      assert.deepStrictEqual(yield* (yield* Support.open(env)).names, [])
    }).pipe(Effect.provide(Live)))
})
