import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, BearerAuth, ClientAuth, ConnectionPool, Endpoint, Grant, RefreshPolicy, TokenStore } from "@grantflow/core"
import { AuthServer, Journal } from "@grantflow/testing"
import { Effect, Layer, Metric, Option, Redacted, Schedule, TestClock } from "effect"

const tenants = ["t1", "t2", "t3", "t4", "t5"]
const tokenUrl = "http://127.0.0.1/token"

const ServerLive = AuthServer.layerClient.pipe(
  Layer.provideMerge(AuthServer.layer({
    clients: [
      ...tenants.map((id) => ({ clientId: id, clientSecret: `${id}-secret`, grants: ["client_credentials", "refresh_token"] as const })),
      { clientId: "locked-out", clientSecret: "right-secret" }
    ],
    refreshTokenForClientCredentials: true,
    tokenLifetime: "1 hour"
  })),
  Layer.merge(TokenStore.layerMemory)
)

const secretOf = (tenant: string) => (tenant === "locked-out" ? "wrong-secret" : `${tenant}-secret`)
const endpointOf = (tenant: string) =>
  Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretBasic(tenant, Redacted.make(secretOf(tenant))) })

const pool = (options: Partial<ConnectionPool.Options<string, HttpClient.HttpClient>> = {}) =>
  ConnectionPool.make({
    key: (tenant: string) => TokenStore.key({ issuer: tokenUrl, clientId: tenant, grant: "client_credentials" }),
    acquire: (tenant) => Grant.clientCredentials(endpointOf(tenant)),
    refresh: (tenant, refreshToken) => Grant.refreshToken(endpointOf(tenant), { refreshToken }),
    policy: RefreshPolicy.make({ retry: Schedule.recurs(1) }),
    ...options
  })

/** The value of a pool's counter or gauge, as a metrics exporter would read it. */
const metricOf = (name: string, pool: string) =>
  Effect.map(Metric.snapshot, (pairs) => {
    const pair = pairs.find((p) =>
      p.metricKey.name === name && p.metricKey.tags.some((tag) => tag.key === "grantflow.pool" && tag.value === pool)
    )
    const state = pair?.metricState as { readonly count?: number; readonly value?: number } | undefined
    return state?.count ?? state?.value
  })

const tokenRequests = Effect.flatMap(AuthServer.AuthServer, (server) => Effect.map(server.journal, Journal.tokenRequests))

describe("ConnectionPool", () => {
  it.scoped("creates a connection per id on first use, each with its own token, cached afterwards", () =>
    Effect.gen(function*() {
      const connections = yield* pool()
      const first = yield* Effect.forEach(tenants, connections.get)
      const again = yield* Effect.forEach(tenants, connections.get)
      assert.strictEqual(new Set(first.map((token) => Redacted.value(token.token))).size, tenants.length)
      first.forEach((token, i) => assert.isTrue(AccessToken.sameToken(token, again[i]!)))
      const requests = yield* tokenRequests
      assert.deepStrictEqual(requests.map((entry) => entry.clientId), tenants)
      assert.strictEqual(yield* connections.size, tenants.length)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("past its capacity it evicts a connection not used since; an evicted connection's token stays in the store", () =>
    Effect.gen(function*() {
      const connections = yield* pool({ capacity: 3 })
      for (const tenant of ["t1", "t2", "t3"]) yield* connections.get(tenant)
      yield* connections.get("t1") // used again: t2 is now the one not used for longest
      yield* connections.get("t4")
      assert.strictEqual(yield* connections.size, 3)
      assert.deepStrictEqual((yield* connections.connections).map((health) => health.id).sort(), ["t1", "t3", "t4"])
      assert.isTrue(Option.isNone(yield* connections.health("t2")))
      // t2 comes back: its token is read from the store, no token request
      yield* connections.get("t2")
      assert.strictEqual((yield* tokenRequests).length, 4)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("evicts connections idle for idleTimeToLive", () =>
    Effect.gen(function*() {
      const connections = yield* pool({ idleTimeToLive: "10 minutes", name: "idle-pool" })
      yield* connections.get("t1")
      yield* connections.get("t2")
      yield* TestClock.adjust("6 minutes")
      yield* connections.get("t2")
      yield* TestClock.adjust("6 minutes")
      assert.deepStrictEqual((yield* connections.connections).map((health) => health.id), ["t2"])
      assert.strictEqual(yield* metricOf("grantflow.pool.evictions", "idle-pool"), 1)
      assert.strictEqual(yield* metricOf("grantflow.pool.size", "idle-pool"), 1)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("health is data: success, failure with its error, attempts, and re-authorization", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const connections = yield* pool({ name: "health-pool" })
      yield* connections.get("t1")
      const error = yield* Effect.flip(connections.get("locked-out"))
      assert.strictEqual(error._tag, "OAuthError")

      const healthy = Option.getOrThrow(yield* connections.health("t1"))
      assert.isTrue(Option.isSome(healthy.lastSuccessAt))
      assert.isTrue(Option.isNone(healthy.lastFailure))
      assert.strictEqual(healthy.attempts, 1)
      assert.isFalse(healthy.needsReauthorization)
      const failing = Option.getOrThrow(yield* connections.health("locked-out"))
      assert.strictEqual(Option.getOrThrow(failing.lastFailure).error._tag, "OAuthError")
      assert.isFalse(failing.needsReauthorization)
      assert.notInclude(JSON.stringify(failing), "wrong-secret")

      // t1's refresh token family is revoked: its next refresh is refused
      const token = yield* connections.get("t1")
      yield* server.revokeFamily((yield* server.families)[0]!.id)
      yield* connections.invalidate("t1", token)
      assert.strictEqual((yield* Effect.flip(connections.get("t1")))._tag, "ReauthorizationRequired")
      assert.isTrue(Option.getOrThrow(yield* connections.health("t1")).needsReauthorization)
      assert.strictEqual(yield* metricOf("grantflow.pool.reauthorization_required", "health-pool"), 1)
    }).pipe(Effect.provide(ServerLive)))

  it.scoped("a connection is a TokenProvider for BearerAuth: each tenant's API calls carry its own token", () =>
    Effect.gen(function*() {
      const connections = yield* pool()
      const http = yield* HttpClient.HttpClient
      for (const tenant of ["t1", "t2"]) {
        const client = http.pipe(BearerAuth.authenticate(connections.provider(tenant)))
        assert.strictEqual((yield* client.get("http://127.0.0.1/api/orders")).status, 200)
      }
      const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
      const api = journal.filter((entry) => entry.endpoint === "api")
      assert.strictEqual(new Set(api.map((entry) => entry.tokenId)).size, 2)
    }).pipe(Effect.provide(ServerLive)))
})
