/**
 * Recipe 2: a changing access token kept in a settings store with its expiry.
 *
 * The classic integration script keeps the access token and its expiry in a
 * settings store, and before each API call: reads them, and if the token has
 * expired, asks for a new one and writes it back; a token endpoint that
 * answers with a blank token must stop the script with a clear error, and an
 * API status the script does not handle must become an error too, not a
 * silent success.
 *
 * With grantflow:
 *
 * - the settings store is a `TokenStore` over any `KeyValueStore` (memory
 *   here; a file with `NodeKeyValueStore.layerFileSystem`, Redis with
 *   `RedisTokenStore`): each record holds the token, its expiry and a
 *   version;
 * - `TokenStore.shared` reads it before asking the token endpoint, and writes
 *   every new token back; the `TokenProvider` checks the expiry before each
 *   call (and refreshes a little early, so calls never wait);
 * - a blank token is a `TokenError.MalformedResponse` naming
 *   `access_token` ("is empty"): the call fails with it, nothing is stored,
 *   and the next call asks again;
 * - `expectStatus` turns every status the integration does not handle into
 *   an `UnsupportedStatus` error that carries the status and a short excerpt.
 *
 * Run it with `pnpm recipe:2`.
 */
import { HttpClient, type HttpClientResponse, KeyValueStore } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { BearerAuth, ClientAuth, Endpoint, Grant, TokenProvider, TokenStore } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Console, Data, Effect, Layer, Option, Redacted } from "effect"
import { pathToFileURL } from "node:url"

/** The API answered a status this integration does not handle. */
export class UnsupportedStatus extends Data.TaggedError("UnsupportedStatus")<{
  readonly method: string
  /** Without the query string. */
  readonly url: string
  readonly status: number
  /** The first 200 characters of the body. */
  readonly excerpt: string
}> {
  override get message(): string {
    return `${this.method} ${this.url} answered HTTP ${this.status}, which this integration does not handle` +
      (this.excerpt === "" ? "" : `: ${this.excerpt}`)
  }
}

/** Passes the responses whose status is in `handled`, turns the others into {@link UnsupportedStatus}. */
export const expectStatus = (handled: ReadonlyArray<number>) => (response: HttpClientResponse.HttpClientResponse) =>
  handled.includes(response.status)
    ? Effect.succeed(response)
    : Effect.flatMap(Effect.orElseSucceed(response.text, () => ""), (body) =>
      Effect.fail(
        new UnsupportedStatus({
          method: response.request.method,
          url: response.request.url.split("?")[0]!,
          status: response.status,
          excerpt: body.replace(/\s+/g, " ").slice(0, 200)
        })
      ))

export interface Settings {
  readonly tokenUrl: string
  readonly apiUrl: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
}

/**
 * A reports API client whose token lives in the settings store (the
 * `TokenStore` of the context). `get` answers the JSON of a 200, and fails
 * with the `TokenError` when no token can be had, with
 * `BearerAuth.TokenRejected` when a fresh token is refused too, and with
 * {@link UnsupportedStatus} for any other status. `stored` shows what the
 * settings store holds.
 */
export const makeReports = (settings: Settings) =>
  Effect.gen(function*() {
    const store = yield* TokenStore.TokenStore
    const key = TokenStore.key({ issuer: settings.tokenUrl, clientId: settings.clientId, grant: "client_credentials" })
    const fetch = yield* TokenStore.shared({
      key,
      acquire: Grant.clientCredentials(
        Endpoint.make({
          tokenUrl: settings.tokenUrl,
          auth: ClientAuth.clientSecretPost(settings.clientId, settings.clientSecret)
        })
      )
    })
    const provider = yield* TokenProvider.make(fetch, { name: "reports" })
    const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider))
    const get = (path: string) =>
      client.get(`${settings.apiUrl}${path}`).pipe(
        Effect.flatMap(expectStatus([200])),
        Effect.flatMap((response) => response.json)
      )
    const stored = Effect.map(
      store.get(key),
      Option.map((entry) => ({ version: entry.version, expiresAt: entry.token.expiresAt }))
    )
    return { get, stored }
  })

// ── run it against the simulated server ─────────────────────────────────────

const clientId = "reports-job"
const clientSecret = "reports secret"

/** The simulated server of this recipe, in this process. */
export const server = (options: Partial<AuthServer.Options> = {}) =>
  AuthServer.layerClient.pipe(
    Layer.provideMerge(AuthServer.layer({
      clients: [{ clientId, clientSecret, authMethods: ["client_secret_post"] }],
      tokenLifetime: "1 hour",
      ...options
    }))
  )

/** The settings store: a `KeyValueStore` (here in memory), holding tokens unencrypted — see TokenCipher for real use. */
export const settingsStore = TokenStore.layerKeyValueStore({ encryption: "none" }).pipe(
  Layer.provide(KeyValueStore.layerMemory)
)

export const settings: Settings = {
  tokenUrl: "https://auth.reports.example/token",
  apiUrl: "https://reports.example/api",
  clientId,
  clientSecret: Redacted.make(clientSecret)
}

const main = Effect.gen(function*() {
  const server = yield* AuthServer.AuthServer
  const show = (what: string, stored: Option.Option<{ version: number; expiresAt: number }>) =>
    Console.log(`${what}: ${
      Option.match(stored, {
        onNone: () => "the settings store is empty",
        onSome: ({ expiresAt, version }) =>
          `the settings store holds token v${version}, expiring ${new Date(expiresAt).toISOString()}`
      })
    }`)

  const first = yield* Effect.scoped(Effect.gen(function*() {
    const reports = yield* makeReports(settings)
    yield* show("before the first call", yield* reports.stored)
    yield* Console.log(`GET /reports → ${JSON.stringify(yield* reports.get("/reports"))}`)
    return yield* reports.stored
  }))
  yield* show("after it", first)

  // a second run of the job: the stored token is still good, no token request;
  // the API then answers a status the job does not handle
  yield* Effect.scoped(Effect.gen(function*() {
    const reports = yield* makeReports(settings)
    yield* reports.get("/reports/daily")
    const tokens = (yield* server.journal).filter((e) => e.endpoint === "token").length
    yield* Console.log(`a second run reused the stored token: ${tokens} token request(s) in all`)
    yield* server.fail(AuthServer.Status({ status: 500, body: { error: "report engine down" } }), { endpoint: "api" })
    const down = yield* Effect.flip(reports.get("/reports"))
    yield* Console.log(`then: ${down._tag} — ${down.message}`)
  }))

  // the API stops accepting the stored token, and the token endpoint answers with a blank one
  yield* server.revokeAll
  yield* server.fail(AuthServer.BlankToken())
  yield* Effect.scoped(Effect.gen(function*() {
    const reports = yield* makeReports(settings)
    const blank = yield* Effect.flip(reports.get("/reports"))
    yield* Console.log(`a blank token: ${blank._tag} — ${blank.message}`)
    yield* show("after it", yield* reports.stored)
  }))
})

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main.pipe(
    Effect.provide(Layer.merge(server(), settingsStore)),
    NodeRuntime.runMain
  )
}
