import { assert, describe, it } from "@effect/vitest"
import { ClientAuth, Connector, Endpoint, Grant, TokenStore } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Inspectable, Layer, Option, Redacted, Schema, TestClock } from "effect"
import * as IntegrationSpec from "../recipes/4-integration-spec.js"

// One helpdesk connector, many customers: each has its own subdomain and its
// own OAuth client. The in-memory server answers whatever the host, so each
// tenant's URLs are written as a real multi-tenant API would have them.
const Helpdesk = Connector.define({
  name: "helpdesk",
  config: Schema.Struct({
    SUBDOMAIN: Schema.String.pipe(Schema.pattern(/^[a-z0-9-]+$/)),
    CLIENT_ID: Schema.String,
    CLIENT_SECRET: Schema.Redacted(Schema.String)
  }),
  auth: (config) =>
    Connector.fetch(Grant.clientCredentials(Endpoint.make({
      tokenUrl: `https://${config.SUBDOMAIN}.helpdesk.example/token`,
      auth: ClientAuth.clientSecretBasic(config.CLIENT_ID, config.CLIENT_SECRET)
    }))),
  baseUrl: (config) => `https://${config.SUBDOMAIN}.helpdesk.example/api/v5`
})

/** The tenants' settings as a database would hold them; initech's secret is wrong, broken's subdomain malformed. */
const settings: Record<string, typeof Helpdesk.config.Encoded> = {
  acme: { SUBDOMAIN: "acme", CLIENT_ID: "acme-app", CLIENT_SECRET: "acme-secret" },
  globex: { SUBDOMAIN: "globex", CLIENT_ID: "globex-app", CLIENT_SECRET: "globex-secret" },
  initech: { SUBDOMAIN: "initech", CLIENT_ID: "initech-app", CLIENT_SECRET: "not-initech-secret" },
  broken: { SUBDOMAIN: "Not A Subdomain", CLIENT_ID: "broken-app", CLIENT_SECRET: "broken-secret" }
}

const ServerLive = AuthServer.layerClient.pipe(
  Layer.provideMerge(AuthServer.layer({
    clients: ["acme", "globex", "initech"].map((tenant) => ({
      clientId: `${tenant}-app`,
      clientSecret: `${tenant}-secret`,
      authMethods: ["client_secret_basic"] as const
    })),
    tokenLifetime: "10 minutes"
  })),
  Layer.merge(TokenStore.layerMemory)
)

const helpdesk = Connector.pool(Helpdesk, {
  config: (tenant: string) => Connector.decodeConfig(Helpdesk, settings[tenant])
})

const journal = Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
const apiCalls = Effect.map(journal, (entries) =>
  entries.filter((e) => e.endpoint === "api").map((e) => [e.clientId ?? null, e.tokenId ?? null, e.status] as const))
const tokenRequests = Effect.map(journal, (entries) =>
  entries.filter((e) => e.endpoint === "token").map((e) => [e.clientId ?? null, e.grantType ?? null, e.status] as const))

/** Everything a user could see of a value. */
const shown = (value: unknown): string => [JSON.stringify(value), Inspectable.format(value), String(value)].join("\n")

