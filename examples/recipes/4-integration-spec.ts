/**
 * Recipe 4: a JSON integration spec with the authorization code flow.
 *
 * `4-calendar.json` declares a calendar API that users connect with their
 * own account: the authorize URL (`access_type=offline&prompt=consent`, so
 * that the provider issues a refresh token), the code exchange with
 * `{{ code }}` and `{{ redirect_url }}`, and the refresh request with
 * `{{ oauth.refresh_token }}`. The client secret is a `secret` field: its
 * value comes from the environment (`CALENDAR_CLIENT_SECRET`), never from the
 * file. `4-calendar-without-code.json` is the `without_code` variant: the
 * callback carries no code and the exchange is sent without one.
 *
 * Run it with `pnpm recipe:4`: the simulated provider (in this process)
 * approves the consent at once and issues 2-second tokens, so the run shows a
 * refresh with a rotated refresh token.
 */
import { HttpClient } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { type AccessToken, Connector, ConnectorSpec } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { ConfigProvider, Console, Effect, Either, Layer, Option, type Redacted, Ref } from "effect"
import { readFileSync } from "node:fs"
import { pathToFileURL } from "node:url"

const read = (file: string) =>
  Either.getOrThrow(ConnectorSpec.parse(readFileSync(new URL(file, import.meta.url), "utf8")))

/** The calendar connector, from `4-calendar.json`. */
export const calendar = () => read("./4-calendar.json")

/** Its `without_code` variant, from `4-calendar-without-code.json`. */
export const calendarWithoutCode = () => read("./4-calendar-without-code.json")

/** Where the provider sends the user back; registered with the provider. */
export const redirectUrl = "https://app.example/callback"

/**
 * Connects an account: builds the authorize URL, lets `consent` take the
 * user there and bring back the callback URL, and exchanges the code for the
 * first token (with its refresh token). In a real app `consent` is a browser
 * redirect and your callback route, or `RedirectReceiver` from
 * `@grantflow/node` on a desktop.
 */
export const connectAccount = <E, R>(
  definition: Connector.Definition<ConnectorSpec.Config, ConnectorSpec.Input>,
  config: ConnectorSpec.Config,
  consent: (authorizeUrl: URL) => Effect.Effect<URL, E, R>
) =>
  Effect.gen(function*() {
    const { pending, url } = yield* Connector.authorize(definition, config, { redirectUri: redirectUrl })
    const callback = yield* consent(url)
    return yield* Connector.exchange(definition, config, pending, callback)
  })

/** The user's consent against the simulated provider, which approves at once: follow its redirect. */
export const simulatedConsent = (authorizeUrl: URL) =>
  Effect.flatMap(HttpClient.get(authorizeUrl), (response) =>
    Option.match(Option.fromNullable(response.headers["location"]), {
      onNone: () => Effect.dieMessage(`the provider answered ${response.status}, not a redirect`),
      onSome: (location) => Effect.succeed(new URL(location))
    }))

/**
 * Uses a connected account: the first token is served first, and the refresh
 * request of the spec renews it; each rotated refresh token is saved (here
 * into `saved`) before its access token is used.
 */
export const useAccount = (
  definition: Connector.Definition<ConnectorSpec.Config, ConnectorSpec.Input>,
  config: ConnectorSpec.Config,
  token: AccessToken.AccessToken,
  saved: Ref.Ref<Option.Option<Redacted.Redacted<string>>>
) =>
  Connector.connect(definition, config, {
    token,
    onRotate: (refreshToken) => Ref.set(saved, Option.some(refreshToken)) // runs before the new token is used
  })

// ── run it against the simulated server ─────────────────────────────────────

const clientId = "calendar-app"
const clientSecret = "calendar secret"

/** The simulated provider: it approves at once and rotates refresh tokens. */
export const server = (options: Partial<AuthServer.Options> = {}) =>
  AuthServer.layerClient.pipe(
    Layer.provideMerge(AuthServer.layer({
      clients: [{
        clientId,
        clientSecret,
        authMethods: ["client_secret_post"],
        scopes: ["calendar.read"],
        grants: ["authorization_code", "refresh_token"],
        redirectUris: [redirectUrl]
      }],
      autoApprove: true,
      tokenLifetime: "1 hour",
      ...options
    }))
  )

/** The environment a deployment would have; the secret comes from there. */
export const environment = ConfigProvider.fromMap(
  new Map([["CALENDAR_CLIENT_ID", clientId], ["CALENDAR_CLIENT_SECRET", clientSecret]]),
  { pathDelim: "_" }
)

const main = Effect.gen(function*() {
  const definition = calendar()
  const config = yield* Connector.config(definition, { prefix: "CALENDAR" }) // CALENDAR_CLIENT_ID, CALENDAR_CLIENT_SECRET
  const { pending, url } = yield* Connector.authorize(definition, config, { redirectUri: redirectUrl })
  // a web app sends the user to `url` and keeps `pending` in their session until they come back to its callback route
  yield* Console.log(`1. send the user to ${url.origin}${url.pathname}?${[...url.searchParams.keys()].join("&")}`)
  const callback = yield* simulatedConsent(url)
  yield* Console.log(`2. the provider sends them back to ${callback.origin}${callback.pathname} with a code`)
  const token = yield* Connector.exchange(definition, config, pending, callback)
  yield* Console.log(`3. code exchanged: an access token and a refresh token (${Option.isSome(token.refreshToken)})`)

  const saved = yield* Ref.make(Option.none<Redacted.Redacted<string>>())
  const account = yield* useAccount(definition, config, token, saved)
  const call = Effect.flatMap(account.client.get("/users/me/calendarList"), (r) => r.json)
  yield* Console.log(`4. GET /users/me/calendarList → ${JSON.stringify(yield* call)}`)
  yield* Effect.sleep("2500 millis")
  yield* Console.log(`5. two seconds later → ${JSON.stringify(yield* call)}`)
  yield* Console.log(`   refreshed with {{ oauth.refresh_token }}; the rotated one saved: ${Option.isSome(yield* saved)}`)
  // the same session as the connection's: a test that has to refresh saves the rotated refresh token too
  const result = yield* Connector.test(definition, config, {
    token: yield* account.provider.get,
    onRotate: (refreshToken) => Ref.set(saved, Option.some(refreshToken))
  })
  yield* Console.log(`6. connection test: ${result._tag} — ${result.reason}`)
})

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main.pipe(
    Effect.scoped,
    Effect.provide(server({ tokenLifetime: "2 seconds" })),
    Effect.withConfigProvider(environment),
    NodeRuntime.runMain
  )
}
