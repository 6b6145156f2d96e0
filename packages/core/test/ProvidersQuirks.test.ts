import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Connector, ConnectorSpec, Endpoint, Grant, Providers, TokenError } from "@grantflow/core"
import { AuthServer, ProviderTwin } from "@grantflow/testing"
import { Cause, Duration, Effect, Either, Option, Redacted, TestClock } from "effect"
import * as Jose from "jose"
import { createPrivateKey } from "node:crypto"
import {
  appPrivateKey,
  approve,
  type Case,
  cases,
  certificate,
  clientId,
  configOf,
  connectAccount,
  foreignPrivateKey,
  redirectUri,
  secretsOf,
  start,
  strangerCertificate,
  twinOptions,
  variants,
  withTwin
} from "./providerKit.js"

/** The token endpoint of a case's connected account, and the account's first refresh token. */
const connectedForRefresh = (c: Case) =>
  Effect.gen(function*() {
    const endpoint = c.definition.authorization!(configOf(c)).endpoint
    const refreshToken = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
    return { endpoint, refreshToken }
  })

const caseOf = (id: Providers.Id): Case => cases.find((c) => c.id === id)!
const caseOfMode = (id: Providers.Id, mode: string): Case => cases.find((c) => c.id === id && c.mode === mode)!

const expiring = variants.find((c) => c.id === "shopify" && c.variant === "expiring")!

