import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Connector, ConnectorSpec, Grant, Providers, TokenError } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Cause, Effect, Either, Option, Redacted, TestClock } from "effect"
import { decodeJwt, decodeProtectedHeader } from "jose"
import {
  type Case,
  cases,
  certificate,
  clientId,
  configOf,
  connectAccount,
  redirectUri,
  secretsOf,
  strangerCertificate,
  withTwin
} from "./providerKit.js"

const caseOf = (id: Providers.Id): Case => cases.find((c) => c.id === id)!
const caseOfVariant = (id: Providers.Id, variant: string): Case => cases.find((c) => c.id === id && c.variant === variant)!

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
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const first = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
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
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const first = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
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
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const refreshToken = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
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

  it.effect("Zoom: each refresh answers a new refresh token, and the previous one is refused at once", () => {
    const c = caseOf("zoom")
    return withTwin(
      c,
      Effect.gen(function*() {
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const first = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
        const rotated = Option.getOrThrow((yield* Grant.refreshToken(endpoint, { refreshToken: first })).refreshToken)
        assert.notStrictEqual(Redacted.value(rotated), Redacted.value(first))
        // no grace: a lost answer means connecting the account again
        const refused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: first }))
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
    const c = caseOfVariant("entra", "delegated")
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
    const c = caseOfVariant("entra", "certificate")
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
        assert.deepStrictEqual(decodeProtectedHeader(jwt), { alg: "PS256", typ: "JWT", "x5t#S256": certificate.thumbprint })
        const claims = decodeJwt(jwt)
        assert.strictEqual(claims.aud, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        assert.deepStrictEqual([claims.iss, claims.sub], [clientId, clientId])
      })
    )
  })

  it.effect("Entra, certificate: an assertion naming a certificate the application did not register is refused as invalid_client", () => {
    const c = caseOfVariant("entra", "certificate")
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

  it("Shopify and Entra refuse a shop or tenant that would change the URL", () => {
    for (const [definition, input] of [
      [Providers.shopify(), { ...caseOf("shopify").input, SHOP: "evil.example/x" }],
      [Providers.entra(), { ...caseOf("entra").input, TENANT: "../common" }],
      [Providers.entra(), { ...caseOf("entra").input, TENANT: ".." }],
      [Providers.shopify(), { ...caseOf("shopify").input, SHOP: "-" }]
    ] as const) {
      const decoded = Connector.decodeConfig(definition as Connector.Definition<any, any>, input)
      assert.isTrue(Either.isLeft(decoded))
    }
  })

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
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const first = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
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
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const first = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
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
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const first = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
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
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const first = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
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

  it("the client secret, or the certificate's key, is Redacted in every entry's configuration", () => {
    for (const c of cases) {
      const config = configOf(c)
      const wrong = Connector.decodeConfig(c.definition, { ...c.input, CLIENT_ID: 42 })
      assert.isTrue(Either.isLeft(wrong), c.id)
      for (const secret of secretsOf(c)) {
        assert.notInclude(JSON.stringify(config), secret, c.id)
        assert.notInclude(String(Connector.decodeConfig(c.definition, c.input)), secret, c.id)
        assert.notInclude(Cause.pretty(Cause.fail(Either.getLeft(wrong).pipe(Option.getOrThrow))), secret)
      }
    }
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
    assert.strictEqual(definition.test?.path, "/services/data")
    const config = Either.getOrThrow(Connector.decodeConfig(definition, caseOf("salesforce").input))
    assert.deepStrictEqual(definition.authorization!(config).scopes, ["api", "refresh_token", "offline_access"])
    assert.strictEqual(definition.baseUrl(config), "https://twin.my.salesforce.com")
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
