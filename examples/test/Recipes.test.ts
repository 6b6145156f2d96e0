import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Connector, TokenStore } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Layer, Option, Redacted, Ref, TestClock } from "effect"
import * as RoundTrip from "../recipes/1-round-trip.js"
import * as SettingsStore from "../recipes/2-settings-store.js"
import * as CustomAuth from "../recipes/3-custom-auth.js"
import * as IntegrationSpec from "../recipes/4-integration-spec.js"
import { Loopback } from "@grantflow/node"
import { json, withTokenEndpoint } from "../../packages/core/test/tokenEndpoint.js"

const journal = Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)

describe("recipe 1: the two-call round trip, over a loopback socket", () => {
  const Live = Loopback.layer(Effect.flatMap(AuthServer.AuthServer, (server) => server.app)).pipe(
    Layer.provideMerge(RoundTrip.server),
    Layer.provideMerge(TokenStore.layerMemory),
    Layer.provideMerge(NodeHttpClient.layerUndici)
  )

  it.scopedLive("call 1 gets and stores a token with Basic auth; call 2 uses it", () =>
    Effect.gen(function*() {
      const { url } = yield* Loopback.Loopback
      const settings = RoundTrip.settingsFor(url)
      const result = yield* RoundTrip.twoCalls(settings)
      assert.strictEqual(result.status, 200)
      assert.deepStrictEqual(result.body, { ok: true, path: "/api/orders", clientId: "orders-sync", call: 1 })
      const entries = yield* journal
      assert.deepStrictEqual(entries.map((e) => [e.endpoint, e.grantType, e.tokenId, e.status]), [
        ["token", "client_credentials", "t1", 200],
        ["api", undefined, "t1", 200]
      ])
      // the store holds the token that was used
      const key = TokenStore.key({ issuer: settings.tokenUrl, clientId: "orders-sync", grant: "client_credentials" })
      const stored = yield* Effect.flatMap(TokenStore.TokenStore, (store) => store.get(key))
      assert.isTrue(Option.isSome(stored))
      assert.deepStrictEqual(Option.map(stored, (entry) => entry.token.scopes), Option.some(["orders.read"]))
    }).pipe(Effect.provide(Live)))

  it.scopedLive("kept fresh: many API calls, one token request", () =>
    Effect.gen(function*() {
      const { url } = yield* Loopback.Loopback
      assert.deepStrictEqual(yield* RoundTrip.keptFresh(RoundTrip.settingsFor(url)), [200, 200, 200])
      const entries = yield* journal
      assert.deepStrictEqual(entries.filter((e) => e.endpoint === "token").length, 1)
      assert.isTrue(entries.filter((e) => e.endpoint === "api").every((e) => e.tokenId === "t1" && e.status === 200))
    }).pipe(Effect.provide(Live)))
})

