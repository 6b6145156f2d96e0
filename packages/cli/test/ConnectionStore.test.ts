import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AccessToken } from "@grantflow/core"
import { Effect, Exit, Option, Redacted } from "effect"
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { generateKeyPairSync } from "node:crypto"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { isCredentialHeader } from "../src/internal/commands/request.js"
import * as Connections from "../src/internal/connections.js"
import * as SimServer from "../src/SimServer.js"
import * as Support from "./support/connections.js"

const secret = "store-test-secret-value"
const config = { clients: [{ clientId: "app", clientSecret: secret, grants: ["authorization_code", "refresh_token"] }] }

const withServer = Effect.suspend(() => {
  const configPath = join(mkdtempSync(join(tmpdir(), "grantflow-sim-")), "sim.json")
  writeFileSync(configPath, JSON.stringify(config))
  return SimServer.start({ configPath })
})

/** Every byte under the home directory, as text. */
const contents = (home: string): string =>
  readdirSync(home, { recursive: true, encoding: "utf8" })
    .map((path) => join(home, path))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path, "utf8"))
    .join("\n")

describe("the connection store", () => {
  it.scopedLive("saves a connection, its secret and tokens sealed; the files hold no value of them", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const running = yield* withServer
      const granted = yield* Support.seed(env, running, { name: "work", clientId: "app", clientSecret: Redacted.make(secret) })
      const store = yield* Support.open(env)
      const connection = yield* store.load("work")
      assert.strictEqual(connection.settings.clientId, "app")
      assert.strictEqual(Redacted.value(connection.credentials.clientSecret!), secret)
      const token = Option.getOrThrow(yield* store.token(connection.settings))
      assert.strictEqual(Redacted.value(token.token), Redacted.value(granted.accessToken))
      assert.deepStrictEqual(yield* store.names, ["work"])

      const files = contents(env.GRANTFLOW_HOME)
      for (const value of [secret, Redacted.value(granted.accessToken), Redacted.value(granted.refreshToken!)]) {
        assert.notInclude(files, value)
      }
      assert.strictEqual(statSync(env.GRANTFLOW_HOME).mode & 0o777, 0o700)
      assert.strictEqual(statSync(join(env.GRANTFLOW_HOME, "connections", "work.json")).mode & 0o777, 0o600)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("without GRANTFLOW_KEY, creates a key file of mode 0600 on the first save and reads it after", () =>
    Effect.gen(function*() {
      const { GRANTFLOW_HOME } = Support.home()
      const running = yield* withServer
      yield* Support.seed({ GRANTFLOW_HOME }, running, { name: "work", clientId: "app", clientSecret: Redacted.make(secret) })
      const keyFile = join(GRANTFLOW_HOME, "key")
      assert.strictEqual(statSync(keyFile).mode & 0o777, 0o600)
      assert.match(readFileSync(keyFile, "utf8"), /^local:[A-Za-z0-9+/]{43}=\n$/)
      const store = yield* Support.open({ GRANTFLOW_HOME })
      assert.strictEqual(Redacted.value((yield* store.load("work")).credentials.clientSecret!), secret)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("lists connections with their health, and tells an unreadable one with another key", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const running = yield* withServer
      yield* Support.seed(env, running, { name: "fresh", clientId: "app", clientSecret: Redacted.make(secret) })
      yield* Support.seed(env, running, { name: "old", clientId: "app", clientSecret: Redacted.make(secret), expired: true })
      const health = (statuses: ReadonlyArray<Connections.Status>) =>
        Object.fromEntries(statuses.map((status) => [status.settings.name, status.health]))
      assert.deepStrictEqual(health(yield* (yield* Support.open(env)).list), {
        fresh: "ok",
        old: "expired, refreshable"
      })
      const other = yield* Support.open({ ...env, GRANTFLOW_KEY: Support.home().GRANTFLOW_KEY })
      assert.deepStrictEqual(health(yield* other.list), { fresh: "unreadable", old: "unreadable" })
      const error = yield* Effect.flip(other.load("fresh"))
      assert.match(error.message, /^cannot open the saved connection fresh \(/)
      assert.strictEqual(error.hint, "set GRANTFLOW_KEY to the key it was saved with, or run grantflow login fresh again")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("removes a connection: settings, token and secret", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const running = yield* withServer
      yield* Support.seed(env, running, { name: "work", clientId: "app", clientSecret: Redacted.make(secret) })
      const store = yield* Support.open(env)
      yield* store.remove((yield* store.load("work")).settings)
      assert.deepStrictEqual(yield* store.names, [])
      assert.deepStrictEqual(readdirSync(join(env.GRANTFLOW_HOME, "store")), [])
      const error = yield* Effect.flip(store.load("work"))
      assert.deepStrictEqual([error.message, error.hint, error.usage], [
        "no connection named work",
        "run grantflow login work first",
        false
      ])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("saving a connection again with other scopes replaces its token record", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const running = yield* withServer
      yield* Support.seed(env, running, { name: "work", clientId: "app", clientSecret: Redacted.make(secret) })
      yield* Support.seed(env, running, { name: "work", clientId: "app", clientSecret: Redacted.make(secret), scopes: ["read"] })
      // one token record and one secret record
      assert.strictEqual(readdirSync(join(env.GRANTFLOW_HOME, "store")).length, 2)
      const store = yield* Support.open(env)
      assert.deepStrictEqual((yield* store.load("work")).settings.scopes, ["read"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("a bad key in GRANTFLOW_KEY is a usage error naming the format", () =>
    Effect.gen(function*() {
      const env = { ...Support.home(), GRANTFLOW_KEY: "no-colon" }
      const store = yield* Support.open(env)
      const error = yield* Effect.flip(store.tokens)
      assert.deepStrictEqual([error.message, error.usage], ["GRANTFLOW_KEY is not a key", true])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("a private key (private_key_jwt) is kept sealed, and gives the client authentication back", () =>
    Effect.gen(function*() {
      const env = Support.home()
      const running = yield* withServer
      const jwk = { ...generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }), kid: "k1" }
      const granted = yield* running.server.grant("app")
      const token = Support.tokenOf(granted)
      const settings = new Connections.Settings({
        ...Support.settings(running, { name: "keyed", clientId: "app" }),
        authMethod: "private_key_jwt",
        keyId: "k1"
      })
      const store = yield* Support.open(env)
      yield* store.save({ settings, credentials: { privateKey: Redacted.make(jwk) } }, token)
      assert.notInclude(contents(env.GRANTFLOW_HOME), jwk.d!)
      const auth = yield* Connections.clientAuth(yield* store.load("keyed"))
      assert.strictEqual(auth._tag, "PrivateKeyJwt")
      if (auth._tag === "PrivateKeyJwt") {
        assert.deepStrictEqual(Redacted.value(auth.key), jwk)
        assert.deepStrictEqual(auth.kid, Option.some("k1"))
      }
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("a home that other users may write to is refused", () =>
    Effect.gen(function*() {
      const { GRANTFLOW_HOME } = Support.home()
      mkdirSync(GRANTFLOW_HOME, { mode: 0o700 })
      chmodSync(GRANTFLOW_HOME, 0o777)
      const error = yield* Effect.flip(Support.open({ GRANTFLOW_HOME }))
      assert.deepStrictEqual([error.message, error.hint], [
        `${GRANTFLOW_HOME} can be written by other users (mode 777)`,
        `run chmod 700 ${GRANTFLOW_HOME}, or set GRANTFLOW_HOME to a directory of your own`
      ])
    }).pipe(Effect.provide(NodeContext.layer)))

  it("names: letters, digits, '.', '_' and '-', up to 64", () => {
    const valid = (name: string) => Exit.isSuccess(Effect.runSyncExit(Connections.checkName(name)))
    assert.deepStrictEqual(["github", "a.b_c-1", "x".repeat(64)].map(valid), [true, true, true])
    assert.deepStrictEqual(["", ".", "..", "a/b", "a b", "x".repeat(65), "é"].map(valid), Array(7).fill(false))
  })

  it("health: from the stored token alone", () => {
    const token = (expiresAt: number, refresh: boolean) =>
      new AccessToken.AccessToken({
        token: Redacted.make("t"),
        type: "Bearer",
        issuedAt: 0,
        expiresAt,
        scopes: [],
        refreshToken: refresh ? Option.some(Redacted.make("r")) : Option.none()
      })
    assert.strictEqual(Connections.health(Option.some(token(2000, false)), 1000), "ok")
    assert.strictEqual(Connections.health(Option.some(token(500, true)), 1000), "expired, refreshable")
    assert.strictEqual(Connections.health(Option.some(token(500, false)), 1000), "needs login")
    assert.strictEqual(Connections.health(Option.none(), 1000), "needs login")
  })
})

describe("grantflow request's redaction", () => {
  it("credential headers, by name", () => {
    const names = ["Authorization", "proxy-authorization", "Cookie", "set-cookie", "X-Api-Key", "x-apikey", "X-Auth-Token", "X-Session-Id", "Client-Secret", "X-Amz-Signature"]
    assert.deepStrictEqual(names.filter((name) => !isCredentialHeader(name)), [])
    const shown = ["Content-Type", "WWW-Authenticate", "Location", "ETag", "X-Request-Id"]
    assert.deepStrictEqual(shown.filter(isCredentialHeader), [])
  })
})
