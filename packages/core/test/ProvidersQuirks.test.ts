import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Connector, ConnectorSpec, Grant, Providers, TokenError } from "@grantflow/core"
import { AuthServer, ProviderTwin } from "@grantflow/testing"
import { Cause, Effect, Either, Option, Redacted, TestClock } from "effect"
import { type Case, cases, configOf, connectAccount, redirectUri, twinOptions, withTwin } from "./providerKit.js"

const caseOf = (id: Providers.Id): Case => cases.find((c) => c.id === id)!

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
        const endpoint = c.definition.authorization!(configOf(c)).endpoint
        const first = Option.getOrThrow((yield* connectAccount(c)).refreshToken)
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

  it("the client secret is Redacted in every entry's configuration", () => {
    for (const c of cases) {
      const config = configOf(c)
      assert.notInclude(JSON.stringify(config), c.input.CLIENT_SECRET!, c.id)
      assert.notInclude(String(Connector.decodeConfig(c.definition, c.input)), c.input.CLIENT_SECRET!, c.id)
      const wrong = Connector.decodeConfig(c.definition, { ...c.input, CLIENT_ID: 42 })
      assert.isTrue(Either.isLeft(wrong), c.id)
      assert.notInclude(Cause.pretty(Cause.fail(Either.getLeft(wrong).pipe(Option.getOrThrow))), c.input.CLIENT_SECRET!)
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

  it("a file's connection test may carry a JSON body: Linear's viewer query, or the file's own", () => {
    assert.deepStrictEqual(Either.getOrThrow(ConnectorSpec.decode({ extends: "linear" })).test?.body, {
      query: "{ viewer { id name } }"
    })
    const own = Either.getOrThrow(ConnectorSpec.decode({
      extends: "linear",
      test: { method: "POST", path: "/graphql", body: { query: "{ organization { id } }" } }
    }))
    assert.deepStrictEqual(own.test, { path: "/graphql", method: "POST", body: { query: "{ organization { id } }" }, expect: undefined, timeout: undefined })
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
