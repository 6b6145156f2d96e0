import { assert, describe, it } from "@effect/vitest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Duration, Effect, Exit, Logger, Option, Redacted, Scope, TestClock } from "effect"
import { decodeJwt } from "jose"
import * as AccessToken from "../src/AccessToken.js"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Revocation from "../src/Revocation.js"
import * as TokenError from "../src/TokenError.js"
import { json, layerOf, makeRecorder, type Received } from "./routerClient.js"

const tokenUrl = "https://auth.example.com/oauth/token"
const revocationUrl = "https://auth.example.com/oauth/revoke"
const auth = ClientAuth.clientSecretBasic("cli", Redacted.make("s3cret"))
const endpoint = Endpoint.make({ tokenUrl, revocationUrl, auth })
const secret = Redacted.make("rt-secret-value")

type Answer = Effect.Effect<HttpServerResponse.HttpServerResponse>

/** Runs `body` against a revocation endpoint answering every request with `answer`. */
const withEndpoint = <A, E, R>(
  answer: Answer,
  body: (received: Effect.Effect<ReadonlyArray<Received>>) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const recorder = yield* makeRecorder
    const router = HttpRouter.empty.pipe(HttpRouter.post("/oauth/revoke", recorder.record(() => answer)))
    return yield* body(recorder.all).pipe(Effect.provide(layerOf(router)))
  })

const ok = Effect.succeed(HttpServerResponse.empty({ status: 200 }))

describe("Revocation.revoke", () => {
  it.effect("posts the token and its hint, client-authenticated; 200 is success", () =>
    withEndpoint(ok, (received) =>
      Effect.gen(function*() {
        yield* Revocation.revoke(endpoint, { token: secret, tokenTypeHint: "refresh_token" })
        const [request] = yield* received
        assert.deepStrictEqual(request!.form, { token: "rt-secret-value", token_type_hint: "refresh_token" })
        assert.match(request!.headers["authorization"]!, /^Basic /)
        assert.strictEqual(request!.headers["content-type"], "application/x-www-form-urlencoded")
      })))

  it.effect("200 with a body (for a token the server did not know) is success too; no hint, no parameter", () =>
    withEndpoint(json({}), (received) =>
      Effect.gen(function*() {
        yield* Revocation.revoke(endpoint, { token: Redacted.make("unknown") })
        const [request] = yield* received
        assert.deepStrictEqual(request!.form, { token: "unknown" })
      })))

  it.effect("503 is a retryable EndpointUnavailable of the revocation endpoint with the server's Retry-After", () =>
    withEndpoint(
      Effect.succeed(HttpServerResponse.empty({ status: 503, headers: { "retry-after": "7" } })),
      () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(Revocation.revoke(endpoint, { token: secret }))
          assert.strictEqual(error._tag, "EndpointUnavailable")
          assert.isTrue(error.retryable)
          if (error._tag === "EndpointUnavailable") {
            assert.strictEqual(error.endpoint, "revocation")
            assert.deepStrictEqual(error.status, Option.some(503))
            assert.deepStrictEqual(error.retryAfter, Option.some(Duration.seconds(7)))
          }
          assert.include(error.message, "the revocation endpoint answered HTTP 503")
          assert.include(error.message, "the token may still be valid")
          for (const text of [error.message, JSON.stringify(error), Cause.pretty(Cause.fail(error))]) {
            assert.notInclude(text, "rt-secret-value")
          }
        })
    ))

  it.effect("unsupported_token_type is an OAuthError of the revocation endpoint that says what to do", () =>
    withEndpoint(json({ error: "unsupported_token_type", error_description: "refresh tokens only" }, 400), () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Revocation.revoke(endpoint, { token: secret, tokenTypeHint: "access_token" })
        )
        assert.strictEqual(error._tag, "OAuthError")
        if (error._tag === "OAuthError") {
          assert.strictEqual(error.endpoint, "revocation")
          assert.strictEqual(error.error, "unsupported_token_type")
        }
        assert.isFalse(error.retryable)
        assert.include(error.message, "refresh tokens only")
        assert.include(error.message, "revoke the refresh token instead")
      })))

  it.effect("invalid_client is an OAuthError of the revocation endpoint", () =>
    withEndpoint(json({ error: "invalid_client" }, 401), () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Revocation.revoke(endpoint, { token: secret }))
        assert.strictEqual(error._tag, "OAuthError")
        if (error._tag === "OAuthError") {
          assert.strictEqual(error.endpoint, "revocation")
          assert.strictEqual(error.error, "invalid_client")
        }
        assert.isFalse(error.retryable)
      })))

  it.effect("a 404 without an OAuth body is a non-retryable EndpointUnavailable", () =>
    withEndpoint(Effect.succeed(HttpServerResponse.text("Not Found", { status: 404 })), () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Revocation.revoke(endpoint, { token: secret }))
        assert.strictEqual(error._tag, "EndpointUnavailable")
        assert.isFalse(error.retryable)
        assert.include(error.message, "the revocation endpoint answered HTTP 404 without an OAuth error body")
      })))

  it.effect("plain http: off loopback is refused before anything is sent", () =>
    withEndpoint(ok, (received) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Revocation.revoke(
            Endpoint.make({ tokenUrl, revocationUrl: "http://auth.example.com/oauth/revoke", auth }),
            { token: secret }
          )
        )
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        assert.include(error.message, "revocation URL must use https:")
        assert.lengthOf(yield* received, 0)
      })))

  it.effect("an endpoint without a revocation URL is refused before anything is sent", () =>
    withEndpoint(ok, (received) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Revocation.revoke(Endpoint.make({ tokenUrl, auth }), { token: secret }))
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        assert.include(error.message, "the endpoint has no revocation URL: set revocationUrl in Endpoint.make")
        assert.lengthOf(yield* received, 0)
      })))

  it.effect("private_key_jwt: the assertion's audience is the revocation endpoint", () =>
    withEndpoint(ok, (received) =>
      Effect.gen(function*() {
        yield* Revocation.revoke(
          Endpoint.make({
            tokenUrl,
            revocationUrl,
            auth: ClientAuth.clientSecretJwt("cli", Redacted.make("shared-secret"))
          }),
          { token: secret }
        )
        const [request] = yield* received
        assert.strictEqual(decodeJwt(request!.form["client_assertion"]!).aud, revocationUrl)
      })))
})

