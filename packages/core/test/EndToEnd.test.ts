import { HttpClient, HttpServer } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, BearerAuth, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenProvider } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { createServer } from "node:http"

// The simulated server on a real loopback socket, called by the Node HTTP client.
const ServerLive = AuthServer.serve.pipe(
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
  Layer.provideMerge(AuthServer.layer({
    clients: [{ clientId: "e2e", clientSecret: "e2e secret:%+ü" }],
    tokenLifetime: "2 seconds"
  })),
  Layer.provideMerge(NodeHttpClient.layerUndici)
)

const policy = RefreshPolicy.make({
  retry: Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(4))),
  coolDown: "100 millis"
})

const setup = (auth: (secret: Redacted.Redacted<string>) => ClientAuth.ClientAuth) =>
  Effect.gen(function*() {
    const server = yield* AuthServer.AuthServer
    const address = yield* HttpServer.addressWith((a) => Effect.succeed(a))
    assert.strictEqual(address._tag, "TcpAddress")
    const base = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : ""
    const provider = yield* TokenProvider.make(
      Grant.clientCredentials(Endpoint.make({ tokenUrl: `${base}/token`, auth: auth(Redacted.make("e2e secret:%+ü")) })),
      { policy }
    )
    const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider))
    return { server, base, provider, client }
  })

describe("over a real loopback socket", () => {
  it.scopedLive("client credentials with Basic auth, token expiry, revocation and a failing token endpoint", () =>
    Effect.gen(function*() {
      const { base, client, provider, server } = yield* setup((secret) => ClientAuth.clientSecretBasic("e2e", secret))
      const call = Effect.flatMap(client.get(`${base}/api/orders`), (r) => Effect.as(r.json, r.status))

      const first = yield* provider.get
      assert.strictEqual(yield* call, 200)
      // the 2-second token enters its 1-second window: served, refreshed in the background
      yield* Effect.sleep("1100 millis")
      assert.strictEqual(yield* call, 200)
      // wait until the client holds the new token (the server counts it before the client has it)
      yield* provider.get.pipe(
        Effect.filterOrFail((token) => !AccessToken.sameToken(token, first)),
        Effect.retry(Schedule.spaced("10 millis")),
        Effect.timeout("5 seconds")
      )
      assert.strictEqual(yield* server.issued, 2)

      // revoked: 401, invalidate, new token, replay
      yield* server.revokeAll
      assert.strictEqual(yield* call, 200)
      assert.strictEqual(yield* server.issued, 3)

      // the token endpoint fails twice with 503, then recovers: the caller waits, never fails
      yield* server.fail(AuthServer.Status({ status: 503, retryAfter: "0 seconds" }), { times: 2 })
      yield* server.revokeAll
      assert.strictEqual(yield* call, 200)

      const journal = yield* server.journal
      const tokenStatuses = journal.filter((e) => e.endpoint === "token").map((e) => e.status)
      assert.deepStrictEqual(tokenStatuses, [200, 200, 200, 503, 503, 200])
      assert.isTrue(journal.filter((e) => e.endpoint === "api").every((e) => e.tokenId !== undefined))
    }).pipe(Effect.provide(ServerLive)))

  it.scopedLive("client_secret_post and a wrong secret over the wire", () =>
    Effect.gen(function*() {
      const { base, client } = yield* setup((secret) => ClientAuth.clientSecretPost("e2e", secret))
      assert.strictEqual((yield* client.get(`${base}/api/me`)).status, 200)

      const wrong = yield* TokenProvider.make(Grant.clientCredentials(Endpoint.make({
        tokenUrl: `${base}/token`,
        auth: ClientAuth.clientSecretBasic("e2e", Redacted.make("not the secret"))
      })))
      const error = yield* Effect.flip(wrong.get)
      assert.strictEqual(error._tag, "OAuthError")
      if (error._tag === "OAuthError") assert.strictEqual(error.error, "invalid_client")
    }).pipe(Effect.provide(ServerLive)))
})