describe("recipe 2: a changing access token kept in a settings store with its expiry", () => {
  const Live = Layer.merge(SettingsStore.server(), SettingsStore.settingsStore)
  const tokenRequests = Effect.map(journal, (entries) => entries.filter((e) => e.endpoint === "token").length)

  it.scoped("the token and its expiry are stored; before each call the expiry is checked, and an expired token replaced", () =>
    Effect.gen(function*() {
      const reports = yield* SettingsStore.makeReports(SettingsStore.settings)
      assert.deepStrictEqual(yield* reports.stored, Option.none())
      yield* reports.get("/reports")
      assert.deepStrictEqual(yield* reports.stored, Option.some({ version: 1, expiresAt: 3_600_000 }))

      yield* TestClock.adjust("1 hour")
      yield* reports.get("/reports")
      assert.deepStrictEqual(yield* reports.stored, Option.some({ version: 2, expiresAt: 7_200_000 }))
      const api = (yield* journal).filter((e) => e.endpoint === "api")
      // the expired token was never sent
      assert.deepStrictEqual(api.map((e) => [e.tokenId, e.tokenState]), [["t1", "valid"], ["t2", "valid"]])
    }).pipe(Effect.provide(Live)))

  it.scoped("another run of the job reads the stored token instead of asking for one", () =>
    Effect.gen(function*() {
      yield* Effect.scoped(Effect.flatMap(SettingsStore.makeReports(SettingsStore.settings), (r) => r.get("/reports")))
      yield* Effect.scoped(Effect.flatMap(SettingsStore.makeReports(SettingsStore.settings), (r) => r.get("/reports")))
      assert.strictEqual(yield* tokenRequests, 1)
    }).pipe(Effect.provide(Live)))

  it.scoped("a blank new token is a clear typed error: nothing is stored, no API call is made", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const reports = yield* SettingsStore.makeReports(SettingsStore.settings)
      yield* reports.get("/reports")
      yield* TestClock.adjust("1 hour")
      yield* server.fail(AuthServer.BlankToken())
      const error = yield* Effect.flip(reports.get("/reports"))
      assert.strictEqual(error._tag, "MalformedResponse")
      if (error._tag === "MalformedResponse") {
        assert.strictEqual(error.field, "access_token")
        assert.strictEqual(error.reason, "is empty")
      }
      assert.include(error.message, "`access_token` is empty")
      assert.deepStrictEqual(Option.map(yield* reports.stored, (s) => s.version), Option.some(1))
      assert.strictEqual((yield* journal).filter((e) => e.endpoint === "api").length, 1)

      // after the provider's cool-down, the next call asks again, and stores the good token
      yield* TestClock.adjust("5 seconds")
      yield* reports.get("/reports")
      assert.deepStrictEqual(Option.map(yield* reports.stored, (s) => s.version), Option.some(2))
    }).pipe(Effect.provide(Live)))

  it.scoped("any status the integration does not handle is an UnsupportedStatus error with the status", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const reports = yield* SettingsStore.makeReports(SettingsStore.settings)
      for (const status of [500, 404, 429, 202]) {
        yield* server.fail(AuthServer.Status({ status, body: { error: `status ${status}` } }), { endpoint: "api" })
        const error = yield* Effect.flip(reports.get("/reports?token=not-in-the-error"))
        assert.strictEqual(error._tag, "UnsupportedStatus")
        if (error._tag === "UnsupportedStatus") {
          assert.strictEqual(error.status, status)
          assert.strictEqual(error.url, "https://reports.example/api/reports")
          assert.strictEqual(error.excerpt, `{"error":"status ${status}"}`)
        }
      }
      assert.deepStrictEqual(yield* reports.get("/reports"), { ok: true, path: "/api/reports", clientId: "reports-job", call: 1 })
    }).pipe(Effect.provide(Live)))
})