const tokenWith = (refreshToken: Option.Option<string>, expiresAt = 3_600_000) =>
  new AccessToken.AccessToken({
    token: Redacted.make("at-value"),
    type: "Bearer",
    issuedAt: 0,
    expiresAt,
    scopes: [],
    refreshToken: Option.map(refreshToken, Redacted.make)
  })

/** Obtains `token` through a fetch wrapped by `onScopeClose`, then closes the scope. */
const closeAfter = (token: AccessToken.AccessToken, advance: Duration.DurationInput = 0) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const fetch = yield* Revocation.onScopeClose(Effect.succeed(token), endpoint).pipe(
      Scope.extend(scope)
    )
    yield* fetch
    yield* TestClock.adjust(advance)
    yield* Scope.close(scope, Exit.void)
  })

describe("Revocation.onScopeClose", () => {
  it.effect("revokes the refresh token of the last token when the scope closes", () =>
    withEndpoint(ok, (received) =>
      Effect.gen(function*() {
        yield* closeAfter(tokenWith(Option.some("rt-last")))
        assert.deepStrictEqual((yield* received).map((r) => r.form), [
          { token: "rt-last", token_type_hint: "refresh_token" }
        ])
      })))

  it.effect("without a refresh token, revokes the access token while it is valid", () =>
    withEndpoint(ok, (received) =>
      Effect.gen(function*() {
        yield* closeAfter(tokenWith(Option.none()))
        assert.deepStrictEqual((yield* received).map((r) => r.form), [
          { token: "at-value", token_type_hint: "access_token" }
        ])
      })))

  it.effect("an expired access token, or no token at all, is not sent", () =>
    withEndpoint(ok, (received) =>
      Effect.gen(function*() {
        yield* closeAfter(tokenWith(Option.none(), 1_000), "2 seconds")
        const scope = yield* Scope.make()
        yield* Revocation.onScopeClose(Effect.succeed(tokenWith(Option.none())), endpoint).pipe(
          Scope.extend(scope)
        )
        yield* Scope.close(scope, Exit.void)
        assert.lengthOf(yield* received, 0)
      })))

  it.effect("a failed revocation is logged without the token, and the scope still closes", () =>
    withEndpoint(Effect.succeed(HttpServerResponse.empty({ status: 503 })), (received) =>
      Effect.gen(function*() {
        const lines: Array<string> = []
        const logger = Logger.make(({ annotations, logLevel, message }) => {
          lines.push(`${logLevel.label} ${String(message)} ${JSON.stringify(Object.fromEntries(annotations))}`)
        })
        yield* closeAfter(tokenWith(Option.some("rt-last"))).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger))
        )
        assert.lengthOf(yield* received, 1)
        assert.lengthOf(lines, 1)
        assert.include(lines[0], "WARN grantflow: revoking the token when its scope closed failed")
        assert.include(lines[0], "HTTP 503")
        assert.notInclude(lines[0], "rt-last")
      })))
})

describe("Revocation errors", () => {
  it("escape and bound the server's text in their messages", () => {
    const forged = "bad\n2026-12-03 INFO forged line\u001b[2J" + "x".repeat(500)
    const errors = [
      new TokenError.OAuthError({
        endpoint: "revocation",
        status: 400,
        error: forged,
        description: Option.some(forged),
        uri: Option.none(),
        retryAfter: Option.none()
      }),
      new TokenError.OAuthError({
        endpoint: "revocation",
        status: 400,
        error: "unsupported_token_type",
        description: Option.some(forged),
        uri: Option.none(),
        retryAfter: Option.none()
      })
    ]
    for (const error of errors) {
      assert.notInclude(error.message, "\n")
      assert.notInclude(error.message, "\u001b")
      assert.include(error.message, "\\n2026-12-03 INFO forged line\\u001b[2J")
      assert.isBelow(error.message.length, 700)
    }
  })
})
