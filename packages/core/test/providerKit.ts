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
import * as Jose from "jose"
import * as crypto from "node:crypto"

export const redirectUri = "http://127.0.0.1/callback"
export const clientId = "catalog-app"
/** The app's secret: characters that need encoding in a form, JSON, a URL and Basic credentials. */
export const clientSecret = "s3cr€t:&=+ \"x\""

/** One entry of the catalog and what its twin does. */
export interface Case {
  readonly id: Providers.Id & ProviderTwin.Id
  /** Which of the entry's options this case runs, when the entry has several cases. */
  readonly mode?: string
  readonly definition: Connector.Definition<any, any>
  /** The configuration as read (the secret as a string). */
  readonly input: Readonly<Record<string, string>>
  /** The twin's path parameters, matching the configuration. */
  readonly params?: Readonly<Record<string, string>>
  /** The provider's mode the twin plays (one of its `variants`), matching the definition's options. */
  readonly variant?: string
  /** A user connects through the consent page, or the app gets tokens itself. */
  readonly flow: "authorizationCode" | "clientCredentials"
  /** How the connector gets a new token once the first is spent. */
  readonly renewal: "refresh" | "rotatingRefresh" | "grantAgain" | "reconnect"
  /** The connector revokes its tokens (`Connector.revoke`): at an RFC 7009 endpoint, or with the provider's own API. */
  readonly revocation: boolean
  /** How the token endpoint's refusal of a bad code, or of the client, reads as a typed error. */
  readonly refusal: { readonly error: string; readonly status: number }
  /** The grant type the twin journals when it is not the flow's own (an app's signed JWT). */
  readonly grant?: string
  /** The client's public keys, for a twin that verifies what the app signs (default: the test certificate's). */
  readonly jwks?: Jose.JSONWebKeySet
  /** The configuration fields that make the client's authentication fail (default: another `CLIENT_SECRET`). */
  readonly badCredential?: Readonly<Record<string, string>>
}

/** A GitHub App's key pair: the private key as GitHub hands it out (PKCS#1 PEM), the public one for the twin. */
const appKeys = await Jose.generateKeyPair("RS256", { extractable: true })
const pkcs1 = async (key: CryptoKey) =>
  crypto.createPrivateKey(await Jose.exportPKCS8(key)).export({ type: "pkcs1", format: "pem" }).toString()
export const appPrivateKey = await pkcs1(appKeys.privateKey)
/** Another app's key: its JWTs do not verify. */
export const foreignPrivateKey = await pkcs1((await Jose.generateKeyPair("RS256", { extractable: true })).privateKey)

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

/** A user's account connected with the app's id and secret, whose bad code the provider refuses with 400 `invalid_grant`. */
const account = (c: Pick<Case, "id" | "definition" | "renewal" | "revocation">): Case => ({
  ...c,
  input: app,
  flow: "authorizationCode",
  refusal: { error: "invalid_grant", status: 400 }
})