describe("recipe 3: a custom-auth connector, in code and from its file", () => {
  const recipe3 = <C, I>(where: string, definition: () => Connector.Definition<C, I>) => {
    const config = Connector.config(definition(), { prefix: "HELPDESK" }).pipe(
      Effect.withConfigProvider(CustomAuth.environment)
    )

    it.scoped(`${where}: the connection test passes, with Basic client authentication`, () =>
      Effect.gen(function*() {
        const result = yield* Connector.test(definition(), yield* config)
        assert.deepStrictEqual(result, Connector.TestResult.Ok({ status: 200, reason: "GET /me answered HTTP 200" }))
        // the client may use client_secret_basic only: the token request could not have succeeded otherwise
        assert.deepStrictEqual((yield* journal).map((e) => [e.endpoint, e.path, e.status]), [
          ["token", "/token", 200],
          ["api", "/api/v5/me", 200]
        ])
      }).pipe(Effect.provide(CustomAuth.server())))

    it.scoped(`${where}: a wrong secret is BadCredentials, and the secret is in no message`, () =>
      Effect.gen(function*() {
        const result = yield* Connector.test(definition(), {
          ...(yield* config),
          CLIENT_SECRET: Redacted.make("a wrong secret")
        })
        assert.strictEqual(result._tag, "BadCredentials")
        assert.notInclude(JSON.stringify(result), "a wrong secret")
      }).pipe(Effect.provide(CustomAuth.server())))

    it.scoped(`${where}: an expired token answered with 403 is refreshed, and the request replayed`, () =>
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        yield* server.fail(AuthServer.ExpiresIn({ as: "missing" }))
        const helpdesk = yield* Connector.connect(definition(), yield* config)
        assert.strictEqual((yield* helpdesk.client.get("/tickets")).status, 200)
        yield* TestClock.adjust("2 minutes")
        assert.strictEqual((yield* helpdesk.client.get("/tickets")).status, 200)
        assert.deepStrictEqual(
          (yield* journal).filter((e) => e.endpoint === "api").map((e) => [e.tokenId, e.status]),
          [["t1", 200], ["t1", 403], ["t2", 200]]
        )
      }).pipe(Effect.provide(CustomAuth.server({ tokenLifetime: "1 minute" }))))

    it.scoped(`${where}: a 200 with an invalid_auth body is refreshed too (the body pattern)`, () =>
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const helpdesk = yield* Connector.connect(definition(), yield* config)
        yield* helpdesk.client.get("/tickets")
        yield* server.revokeAll
        const response = yield* helpdesk.client.get("/tickets")
        assert.deepStrictEqual(yield* response.json, { ok: true, path: "/api/v5/tickets", clientId: "helpdesk-app", call: 2 })
        assert.deepStrictEqual(
          (yield* journal).filter((e) => e.endpoint === "api").map((e) => e.tokenId),
          ["t1", "t1", "t2"]
        )
      }).pipe(Effect.provide(CustomAuth.server({
        errorBodyOnInvalidToken: { status: 200, body: { ok: false, error: "invalid_auth" } }
      }))))
  }

  recipe3("in code", () => CustomAuth.Helpdesk)
  recipe3("from 3-helpdesk.json", CustomAuth.helpdeskFromFile)
})

