import { assert, describe, it } from "@effect/vitest"
import { Duration, Either } from "effect"
import * as ProviderTwin from "../src/ProviderTwin.js"
import * as ServerConfig from "../src/ServerConfig.js"

const issues = (input: unknown) =>
  Either.match(ServerConfig.decode(input), {
    onLeft: (error) => error.issues.map(({ message, path }) => `${path}: ${message}`),
    onRight: () => []
  })

describe("ServerConfig", () => {
  it("decodes a document into server options", () => {
    const options = Either.getOrThrow(ServerConfig.decode({
      clients: [
        { clientId: "app", clientSecret: "s3cret", scopes: ["read"], authMethods: ["client_secret_post"] },
        { clientId: "spa", public: true, redirectUris: ["http://127.0.0.1:8080/callback"] }
      ],
      tokenLifetime: "5 minutes",
      refreshGrace: 2,
      autoApprove: true,
      accessTokenFormat: "jwt",
      apiScopes: { "/api/admin": ["admin"] },
      expiredTokenStatus: 403
    }))
    assert.strictEqual(options.accessTokenFormat, "jwt")
    assert.deepStrictEqual(options.apiScopes, { "/api/admin": ["admin"] })
    assert.strictEqual(options.clients.length, 2)
    assert.deepStrictEqual(options.tokenLifetime, Duration.minutes(5))
    assert.deepStrictEqual(options.refreshGrace, Duration.seconds(2))
    assert.isTrue(options.autoApprove)
  })

  it("decodes the DPoP options", () => {
    const options = Either.getOrThrow(ServerConfig.decode({
      clients: [],
      dpop: { required: true, nonce: { rotateEvery: "2 minutes" }, proofWindow: 30 }
    }))
    assert.deepStrictEqual(options.dpop, {
      required: true,
      nonce: { rotateEvery: Duration.minutes(2) },
      proofWindow: Duration.seconds(30)
    })
    const wrong = issues({ clients: [], dpop: { nonce: "yes" } })
    assert.isNotEmpty(wrong)
    for (const issue of wrong) assert.match(issue, /^dpop\.nonce: /)
  })

  it("names every field in error by its JSON path", () => {
    assert.deepStrictEqual(
      issues({
        clients: [{ clientSecret: "x" }, { clientId: "b", grants: ["password"], redirectUris: ["not a url"] }],
        tokenLifetime: "soon",
        refreshGraceReuses: -1,
        autoAprove: true
      }),
      [
        "autoAprove: is not a known option",
        "clients[0].clientId: is missing",
        `clients[1].grants[0]: expected one of "client_credentials", "refresh_token", "authorization_code", "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:token-exchange", got "password"`,
        `clients[1].redirectUris[0]: expected an absolute URL, got "not a url"`,
        `tokenLifetime: expected seconds (a number ≥ 0) or a duration such as "10 minutes"`,
        "refreshGraceReuses: expected a whole number ≥ 0"
      ]
    )
  })

  it("reports text that is not JSON, and a document without clients", () => {
    const notJson = ServerConfig.parse("{ clients: [")
    assert.isTrue(Either.isLeft(notJson))
    if (Either.isLeft(notJson)) assert.match(notJson.left.message, /^invalid simulated server configuration: the document is not JSON/)
    assert.deepStrictEqual(issues({}), ["clients: is missing"])
    assert.deepStrictEqual(issues([]), [": Expected ServerConfig, actual []"])
  })

  it("refuses a document nested deeper than 32 levels, and names at most 8 problems of one line each", () => {
    const messageOf = (text: string) => Either.match(ServerConfig.parse(text), { onLeft: (e) => e.message, onRight: () => "" })
    const deep = `${"[".repeat(30_000)}${"]".repeat(30_000)}`
    for (const text of [deep, `{"clients":${deep}}`, `{"clients":[],"errorBodyOnInvalidToken":{"status":401,"body":${deep}}}`]) {
      assert.strictEqual(messageOf(text), "invalid simulated server configuration: the document nests deeper than 32 levels")
    }
    const unknown = JSON.stringify(Object.fromEntries([["clients", []], ...Array.from({ length: 500 }, (_, i) => [`o${i}`, i])]))
    const many = messageOf(unknown)
    assert.include(many, "the document has 492 more problems")
    assert.isAtMost(many.length, 600)
    const long = messageOf(JSON.stringify({ clients: [{ clientId: 1, clientSecret: "x" }], tokenLifetime: "y".repeat(10_000) }))
    assert.isAtMost(long.length, 1000)
  })

  describe("twin", () => {
    const app = { clientId: "app", clientSecret: "s3cret", redirectUris: ["http://127.0.0.1/callback"] }

    it("runs a provider's twin: its behaviour, its defaults for the document's clients, the document's options over its own", () => {
      const options = Either.getOrThrow(ServerConfig.decode({
        twin: "github",
        clients: [app, { clientId: "ci", clientSecret: "t0ken", grants: ["refresh_token"] }],
        autoApprove: true
      }))
      const github = ProviderTwin.options("github", { clientId: "app" })
      assert.deepStrictEqual(options.routes, github.routes)
      assert.strictEqual(options.tokenResponseFormat, "formUnlessJsonAccepted")
      assert.deepStrictEqual(options.errorBodyOnInvalidToken, github.errorBodyOnInvalidToken)
      assert.isFunction(options.tokenErrorShape)
      assert.isTrue(options.autoApprove)
      // the standalone server advertises its own address, not https://github.com
      assert.isUndefined(options.issuer)
      assert.deepStrictEqual(options.clients[0], {
        ...app,
        grants: ProviderTwin.quirks("github").grants,
        authMethods: ProviderTwin.quirks("github").authMethods,
        scopes: undefined
      })
      assert.deepStrictEqual(options.clients[1]!.grants, ["refresh_token"])
      assert.deepStrictEqual(
        Either.getOrThrow(ServerConfig.decode({ twin: "github", clients: [], issuer: "http://127.0.0.1:9000" })).issuer,
        "http://127.0.0.1:9000"
      )
    })

    it("fills a twin's path parameters", () => {
      const options = Either.getOrThrow(ServerConfig.decode({ twin: { id: "entra", params: { TENANT: "contoso" } }, clients: [app] }))
      assert.property(options.routes, "/contoso/oauth2/v2.0/token")
    })

    it("takes the twin from the options, which the document may repeat but not contradict", () => {
      const fromOptions = Either.getOrThrow(ServerConfig.parse(JSON.stringify({ clients: [app] }), { twin: "slack" }))
      assert.deepStrictEqual(fromOptions.routes, ProviderTwin.options("slack", { clientId: "app" }).routes)
      assert.isTrue(Either.isRight(ServerConfig.decode({ twin: "slack", clients: [] }, { twin: "slack" })))
      const other = ServerConfig.decode({ twin: "slack", clients: [] }, { twin: "github" })
      assert.isTrue(Either.isLeft(other))
      if (Either.isLeft(other)) {
        assert.strictEqual(
          other.left.message,
          `invalid simulated server configuration: twin is "slack", not the twin asked for, "github"`
        )
      }
    })

    it("names the known twins for an unknown one (the shorthand's id is reported as twin.id too)", () => {
      const known = ProviderTwin.ids.map((id) => JSON.stringify(id)).join(", ")
      assert.deepStrictEqual(issues({ twin: "acme-crm", clients: [] }), [`twin.id: expected one of ${known}, got "acme-crm"`])
      assert.deepStrictEqual(issues({ twin: { id: "acme-crm" }, clients: [] }), [`twin.id: expected one of ${known}, got "acme-crm"`])
    })
  })
})
