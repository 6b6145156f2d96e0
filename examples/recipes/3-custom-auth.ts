/**
 * Recipe 3: a custom-auth connector.
 *
 * A helpdesk API, declared once: the fields a user fills in (a subdomain, a
 * client id, a client secret — the secret `Redacted`), the token request
 * (`POST https://<subdomain>.helpdesk.example/token` with
 * `Authorization: Basic base64(id:secret)` and the form body
 * `grant_type=client_credentials`), a Bearer token on every request,
 * `refresh_on: [401, 403]` and a body pattern, the base URI built from the
 * subdomain, and a connection test (`GET /me` must answer 200).
 *
 * `Helpdesk` is the connector in TypeScript; `3-helpdesk.json` is the same
 * connector as a file, read by `helpdeskFromFile`.
 *
 * Run it with `pnpm recipe:3`: the simulated server plays the helpdesk, in
 * this process (it answers whatever the host name, so the subdomain URLs work
 * as they are). Its API answers an expired token with 403, as many do.
 */
import { NodeRuntime } from "@effect/platform-node"
import { ClientAuth, Connector, ConnectorSpec, Endpoint, Grant } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { ConfigProvider, Console, Effect, Either, Layer, Schema } from "effect"
import { readFileSync } from "node:fs"
import { pathToFileURL } from "node:url"

/** What a user fills in: the secret is `Redacted` from the moment it is read. */
export const HelpdeskConfig = Schema.Struct({
  SUBDOMAIN: Schema.String.pipe(Schema.pattern(/^[a-z0-9-]+$/)),
  CLIENT_ID: Schema.String,
  CLIENT_SECRET: Schema.Redacted(Schema.String)
})

/** The helpdesk connector. */
export const Helpdesk = Connector.define({
  name: "helpdesk",
  config: HelpdeskConfig,
  // POST <token URL>, Authorization: Basic base64(id:secret), body grant_type=client_credentials
  auth: (config) =>
    Connector.fetch(Grant.clientCredentials(Endpoint.make({
      tokenUrl: `https://${config.SUBDOMAIN}.helpdesk.example/token`,
      auth: ClientAuth.clientSecretBasic(config.CLIENT_ID, config.CLIENT_SECRET)
    }))),
  // Authorization: Bearer <token> on every request (the default, written out)
  apply: Connector.bearer,
  // a 401, a 403, or a 200 whose body says invalid_auth: refresh the token, send the request once more
  refreshOn: { statuses: [401, 403], bodyPattern: /"error"\s*:\s*"invalid_auth"/ },
  baseUrl: (config) => `https://${config.SUBDOMAIN}.helpdesk.example/api/v5`,
  test: { method: "GET", path: "/me", expect: [200] }
})

/** The same connector, from `3-helpdesk.json`. */
export const helpdeskFromFile = () =>
  Either.getOrThrow(ConnectorSpec.parse(readFileSync(new URL("./3-helpdesk.json", import.meta.url), "utf8")))

// ── run it against the simulated server ─────────────────────────────────────

const clientId = "helpdesk-app"
const clientSecret = "helpdesk secret"

/** The simulated helpdesk: Basic client authentication only, 403 for an expired token. */
export const server = (options: Partial<AuthServer.Options> = {}) =>
  AuthServer.layerClient.pipe(
    Layer.provideMerge(AuthServer.layer({
      clients: [{ clientId, clientSecret, authMethods: ["client_secret_basic"] }],
      expiredTokenStatus: 403,
      tokenLifetime: "1 hour",
      ...options
    }))
  )

/** The environment a deployment would have; secrets come from there, never from code. */
export const environment = ConfigProvider.fromMap(
  new Map([
    ["HELPDESK_SUBDOMAIN", "acme"],
    ["HELPDESK_CLIENT_ID", clientId],
    ["HELPDESK_CLIENT_SECRET", clientSecret]
  ]),
  { pathDelim: "_" }
)

const main = Effect.gen(function*() {
  const config = yield* Connector.config(Helpdesk, { prefix: "HELPDESK" })
  const result = yield* Connector.test(Helpdesk, config)
  yield* Console.log(`connection test: ${result._tag} — ${result.reason}`)

  const server = yield* AuthServer.AuthServer
  // the API will think the token expired long before the client does
  yield* server.fail(AuthServer.ExpiresIn({ as: "missing" }))
  yield* server.setTokenLifetime("1 second")
  const helpdesk = yield* Connector.connect(Helpdesk, config)
  const tickets = Effect.flatMap(helpdesk.client.get("/tickets"), (r) => r.json) // https://acme.helpdesk.example/api/v5/tickets
  yield* Console.log(`GET /tickets → ${JSON.stringify(yield* tickets)}`)
  yield* Effect.sleep("1500 millis")
  yield* Console.log(`GET /tickets → ${JSON.stringify(yield* tickets)} (after a 403 and a refresh)`)

  for (const entry of yield* server.journal) {
    yield* Console.log(`  ${entry.endpoint.padEnd(5)} ${entry.method} ${entry.path} → ${entry.status}`)
  }
  const fromFile = helpdeskFromFile()
  const fileConfig = yield* Connector.config(fromFile, { prefix: "HELPDESK" })
  const fileResult = yield* Connector.test(fromFile, fileConfig)
  yield* Console.log(`the same connector from 3-helpdesk.json: ${fileResult._tag} — ${fileResult.reason}`)
})

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main.pipe(
    Effect.scoped,
    Effect.provide(server()),
    Effect.withConfigProvider(environment),
    NodeRuntime.runMain
  )
}