describe("recipe 4: a JSON integration spec with the authorization code flow", () => {
  const config = Connector.config(IntegrationSpec.calendar(), { prefix: "CALENDAR" }).pipe(
    Effect.withConfigProvider(IntegrationSpec.environment)
  )

  it.scoped("authorize (offline, consent), exchange the code, call the API, refresh with the rotated refresh token", () =>
    Effect.gen(function*() {
      const definition = IntegrationSpec.calendar()
      const configuration = yield* config
      const authorizeUrls = yield* Ref.make<ReadonlyArray<URL>>([])
      const token = yield* IntegrationSpec.connectAccount(definition, configuration, (url) =>
        Effect.zipRight(Ref.update(authorizeUrls, (all) => [...all, url]), IntegrationSpec.simulatedConsent(url)))

      const [url] = yield* Ref.get(authorizeUrls)
      assert.strictEqual(url!.origin + url!.pathname, "https://accounts.example/authorize")
      const query = Object.fromEntries(url!.searchParams)
      assert.deepInclude(query, {
        response_type: "code",
        client_id: "calendar-app",
        redirect_uri: IntegrationSpec.redirectUrl,
        scope: "calendar.read",
        access_type: "offline",
        prompt: "consent",
        code_challenge_method: "S256"
      })
      assert.isTrue(Option.isSome(token.refreshToken))

      const saved = yield* Ref.make(Option.none<Redacted.Redacted<string>>())
      const account = yield* IntegrationSpec.useAccount(definition, configuration, token, saved)
      assert.strictEqual((yield* account.client.get("/users/me/calendarList")).status, 200)
      yield* TestClock.adjust("1 hour")
      assert.strictEqual((yield* account.client.get("/users/me/calendarList")).status, 200)

      // the rotated refresh token was saved, and it is not the first one
      const rotated = Option.getOrThrow(yield* Ref.get(saved))
      assert.notStrictEqual(Redacted.value(rotated), Redacted.value(Option.getOrThrow(token.refreshToken)))
      assert.deepStrictEqual(
        (yield* journal).filter((e) => e.endpoint !== "authorize").map((e) => [e.endpoint, e.grantType, e.tokenId, e.status]),
        [
          ["token", "authorization_code", "t1", 200],
          ["api", undefined, "t1", 200],
          ["token", "refresh_token", "t2", 200],
          ["api", undefined, "t2", 200]
        ]
      )
    }).pipe(Effect.provide(IntegrationSpec.server())))

  it.scoped("a stored refresh token alone reconnects the account ({{ oauth.refresh_token }})", () =>
    Effect.gen(function*() {
      const definition = IntegrationSpec.calendar()
      const configuration = yield* config
      const first = yield* IntegrationSpec.connectAccount(definition, configuration, IntegrationSpec.simulatedConsent)
      // another process, later: it has only the refresh token from the settings
      const account = yield* Connector.connect(definition, configuration, { refreshToken: Option.getOrThrow(first.refreshToken) })
      assert.strictEqual((yield* account.client.get("/users/me/calendarList")).status, 200)
      assert.deepStrictEqual(
        (yield* journal).filter((e) => e.endpoint === "token").map((e) => e.grantType),
        ["authorization_code", "refresh_token"]
      )
      // without any refresh token, the connection says so before sending anything
      const unconnected = yield* Connector.connect(definition, configuration)
      const error = yield* Effect.flip(unconnected.client.get("/users/me/calendarList"))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.include(error.message, "connect the account first")
    }).pipe(Effect.provide(IntegrationSpec.server())))

  it.scoped("a callback that the user denied is a typed error; nothing is exchanged", () =>
    Effect.gen(function*() {
      const definition = IntegrationSpec.calendar()
      const error = yield* Effect.flip(
        IntegrationSpec.connectAccount(definition, yield* config, (url) => {
          const back = new URL(IntegrationSpec.redirectUrl)
          back.searchParams.set("error", "access_denied")
          back.searchParams.set("state", url.searchParams.get("state")!)
          return Effect.succeed(back)
        })
      )
      assert.strictEqual(error._tag, "AuthorizationFailed")
      assert.deepStrictEqual((yield* journal).filter((e) => e.endpoint === "token"), [])
    }).pipe(Effect.provide(IntegrationSpec.server())))

  it.live("without_code: the callback carries no code, and the exchange is sent without one", () =>
    withTokenEndpoint(
      (form, n) =>
        json({
          access_token: `at-${n}`,
          token_type: "Bearer",
          expires_in: 3600,
          ...(form["grant_type"] === "authorization_code" ? { refresh_token: "rt-1" } : {})
        }),
      (tokenUrl, received) =>
        Effect.gen(function*() {
          const definition = IntegrationSpec.calendarWithoutCode()
          const configuration = yield* Connector.config(definition, { prefix: "CALENDAR" }).pipe(
            Effect.withConfigProvider(IntegrationSpec.environment)
          )
          const accounts = { ...configuration, ACCOUNTS_URL: tokenUrl.replace(/\/token$/, "") }
          const token = yield* IntegrationSpec.connectAccount(definition, accounts, (url) => {
            assert.strictEqual(url.searchParams.get("access_type"), "offline")
            const back = new URL(IntegrationSpec.redirectUrl)
            back.searchParams.set("state", url.searchParams.get("state")!)
            return Effect.succeed(back)
          })
          assert.strictEqual(Redacted.value(token.token), "at-1")
          const [exchange] = yield* received
          assert.deepStrictEqual(Object.keys(exchange!.form).sort(), [
            "client_id",
            "client_secret",
            "code_verifier",
            "grant_type",
            "redirect_uri"
          ])
          assert.strictEqual(exchange!.form["grant_type"], "authorization_code")
          assert.strictEqual(exchange!.form["redirect_uri"], IntegrationSpec.redirectUrl)
        })
    ))
})
