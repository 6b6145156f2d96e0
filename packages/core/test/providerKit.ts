/**
 * The catalog's entries against their twins: one case per provider (its
 * definition, a configuration, what its twin does with time and refusals),
 * and the steps a user takes — connecting through the consent page, as a
 * browser would, by HTTP.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert } from "@effect/vitest"
import { type AccessToken, Connector, Providers } from "@grantflow/core"
import { AuthServer, ProviderTwin } from "@grantflow/testing"
import { Duration, Effect, Either, Layer, type Scope, TestClock } from "effect"
import * as crypto from "node:crypto"

export const redirectUri = "http://127.0.0.1/callback"
export const clientId = "catalog-app"
/** The app's secret: characters that need encoding in a form, JSON, a URL and Basic credentials. */
export const clientSecret = "s3cr€t:&=+ \"x\""

/** One entry of the catalog and what its twin does. */
export interface Case {
  readonly id: Providers.Id & ProviderTwin.Id
  /** Which of the entry's options this case runs, when the entry has several cases. */
  readonly variant?: string
  readonly definition: Connector.Definition<any, any>
  /** The configuration as read (the secret as a string). */
  readonly input: Readonly<Record<string, string>>
  /** The twin's path parameters, matching the configuration. */
  readonly params?: Readonly<Record<string, string>>
  /** A user connects through the consent page, or the app gets tokens itself. */
  readonly flow: "authorizationCode" | "clientCredentials"
  /** How the connector gets a new token once the first is spent. */
  readonly renewal: "refresh" | "rotatingRefresh" | "grantAgain" | "reconnect"
  /** An RFC 7009 revocation endpoint the connector's endpoint names. */
  readonly revocation: boolean
  /** How the token endpoint's refusal of a bad code, or of the client, reads as a typed error. */
  readonly refusal: { readonly error: string; readonly status: number }
  /** The configuration fields that make the client's authentication fail (default: another `CLIENT_SECRET`). */
  readonly badCredential?: Readonly<Record<string, string>>
}

/** An application's certificate key: its PKCS#8 PEM, and its public JWK registered with the twin under a thumbprint. */
const certificateKey = () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
  const der = publicKey.export({ type: "spki", format: "der" })
  return {
    pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    // a thumbprint of the key stands in for the certificate's: the twin only matches it
    thumbprint: crypto.createHash("sha256").update(der).digest("base64url"),
    jwk: publicKey.export({ format: "jwk" })
  }
}

export const certificate = certificateKey()
/** A key the twin does not know: its assertions are refused. */
export const strangerCertificate = certificateKey()

const app = { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret }

export const cases: ReadonlyArray<Case> = [
  {
    id: "github",
    definition: Providers.github(),
    input: app,
    flow: "authorizationCode",
    renewal: "reconnect",
    revocation: false,
    refusal: { error: "invalid_grant", status: 200 }
  },
  {
    id: "salesforce",
    definition: Providers.salesforce(),
    input: { ...app, INSTANCE_URL: "https://twin.my.salesforce.com" },
    flow: "authorizationCode",
    renewal: "refresh",
    revocation: true,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "slack",
    definition: Providers.slack(),
    input: app,
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 200 }
  },
  {
    id: "notion",
    definition: Providers.notion(),
    input: app,
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "dropbox",
    definition: Providers.dropbox(),
    input: app,
    flow: "authorizationCode",
    renewal: "refresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "xero",
    definition: Providers.xero(),
    input: app,
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: true,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "entra",
    definition: Providers.entra(),
    input: { ...app, TENANT: "contoso.onmicrosoft.com" },
    params: { TENANT: "contoso.onmicrosoft.com" },
    flow: "clientCredentials",
    renewal: "grantAgain",
    revocation: false,
    refusal: { error: "invalid_client", status: 401 }
  },
  {
    id: "shopify",
    definition: Providers.shopify(),
    input: { ...app, SHOP: "twin" },
    flow: "authorizationCode",
    renewal: "reconnect",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "spotify",
    definition: Providers.spotify(),
    input: app,
    flow: "authorizationCode",
    renewal: "refresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "zoom",
    definition: Providers.zoom(),
    input: app,
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "discord",
    definition: Providers.discord(),
    input: app,
    flow: "authorizationCode",
    renewal: "refresh",
    revocation: true,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "okta",
    definition: Providers.okta(),
    input: { ...app, DOMAIN: "acme.okta.com" },
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: true,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "auth0",
    definition: Providers.auth0(),
    input: { ...app, DOMAIN: "acme.us.auth0.com" },
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: true,
    refusal: { error: "invalid_grant", status: 403 }
  },
  {
    id: "keycloak",
    definition: Providers.keycloak(),
    input: { ...app, BASE_URL: "https://sso.acme.example", REALM: "acme" },
    params: { REALM: "acme" },
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: true,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "keycloak",
    variant: "service account",
    definition: Providers.keycloak({ grant: "clientCredentials" }),
    input: { ...app, BASE_URL: "https://sso.acme.example", REALM: "acme" },
    params: { REALM: "acme" },
    flow: "clientCredentials",
    renewal: "grantAgain",
    revocation: false,
    refusal: { error: "invalid_client", status: 401 }
  },
  {
    id: "entra",
    variant: "delegated",
    definition: Providers.entra({ flow: "delegated" }),
    input: { ...app, TENANT: "contoso.onmicrosoft.com" },
    params: { TENANT: "contoso.onmicrosoft.com" },
    flow: "authorizationCode",
    renewal: "refresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "entra",
    variant: "certificate",
    definition: Providers.entra({ credential: "certificate" }),
    input: {
      CLIENT_ID: clientId,
      TENANT: "contoso.onmicrosoft.com",
      PRIVATE_KEY: certificate.pem,
      CERTIFICATE_THUMBPRINT: certificate.thumbprint
    },
    params: { TENANT: "contoso.onmicrosoft.com" },
    flow: "clientCredentials",
    renewal: "grantAgain",
    revocation: false,
    refusal: { error: "invalid_client", status: 401 },
    badCredential: { PRIVATE_KEY: strangerCertificate.pem }
  },
  {
    id: "entra",
    variant: "delegated, certificate",
    definition: Providers.entra({ flow: "delegated", credential: "certificate" }),
    input: {
      CLIENT_ID: clientId,
      TENANT: "contoso.onmicrosoft.com",
      PRIVATE_KEY: certificate.pem,
      CERTIFICATE_THUMBPRINT: certificate.thumbprint
    },
    params: { TENANT: "contoso.onmicrosoft.com" },
    flow: "authorizationCode",
    renewal: "refresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  }
]

