// What a consumer writes: a client-credentials token provider and a Bearer
// client, against grantflow's simulated server served on a loopback port.
import { HttpClient, HttpServer } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { BearerAuth, ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { AuthServer, Scenario } from "@grantflow/testing"
import { Effect, Layer, Redacted } from "effect"
import { createServer } from "node:http"

export const clientId = "smoke-client"
const clientSecret = Redacted.make("smoke-secret")

/** The simulated authorization server and API on 127.0.0.1, on a free port. */
export const ServerLive = AuthServer.serve.pipe(
  Layer.provideMerge(AuthServer.layer({ clients: [{ clientId, clientSecret: Redacted.value(clientSecret) }] })),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
)

/** The authenticated client for a token URL. */
export const Integration = (tokenUrl: string, id = clientId, secret = clientSecret) =>
  BearerAuth.layer().pipe(
    Layer.provide(TokenProvider.layer(Grant.clientCredentials(Endpoint.make({
      tokenUrl,
      auth: ClientAuth.clientSecretBasic(id, secret)
    }))))
  )

/** Calls the API three times over a real socket: one token serves all three. */
export const callApi = Effect.gen(function*() {
  const address = yield* HttpServer.HttpServer.pipe(Effect.map((server) => server.address))
  if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("the server did not listen on TCP")
  const base = `http://127.0.0.1:${address.port}`
  const statuses = yield* Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    return yield* Effect.forEach([1, 2, 3], () => Effect.map(client.get(`${base}/api/orders`), (r) => r.status))
  }).pipe(Effect.provide(Integration(`${base}/token`).pipe(Layer.provide(NodeHttpClient.layerUndici))))
  const issued = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.issued)
  return { statuses, issued }
}).pipe(Effect.provide(ServerLive))

/** The same integration through the property kit's generated timelines. */
export const checkInvariants = (numRuns: number) =>
  Scenario.check(Integration("http://127.0.0.1/token", Scenario.clientId, Redacted.make(Scenario.clientSecret)), {
    numRuns
  })
