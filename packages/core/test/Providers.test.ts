import { assert, describe, it } from "@effect/vitest"
import { Connector, Providers, TokenError } from "@grantflow/core"
import { AuthServer, ProviderTwin } from "@grantflow/testing"
import { Cause, Duration, Effect, Either, Redacted, TestClock } from "effect"
import * as util from "node:util"
import {
  approve,
  type Case,
  cases,
  clientSecret,
  configOf,
  connectAccount,
  discoveryCalls,
  lifetimeOf,
  redirectUri,
  secretsOf,
  sessionOf,
  testOf,
  testRequest,
  titleOf,
  tokenRequests,
  variants,
  whoamiOf,
  withTwin
} from "./providerKit.js"

/** The connection test's request, through the connection's client. */
const call = (c: Case, connection: Connector.Connection) =>
  Effect.flatMap(
    connection.client.execute(testRequest(c)),
    (response) => Effect.map(response.json, (body) => ({ status: response.status, body: body as Record<string, unknown> }))
  )

/** A field of the provider's "who am I" answer, which the twin's answer carries. */
const whoamiField = (c: Case) => Object.keys(whoamiOf(c))[0]!

const firstGrant = (c: Case) => c.flow === "clientCredentials" ? c.grant ?? "client_credentials" : "authorization_code"

const renewalGrant = (c: Case) => c.renewal === "grantAgain" ? c.grant ?? "client_credentials" : "refresh_token"

/** Nothing printed of `value` shows the app's secret or a token value. */
const assertShowsNoSecret = (value: unknown, secrets: ReadonlyArray<string>) => {
  const texts = [String(value), JSON.stringify(value) ?? "", util.inspect(value, { depth: 8 }), Cause.pretty(Cause.fail(value))]
  for (const text of texts) for (const secret of secrets) assert.notInclude(text, secret)
}

/** What every entry, in each of its modes, does against its twin. */
const suite = (c: Case) => {
  it.effect("connects with its grant, through the consent page where it has one, and passes its connection test", () =>
    withTwin(
      c,
      Effect.gen(function*() {
        const session = yield* sessionOf(c)
        const result = yield* Connector.test(c.definition, configOf(c), session)
        assert.strictEqual(result._tag, "Ok", result.reason)
        const grants = yield* tokenRequests
        assert.strictEqual(grants[0], firstGrant(c))
        if (c.flow === "authorizationCode") {
          const codes = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.codes)
          assert.deepStrictEqual(codes.map((code) => code.used), [true])
        }
      })
    ))

  it.scoped("calls the API with the token where the provider takes it, and gets its who-am-I answer", () =>
    withTwin(
      c,
      Effect.gen(function*() {
        const connection = yield* Connector.connect(c.definition, configOf(c), yield* sessionOf(c))
        const { body, status } = yield* call(c, connection)
        assert.strictEqual(status, 200)
        assert.deepStrictEqual(body[whoamiField(c)], whoamiOf(c)[whoamiField(c)])
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        const api = journal.filter((entry) => entry.endpoint === "api")
        // a base URL learnt from the provider costs one call first, with the same token
        assert.deepStrictEqual(api.map((entry) => entry.tokenState), Array(1 + discoveryCalls(c)).fill("valid"))
      })
    ))

  it.scoped("when time passes, gets a new token as the provider allows, or keeps one that does not expire", () =>
    withTwin(
      c,
      Effect.gen(function*() {
        const connection = yield* Connector.connect(c.definition, configOf(c), yield* sessionOf(c))
        yield* call(c, connection)
        const lifetime = lifetimeOf(c)
        const before = (yield* tokenRequests).length
        if (lifetime === undefined) {
          yield* TestClock.adjust("30 days")
          assert.strictEqual((yield* call(c, connection)).status, 200)
          assert.strictEqual((yield* tokenRequests).length, before, "a token that does not expire is kept")
          return
        }
        for (let round = 1; round <= 2; round++) {
          yield* TestClock.adjust(Duration.sum(lifetime, "1 minute"))
          assert.strictEqual((yield* call(c, connection)).status, 200)
          const grants = yield* tokenRequests
          assert.strictEqual(grants.length, before + round)
          assert.strictEqual(grants.at(-1), renewalGrant(c))
        }
        const tokens = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.tokens)
        // the API saw only live tokens: each was replaced before it expired
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        assert.isTrue(journal.filter((entry) => entry.endpoint === "api").every((entry) => entry.tokenState === "valid"))
        assert.strictEqual(tokens.length, 3)
        if (c.renewal === "rotatingRefresh") {
          const families = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.families)
          assert.deepStrictEqual(families.map((family) => [family.generation, family.revoked]), [[3, false]])
        }
      })
    ))

  it.scoped("when the provider refuses the token, renews it, or asks for the account to be connected again", () =>
    withTwin(
      c,
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const connection = yield* Connector.connect(c.definition, configOf(c), yield* sessionOf(c))
        yield* call(c, connection)
        yield* server.revokeAll
        if (c.renewal !== "reconnect") {
          assert.strictEqual((yield* call(c, connection)).status, 200)
          assert.strictEqual((yield* tokenRequests).at(-1), renewalGrant(c))
          return
        }
        const refused = yield* Effect.flip(call(c, connection))
        assert.strictEqual(refused._tag, "InvalidTokenRequest", String(refused))
        // the user connects again
        const again = yield* Connector.connect(c.definition, configOf(c), { token: yield* connectAccount(c) })
        assert.strictEqual((yield* call(c, again)).status, 200)
      })
    ))

  if (c.revocation) {
    it.scoped("disconnects: revokes its tokens as the provider does; then the account is connected again", () =>
      withTwin(
        c,
        Effect.gen(function*() {
          const config = configOf(c)
          const connection = yield* Connector.connect(c.definition, config, yield* sessionOf(c))
          yield* call(c, connection)
          yield* Connector.revoke(c.definition, config, yield* connection.provider.get)
          const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
          assert.deepStrictEqual(journal.filter((entry) => entry.endpoint === "revoke").map((entry) => entry.status < 300), [true])
          if (c.renewal === "grantAgain") {
            // the app gets tokens itself: the revoked one is refused, and a new one is granted
            const before = (yield* tokenRequests).length
            assert.strictEqual((yield* call(c, connection)).status, 200)
            assert.deepStrictEqual((yield* tokenRequests).slice(before), [renewalGrant(c)])
            return
          }
          const refused = yield* Effect.flip(call(c, connection))
          // no refresh token to try: connecting again is the only way, as with a refused token
          assert.strictEqual(refused._tag, c.renewal === "reconnect" ? "InvalidTokenRequest" : "ReauthorizationRequired")
          const again = yield* Connector.connect(c.definition, config, { token: yield* connectAccount(c) })
          assert.strictEqual((yield* call(c, again)).status, 200)
        })
      ))

  }

  if (c.definition.revoke !== undefined) {
    it.scoped("a revocation its own revocation API refuses is a typed error that shows no secret", () =>
      withTwin(
        c,
        Effect.gen(function*() {
          const config = configOf(c)
          const connection = yield* Connector.connect(c.definition, config, yield* sessionOf(c))
          const token = yield* connection.provider.get
          yield* Connector.revoke(c.definition, config, token)
          // the token is gone: the provider refuses to revoke it again
          const refused = yield* Effect.flip(Connector.revoke(c.definition, config, token))
          if (refused._tag !== "OAuthError" && refused._tag !== "EndpointUnavailable") assert.fail(String(refused))
          assert.strictEqual(refused.endpoint, "revocation")
          assertShowsNoSecret(refused, [clientSecret, Redacted.value(token.token)])
        })
      ))
  }

  it.effect("decodes the provider's refusal into a typed error that shows no secret", () =>
    withTwin(
      c,
      Effect.gen(function*() {
        const config = configOf(c)
        const error = c.flow === "clientCredentials"
          ? yield* Effect.flip(Effect.scoped(Effect.flatMap(
            Connector.connect(
              c.definition,
              configOf({ ...c, input: { ...c.input, ...(c.badCredential ?? { CLIENT_SECRET: "not the secret" }) } })
            ),
            (connection) => call(c, connection)
          )))
          : yield* Effect.gen(function*() {
            const { pending, url } = yield* Connector.authorize(c.definition, config, { redirectUri })
            yield* approve(url)
            const forged = new URL(`${redirectUri}?code=not-a-code&state=${pending.state}`)
            return yield* Effect.flip(Connector.exchange(c.definition, config, pending, forged))
          })
        const oauth = error instanceof TokenError.OAuthError
          ? error
          : "cause" in error && error.cause instanceof TokenError.OAuthError
          ? error.cause
          : assert.fail(`not an OAuth refusal: ${String(error)}`)
        assert.strictEqual(oauth.error, c.refusal.error)
        assert.strictEqual(oauth.status, c.refusal.status)
        assertShowsNoSecret(error, [clientSecret, ...secretsOf(c), ...Object.values(c.badCredential ?? {})])
      })
    ))
}

