/**
 * `Revocation.send` against the simulated server's provider-style revoke
 * routes: the token as the bearer credential or in a JSON body, the
 * client's Basic credentials, and the refusals decoded into typed errors.
 */
import { assert, describe, it } from "@effect/vitest"
import { ClientAuth, Connector, Endpoint, Grant, Revocation, TokenError } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Redacted, Schema } from "effect"
import { auth, browser, endpoint, firstToken, issuer, refreshTokenOf, revocationUrl, secret, tokenUrl, withServer } from "./simServer.js"

const routes: Readonly<Record<string, AuthServer.Route>> = {
  "/2/auth/token/revoke": { endpoint: "revoke", token: "bearer", answer: { status: 200, body: null } },
  "/api/auth.revoke": { endpoint: "revoke", token: "bearer", answer: { status: 200, body: { ok: true } }, refusal: { status: 200, body: { ok: false, error: "invalid_auth" } } },
  "/applications/app/token": {
    endpoint: "revoke",
    method: "DELETE",
    token: { json: "access_token" },
    clientAuth: true,
    answer: { status: 204 },
    refusal: { status: 422, body: { message: "Validation Failed" } }
  }
}

const bearer: Revocation.Request = { url: `${issuer}/2/auth/token/revoke`, token: "bearer" }
const json = (client: ClientAuth.ClientAuth): Revocation.Request => ({
  url: `${issuer}/applications/app/token`,
  method: "DELETE",
  token: { json: "access_token" },
  auth: client
})

const refreshed = (token: Redacted.Redacted<string>) => Grant.refreshToken(endpoint, { refreshToken: token })

describe("Revocation.send", () => {
  it.effect("the token as its own bearer credential: it and its whole grant end", () =>
    withServer(
      Effect.gen(function*() {
        const token = yield* firstToken()
        yield* Revocation.send(bearer, token.token)
        const refused = yield* Effect.flip(refreshed(refreshTokenOf(token)))
        assert.strictEqual(refused._tag, "ReauthorizationRequired")
        // a revoked token cannot revoke again: the route's refusal (the server's 401 invalid_token)
        const again = yield* Effect.flip(Revocation.send(bearer, token.token))
        assert.instanceOf(again, TokenError.OAuthError)
        assert.strictEqual((again as TokenError.OAuthError).endpoint, "revocation")
        assert.strictEqual((again as TokenError.OAuthError).status, 401)
      }),
      { routes }
    ))

  it.effect("a 200 whose body carries an error code is an OAuthError, not a success", () =>
    withServer(
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Revocation.send({ url: `${issuer}/api/auth.revoke`, token: "bearer" }, Redacted.make("not-a-token"))
        )
        assert.instanceOf(error, TokenError.OAuthError)
        assert.strictEqual((error as TokenError.OAuthError).error, "invalid_auth")
        assert.strictEqual((error as TokenError.OAuthError).status, 200)
      }),
      { routes }
    ))

  it.effect("the token in a JSON body, with the app's Basic credentials and the provider's method", () =>
    withServer(
      Effect.gen(function*() {
        const token = yield* firstToken()
        // another client may not revoke it, nor may the app without its secret
        const foreign = yield* Effect.flip(Revocation.send(json(browser), token.token))
        assert.strictEqual(foreign._tag, "EndpointUnavailable")
        const unauthenticated = yield* Effect.flip(
          Revocation.send(json(ClientAuth.clientSecretBasic("app", Redacted.make("wrong"))), token.token)
        )
        assert.strictEqual(unauthenticated._tag, "OAuthError")
        assert.strictEqual((unauthenticated as TokenError.OAuthError).error, "invalid_client")
        yield* Revocation.send(json(auth), token.token)
        assert.strictEqual((yield* Effect.flip(refreshed(refreshTokenOf(token))))._tag, "ReauthorizationRequired")
        // a POST where the API takes DELETE is refused
        const post = yield* Effect.flip(Revocation.send({ ...json(auth), method: "POST" }, token.token))
        assert.strictEqual(post._tag, "EndpointUnavailable")
        assert.notInclude(String(post), secret)
      }),
      { routes }
    ))

  it.effect("refuses a URL that is not https before sending anything", () =>
    withServer(
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Revocation.send({ url: "http://api.example.com/2/auth/token/revoke", token: "bearer" }, Redacted.make("t"))
        )
        assert.strictEqual(error._tag, "InvalidTokenRequest")
      }),
      { routes }
    ))
})

/** A connector of the simulated server's `app`, revoking as `revoke` says, or at its RFC 7009 endpoint. */
const connector = (options: { readonly revoke?: Revocation.Request; readonly authorization: boolean }) =>
  Connector.define({
    name: "sim",
    config: Schema.Struct({}),
    auth: () => Connector.fetch(Grant.clientCredentials(endpoint)),
    baseUrl: () => `${issuer}/api`,
    ...(options.authorization
      ? {
        authorization: () => ({
          endpoint: Endpoint.make({ tokenUrl, revocationUrl, auth }),
          authorizeUrl: `${issuer}/authorize`
        })
      }
      : {}),
    ...(options.revoke === undefined ? {} : { revoke: () => options.revoke! })
  })

describe("Connector.revoke", () => {
  it.effect("without a revoke of its own, revokes the refresh token at the RFC 7009 endpoint, which ends its grant", () =>
    withServer(
      Effect.gen(function*() {
        const token = yield* firstToken()
        yield* Connector.revoke(connector({ authorization: true }), {}, token)
        assert.strictEqual((yield* Effect.flip(refreshed(refreshTokenOf(token))))._tag, "ReauthorizationRequired")
      })
    ))

  it.effect("with a revoke that names the refresh token, sends it rather than the access token", () =>
    withServer(
      Effect.gen(function*() {
        const token = yield* firstToken()
        const request: Revocation.Request = { ...json(auth), token: { json: "access_token" }, revokes: "refresh_token" }
        yield* Connector.revoke(connector({ authorization: false, revoke: request }), {}, token)
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        const [revocation] = journal.filter((entry) => entry.endpoint === "revoke")
        assert.isDefined(revocation?.refreshTokenId, "the refresh token was sent")
        assert.isUndefined(revocation?.tokenId)
        assert.strictEqual((yield* Effect.flip(refreshed(refreshTokenOf(token))))._tag, "ReauthorizationRequired")
      }),
      { routes }
    ))

  it.effect("a connector with no way to revoke says so as a ConnectorConfigError, sending nothing", () =>
    withServer(
      Effect.gen(function*() {
        const token = yield* firstToken()
        const error = yield* Effect.flip(Connector.revoke(connector({ authorization: false }), {}, token))
        assert.strictEqual(error._tag, "ConnectorConfigError")
        assert.include(error.message, "cannot revoke")
      })
    ))
})