export const cases: ReadonlyArray<Case> = [
  {
    id: "github",
    definition: Providers.github(),
    input: app,
    flow: "authorizationCode",
    renewal: "reconnect",
    revocation: true,
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
    revocation: true,
    refusal: { error: "invalid_grant", status: 200 }
  },
  account({ id: "notion", definition: Providers.notion(), renewal: "rotatingRefresh", revocation: true }),
  account({ id: "dropbox", definition: Providers.dropbox(), renewal: "refresh", revocation: true }),
  account({ id: "xero", definition: Providers.xero(), renewal: "rotatingRefresh", revocation: true }),
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
  account({ id: "spotify", definition: Providers.spotify(), renewal: "refresh", revocation: false }),
  account({ id: "zoom", definition: Providers.zoom(), renewal: "rotatingRefresh", revocation: false }),
  account({ id: "discord", definition: Providers.discord(), renewal: "refresh", revocation: true }),
  account({ id: "hubspot", definition: Providers.hubspot(), renewal: "refresh", revocation: false }),
  {
    id: "pipedrive",
    definition: Providers.pipedrive(),
    input: { ...app, API_DOMAIN: "https://twin.pipedrive.com" },
    flow: "authorizationCode",
    renewal: "refresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  },
  {
    id: "zendesk",
    definition: Providers.zendesk(),
    input: { ...app, SUBDOMAIN: "twin" },
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  },
  account({ id: "intercom", definition: Providers.intercom(), renewal: "reconnect", revocation: false }),
  account({ id: "calendly", definition: Providers.calendly(), renewal: "rotatingRefresh", revocation: true }),
  account({ id: "google", definition: Providers.google(), renewal: "refresh", revocation: true }),
  account({ id: "gitlab", definition: Providers.gitlab(), renewal: "rotatingRefresh", revocation: true }),
  account({ id: "bitbucket", definition: Providers.bitbucket(), renewal: "refresh", revocation: false }),
  account({ id: "asana", definition: Providers.asana(), renewal: "refresh", revocation: true }),
  account({ id: "box", definition: Providers.box(), renewal: "rotatingRefresh", revocation: true }),
  account({ id: "twitch", definition: Providers.twitch(), renewal: "refresh", revocation: false }),
  account({ id: "stripe", definition: Providers.stripe(), renewal: "refresh", revocation: false }),
  {
    id: "githubApp",
    definition: Providers.githubApp(),
    input: { APP_ID: "Iv23liTwinApp", INSTALLATION_ID: "4242", PRIVATE_KEY: appPrivateKey },
    params: { INSTALLATION_ID: "4242" },
    flow: "clientCredentials",
    renewal: "grantAgain",
    revocation: true,
    refusal: { error: "invalid_client", status: 401 },
    grant: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    jwks: { keys: [{ ...(await Jose.exportJWK(appKeys.publicKey)), alg: "RS256" }] },
    badCredential: { PRIVATE_KEY: foreignPrivateKey }
  },
  {
    id: "quickbooks",
    definition: Providers.quickbooks(),
    input: { ...app, REALM_ID: "4620816365171234567" },
    params: { REALM_ID: "4620816365171234567" },
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: true,
    refusal: { error: "invalid_grant", status: 400 }
  },
  account({ id: "linear", definition: Providers.linear(), renewal: "rotatingRefresh", revocation: false }),
  account({ id: "mailchimp", definition: Providers.mailchimp(), renewal: "reconnect", revocation: false }),
  account({ id: "atlassian", definition: Providers.atlassian(), renewal: "rotatingRefresh", revocation: false }),
  account({ id: "docusign", definition: Providers.docusign(), renewal: "refresh", revocation: false }),
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
    mode: "service account",
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
    mode: "delegated",
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
    mode: "certificate",
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
    mode: "delegated, certificate",
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

/** Entries in another of their provider's modes, run through the same suite as {@link cases}. */
export const variants: ReadonlyArray<Case> = [
  {
    id: "shopify",
    variant: "expiring",
    definition: Providers.shopify({ expiring: true }),
    input: { ...app, SHOP: "twin" },
    flow: "authorizationCode",
    renewal: "rotatingRefresh",
    revocation: false,
    refusal: { error: "invalid_grant", status: 400 }
  }
]

/** A case's name in test titles: its id, and its mode or variant if it has one. */
export const titleOf = (c: Case): string => {
  const label = c.mode ?? c.variant
  return label === undefined ? c.id : `${c.id} (${label})`
}

/** The values of a case's secret fields, which nothing printed may show. */
export const secretsOf = (c: Case): ReadonlyArray<string> =>
  [c.input.CLIENT_SECRET, c.input.PRIVATE_KEY].filter((secret) => secret !== undefined)

/** The path of a case's connection test, as the twin sees it. */
const testPathOf = (c: Case): string =>
  `${new URL(c.definition.baseUrl(configOf(c))).pathname.replace(/\/$/, "")}${testOf(c).path}`

/** The fields of the twin's answer to the case's connection test. */
export const whoamiOf = (c: Case): Readonly<Record<string, unknown>> => {
  const quirks = ProviderTwin.quirks(c.id, c.variant)
  return quirks.apis?.find((api) => api.path === testPathOf(c))?.body ?? quirks.whoami.body
}

/** The decoded configuration of a case. */
export const configOf = (c: Case): any => Either.getOrThrow(Connector.decodeConfig(c.definition, c.input))

/** The connection test of a case, for its configuration. */
export const testOf = (c: Case): Connector.ConnectionTest => Connector.connectionTest(c.definition, configOf(c))!

/** The twin's server options for a case: its client, with a consent page. */
export const twinOptions = (c: Case, server: Partial<AuthServer.Options> = {}) =>
  ProviderTwin.options(c.id, {
    clientId: c.input["APP_ID"] ?? clientId,
    clientSecret,
    jwks: c.jwks ?? { keys: [{ ...certificate.jwk, "x5t#S256": certificate.thumbprint }] },
    redirectUris: [redirectUri],
    params: c.params,
    variant: c.variant,
    server
  })

/** How long the twin's tokens live; `undefined` for tokens that do not expire. */
export const lifetimeOf = (c: Case): Duration.Duration | undefined => {
  const lifetime = ProviderTwin.quirks(c.id, c.variant).tokenLifetime
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

/** The connection test's request of a case: its method, path and body (a GraphQL query). */
export const testRequest = (c: Case) => {
  const test = testOf(c)
  const request = HttpClientRequest.make(test.method ?? "GET")(test.path)
  return test.body === undefined ? request : HttpClientRequest.bodyUnsafeJson(request, test.body)
}

/** The API calls a connection makes before its first own request: the one that learns its base URL. */
export const discoveryCalls = (c: Case): number => ProviderTwin.quirks(c.id).discovery === undefined ? 0 : 1

/** The token requests the twin received, by grant type. */
export const tokenRequests = Effect.flatMap(AuthServer.AuthServer, (server) => server.journal).pipe(
  Effect.map((journal) => journal.filter((entry) => entry.endpoint === "token").map((entry) => entry.grantType))
)