describe.each([...cases, ...variants].map((c) => ({ ...c, title: titleOf(c) })))("Providers.$title against its twin", suite)

describe("Providers", () => {
  it("lists every entry with its grants, quirk classes, and the pages its facts come from", () => {
    assert.deepStrictEqual(Providers.list.map((entry) => entry.id), [...new Set(cases.map((c) => c.id))])
    for (const entry of Providers.list) {
      assert.isAbove(entry.quirks.length, 0, entry.id)
      assert.isAbove(entry.docs.length, 0, entry.id)
      for (const doc of entry.docs) assert.match(doc.url, /^https:\/\//, entry.id)
    }
  })

  it("has a twin for every entry, at the paths the entry's URLs name", () => {
    assert.deepStrictEqual([...ProviderTwin.ids], Providers.list.map((entry) => entry.id))
    const under = (base: URL, path: string) => `${base.pathname.replace(/\/$/, "")}${path}`.replace(/(.)\/$/, "$1")
    for (const c of cases) {
      const config = configOf(c)
      const paths = ProviderTwin.paths(c.id, c.params)
      const definition = c.definition
      const twin = ProviderTwin.quirks(c.id)
      let base = new URL(definition.baseUrl(config))
      if (definition.discovery !== undefined) {
        // the twin's answer names the base under which it serves the who-am-I
        const discovery = definition.discovery(config)
        assert.strictEqual(under(base, discovery.path), paths.discovery, c.id)
        base = new URL(Either.getOrThrow(discovery.read(twin.discovery!.body)))
      }
      assert.include([paths.whoami, ...(twin.apis ?? []).map((api) => api.path)], under(base, testOf(c).path), c.id)
      if (definition.authorization !== undefined) {
        const authorization = definition.authorization(config)
        assert.strictEqual(new URL(authorization.authorizeUrl).pathname, paths.authorize, c.id)
      }
    }
  })
})