/** A case's name in test titles: its id, and its variant if it has one. */
export const titleOf = (c: Case): string => c.variant === undefined ? c.id : `${c.id} (${c.variant})`

/** The values of a case's secret fields, which nothing printed may show. */
export const secretsOf = (c: Case): ReadonlyArray<string> =>
  [c.input.CLIENT_SECRET, c.input.PRIVATE_KEY].filter((secret) => secret !== undefined)

/** The path of a case's connection test, as the twin sees it. */
export const testPathOf = (c: Case): string =>
  `${new URL(c.definition.baseUrl(configOf(c))).pathname.replace(/\/$/, "")}${c.definition.test!.path}`

/** The fields of the twin's answer to the case's connection test. */
export const whoamiOf = (c: Case): Readonly<Record<string, unknown>> => {
  const quirks = ProviderTwin.quirks(c.id)
  return quirks.apis?.[testPathOf(c)] ?? quirks.whoami.body
}

/** The decoded configuration of a case. */
export const configOf = (c: Case): any => Either.getOrThrow(Connector.decodeConfig(c.definition, c.input))

/** The twin's server options for a case: its client, with a consent page. */
export const twinOptions = (c: Case, server: Partial<AuthServer.Options> = {}) =>
  ProviderTwin.options(c.id, {
    clientId,
    clientSecret,
    jwks: { keys: [{ ...certificate.jwk, "x5t#S256": certificate.thumbprint }] },
    redirectUris: [redirectUri],
    params: c.params,
    server
  })

/** How long the twin's tokens live; `undefined` for tokens that do not expire. */
export const lifetimeOf = (c: Case): Duration.Duration | undefined => {
  const lifetime = ProviderTwin.quirks(c.id).tokenLifetime
  return lifetime === "never" ? undefined : Duration.seconds(lifetime)
}

export type Env = AuthServer.AuthServer | HttpClient.HttpClient

/** A realistic epoch on the TestClock. */
export const start = 1_700_000_000_000

/** Runs `self` against the case's twin, reached in memory. */
export const withTwin = <A, E, R extends Env | Scope.Scope>(
  c: Case,
  self: Effect.Effect<A, E, R>,
  server?: Partial<AuthServer.Options>
) =>
  Effect.zipRight(TestClock.setTime(start), self).pipe(
    Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(twinOptions(c, server)))))
  )

/** The user opens the authorization URL, sees the consent page and approves: the URL they are sent back to. */
export const approve = (url: URL) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const page = yield* client.get(url)
    assert.strictEqual(page.status, 200, "the twin shows a consent page")
    const requestId = /name="request_id" value="([^"]+)"/.exec(yield* page.text)?.[1]
    assert.isDefined(requestId)
    const answer = yield* client.execute(
      HttpClientRequest.post(new URL("/authorize", url)).pipe(
        HttpClientRequest.bodyUrlParams({ request_id: requestId!, decision: "approve" })
      )
    )
    assert.strictEqual(answer.status, 302)
    return new URL(answer.headers["location"]!)
  })

/** Connects the user's account: authorize, consent, exchange. The first token. */
export const connectAccount = (c: Case) =>
  Effect.gen(function*() {
    const config = configOf(c)
    const { pending, url } = yield* Connector.authorize(c.definition, config, { redirectUri })
    return yield* Connector.exchange(c.definition, config, pending, yield* approve(url))
  })

/** The session a case's connection starts from: a connected account's token, or none. */
export const sessionOf = (c: Case) =>
  c.flow === "clientCredentials"
    ? Effect.succeed<Connector.Session>({})
    : Effect.map(connectAccount(c), (token: AccessToken.AccessToken): Connector.Session => ({ token }))

/** The token requests the twin received, by grant type. */
export const tokenRequests = Effect.flatMap(AuthServer.AuthServer, (server) => server.journal).pipe(
  Effect.map((journal) => journal.filter((entry) => entry.endpoint === "token").map((entry) => entry.grantType))
)
