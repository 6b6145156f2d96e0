import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Providers from "../../core/src/Providers.js"
import { Effect, Layer } from "effect"
import * as AuthServer from "../src/AuthServer.js"
import * as ProviderTwin from "../src/ProviderTwin.js"
import { body, type Env, send } from "./grantFixtures.js"

const redirectUri = "http://127.0.0.1/callback"

const withTwin = <A, E>(id: ProviderTwin.Id, self: Effect.Effect<A, E, Env>, params?: Record<string, string>) =>
  Effect.provide(
    self,
    AuthServer.layerClient.pipe(Layer.provideMerge(ProviderTwin.layer(id, {
      clientId: "app",
      clientSecret: "s3cret",
      redirectUris: [redirectUri],
      params,
      server: { autoApprove: true }
    })))
  )

/** Takes an authorization through the twin's authorize path; the code it sends back. */
const code = (id: ProviderTwin.Id, query: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const url = new URL(`https://provider.example${ProviderTwin.paths(id).authorize!}`)
    for (const [name, value] of Object.entries({ client_id: "app", redirect_uri: redirectUri, response_type: "code", ...query })) {
      url.searchParams.set(name, value)
    }
    const response = yield* send(HttpClientRequest.get(url))
    assert.strictEqual(response.status, 302)
    return new URL(response.headers["location"]!).searchParams.get("code")!
  })

const form = (id: ProviderTwin.Id, params: Record<string, string>, accept?: string) =>
  send(
    HttpClientRequest.post(`https://provider.example${ProviderTwin.paths(id).token}`).pipe(
      HttpClientRequest.bodyUrlParams({
        ...params,
        ...(params.grant_type === "authorization_code" ? { redirect_uri: redirectUri } : {}),
        client_id: "app",
        client_secret: "s3cret"
      }),
      accept === undefined ? (r) => r : HttpClientRequest.setHeader("accept", accept)
    )
  )