describe("Providers: each quirk as the entry meets it", () => {
  it.effect("Slack: the user's token is read from authed_user, and the authorization asks for user_scope", () => {
    const c: Case = { ...caseOf("slack"), definition: Providers.slack({ token: "user", userScopes: ["search:read"] }) }
    return withTwin(
      c,
      Effect.gen(function*() {
        const { url } = yield* Connector.authorize(c.definition, configOf(c), { redirectUri })
        assert.strictEqual(url.searchParams.get("user_scope"), "search:read")
        const token = yield* connectAccount(c)
        assert.isTrue(Option.isSome(token.refreshToken))
        assert.strictEqual(token.type, "Bearer")
        const result = yield* Connector.test(c.definition, configOf(c), { token })
        assert.strictEqual(result._tag, "Ok", result.reason)
      })
    )
  })

  it.effect("Xero: a rotated refresh token is still accepted for 30 minutes, and refused after", () => {
    const c = caseOf("xero")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
        const rotated = yield* Grant.refreshToken(endpoint, { refreshToken: first })
        assert.isTrue(Option.isSome(rotated.refreshToken))
        // the answer was lost: the previous token is retried within the grace
        const retried = yield* Grant.refreshToken(endpoint, { refreshToken: first })
        assert.isTrue(Option.isSome(retried.refreshToken))
        const families = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.families)
        assert.isFalse(families[0]!.revoked)
      })
    )
  })

  it.effect("Xero: a retired refresh token reused after the grace revokes the family: reconnect", () => {
    const c = caseOf("xero")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
        yield* Grant.refreshToken(endpoint, { refreshToken: first })
        yield* TestClock.adjust("31 minutes")
        const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: first }))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
      })
    )
  })

  it.effect("Spotify: refreshing does not extend the refresh token, which is refused six months after the authorization", () => {
    const c = caseOf("spotify")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { endpoint, refreshToken } = yield* connectedForRefresh(c)
        yield* TestClock.adjust("179 days")
        const refreshed = yield* Grant.refreshToken(endpoint, { refreshToken })
        // no new refresh token: the one of the authorization is kept, with its lifetime
        assert.strictEqual(Redacted.value(Option.getOrThrow(refreshed.refreshToken)), Redacted.value(refreshToken))
        yield* TestClock.adjust("2 days")
        const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken }))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
      })
    )
  })

  it.effect("Dropbox: the authorization asks for token_access_type=offline, so the first token has a refresh token", () => {
    const c = caseOf("dropbox")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { url } = yield* Connector.authorize(c.definition, configOf(c), { redirectUri })
        assert.strictEqual(url.searchParams.get("token_access_type"), "offline")
        assert.isTrue(Option.isSome((yield* connectAccount(c)).refreshToken))
      })
    )
  })

  it.effect("Entra: the token request goes to the tenant's path with the .default scope", () => {
    const c = caseOf("entra")
    return withTwin(
      c,
      Effect.gen(function*() {
        const result = yield* Connector.test(c.definition, configOf(c))
        assert.strictEqual(result._tag, "Ok", result.reason)
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        assert.strictEqual(journal[0]!.path, "/contoso.onmicrosoft.com/oauth2/v2.0/token")
        const tokens = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.tokens)
        assert.deepStrictEqual(tokens[0]!.scopes, ["https://graph.microsoft.com/.default"])
      })
    )
  })

  it.effect("Entra, delegated: the user's authorization at the tenant's URL with PKCE and offline_access, then Graph's /me", () => {
    const c = caseOfMode("entra", "delegated")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { url } = yield* Connector.authorize(c.definition, configOf(c), { redirectUri })
        assert.strictEqual(url.href.split("?")[0], "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize")
        assert.strictEqual(url.searchParams.get("code_challenge_method"), "S256")
        assert.deepStrictEqual(url.searchParams.get("scope")!.split(" "), ["offline_access", "openid", "profile", "User.Read"])
        const token = yield* connectAccount(c)
        assert.isTrue(Option.isSome(token.refreshToken))
        const result = yield* Connector.test(c.definition, configOf(c), { token })
        assert.strictEqual(result._tag, "Ok", result.reason)
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        assert.deepStrictEqual(journal.filter((entry) => entry.endpoint === "api").map((entry) => entry.path), ["/v1.0/me"])
      })
    )
  })

  it.effect("Entra, certificate: a PS256 assertion naming the certificate's thumbprint, for the tenant's token URL, and no secret", () => {
    const c = caseOfMode("entra", "certificate")
    const forms: Array<URLSearchParams> = []
    return withTwin(
      c,
      Effect.gen(function*() {
        const result = yield* Connector.test(c.definition, configOf(c)).pipe(
          Effect.updateService(HttpClient.HttpClient, (client) =>
            HttpClient.tapRequest(client, (request) =>
              Effect.sync(() => {
                if (request.body._tag === "Uint8Array") {
                  forms.push(new URLSearchParams(new TextDecoder().decode(request.body.body)))
                }
              })))
        )
        assert.strictEqual(result._tag, "Ok", result.reason)
        const form = forms[0]!
        assert.isNull(form.get("client_secret"))
        assert.strictEqual(form.get("client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        const jwt = form.get("client_assertion")!
        assert.deepStrictEqual(Jose.decodeProtectedHeader(jwt), { alg: "PS256", typ: "JWT", "x5t#S256": certificate.thumbprint })
        const claims = Jose.decodeJwt(jwt)
        assert.strictEqual(claims.aud, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        assert.deepStrictEqual([claims.iss, claims.sub], [clientId, clientId])
      })
    )
  })

  it.effect("Entra, certificate: an assertion naming a certificate the application did not register is refused as invalid_client", () => {
    const c = caseOfMode("entra", "certificate")
    return withTwin(
      c,
      Effect.gen(function*() {
        // the right key, but the thumbprint of another certificate
        const config = configOf({ ...c, input: { ...c.input, CERTIFICATE_THUMBPRINT: strangerCertificate.thumbprint } })
        const result = yield* Connector.test(c.definition, config)
        assert.deepStrictEqual([result._tag, "status" in result ? result.status : undefined], ["BadCredentials", 401])
        const refused = yield* Effect.flip(Effect.scoped(Effect.flatMap(
          Connector.connect(c.definition, config),
          (connection) => connection.client.execute(HttpClientRequest.get("/v1.0/organization"))
        )))
        const oauth = refused instanceof TokenError.OAuthError
          ? refused
          : "cause" in refused && refused.cause instanceof TokenError.OAuthError
          ? refused.cause
          : assert.fail(`not an OAuth refusal: ${String(refused)}`)
        assert.strictEqual(oauth.error, "invalid_client")
        assert.strictEqual(oauth.status, 401)
        assert.notInclude(String(refused), certificate.pem)
        // a SHA-1 thumbprint in hex, as the portal shows it, is not the x5t#S256 the assertion needs
        const hex = Connector.decodeConfig(c.definition, { ...c.input, CERTIFICATE_THUMBPRINT: "84E05C1D98BCE3A5421D225B140B36E86A3D5534" })
        assert.isTrue(Either.isLeft(hex))
      })
    )
  })

  it("Shopify, Entra and GitLab refuse a shop, tenant or host that would change the URL", () => {
    for (const [definition, input] of [
      [Providers.shopify(), { ...caseOf("shopify").input, SHOP: "evil.example/x" }],
      [Providers.entra(), { ...caseOf("entra").input, TENANT: "../common" }],
      [Providers.entra(), { ...caseOf("entra").input, TENANT: ".." }],
      [Providers.shopify(), { ...caseOf("shopify").input, SHOP: "-" }],
      [Providers.gitlab(), { ...caseOf("gitlab").input, HOST: "evil.example/x" }],
      [Providers.gitlab(), { ...caseOf("gitlab").input, HOST: ".." }],
      [Providers.gitlab(), { ...caseOf("gitlab").input, HOST: "gitlab.example.com@evil.example" }]
    ] as const) {
      const decoded = Connector.decodeConfig(definition as Connector.Definition<any, any>, input)
      assert.isTrue(Either.isLeft(decoded))
    }
  })

  it.effect("HubSpot: a refusal's category, not an error field, says the code or refresh token is refused: connect again", () => {
    const c = caseOf("hubspot")
    return withTwin(
      c,
      Effect.gen(function*() {
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const refreshToken = Redacted.make("a refresh token HubSpot does not know")
        const refused = yield* Effect.flip(Connector.withTokenResponse(
          Grant.refreshToken(endpoint, { refreshToken }),
          c.definition.tokenResponse!
        ))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
        // without the entry's shape the same answer is an unavailable endpoint, not a refusal
        const unread = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken }))
        assert.notInstanceOf(unread, TokenError.ReauthorizationRequired)
      })
    )
  })

  it.scoped("Pipedrive: the API is called at the company's API_DOMAIN, the token response's api_domain", () => {
    const c = caseOf("pipedrive")
    return withTwin(
      c,
      Effect.gen(function*() {
        const hosts: Array<string> = []
        const connection = yield* Connector.connect(c.definition, configOf(c), { token: yield* connectAccount(c) }).pipe(
          Effect.updateService(HttpClient.HttpClient, (client) =>
            HttpClient.tapRequest(client, (request) => Effect.sync(() => hosts.push(new URL(request.url).host))))
        )
        const response = yield* connection.client.execute(HttpClientRequest.get("/users/me"))
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(hosts, ["twin.pipedrive.com"])
        const other = Either.getOrThrow(Connector.decodeConfig(c.definition, { ...c.input, API_DOMAIN: "https://acme.pipedrive.com" }))
        assert.strictEqual(c.definition.baseUrl(other), "https://acme.pipedrive.com/api/v1")
      })
    )
  })

  it.effect("Zendesk: the token request is JSON with the client's secret in it, at the account's subdomain; a form is refused", () => {
    const c = caseOf("zendesk")
    return withTwin(
      c,
      Effect.gen(function*() {
        const config = configOf(c)
        const { url } = yield* Connector.authorize(c.definition, config, { redirectUri })
        assert.strictEqual(url.host, "twin.zendesk.com")
        const refreshToken = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
        const endpoint = c.definition.authorization!(config).endpoint
        const asForm = Endpoint.make({
          tokenUrl: "https://twin.zendesk.com/oauth/tokens",
          auth: endpoint.auth,
          requestBody: "form"
        })
        const refused = yield* Effect.flip(Grant.refreshToken(asForm, { refreshToken }))
        assert.strictEqual(refused._tag, "OAuthError")
        assert.isTrue(Option.isSome((yield* Grant.refreshToken(endpoint, { refreshToken })).refreshToken))
      })
    )
  })

  it("Zendesk refuses a subdomain that would change the URL", () => {
    for (const SUBDOMAIN of ["evil.example/x", "..", "-", "a@b"]) {
      const decoded = Connector.decodeConfig(caseOf("zendesk").definition, { ...caseOf("zendesk").input, SUBDOMAIN })
      assert.isTrue(Either.isLeft(decoded), SUBDOMAIN)
    }
  })

  it.effect("Zendesk and Calendly: each refresh answers a new refresh token, and the one used is refused at once", () =>
    Effect.forEach(["zendesk", "calendly"] as const, (id) => {
      const c = caseOf(id)
      return withTwin(
        c,
        Effect.gen(function*() {
          const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
          const rotated = Option.getOrThrow((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken)
          assert.notStrictEqual(Redacted.value(rotated), Redacted.value(first), id)
          const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: first }))
          assert.instanceOf(refused, TokenError.ReauthorizationRequired, id)
        })
      )
    }, { discard: true }))

  it.scoped("Notion: every API request carries Notion-Version, from the connector's headers", () => {
    const c = caseOf("notion")
    return withTwin(
      c,
      Effect.gen(function*() {
        const token = yield* connectAccount(c)
        const versions: Array<string | undefined> = []
        const connection = yield* Connector.connect(c.definition, configOf(c), { token }).pipe(
          Effect.updateService(HttpClient.HttpClient, (client) =>
            HttpClient.tapRequest(client, (request) =>
              Effect.sync(() => {
                if (!request.url.includes("/oauth/")) versions.push(request.headers["notion-version"])
              })))
        )
        const response = yield* connection.client.execute(HttpClientRequest.get("/users/me"))
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(versions, ["2022-06-28"])
      })
    )
  })

  it.effect("GitHub, Slack, Dropbox, Notion: disconnecting uses the provider's own revocation request", () =>
    Effect.forEach(["github", "slack", "dropbox", "notion"] as const, (id) => {
      const c = caseOf(id)
      return withTwin(
        c,
        Effect.gen(function*() {
          const token = yield* connectAccount(c)
          const sent: Array<HttpClientRequest.HttpClientRequest> = []
          yield* Connector.revoke(c.definition, configOf(c), token).pipe(
            Effect.updateService(HttpClient.HttpClient, (client) =>
              HttpClient.tapRequest(client, (request) => Effect.sync(() => sent.push(request))))
          )
          const [request] = sent
          const body = request!.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(request!.body.body)) : undefined
          const authorization = request!.headers["authorization"] ?? ""
          const expected = {
            github: ["DELETE", "/applications/catalog-app/token", "Basic", { access_token: Redacted.value(token.token) }],
            slack: ["POST", "/api/auth.revoke", `Bearer ${Redacted.value(token.token)}`, undefined],
            dropbox: ["POST", "/2/auth/token/revoke", `Bearer ${Redacted.value(token.token)}`, undefined],
            notion: ["POST", "/v1/oauth/revoke", "Basic", { token: Redacted.value(token.token) }]
          }[id]
          assert.deepStrictEqual(
            [request!.method, new URL(request!.url).pathname, authorization.startsWith("Basic ") ? "Basic" : authorization, body],
            expected,
            id
          )
          if (id === "notion") assert.strictEqual(request!.headers["notion-version"], "2022-06-28")
          if (id === "github") assert.strictEqual(request!.headers["accept"], "application/vnd.github+json")
        })
      )
    }, { discard: true }))

  it.scoped("GitHub App: the JWT is RS256, iss the app, iat a minute back and exp within ten minutes; GitHub's expiry is read", () => {
    const c = caseOf("githubApp")
    return withTwin(
      c,
      Effect.gen(function*() {
        const jwts: Array<string> = []
        const connection = yield* Connector.connect(c.definition, configOf(c)).pipe(
          Effect.updateService(HttpClient.HttpClient, (client) =>
            HttpClient.tapRequest(client, (request) =>
              Effect.sync(() => {
                if (request.url.endsWith("/access_tokens")) jwts.push(request.headers["authorization"]!.slice("Bearer ".length))
              })))
        )
        const token = yield* connection.provider.get
        const now = Math.floor(start / 1000)
        assert.strictEqual(Jose.decodeProtectedHeader(jwts[0]!).alg, "RS256")
        const claims = Jose.decodeJwt(jwts[0]!)
        assert.deepStrictEqual([claims.iss, claims.iat, claims.exp], ["Iv23liTwinApp", now - 60, now + 540])
        // expires_at, an ISO 8601 instant, read as the token's expiry: one hour
        assert.strictEqual(token.expiresAt, start + 3600_000)
      })
    )
  })

  it.effect("GitHub App's twin refuses an expired, a too long-lived or a foreign JWT with GitHub's 401 body", () => {
    const c = caseOf("githubApp")
    const now = Math.floor(start / 1000)
    const sign = (key: string, claims: Jose.JWTPayload) =>
      Effect.promise(async () =>
        new Jose.SignJWT(claims).setProtectedHeader({ alg: "RS256" }).sign(
          await Jose.importPKCS8(createPrivateKey(key).export({ type: "pkcs8", format: "pem" }).toString(), "RS256")
        )
      )
    return withTwin(
      c,
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const exchange = (jwt: string) =>
          Effect.flatMap(
            client.execute(HttpClientRequest.post("https://api.github.com/app/installations/4242/access_tokens").pipe(
              HttpClientRequest.bearerToken(jwt)
            )),
            (response) => Effect.map(response.json, (body) => [response.status, Object.keys(body as object)] as const)
          )
        const app = "Iv23liTwinApp"
        const refusals = [
          yield* sign(appPrivateKey, { iss: app, iat: now - 700, exp: now - 60 }),
          yield* sign(appPrivateKey, { iss: app, iat: now, exp: now + 660 }),
          yield* sign(foreignPrivateKey, { iss: app, iat: now, exp: now + 300 })
        ]
        for (const jwt of refusals) assert.deepStrictEqual(yield* exchange(jwt), [401, ["message", "documentation_url"]])
        const accepted = yield* exchange(yield* sign(appPrivateKey, { iss: app, iat: now - 60, exp: now + 540 }))
        assert.deepStrictEqual(accepted, [201, ["token", "expires_at", "permissions", "repository_selection"]])
      })
    )
  })

  it.scoped("QuickBooks: the account connects without the company, whose realmId then names the API's URLs; disconnecting revokes the refresh token", () => {
    const c = caseOf("quickbooks")
    return withTwin(
      c,
      Effect.gen(function*() {
        // authorizing and exchanging need no REALM_ID: it arrives on the redirect
        const { REALM_ID: _realm, ...withoutRealm } = c.input
        const bare = Either.getOrThrow(Connector.decodeConfig(c.definition, withoutRealm))
        const { pending, url } = yield* Connector.authorize(c.definition, bare, { redirectUri })
        assert.strictEqual(url.searchParams.get("scope"), "com.intuit.quickbooks.accounting")
        const token = yield* Connector.exchange(c.definition, bare, pending, yield* approve(url))
        const missing = yield* Effect.flip(Connector.connect(c.definition, bare, { token }))
        assert.strictEqual(missing._tag, "ConnectorConfigError")
        assert.include(missing.message, "REALM_ID is missing")
        const config = configOf(c)
        const connection = yield* Connector.connect(c.definition, config, { token })
        const response = yield* connection.client.get("/companyinfo/4620816365171234567")
        assert.strictEqual(response.status, 200)
        assert.strictEqual(new URL(response.request.url).pathname, "/v3/company/4620816365171234567/companyinfo/4620816365171234567")
        const sent: Array<HttpClientRequest.HttpClientRequest> = []
        yield* Connector.revoke(c.definition, config, token).pipe(
          Effect.updateService(HttpClient.HttpClient, (client) =>
            HttpClient.tapRequest(client, (request) => Effect.sync(() => sent.push(request))))
        )
        const body = sent[0]!.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(sent[0]!.body.body)) : undefined
        assert.deepStrictEqual(body, { token: Redacted.value(Option.getOrThrow(token.refreshToken)) })
        assert.match(sent[0]!.headers["authorization"]!, /^Basic /)
        const refused = yield* Effect.flip(Grant.refreshToken(c.definition.authorization!(config).endpoint, { refreshToken: Option.getOrThrow(token.refreshToken) }))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
      })
    )
  })

  it.effect("Okta: the URLs name the org's domain and authorization server, and a rotated refresh token works for 30 seconds more", () => {
    const c: Case = {
      ...caseOf("okta"),
      input: { ...caseOf("okta").input, AUTHORIZATION_SERVER: "aus1a2b3c4" },
      params: { AUTHORIZATION_SERVER: "aus1a2b3c4" }
    }
    return withTwin(
      c,
      Effect.gen(function*() {
        const { url } = yield* Connector.authorize(c.definition, configOf(c), { redirectUri })
        assert.strictEqual(url.origin, "https://acme.okta.com")
        assert.strictEqual(url.pathname, "/oauth2/aus1a2b3c4/v1/authorize")
        assert.include(url.searchParams.get("scope")!.split(" "), "offline_access")
        const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
        yield* Grant.refreshToken(endpoint, { refreshToken: first })
        yield* TestClock.adjust("29 seconds")
        const retried = yield* Grant.refreshToken(endpoint, { refreshToken: first })
        assert.isTrue(Option.isSome(retried.refreshToken))
        yield* TestClock.adjust("2 seconds")
        // past the grace, a reuse invalidates the family: the account is connected again
        const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: first }))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
        const families = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.families)
        assert.isTrue(families[0]!.revoked)
      })
    )
  })

  it.effect("Auth0: audience goes with the authorization, and a reused refresh token is refused with 403, revoking the family", () => {
    const c: Case = { ...caseOf("auth0"), definition: Providers.auth0({ audience: "https://api.acme.example" }) }
    return withTwin(
      c,
      Effect.gen(function*() {
        const { url } = yield* Connector.authorize(c.definition, configOf(c), { redirectUri })
        assert.strictEqual(url.searchParams.get("audience"), "https://api.acme.example")
        const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
        const second = Option.getOrThrow((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken)
        const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: first }))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
        assert.strictEqual((refused as TokenError.ReauthorizationRequired).cause.status, 403)
        // the reuse ended the family: the newest refresh token is refused too
        assert.instanceOf(yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: second })), TokenError.ReauthorizationRequired)
      })
    )
  })

  it.effect("Auth0: with a reuse interval set, the previous refresh token is exchanged again within it", () => {
    const c = caseOf("auth0")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
        yield* Grant.refreshToken(endpoint, { refreshToken: first })
        yield* TestClock.adjust("5 seconds")
        assert.isTrue(Option.isSome((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken))
        const families = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.families)
        assert.isFalse(families[0]!.revoked)
      }),
      { refreshGrace: "10 seconds" }
    )
  })

  it.effect("Keycloak: the realm's paths; a new refresh token each time, the previous one still good, none after 30 idle minutes", () => {
    const c = caseOf("keycloak")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { url } = yield* Connector.authorize(c.definition, configOf(c), { redirectUri })
        assert.strictEqual(url.href.split("?")[0], "https://sso.acme.example/realms/acme/protocol/openid-connect/auth")
        const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
        const second = Option.getOrThrow((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken)
        assert.notStrictEqual(Redacted.value(second), Redacted.value(first))
        assert.isTrue(Option.isSome((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken))
        yield* TestClock.adjust("31 minutes")
        const idle = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: second }))
        assert.instanceOf(idle, TokenError.ReauthorizationRequired)
      })
    )
  })

  it("Okta, Auth0 and Keycloak refuse a domain, server or realm that would change the URL", () => {
    for (const [definition, input] of [
      [Providers.okta(), { ...caseOf("okta").input, DOMAIN: "evil.example/x" }],
      [Providers.okta(), { ...caseOf("okta").input, AUTHORIZATION_SERVER: "../v1" }],
      [Providers.auth0(), { ...caseOf("auth0").input, DOMAIN: "acme.auth0.com/x?" }],
      [Providers.keycloak(), { ...caseOf("keycloak").input, REALM: "../master" }]
    ] as const) {
      const decoded = Connector.decodeConfig(definition as Connector.Definition<any, any>, input)
      assert.isTrue(Either.isLeft(decoded))
    }
  })

  it.effect("a connector refuses a secret in its headers, before anything is sent, without showing it", () => {
    const c = caseOf("notion")
    const leaky: Connector.Definition<any, any> = {
      ...c.definition,
      headers: (config: { readonly CLIENT_SECRET: Redacted.Redacted<string> }) => ({ "x-key": Redacted.value(config.CLIENT_SECRET) })
    }
    return withTwin(
      c,
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.scoped(Connector.connect(leaky, configOf(c))))
        assert.isTrue(exit._tag === "Failure")
        const text = exit._tag === "Failure" ? Cause.pretty(exit.cause) : ""
        assert.include(text, "the headers contains the value of a secret field (CLIENT_SECRET)")
        assert.notInclude(text, c.input.CLIENT_SECRET!)
      })
    )
  })

  it.scoped("Xero: TENANT_ID goes in xero-tenant-id; the accounting API refuses a call without it, /connections does not", () => {
    const c = caseOf("xero")
    return withTwin(
      c,
      Effect.gen(function*() {
        const token = yield* connectAccount(c)
        const untenanted = yield* Connector.connect(c.definition, configOf(c), { token })
        assert.strictEqual((yield* untenanted.client.execute(HttpClientRequest.get("/connections"))).status, 200)
        const refused = yield* untenanted.client.execute(HttpClientRequest.get("/api.xro/2.0/Organisation"))
        assert.strictEqual(refused.status, 403)
        const tenantId = "4e7e3a3c-8b4f-4a55-9c7d-2f1f3c1d9b21"
        const config = Either.getOrThrow(Connector.decodeConfig(c.definition, { ...c.input, TENANT_ID: tenantId }))
        const tenanted = yield* Connector.connect(c.definition, config, { token })
        const answered = yield* tenanted.client.execute(HttpClientRequest.get("/api.xro/2.0/Organisation"))
        assert.strictEqual(answered.status, 200)
        const organisations = ((yield* answered.json) as { Organisations: ReadonlyArray<{ OrganisationID: string }> })
          .Organisations
        assert.strictEqual(organisations[0]!.OrganisationID, tenantId)
        // a tenant id is a UUID: nothing else reaches the header
        assert.isTrue(Either.isLeft(Connector.decodeConfig(c.definition, { ...c.input, TENANT_ID: "x\r\ny: z" })))
      })
    )
  })

  it.scoped("Twitch: every Helix call names the app in Client-Id, which the API wants besides the token", () => {
    const c = caseOf("twitch")
    return withTwin(
      c,
      Effect.gen(function*() {
        const token = yield* connectAccount(c)
        const sent: Array<string | undefined> = []
        const connection = yield* Connector.connect(c.definition, configOf(c), { token }).pipe(
          Effect.updateService(HttpClient.HttpClient, (client) =>
            HttpClient.tapRequest(client, (request) =>
              Effect.sync(() => {
                if (request.url.includes("/helix/")) sent.push(request.headers["client-id"])
              })))
        )
        assert.strictEqual((yield* connection.client.execute(HttpClientRequest.get("/users"))).status, 200)
        assert.deepStrictEqual(sent, [c.input.CLIENT_ID])
        // the same call without the header is refused, token or not
        const client = yield* HttpClient.HttpClient
        const bare = yield* client.execute(
          HttpClientRequest.get("https://api.twitch.tv/helix/users").pipe(
            HttpClientRequest.bearerToken(Redacted.value(token.token))
          )
        )
        assert.strictEqual(bare.status, 401)
        assert.strictEqual(((yield* bare.json) as { message: string }).message, "Client ID is missing")
      })
    )
  })

  it.scoped("Twitch: a refused refresh token (400, error \"Bad Request\") asks for the account to be connected again", () => {
    const c = caseOf("twitch")
    return withTwin(
      c,
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const connection = yield* Connector.connect(c.definition, configOf(c), { token: yield* connectAccount(c) })
        for (const family of yield* server.families) yield* server.revokeFamily(family.id)
        yield* TestClock.adjust("61 minutes")
        const refused = yield* Effect.flip(connection.client.execute(HttpClientRequest.get("/users")))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
        const token = yield* Effect.flatMap(server.journal, (journal) =>
          Effect.succeed(journal.filter((entry) => entry.endpoint === "token").at(-1)!))
        assert.strictEqual(token.status, 400)
      })
    )
  })

  it.effect("Shopify: an expiring token is asked for with expiring=1 in the code exchange; by default nothing is added", () =>
    Effect.gen(function*() {
      for (const [c, expected] of [[expiring, "1"], [caseOf("shopify"), null]] as const) {
        const forms: Array<URLSearchParams> = []
        yield* withTwin(
          c,
          connectAccount(c).pipe(
            Effect.updateService(HttpClient.HttpClient, (client) =>
              HttpClient.tapRequest(client, (request) =>
                Effect.sync(() => {
                  if (request.url.endsWith("/admin/oauth/access_token") && request.body._tag === "Uint8Array") {
                    forms.push(new URLSearchParams(new TextDecoder().decode(request.body.body)))
                  }
                })))
          )
        )
        assert.deepStrictEqual(forms.map((form) => form.get("expiring")), [expected], c.variant ?? "default")
      }
    }))

  it.effect("Shopify, expiring: a replaced refresh token may be retried (its answer was lost), and one unused for 90 days is refused", () =>
    withTwin(
      expiring,
      Effect.gen(function*() {
        const endpoint = expiring.definition.authorization!(configOf(expiring)).endpoint
        const token = yield* connectAccount(expiring)
        assert.strictEqual(Duration.toSeconds(Duration.millis(token.expiresAt - token.issuedAt)), 3600)
        const first = Option.getOrThrow(token.refreshToken)
        const replaced = Option.getOrThrow((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken)
        assert.notStrictEqual(Redacted.value(replaced), Redacted.value(first))
        // the answer was lost: the stored one is retried days later and still works
        yield* TestClock.adjust("3 days")
        const retried = Option.getOrThrow((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken)
        assert.strictEqual(Redacted.value(retried), Redacted.value(replaced))
        yield* TestClock.adjust("91 days")
        const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: replaced }))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
      })
    ))

  /** The requests a connection sends (token requests aside): method, host and path, authorization scheme, body. */
  const recording = (sent: Array<{ url: string; scheme: string | undefined; type: string | undefined; body: string }>) =>
    Effect.updateService(HttpClient.HttpClient, (client: HttpClient.HttpClient) =>
      HttpClient.tapRequest(client, (request) =>
        Effect.sync(() => {
          const url = new URL(request.url)
          const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
          sent.push({
            url: `${request.method} ${url.host}${url.pathname}`,
            scheme: request.headers["authorization"]?.split(" ")[0],
            type: request.headers["content-type"],
            body
          })
        })))

  it.scoped("Linear: the connection test POSTs the viewer query as JSON to the GraphQL endpoint", () => {
    const c = caseOf("linear")
    return withTwin(
      c,
      Effect.gen(function*() {
        const token = yield* connectAccount(c)
        const sent: Array<{ url: string; scheme: string | undefined; type: string | undefined; body: string }> = []
        const result = yield* Connector.test(c.definition, configOf(c), { token }).pipe(recording(sent))
        assert.strictEqual(result._tag, "Ok", result.reason)
        assert.deepStrictEqual(sent, [{
          url: "POST api.linear.app/graphql",
          scheme: "Bearer",
          type: "application/json",
          body: JSON.stringify({ query: "{ viewer { id name } }" })
        }])
      })
    )
  })

  for (const status of [200, 401] as const) {
    it.scoped(`Linear: a GraphQL AUTHENTICATION_ERROR answered with ${status} gets a new token, the query sent again`, () => {
      const c = caseOf("linear")
      const refusal = ProviderTwin.quirks("linear").invalidToken!
      return withTwin(
        c,
        Effect.gen(function*() {
          const server = yield* AuthServer.AuthServer
          const connection = yield* Connector.connect(c.definition, configOf(c), { token: yield* connectAccount(c) })
          yield* server.revokeAll
          const response = yield* connection.client.execute(
            HttpClientRequest.post("/graphql").pipe(HttpClientRequest.bodyUnsafeJson({ query: "{ viewer { id name } }" }))
          )
          assert.strictEqual(response.status, 200)
          const body = (yield* response.json) as { data: { viewer: { name: string } } }
          assert.strictEqual(body.data.viewer.name, "Twin")
          const journal = yield* server.journal
          assert.deepStrictEqual(journal.filter((e) => e.endpoint !== "authorize").map((e) => [e.endpoint, e.status]), [
            ["token", 200],
            ["api", status],
            ["token", 200],
            ["api", 200]
          ])
        }),
        { errorBodyOnInvalidToken: { status, body: refusal.body } }
      )
    })
  }

  it.scoped("Mailchimp: the metadata call, with Authorization: OAuth, names the data center whose API the connection uses", () => {
    const c = caseOf("mailchimp")
    return withTwin(
      c,
      Effect.gen(function*() {
        const sent: Array<{ url: string; scheme: string | undefined; type: string | undefined; body: string }> = []
        const connection = yield* Connector.connect(c.definition, configOf(c), { token: yield* connectAccount(c) }).pipe(
          recording(sent)
        )
        for (const path of ["/ping", "/lists"]) yield* connection.client.get(path)
        assert.deepStrictEqual(sent.map(({ scheme, url }) => [url, scheme]), [
          ["GET login.mailchimp.com/oauth2/metadata", "OAuth"],
          ["GET us6.api.mailchimp.com/3.0/ping", "Bearer"],
          ["GET us6.api.mailchimp.com/3.0/lists", "Bearer"]
        ])
      })
    )
  })

  for (
    const [name, answer] of [
      ["a data center that is not a plain name", { dc: "attacker.example/x", api_endpoint: "https://attacker.example" }],
      ["no data center", { api_endpoint: "https://us6.api.mailchimp.com" }]
    ] as const
  ) {
    it.scoped(`Mailchimp: a metadata answer with ${name} is refused, and the token goes nowhere else`, () => {
      const c = caseOf("mailchimp")
      return withTwin(
        c,
        Effect.gen(function*() {
          const connection = yield* Connector.connect(c.definition, configOf(c), { token: yield* connectAccount(c) })
          const error = yield* Effect.flip(connection.client.get("/ping"))
          assert.instanceOf(error, Connector.BaseUrlDiscoveryError)
          const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
          assert.deepStrictEqual(journal.filter((e) => e.endpoint === "api").map((e) => e.path), ["/oauth2/metadata"])
        }),
        { routes: { ...twinOptions(c).routes, "/oauth2/metadata": { endpoint: "api", body: answer, scheme: "OAuth" } } }
      )
    })
  }

  it.effect("Atlassian: the authorization names the audience, asks for consent and offline_access; the token request is JSON", () => {
    const c = caseOf("atlassian")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { url } = yield* Connector.authorize(c.definition, configOf(c), { redirectUri })
        assert.strictEqual(url.searchParams.get("audience"), "api.atlassian.com")
        assert.strictEqual(url.searchParams.get("prompt"), "consent")
        assert.include(url.searchParams.get("scope")!.split(" "), "offline_access")
        const types: Array<string | undefined> = []
        const token = yield* connectAccount(c).pipe(
          Effect.updateService(HttpClient.HttpClient, (client) =>
            HttpClient.tapRequest(client, (request) =>
              Effect.sync(() => {
                if (request.url.endsWith("/oauth/token")) types.push(request.headers["content-type"])
              })))
        )
        assert.deepStrictEqual(types, ["application/json"])
        assert.isTrue(Option.isSome(token.refreshToken))
      })
    )
  })

  it.scoped("Atlassian: the connection works on the SITE_URL's site, by its cloud id; a site the token cannot reach is a typed error", () => {
    const c = caseOf("atlassian")
    return withTwin(
      c,
      Effect.gen(function*() {
        const token = yield* connectAccount(c)
        const sent: Array<{ url: string; scheme: string | undefined; type: string | undefined; body: string }> = []
        const other = yield* Connector.connect(c.definition, { ...configOf(c), SITE_URL: "https://other.atlassian.net/" }, {
          token
        }).pipe(recording(sent))
        // the twin serves the who-am-I of its first site only: the other site's path is not found
        assert.strictEqual((yield* other.client.get("/rest/api/3/myself")).status, 404)
        assert.deepStrictEqual(sent.map(({ url }) => url), [
          "GET api.atlassian.com/oauth/token/accessible-resources",
          "GET api.atlassian.com/ex/jira/99887766-f1e2-4d3c-b2a1-0f9e8d7c6b5a/rest/api/3/myself"
        ])
        const unknown = yield* Connector.connect(c.definition, { ...configOf(c), SITE_URL: "https://nowhere.atlassian.net" }, {
          token
        })
        const error = yield* Effect.flip(unknown.client.get("/rest/api/3/myself"))
        assert.instanceOf(error, Connector.BaseUrlDiscoveryError)
        assert.include(error.message, "names no base URL")
      })
    )
  })

  it.effect("Atlassian: a rotated refresh token is still accepted within the 10-minute leeway; reused after it, the grant ends", () => {
    const c = caseOf("atlassian")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
        yield* Grant.refreshToken(endpoint, { refreshToken: first })
        yield* TestClock.adjust("9 minutes")
        assert.isTrue(Option.isSome((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken))
        yield* TestClock.adjust("2 minutes")
        const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: first }))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
        const families = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.families)
        assert.isTrue(families[0]!.revoked)
      })
    )
  })

  it.scoped("DocuSign: the default account's base_uri and id make the API's base URL; production is account.docusign.com", () => {
    const c = caseOf("docusign")
    return withTwin(
      c,
      Effect.gen(function*() {
        const sent: Array<{ url: string; scheme: string | undefined; type: string | undefined; body: string }> = []
        const connection = yield* Connector.connect(c.definition, configOf(c), { token: yield* connectAccount(c) }).pipe(
          recording(sent)
        )
        assert.strictEqual((yield* connection.client.get("/envelopes")).status, 404)
        assert.deepStrictEqual(sent.map(({ url }) => url), [
          "GET account-d.docusign.com/oauth/userinfo",
          "GET demo.docusign.net/restapi/v2.1/accounts/a4ec37d6-04c0-4e2f-8a4a-143885c0ad6e/envelopes"
        ])
        const production = Providers.docusign({ environment: "production" })
        const config = configOf({ ...c, definition: production })
        assert.strictEqual(production.baseUrl(config), "https://account.docusign.com")
        assert.strictEqual(production.authorization!(config).authorizeUrl, "https://account.docusign.com/oauth/auth")
      })
    )
  })

  it("the app's secret (a client secret, a certificate's or an app's private key) is Redacted in every entry's configuration", () => {
    for (const c of cases) {
      const config = configOf(c)
      const idField = "CLIENT_ID" in c.input ? "CLIENT_ID" : "APP_ID"
      const wrong = Connector.decodeConfig(c.definition, { ...c.input, [idField]: 42 })
      assert.isTrue(Either.isLeft(wrong), c.id)
      for (const secret of secretsOf(c)) {
        assert.notInclude(JSON.stringify(config), secret, c.id)
        assert.notInclude(String(Connector.decodeConfig(c.definition, c.input)), secret, c.id)
        assert.notInclude(Cause.pretty(Cause.fail(Either.getLeft(wrong).pipe(Option.getOrThrow))), secret)
      }
    }
  })

  it.effect("Google: the authorization asks for access_type=offline and prompt=consent, so the first token has a refresh token", () => {
    const c = caseOf("google")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { url } = yield* Connector.authorize(c.definition, configOf(c), { redirectUri })
        assert.strictEqual(url.searchParams.get("access_type"), "offline")
        assert.strictEqual(url.searchParams.get("prompt"), "consent")
        assert.strictEqual(url.searchParams.get("code_challenge_method"), "S256")
        assert.isTrue(Option.isSome((yield* connectAccount(c)).refreshToken))
      })
    )
  })

  it.effect("Google: without access_type=offline the twin answers no refresh token", () => {
    const c = caseOf("google")
    const online: Connector.Definition<any, any> = {
      ...c.definition,
      authorization: (config) => ({ ...c.definition.authorization!(config), extraParams: undefined })
    }
    return withTwin(
      c,
      Effect.gen(function*() {
        const token = yield* connectAccount({ ...c, definition: online })
        assert.isTrue(Option.isNone(token.refreshToken))
      })
    )
  })

  it.effect("Google: a refresh answers no new refresh token, and the one of the authorization keeps working", () => {
    const c = caseOf("google")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { endpoint, refreshToken } = yield* connectedForRefresh(c)
        for (let round = 0; round < 2; round++) {
          const refreshed = yield* Grant.refreshToken(endpoint, { refreshToken })
          assert.strictEqual(Redacted.value(Option.getOrThrow(refreshed.refreshToken)), Redacted.value(refreshToken))
        }
        const grants = (yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal))
          .filter((entry) => entry.endpoint === "token")
          .map((entry) => [entry.grantType, entry.status])
        assert.deepStrictEqual(grants, [["authorization_code", 200], ["refresh_token", 200], ["refresh_token", 200]])
      })
    )
  })

  it.scoped("GitLab: a self-managed instance's HOST is where the authorization, the token requests and the API go", () => {
    const c: Case = { ...caseOf("gitlab"), input: { ...caseOf("gitlab").input, HOST: "gitlab.example.com" } }
    return withTwin(
      c,
      Effect.gen(function*() {
        const urls: Array<string> = []
        const recorded = Effect.updateService(HttpClient.HttpClient, (client) =>
          HttpClient.tapRequest(client, (request) => Effect.sync(() => urls.push(request.url))))
        const config = configOf(c)
        const { pending, url } = yield* Connector.authorize(c.definition, config, { redirectUri })
        assert.strictEqual(`${url.origin}${url.pathname}`, "https://gitlab.example.com/oauth/authorize")
        // the user's browser at the consent page is not the connector: only what follows is recorded
        const callback = yield* approve(url)
        const token = yield* recorded(Connector.exchange(c.definition, config, pending, callback))
        const connection = yield* recorded(Connector.connect(c.definition, config, { token }))
        const response = yield* connection.client.execute(HttpClientRequest.get("/user"))
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(urls, ["https://gitlab.example.com/oauth/token", "https://gitlab.example.com/api/v4/user"])
      })
    )
  })

  // no grace: a lost answer means connecting the account again
  for (const id of ["zoom", "gitlab", "box"] as const) {
    const { name } = Providers.list.find((entry) => entry.id === id)!
    it.effect(`${name}: a refresh replaces the refresh token, and the previous one is refused at once`, () => {
      const c = caseOf(id)
      return withTwin(
        c,
        Effect.gen(function*() {
          const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
          const rotated = Option.getOrThrow((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken)
          assert.notStrictEqual(Redacted.value(rotated), Redacted.value(first))
          const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: first }))
          assert.instanceOf(refused, TokenError.ReauthorizationRequired)
        })
      )
    })
  }

  it.effect("Box: each refresh token lives 60 days from its issue: refreshed within them the connection lasts, unused past them it ends", () => {
    const c = caseOf("box")
    return withTwin(
      c,
      Effect.gen(function*() {
        const { endpoint, refreshToken: first } = yield* connectedForRefresh(c)
        let refreshToken = first
        for (let round = 0; round < 3; round++) {
          yield* TestClock.adjust("59 days")
          refreshToken = Option.getOrThrow((yield* Grant.refreshToken(endpoint, { refreshToken })).refreshToken)
        }
        yield* TestClock.adjust("61 days")
        const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken }))
        assert.instanceOf(refused, TokenError.ReauthorizationRequired)
      })
    )
  })

  it.effect("Bitbucket: the granted scopes are read from the token response's scopes", () => {
    const c: Case = { ...caseOf("bitbucket"), definition: Providers.bitbucket({ scopes: ["repository", "account"] }) }
    return withTwin(
      c,
      Effect.gen(function*() {
        const token = yield* connectAccount(c)
        assert.deepStrictEqual(token.scopes, ["repository", "account"])
        // read as RFC 6749's (a refresh without the connector's shape), the same answer states no scopes
        const refreshed = yield* Grant.refreshToken(c.definition.authorization!(configOf(c)).endpoint, {
          refreshToken: Option.getOrThrow(token.refreshToken)
        })
        assert.deepStrictEqual(refreshed.scopes, [])
      })
    )
  })
})