describe("Connector.pool: one connector, many tenants", () => {
  it.scoped("each tenant's calls go to its base URL with its own token; one token request per tenant", () =>
    Effect.gen(function*() {
      const tenants = yield* helpdesk
      const acme = yield* tenants.connection("acme")
      const globex = yield* tenants.connection("globex")
      assert.strictEqual(acme.baseUrl.href, "https://acme.helpdesk.example/api/v5")
      assert.strictEqual(globex.baseUrl.href, "https://globex.helpdesk.example/api/v5")
      for (let i = 0; i < 3; i++) {
        for (const connection of [acme, globex]) {
          const response = yield* connection.client.get("/tickets")
          assert.strictEqual(response.status, 200)
          assert.strictEqual(response.request.url, `${connection.baseUrl.href}/tickets`)
        }
      }
      // a connection opened again is the same pooled connection: no new token
      assert.strictEqual((yield* (yield* tenants.connection("acme")).client.get("/me")).status, 200)

      const calls = yield* apiCalls
      const tokenOf = (clientId: string) => new Set(calls.filter(([client]) => client === clientId).map(([, t]) => t))
      assert.strictEqual(calls.length, 7)
      assert.strictEqual(tokenOf("acme-app").size, 1)
      assert.strictEqual(tokenOf("globex-app").size, 1)
      assert.notDeepEqual([...tokenOf("acme-app")], [...tokenOf("globex-app")])
      assert.deepStrictEqual(yield* tokenRequests, [
        ["acme-app", "client_credentials", 200],
        ["globex-app", "client_credentials", 200]
      ])
      assert.strictEqual(yield* tenants.pool.size, 2)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("a 401 refreshes only the tenant whose token was rejected", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const tenants = yield* helpdesk
      const acme = yield* tenants.connection("acme")
      const globex = yield* tenants.connection("globex")
      yield* acme.client.get("/tickets")
      yield* globex.client.get("/tickets")
      yield* server.revoke((yield* acme.provider.get).token)

      assert.strictEqual((yield* acme.client.get("/tickets")).status, 200)
      assert.strictEqual((yield* globex.client.get("/tickets")).status, 200)
      assert.deepStrictEqual(yield* apiCalls, [
        ["acme-app", "t1", 200],
        ["globex-app", "t2", 200],
        ["acme-app", "t1", 401],
        ["acme-app", "t3", 200],
        ["globex-app", "t2", 200]
      ])
      assert.deepStrictEqual((yield* tokenRequests).map(([client]) => client), ["acme-app", "globex-app", "acme-app"])
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("bad credentials and a bad configuration fail their tenant alone, typed; health shows it", () =>
    Effect.gen(function*() {
      const tenants = yield* helpdesk
      const acme = yield* tenants.connection("acme")
      yield* acme.client.get("/tickets")

      const initech = yield* tenants.connection("initech")
      const refused = yield* Effect.flip(initech.client.get("/tickets"))
      assert.strictEqual(refused._tag, "OAuthError")
      if (refused._tag === "OAuthError") assert.strictEqual(refused.error, "invalid_client")

      const broken = yield* Effect.flip(tenants.connection("broken"))
      assert.strictEqual(broken._tag, "ConnectorConfigError")
      assert.include(broken.message, "SUBDOMAIN")
      // the pool itself cannot get a token for it either, and sends nothing
      const unusable = yield* Effect.flip(tenants.pool.get("broken"))
      assert.strictEqual(unusable._tag, "InvalidTokenRequest")
      assert.include(unusable.message, "SUBDOMAIN")

      // acme is untouched: same token, no new request
      assert.strictEqual((yield* acme.client.get("/tickets")).status, 200)
      assert.deepStrictEqual(yield* tokenRequests, [
        ["acme-app", "client_credentials", 200],
        ["initech-app", "client_credentials", 401]
      ])

      const healthy = Option.getOrThrow(yield* tenants.pool.health("acme"))
      assert.isTrue(Option.isSome(healthy.lastSuccessAt))
      assert.isTrue(Option.isNone(healthy.lastFailure))
      assert.strictEqual(healthy.attempts, 1)
      const failing = Option.getOrThrow(yield* tenants.pool.health("initech"))
      assert.isTrue(Option.isNone(failing.lastSuccessAt))
      assert.strictEqual(Option.getOrThrow(failing.lastFailure).error._tag, "OAuthError")
      assert.isFalse(failing.needsReauthorization)
      assert.deepStrictEqual(
        (yield* tenants.pool.connections).map((health) => health.id).sort(),
        ["acme", "broken", "initech"]
      )
      assert.notInclude(shown([refused, broken, unusable, yield* tenants.pool.connections]), "initech-secret")
      assert.notInclude(shown([broken, unusable]), "broken-secret")
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("tokens live in the store: an evicted tenant, and another process, reuse them without a token request", () =>
    Effect.gen(function*() {
      const tenants = yield* Connector.pool(Helpdesk, {
        config: (tenant: string) => Connector.decodeConfig(Helpdesk, settings[tenant]),
        capacity: 1
      })
      yield* Effect.flatMap(tenants.connection("acme"), (acme) => acme.client.get("/tickets"))
      yield* Effect.flatMap(tenants.connection("globex"), (globex) => globex.client.get("/tickets"))
      // past its capacity of one, the pool evicted acme; its token is still stored
      assert.deepStrictEqual((yield* tenants.pool.connections).map((health) => health.id), ["globex"])
      yield* Effect.flatMap(tenants.connection("acme"), (acme) => acme.client.get("/tickets"))

      // another process with the same store and the same keys
      const other = yield* helpdesk
      assert.strictEqual(other.key("globex"), tenants.key("globex"))
      yield* Effect.flatMap(other.connection("globex"), (globex) => globex.client.get("/tickets"))

      assert.deepStrictEqual((yield* tokenRequests).map(([client]) => client), ["acme-app", "globex-app"])
      assert.deepStrictEqual((yield* apiCalls).map(([, token]) => token), ["t1", "t2", "t1", "t2"])
      assert.notStrictEqual(tenants.key("acme"), tenants.key("globex"))
    }).pipe(Effect.provide(ServerLive)))
})

describe("Connector.pool: accounts users connect (authorization code, rotating refresh tokens)", () => {
  const Calendar = IntegrationSpec.calendar()
  const path = "/users/me/calendarList"

  const calendars = Effect.gen(function*() {
    const config = yield* Effect.withConfigProvider(
      Connector.config(Calendar, { prefix: "CALENDAR" }),
      IntegrationSpec.environment
    )
    const accounts = yield* Connector.pool(Calendar, { config: (_account: string) => Effect.succeed(config) })
    return { accounts, config }
  })

  const refreshes = Effect.map(journal, (entries) =>
    entries.filter((e) => e.endpoint === "token" && e.grantType === "refresh_token"))

  it.scoped("each account's first token is saved; rotated refresh tokens go through the store to the next process", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      // a process: the users connect, the accounts are used, their tokens expire and are refreshed
      yield* Effect.scoped(Effect.gen(function*() {
        const { accounts, config } = yield* calendars
        for (const account of ["alice", "bob"]) {
          const first = yield* IntegrationSpec.connectAccount(Calendar, config, IntegrationSpec.simulatedConsent)
          yield* accounts.save(account, first)
        }
        for (const account of ["alice", "bob"]) {
          assert.strictEqual((yield* (yield* accounts.connection(account)).client.get(path)).status, 200)
        }
        yield* TestClock.adjust("1 hour")
        for (const account of ["alice", "bob"]) {
          assert.strictEqual((yield* (yield* accounts.connection(account)).client.get(path)).status, 200)
        }
      }))
      const rotated = yield* refreshes
      assert.strictEqual(rotated.length, 2)

      // the next process has nothing but the store: it refreshes with the rotated refresh tokens
      yield* TestClock.adjust("1 hour")
      const { accounts } = yield* calendars
      for (const account of ["alice", "bob"]) {
        assert.strictEqual((yield* (yield* accounts.connection(account)).client.get(path)).status, 200)
      }
      const next = (yield* refreshes).slice(2)
      assert.strictEqual(next.length, 2)
      assert.deepStrictEqual(
        next.map((e) => e.refreshTokenId).sort(),
        rotated.map((e) => e.issuedRefreshTokenId).sort()
      )
      assert.isTrue(next.every((e) => e.status === 200))
      const families = yield* server.families
      assert.strictEqual(families.length, 2)
      assert.isTrue(families.every((family) => !family.revoked && family.generation === 3))
    }).pipe(Effect.provide(Layer.merge(IntegrationSpec.server(), TokenStore.layerMemory))))

  it.scoped("an account not connected yet fails alone until its first token is saved", () =>
    Effect.gen(function*() {
      const { accounts, config } = yield* calendars
      const carol = yield* accounts.connection("carol")
      const error = yield* Effect.flip(carol.client.get(path))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.include(error.message, "connect the account first")
      assert.isTrue(Option.isSome(Option.getOrThrow(yield* accounts.pool.health("carol")).lastFailure))

      const first = yield* IntegrationSpec.connectAccount(Calendar, config, IntegrationSpec.simulatedConsent)
      yield* accounts.save("carol", first)
      assert.isTrue(Option.isNone(yield* accounts.pool.health("carol")))
      assert.strictEqual((yield* carol.client.get(path)).status, 200)
      assert.isTrue(Redacted.value((yield* carol.provider.get).token) === Redacted.value(first.token))
      const health = Option.getOrThrow(yield* accounts.pool.health("carol"))
      assert.isTrue(Option.isNone(health.lastFailure))
    }).pipe(Effect.provide(Layer.merge(IntegrationSpec.server(), TokenStore.layerMemory))))
})
