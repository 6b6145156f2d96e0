import { HttpClient, HttpServer } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { BearerAuth, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenProvider } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { createServer } from "node:http"

const options: AuthServer.Options = {
  clients: [
    { clientId: "basic-client", clientSecret: "basic secret:%", scopes: ["read", "write"] },
    { clientId: "post-client", clientSecret: "post+secret", authMethods: ["client_secret_post"] }
  ]
}

/** One scenario, run unchanged over both transports; returns the server's journal without timestamps. */
const scenario = (base: string) =>
  Effect.gen(function*() {
    const server = yield* AuthServer.AuthServer
    const http = yield* HttpClient.HttpClient
    const policy = RefreshPolicy.make({ retry: Schedule.recurs(2) })
    const endpoint = (auth: ClientAuth.ClientAuth) => Endpoint.make({ tokenUrl: `${base}/token`, auth })
    const basic = yield* TokenProvider.make(
      Grant.clientCredentials(endpoint(ClientAuth.clientSecretBasic("basic-client", Redacted.make("basic secret:%"))), {
        scopes: ["read"]
      }),
      { policy }
    )
    const post = yield* TokenProvider.make(
      Grant.clientCredentials(endpoint(ClientAuth.clientSecretPost("post-client", Redacted.make("post+secret")))),
      { policy }
    )
    const api = http.pipe(BearerAuth.authenticate(basic))

    for (const path of ["/api/a", "/api/b", "/nowhere"]) yield* api.get(`${base}${path}`)
    yield* server.revokeAll
    yield* api.get(`${base}/api/c`)
    yield* server.fail(AuthServer.Status({ status: 503 }))
    yield* server.fail(AuthServer.MalformedJson())
    yield* Effect.either(post.get)
    yield* server.revokeAll
    yield* Effect.either(api.post(`${base}/api/d`))
    yield* Effect.either(
      TokenProvider.make(
        Grant.clientCredentials(endpoint(ClientAuth.clientSecretBasic("post-client", Redacted.make("post+secret"))))
      ).pipe(Effect.flatMap((p) => p.get))
    )
    return (yield* server.journal).map(({ at: _at, ...entry }) => entry)
  })

const inMemory = scenario("http://127.0.0.1").pipe(
  Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(options))))
)

const onLoopback = Effect.flatMap(
  HttpServer.addressFormattedWith((address) => Effect.succeed(address)),
  scenario
).pipe(
  Effect.provide(AuthServer.serve.pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provideMerge(AuthServer.layer(options)),
    Layer.provideMerge(NodeHttpClient.layerUndici)
  ))
)

describe("the two transports of the simulated server", () => {
  it.scopedLive("answer the same scenario with the same journal", () =>
    Effect.gen(function*() {
      const memory = yield* Effect.scoped(inMemory)
      const loopback = yield* Effect.scoped(onLoopback)
      // the scenario covers both auth methods, the API, a 404, revocation, faults and a wrong method
      assert.isAtLeast(memory.length, 10)
      assert.isTrue(memory.some((e) => e.fault === "Status") && memory.some((e) => e.status === 401))
      assert.deepStrictEqual(loopback, memory)
    }))
})