describe("ProviderTwin", () => {
  it("has a twin for every provider of the catalog, each with its paths filled in", () => {
    assert.deepStrictEqual([...ProviderTwin.ids].sort(), Providers.list.map((entry) => entry.id).sort())
    assert.strictEqual(ProviderTwin.paths("githubApp", { INSTALLATION_ID: "7" }).token, "/app/installations/7/access_tokens")
    assert.strictEqual(ProviderTwin.paths("atlassian").discovery, "/oauth/token/accessible-resources")
    assert.strictEqual(ProviderTwin.paths("github").discovery, undefined)
    assert.strictEqual(ProviderTwin.paths("entra").token, "/twin.onmicrosoft.com/oauth2/v2.0/token")
    assert.strictEqual(ProviderTwin.paths("shopify", { API_VERSION: "2024-10" }).whoami, "/admin/api/2024-10/shop.json")
  })

  it.effect("GitHub answers a form unless the request accepts JSON, and its errors with 200", () =>
    withTwin(
      "github",
      Effect.gen(function*() {
        const asForm = yield* form("github", { grant_type: "authorization_code", code: yield* code("github") })
        assert.strictEqual(asForm.status, 200)
        assert.match(asForm.headers["content-type"] ?? "", /^application\/x-www-form-urlencoded/)
        const fields = new URLSearchParams(yield* asForm.text)
        assert.strictEqual(fields.get("token_type"), "bearer")
        assert.isNull(fields.get("expires_in"))

        const asJson = yield* form("github", { grant_type: "authorization_code", code: yield* code("github") }, "application/json")
        const json = yield* body(asJson)
        assert.deepStrictEqual(Object.keys(json).sort(), ["access_token", "token_type"])

        const refused = yield* form("github", { grant_type: "authorization_code", code: "nope" }, "application/json")
        assert.strictEqual(refused.status, 200)
        assert.strictEqual((yield* body(refused)).error, "bad_verification_code")
        const refusedAsForm = yield* form("github", { grant_type: "authorization_code", code: "nope" })
        assert.strictEqual(new URLSearchParams(yield* refusedAsForm.text).get("error"), "bad_verification_code")
      })
    ))

  it.effect("Slack nests the user's token, names its errors after the grant, and answers them with ok: false and 200", () =>
    withTwin(
      "slack",
      Effect.gen(function*() {
        const answer = yield* body(yield* form("slack", { grant_type: "authorization_code", code: yield* code("slack") }))
        assert.strictEqual(answer.ok, true)
        const user = answer.authed_user as Record<string, unknown>
        assert.strictEqual(user.token_type, "user")
        assert.strictEqual(user.access_token, answer.access_token)
        assert.isString(answer.refresh_token)

        const badCode = yield* form("slack", { grant_type: "authorization_code", code: "nope" })
        assert.strictEqual(badCode.status, 200)
        assert.deepStrictEqual(yield* body(badCode), { ok: false, error: "invalid_code" })
        const badRefresh = yield* body(yield* form("slack", { grant_type: "refresh_token", refresh_token: "nope" }))
        assert.deepStrictEqual(badRefresh, { ok: false, error: "invalid_refresh_token" })

        const api = yield* send(HttpClientRequest.get("https://slack.com/api/auth.test").pipe(HttpClientRequest.bearerToken("nope")))
        assert.strictEqual(api.status, 200)
        assert.deepStrictEqual(yield* body(api), { ok: false, error: "invalid_auth" })
      })
    ))

  it.effect("HubSpot refuses a code with a category and no error field", () =>
    withTwin(
      "hubspot",
      Effect.gen(function*() {
        const refused = yield* form("hubspot", { grant_type: "authorization_code", code: "not-a-code" })
        assert.strictEqual(refused.status, 400)
        const error = yield* body(refused)
        assert.strictEqual(error.category, "VALIDATION_ERROR")
        assert.notProperty(error, "error")
        const issued = yield* body(yield* form("hubspot", { grant_type: "authorization_code", code: yield* code("hubspot") }))
        assert.strictEqual(issued.expires_in, 1800)
      })
    ))

  it.effect("Zendesk takes the token request as JSON with the client's secret in it, and refuses a form", () =>
    withTwin(
      "zendesk",
      Effect.gen(function*() {
        const url = `https://twin.zendesk.com${ProviderTwin.paths("zendesk").token}`
        const params = { grant_type: "authorization_code", redirect_uri: redirectUri, client_id: "app", client_secret: "s3cret" }
        const json = yield* send(HttpClientRequest.post(url).pipe(
          HttpClientRequest.bodyUnsafeJson({ ...params, code: yield* code("zendesk") })
        ))
        assert.strictEqual(json.status, 200)
        assert.isString((yield* body(json)).refresh_token)
        const asForm = yield* send(HttpClientRequest.post(url).pipe(
          HttpClientRequest.bodyUrlParams({ ...params, code: yield* code("zendesk") })
        ))
        assert.strictEqual(asForm.status, 400)
      })
    ))

  it.effect("Notion takes the token request as JSON with Basic credentials, and refuses a form", () =>
    withTwin(
      "notion",
      Effect.gen(function*() {
        const url = `https://api.notion.com${ProviderTwin.paths("notion").token}`
        const json = yield* send(
          HttpClientRequest.post(url).pipe(
            HttpClientRequest.basicAuth("app", "s3cret"),
            HttpClientRequest.bodyUnsafeJson({ grant_type: "authorization_code", code: yield* code("notion"), redirect_uri: redirectUri })
          )
        )
        assert.strictEqual(json.status, 200)
        const issued = yield* body(json)
        assert.strictEqual(issued.workspace_name, "Twin")
        const asForm = yield* send(
          HttpClientRequest.post(url).pipe(
            HttpClientRequest.basicAuth("app", "s3cret"),
            HttpClientRequest.bodyUrlParams({ grant_type: "authorization_code", code: yield* code("notion") })
          )
        )
        assert.strictEqual(asForm.status, 400)
        const huge = yield* send(
          HttpClientRequest.post(url).pipe(
            HttpClientRequest.basicAuth("app", "s3cret"),
            HttpClientRequest.bodyUnsafeJson({ grant_type: "authorization_code", code: "x".repeat(70 * 1024) })
          )
        )
        assert.strictEqual(huge.status, 400)
        assert.include(String((yield* body(huge)).error_description), "longer than 64 KiB")
        const nested = yield* send(
          HttpClientRequest.post(url).pipe(
            HttpClientRequest.basicAuth("app", "s3cret"),
            HttpClientRequest.bodyUnsafeJson({ grant_type: { nested: true } })
          )
        )
        assert.strictEqual(nested.status, 400)

        // its API wants the version on every request
        const token = issued.access_token as string
        const me = (version?: string) =>
          send(
            HttpClientRequest.get("https://api.notion.com/v1/users/me").pipe(
              HttpClientRequest.bearerToken(token),
              version === undefined ? (r) => r : HttpClientRequest.setHeader("notion-version", version)
            )
          )
        const unversioned = yield* me()
        assert.strictEqual(unversioned.status, 400)
        assert.strictEqual((yield* body(unversioned)).code, "missing_version")
        assert.strictEqual((yield* me("2022-06-28")).status, 200)
      })
    ))

  it.effect("Dropbox issues a refresh token only for token_access_type=offline", () =>
    withTwin(
      "dropbox",
      Effect.gen(function*() {
        const online = yield* body(yield* form("dropbox", { grant_type: "authorization_code", code: yield* code("dropbox") }))
        assert.isUndefined(online.refresh_token)
        assert.strictEqual(online.expires_in, 14400)
        const offline = yield* body(
          yield* form("dropbox", {
            grant_type: "authorization_code",
            code: yield* code("dropbox", { token_access_type: "offline" })
          })
        )
        assert.isString(offline.refresh_token)
      })
    ))

  it.effect("Shopify's API takes the bare token in X-Shopify-Access-Token", () =>
    withTwin(
      "shopify",
      Effect.gen(function*() {
        const token = yield* body(yield* form("shopify", { grant_type: "authorization_code", code: yield* code("shopify") }))
        assert.deepStrictEqual(Object.keys(token).sort(), ["access_token"])
        const shop = yield* send(
          HttpClientRequest.get(`https://twin.myshopify.com${ProviderTwin.paths("shopify").whoami}`).pipe(
            HttpClientRequest.setHeader("x-shopify-access-token", token.access_token as string)
          )
        )
        assert.strictEqual(shop.status, 200)
        assert.strictEqual(((yield* body(shop)).shop as Record<string, unknown>).name, "Twin")
      })
    ))

  it.effect("Mailchimp's metadata takes the token as OAuth <token> and names a data center; Atlassian's sites are a list", () =>
    Effect.gen(function*() {
      const mailchimp = yield* withTwin(
        "mailchimp",
        Effect.gen(function*() {
          const token = yield* body(yield* form("mailchimp", { grant_type: "authorization_code", code: yield* code("mailchimp") }))
          assert.strictEqual(token.expires_in, 0)
          return yield* send(
            HttpClientRequest.get(`https://login.mailchimp.com${ProviderTwin.paths("mailchimp").discovery!}`).pipe(
              HttpClientRequest.setHeader("authorization", `OAuth ${token.access_token as string}`)
            )
          )
        })
      )
      assert.strictEqual(mailchimp.status, 200)
      assert.strictEqual((yield* body(mailchimp)).dc, "us6")
      const sites = yield* withTwin(
        "atlassian",
        Effect.gen(function*() {
          const url = `https://auth.atlassian.com${ProviderTwin.paths("atlassian").token}`
          const token = yield* body(
            yield* send(HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUnsafeJson({
              grant_type: "authorization_code",
              code: yield* code("atlassian", { scope: "offline_access read:jira-user" }),
              redirect_uri: redirectUri,
              client_id: "app",
              client_secret: "s3cret"
            })))
          )
          assert.isString(token.refresh_token)
          return yield* send(
            HttpClientRequest.get(`https://api.atlassian.com${ProviderTwin.paths("atlassian").discovery!}`).pipe(
              HttpClientRequest.bearerToken(token.access_token as string)
            )
          )
        })
      )
      const list = (yield* sites.json) as ReadonlyArray<{ readonly id: string }>
      assert.deepStrictEqual(list.map((site) => site.id), [
        ProviderTwin.quirks("atlassian").params!.CLOUD_ID,
        "99887766-f1e2-4d3c-b2a1-0f9e8d7c6b5a"
      ])
    }))

  it.effect("Entra answers at the tenant's paths, and grants only the .default scope it was given", () =>
    withTwin(
      "entra",
      Effect.gen(function*() {
        const granted = yield* body(
          yield* form("entra", { grant_type: "client_credentials", scope: "https://graph.microsoft.com/.default" })
        )
        assert.strictEqual(granted.ext_expires_in, 3599)
        const refused = yield* form("entra", { grant_type: "client_credentials", scope: "Mail.Read" })
        assert.strictEqual(refused.status, 400)
        const error = yield* body(refused)
        assert.strictEqual(error.error, "invalid_scope")
        assert.deepStrictEqual(error.error_codes, [7000215])
      })
    ))

  it.effect("Bitbucket takes Basic credentials, states the granted scopes as scopes, and refuses a token with its error object", () =>
    withTwin(
      "bitbucket",
      Effect.gen(function*() {
        const answer = yield* send(
          HttpClientRequest.post(`https://bitbucket.org${ProviderTwin.paths("bitbucket").token}`).pipe(
            HttpClientRequest.basicAuth("app", "s3cret"),
            HttpClientRequest.bodyUrlParams({
              grant_type: "authorization_code",
              code: yield* code("bitbucket", { scope: "repository account" }),
              redirect_uri: redirectUri
            })
          )
        )
        assert.strictEqual(answer.status, 200)
        const token = yield* body(answer)
        assert.strictEqual(token.scopes, "repository account")
        assert.isUndefined(token.scope)
        assert.strictEqual(token.expires_in, 7200)
        // the same credentials in the form body are refused
        const inBody = yield* form("bitbucket", { grant_type: "refresh_token", refresh_token: token.refresh_token as string })
        assert.strictEqual(inBody.status, 401)
        const api = yield* send(
          HttpClientRequest.get(`https://api.bitbucket.org${ProviderTwin.paths("bitbucket").whoami}`).pipe(
            HttpClientRequest.bearerToken("nope")
          )
        )
        assert.strictEqual(api.status, 401)
        assert.deepStrictEqual(yield* body(api), { type: "error", error: { message: "Access token expired." } })
      })
    ))
})