describe("ConnectorSpec: extends", () => {
  it("starts from a catalog entry and changes its name, scopes, refresh rules and test", () => {
    const definition = Either.getOrThrow(ConnectorSpec.parse(JSON.stringify({
      extends: "salesforce",
      name: "crm",
      scopes: ["api", "refresh_token", "offline_access"],
      refresh_on: [401, 403],
      test: { path: "/services/data" }
    })))
    assert.strictEqual(definition.name, "crm")
    assert.strictEqual(definition.configPrefix, "GRANTFLOW_CRM")
    assert.deepStrictEqual(definition.refreshOn?.statuses, [401, 403])
    const config = Either.getOrThrow(Connector.decodeConfig(definition, caseOf("salesforce").input))
    assert.deepStrictEqual(Connector.connectionTest(definition, config), {
      path: "/services/data",
      method: undefined,
      expect: undefined,
      timeout: undefined
    })
    assert.deepStrictEqual(definition.authorization!(config).scopes, ["api", "refresh_token", "offline_access"])
    assert.strictEqual(definition.baseUrl(config), "https://twin.my.salesforce.com")
  })

  it("a file's connection test may carry a JSON body: Linear's viewer query, or the file's own", () => {
    const linear = Either.getOrThrow(ConnectorSpec.decode({ extends: "linear" }))
    assert.deepStrictEqual(Connector.connectionTest(linear, {})?.body, {
      query: "{ viewer { id name } }"
    })
    const own = Either.getOrThrow(ConnectorSpec.decode({
      extends: "linear",
      test: { method: "POST", path: "/graphql", body: { query: "{ organization { id } }" } }
    }))
    assert.deepStrictEqual(Connector.connectionTest(own, {}), { path: "/graphql", method: "POST", body: { query: "{ organization { id } }" }, expect: undefined, timeout: undefined })
  })

  it("keeps the entry's own rules when the file changes nothing", () => {
    const definition = Either.getOrThrow(ConnectorSpec.decode({ extends: "slack" }))
    assert.strictEqual(definition.name, "slack")
    assert.isDefined(definition.refreshOn?.bodyPattern)
  })

  it("names what is wrong: an unknown entry, scopes of an entry without them, a key it cannot change", () => {
    const issues = (input: unknown) =>
      Either.match(ConnectorSpec.decode(input), { onLeft: (error) => error.message, onRight: () => "decoded" })
    assert.include(issues({ extends: "myspace" }), "extends must name a catalog entry: github, salesforce")
    assert.include(issues({ extends: "notion", scopes: ["x"] }), "scopes cannot be set: notion has no scopes")
    assert.include(issues({ extends: "github", base_url: "https://evil.example" }), "base_url")
  })
})
