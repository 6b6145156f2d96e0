/**
 * Recipe 1: the two-call round trip.
 *
 * Every integration platform documents it: (1) get a token from the token
 * endpoint with the client credentials grant, store it, (2) call the API with
 * `Authorization: Bearer <token>`. `twoCalls` does exactly that, one step at
 * a time; `keptFresh` is what to run in production: the same two calls, with
 * the token cached, refreshed before it expires and when the API rejects it.
 *
 * Run it with `pnpm recipe:1`: it starts the simulated authorization server
 * and API on a loopback port and calls them over real HTTP.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { AccessToken, BearerAuth, ClientAuth, Endpoint, Grant, TokenProvider, TokenStore } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Console, Effect, Layer, Option, Redacted } from "effect"
import { pathToFileURL } from "node:url"

/** Where the API is and who the client is; the secret stays `Redacted`. */
export interface Settings {
  readonly tokenUrl: string
  readonly apiUrl: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly scopes: ReadonlyArray<string>
}

/** The token endpoint and how the client authenticates to it: `Authorization: Basic base64(id:secret)`. */
const endpointFor = (settings: Settings) =>
  Endpoint.make({
    tokenUrl: settings.tokenUrl,
    auth: ClientAuth.clientSecretBasic(settings.clientId, settings.clientSecret)
  })

/** The two calls, spelled out. Needs an `HttpClient` and a `TokenStore`. */
export const twoCalls = (settings: Settings) =>
  Effect.gen(function*() {
    // call 1: POST to the token URL with the client's credentials and
    // the form body `grant_type=client_credentials&scope=…`
    const token = yield* Grant.clientCredentials(endpointFor(settings), { scopes: settings.scopes })

    // store it, under a key that says whose token it is
    const store = yield* TokenStore.TokenStore
    const key = TokenStore.key({ issuer: settings.tokenUrl, clientId: settings.clientId, grant: "client_credentials" })
    yield* TokenStore.save(key, token)

    // call 2: the API, with the stored token in the Authorization header
    const stored = Option.getOrThrow(yield* store.get(key)).token
    const response = yield* HttpClient.execute(
      HttpClientRequest.get(`${settings.apiUrl}/orders`).pipe(
        HttpClientRequest.setHeader("authorization", Redacted.value(AccessToken.authorizationHeader(stored)))
      )
    )
    return { status: response.status, body: yield* response.json, expiresAt: new Date(stored.expiresAt) }
  })

/**
 * The same two calls for production: `TokenProvider` does call 1 when needed
 * (first use, near expiry, after a rejection), `BearerAuth` adds the token to
 * call 2. Here three API calls share one token.
 */
export const keptFresh = (settings: Settings) =>
  Effect.gen(function*() {
    const provider = yield* TokenProvider.make(
      Grant.clientCredentials(endpointFor(settings), { scopes: settings.scopes }),
      { name: "orders" }
    )
    const api = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider), HttpClient.filterStatusOk)
    const statuses: Array<number> = []
    for (const path of ["/orders", "/orders/1", "/orders/2"]) {
      statuses.push((yield* api.get(`${settings.apiUrl}${path}`)).status)
    }
    return statuses
  })

// ── run it against the simulated server ─────────────────────────────────────

const clientId = "orders-sync"
const clientSecret = "orders-sync secret"

/** The simulated authorization server and API of this recipe. */
export const server = AuthServer.layer({
  clients: [{ clientId, clientSecret, scopes: ["orders.read"], authMethods: ["client_secret_basic"] }],
  tokenLifetime: "1 hour"
})

/** This recipe's settings for a server at `base`. */
export const settingsFor = (base: URL): Settings => ({
  tokenUrl: new URL("/token", base).href,
  apiUrl: new URL("/api", base).href,
  clientId,
  clientSecret: Redacted.make(clientSecret),
  scopes: ["orders.read"]
})

const main = Effect.gen(function*() {
  const { url } = yield* Loopback.Loopback
  const settings = settingsFor(url)
  const first = yield* twoCalls(settings)
  yield* Console.log(`call 1: token stored, valid until ${first.expiresAt.toISOString()}`)
  yield* Console.log(`call 2: GET ${settings.apiUrl}/orders → ${first.status} ${JSON.stringify(first.body)}`)
  const statuses = yield* keptFresh(settings)
  const journal = yield* Effect.flatMap(AuthServer.AuthServer, (s) => s.journal)
  yield* Console.log(
    `kept fresh: 3 API calls → ${statuses.join(", ")}, with ` +
      `${journal.filter((e) => e.endpoint === "token").length - 1} more token request(s)`
  )
})

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main.pipe(
    Effect.scoped,
    Effect.provide(Loopback.layer(Effect.flatMap(AuthServer.AuthServer, (s) => s.app)).pipe(Layer.provideMerge(server))),
    Effect.provide(TokenStore.layerMemory),
    Effect.provide(NodeHttpClient.layerUndici),
    NodeRuntime.runMain
  )
}