describe("ProviderTwin: the catalog's identity platforms", () => {
  it.effect("Auth0 refuses a bad code with 403 invalid_grant (tokenError.statuses), other errors with their RFC status", () =>
    withTwin(
      "auth0",
      Effect.gen(function*() {
        const refused = yield* form("auth0", { grant_type: "authorization_code", code: "not-a-code" })
        assert.strictEqual(refused.status, 403)
        assert.strictEqual((yield* body(refused)).error, "invalid_grant")
        const unsupported = yield* form("auth0", { grant_type: "client_credentials" })
        assert.strictEqual(unsupported.status, 400)
      })
    ))

  it.effect("Entra serves a user's token Graph's /me too (apis), and a user's authorization needs offline_access for a refresh token", () =>
    withTwin(
      "entra",
      Effect.gen(function*() {
        const withoutOffline = yield* body(yield* form("entra", {
          grant_type: "authorization_code",
          code: yield* code("entra", { scope: "User.Read" })
        }))
        assert.isUndefined(withoutOffline.refresh_token)
        const granted = yield* body(yield* form("entra", {
          grant_type: "authorization_code",
          code: yield* code("entra", { scope: "offline_access User.Read" })
        }))
        assert.isString(granted.refresh_token)
        const me = yield* send(
          HttpClientRequest.get("https://graph.microsoft.com/v1.0/me").pipe(
            HttpClientRequest.bearerToken(granted.access_token as string)
          )
        )
        assert.strictEqual(me.status, 200)
        assert.strictEqual((yield* body(me)).userPrincipalName, "twin@twin.onmicrosoft.com")
      })
    ))

  it.effect("Okta and Keycloak answer at the authorization server's and the realm's paths", () =>
    Effect.gen(function*() {
      assert.strictEqual(ProviderTwin.paths("okta", { AUTHORIZATION_SERVER: "aus1" }).token, "/oauth2/aus1/v1/token")
      assert.strictEqual(ProviderTwin.paths("keycloak").revoke, "/realms/twin/protocol/openid-connect/revoke")
      yield* withTwin(
        "okta",
        Effect.gen(function*() {
          const granted = yield* body(yield* form("okta", {
            grant_type: "authorization_code",
            code: yield* code("okta", { scope: "openid offline_access" })
          }))
          assert.isString(granted.refresh_token)
        })
      )
    }))
})

describe("ProviderTwin data", () => {
  it("every twin issues its token in its answer, at absolute paths, with a who-am-I", () => {
    for (const id of ProviderTwin.ids) {
      const quirks = ProviderTwin.quirks(id)
      // {CLIENT_ID} is the twin's client, known only when the twin is made
      const paths = ProviderTwin.paths(id, { CLIENT_ID: "app" })
      for (const path of [paths.token, paths.authorize, paths.revoke, paths.whoami]) {
        if (path !== undefined) assert.match(path, /^\/[^{}]*$/, `${id}: ${path}`)
      }
      if (quirks.tokenResponse !== undefined) assert.include(JSON.stringify(quirks.tokenResponse), "\"$access_token\"", id)
      assert.isAbove(Object.keys(quirks.whoami.body).length, 0, id)
    }
  })

  it("the quirks are data: a JSON round trip keeps every one as it is", () => {
    for (const id of ProviderTwin.ids) {
      const quirks = ProviderTwin.quirks(id)
      assert.deepStrictEqual(JSON.parse(JSON.stringify(quirks)), quirks, id)
    }
  })
})
