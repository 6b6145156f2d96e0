import { assert, describe, it } from "@effect/vitest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { AuthorizationCode, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenProvider } from "@grantflow/core"
import { Cause, Effect, Option, Redacted, Schedule } from "effect"
import { createHash } from "node:crypto"
import { json, type Respond, withEndpoint, withTokenEndpoint } from "./tokenEndpoint.js"

const issue: Respond = (form, n) =>
  json({
    access_token: `at-${n}`,
    token_type: "Bearer",
    expires_in: 3600,
    ...(form["grant_type"] === "authorization_code" ? { refresh_token: "rt-1" } : {})
  })

const unavailable = Effect.succeed(
  HttpServerResponse.text("<html>Service Unavailable</html>", { status: 503, contentType: "text/html" })
)

const secret = Redacted.make("s3cret")
const basic = ClientAuth.clientSecretBasic("cli", secret)
const code = "code-SplxlOBeZQQYbYS6WxSbIA"

/** Starts an authorization and comes back from it with `code` (or none). */
const authorize = (options: { readonly pkce?: AuthorizationCode.PkceMethod | false; readonly code?: boolean } = {}) =>
  Effect.gen(function*() {
    const { pending, url } = yield* AuthorizationCode.start({
      authorizeUrl: "https://auth.example.com/authorize",
      clientId: "cli",
      redirectUri: "http://127.0.0.1:8765/callback?app=1",
      scopes: ["calendar.read"],
      pkce: options.pkce
    })
    const back = new URL(pending.redirectUri)
    if (options.code !== false) back.searchParams.set("code", code)
    back.searchParams.set("state", pending.state)
    const result = yield* AuthorizationCode.callback(pending, back, { withoutCode: options.code === false })
    return { pending, url, result }
  })

const policy = RefreshPolicy.make({ retry: Schedule.recurs(3) })

describe("the authorization code exchange over HTTP", () => {
  it.live("sends the code, the redirect URI, the PKCE verifier and the client authentication", () =>
    withEndpoint(issue, { auth: basic }, (endpoint, received) =>
      Effect.gen(function*() {
        const { pending, result, url } = yield* authorize()
        const token = yield* AuthorizationCode.exchange(endpoint, pending, result)
        assert.strictEqual(Redacted.value(token.token), "at-1")
        assert.deepStrictEqual(Option.map(token.refreshToken, Redacted.value), Option.some("rt-1"))

        const [request] = yield* received
        const verifier = Redacted.value(Option.getOrThrow(pending.verifier))
        assert.deepStrictEqual(request!.form, {
          grant_type: "authorization_code",
          code,
          redirect_uri: "http://127.0.0.1:8765/callback?app=1",
          code_verifier: verifier
        })
        assert.strictEqual(
          request!.headers["authorization"],
          `Basic ${Buffer.from(`cli:${Redacted.value(secret)}`).toString("base64")}`
        )
        // what a server checks (RFC 7636 §4.6), computed with Node's own crypto
        assert.strictEqual(
          createHash("sha256").update(request!.form["code_verifier"]!).digest("base64url"),
          url.searchParams.get("code_challenge")
        )
      })))

  it.live("a public client sends its client id; without PKCE no verifier is sent", () =>
    withEndpoint(issue, { auth: ClientAuth.none("cli") }, (endpoint, received) =>
      Effect.gen(function*() {
        const { pending, result } = yield* authorize({ pkce: false })
        yield* AuthorizationCode.exchange(endpoint, pending, result)
        const [request] = yield* received
        assert.deepStrictEqual(request!.form, {
          grant_type: "authorization_code",
          code,
          redirect_uri: "http://127.0.0.1:8765/callback?app=1",
          client_id: "cli"
        })
        assert.isUndefined(request!.headers["authorization"])
      })))

  it.live("withoutCode: the token endpoint is called without a code", () =>
    withEndpoint(issue, { auth: ClientAuth.clientSecretPost("cli", secret) }, (endpoint, received) =>
      Effect.gen(function*() {
        const { pending, result } = yield* authorize({ code: false })
        yield* AuthorizationCode.exchange(endpoint, pending, result)
        const [request] = yield* received
        assert.isUndefined(request!.form["code"])
        assert.strictEqual(request!.form["grant_type"], "authorization_code")
        assert.strictEqual(request!.form["client_secret"], Redacted.value(secret))
      })))

  it.live("one attempt on a 503, even inside a retrying TokenProvider", () =>
    withEndpoint(() => unavailable, { auth: basic }, (endpoint, received) =>
      Effect.gen(function*() {
        const { pending, result } = yield* authorize()
        const exchange = AuthorizationCode.exchange(endpoint, pending, result)
        const provider = yield* TokenProvider.make(exchange, { policy })
        const error = yield* Effect.flip(provider.get)
        assert.strictEqual(error._tag, "CodeExchangeFailed")
        assert.isFalse(error.retryable)
        if (error._tag === "CodeExchangeFailed") {
          assert.strictEqual(error.cause._tag, "EndpointUnavailable")
          assert.deepStrictEqual(
            error.cause._tag === "EndpointUnavailable" ? error.cause.status : Option.none(),
            Option.some(503)
          )
        }
        assert.include(error.message, "start the authorization again")
        assert.strictEqual((yield* received).length, 1)
      })))

  it.live("running the exchange again sends nothing", () =>
    withEndpoint(issue, { auth: basic }, (endpoint, received) =>
      Effect.gen(function*() {
        const { pending, result } = yield* authorize({ pkce: false })
        const exchange = AuthorizationCode.exchange(endpoint, pending, result)
        const token = yield* exchange
        assert.strictEqual(Redacted.value(token.token), "at-1")
        const again = yield* Effect.flip(Effect.retry(exchange, Schedule.recurs(3)))
        assert.strictEqual(again._tag, "InvalidTokenRequest")
        assert.include(again.message, "can be exchanged only once")
        assert.strictEqual((yield* received).length, 1)
        assert.deepStrictEqual(Object.keys((yield* received)[0]!.form), ["grant_type", "code", "redirect_uri"])
      })))

  it.live("an endpoint authenticating another client id is refused before anything is sent; the code stays unused", () =>
    withTokenEndpoint(issue, (tokenUrl, received) =>
      Effect.gen(function*() {
        const { pending, result } = yield* authorize()
        const other = Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretBasic("other", secret) })
        const error = yield* Effect.flip(AuthorizationCode.exchange(other, pending, result))
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        assert.include(error.message, "not for the client id the authorization was started with")
        assert.lengthOf(yield* received, 0)

        const token = yield* AuthorizationCode.exchange(Endpoint.make({ tokenUrl, auth: basic }), pending, result)
        assert.strictEqual(Redacted.value(token.token), "at-1")
      })))

  it.live("extraParams go with the code; one that would set the exchange's own is refused before the code is used", () =>
    withEndpoint(issue, { auth: basic }, (endpoint, received) =>
      Effect.gen(function*() {
        const { pending, result } = yield* authorize({ pkce: false })
        for (const clash of [{ code: "other" }, { redirect_uri: "https://evil.example" }, { client_id: "x" }]) {
          const refused = yield* Effect.flip(AuthorizationCode.exchange(endpoint, pending, result, { extraParams: clash }))
          assert.strictEqual(refused._tag, "InvalidTokenRequest")
          assert.include(refused.message, `extraParams cannot set "${Object.keys(clash)[0]}"`)
        }
        assert.lengthOf(yield* received, 0)
        yield* AuthorizationCode.exchange(endpoint, pending, result, { extraParams: { expiring: "1" } })
        const [request] = yield* received
        assert.deepStrictEqual(request!.form, {
          grant_type: "authorization_code",
          code,
          redirect_uri: "http://127.0.0.1:8765/callback?app=1",
          expiring: "1"
        })
      })))

  it.live("a response with a refresh token but no access token is a typed error that shows neither", () =>
    withEndpoint(() => json({ refresh_token: "rt-orphan", token_type: "Bearer" }), { auth: basic }, (endpoint) =>
      Effect.gen(function*() {
        const { pending, result } = yield* authorize()
        const error = yield* Effect.flip(AuthorizationCode.exchange(endpoint, pending, result))
        assert.strictEqual(error._tag, "CodeExchangeFailed")
        if (error._tag === "CodeExchangeFailed") {
          assert.strictEqual(error.cause._tag, "MalformedResponse")
          if (error.cause._tag === "MalformedResponse") assert.strictEqual(error.cause.field, "access_token")
        }
        assert.include(error.message, "access_token")
        for (const text of [error.message, JSON.stringify(error), Cause.pretty(Cause.fail(error))]) {
          assert.notInclude(text, "rt-orphan")
          assert.notInclude(text, code)
        }
      })))

  it.live("an OAuth error of the exchange (an expired code) is CodeExchangeFailed, not retried", () =>
    withEndpoint(
      () => json({ error: "invalid_grant", error_description: "Code expired" }, 400),
      { auth: ClientAuth.none("cli") },
      (endpoint) =>
        Effect.gen(function*() {
          const { pending, result } = yield* authorize()
          const error = yield* Effect.flip(AuthorizationCode.exchange(endpoint, pending, result))
          assert.strictEqual(error._tag, "CodeExchangeFailed")
          if (error._tag === "CodeExchangeFailed") assert.strictEqual(error.cause._tag, "OAuthError")
          assert.include(error.message, "Code expired")
        })
    ))

  it.live("end to end: the first token's refresh token feeds Grant.refreshTokenFlow and a TokenProvider", () =>
    withEndpoint(issue, { auth: basic }, (endpoint, received) =>
      Effect.gen(function*() {
        const { pending, result } = yield* authorize()
        const first = yield* AuthorizationCode.exchange(endpoint, pending, result)
        const fetch = yield* Grant.refreshTokenFlow(endpoint, { initial: Option.getOrThrow(first.refreshToken) })
        const provider = yield* TokenProvider.make(fetch, { policy })
        const token = yield* provider.get
        assert.strictEqual(Redacted.value(token.token), "at-2")
        const [, refresh] = yield* received
        assert.deepStrictEqual(refresh!.form, { grant_type: "refresh_token", refresh_token: "rt-1" })
      })))
})
