import { assert, describe, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Cause, Effect, Option, Redacted, Schedule } from "effect"
import * as TestClock from "effect/TestClock"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import * as RefreshPolicy from "../src/RefreshPolicy.js"
import * as TokenError from "../src/TokenError.js"
import * as TokenProvider from "../src/TokenProvider.js"
import { fail, makeEndpoint, oauthError, unavailable } from "./fixtures.js"

const invalidGrant = new TokenError.OAuthError({
  endpoint: "token",
  status: 400,
  error: "invalid_grant",
  description: Option.some("Token has been expired or revoked."),
  uri: Option.none(),
  retryAfter: Option.none()
})

// Retries quickly and often: only errors that are not retryable escape it at once.
const policy = RefreshPolicy.make({ retry: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(3))) })

describe("the errors of refresh tokens and code exchanges", () => {
  it("ReauthorizationRequired: not retryable, says to authorize again, keeps the OAuthError", () => {
    const error = new TokenError.ReauthorizationRequired({ cause: invalidGrant })
    assert.isFalse(error.retryable)
    assert.isTrue(TokenError.isGrantflowError(error))
    assert.strictEqual(error.cause, invalidGrant)
    assert.include(error.message, "the user must authorize again")
    assert.include(error.message, "Token has been expired or revoked.")
    assert.isTrue(Option.isNone(TokenError.retryAfter(error)))
  })

  it.effect("Grant.reauthorizationRequired: a ReauthorizationRequired that gives the reason, as an invalid_grant refusal", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Grant.reauthorizationRequired("the user has not connected this account"))
      assert.strictEqual(error._tag, "ReauthorizationRequired")
      assert.isFalse(error.retryable)
      assert.strictEqual(error.cause.error, "invalid_grant")
      assert.include(error.message, "the user has not connected this account")
      assert.include(error.message, "the user must authorize again")
    }))

  it("RefreshTokenNotSaved: not retryable, keeps what the store said", () => {
    const cause = new Error("disk full")
    const error = new TokenError.RefreshTokenNotSaved({ cause })
    assert.isFalse(error.retryable)
    assert.isTrue(TokenError.isGrantflowError(error))
    assert.strictEqual(error.cause, cause)
    assert.include(error.message, "saving it failed")
  })

  it("CodeExchangeFailed: never retryable, even for a 503, and explains the one-time code", () => {
    const cause = unavailable(503)
    assert.isTrue(cause.retryable)
    const error = new TokenError.CodeExchangeFailed({ cause })
    assert.isFalse(error.retryable)
    assert.isTrue(TokenError.isGrantflowError(error))
    assert.include(error.message, "HTTP 503 without an OAuth error body")
    assert.notInclude(error.message, "can be retried")
    assert.include(error.message, "start the authorization again")
  })

  for (
    const error of [
      new TokenError.ReauthorizationRequired({ cause: invalidGrant }),
      new TokenError.RefreshTokenNotSaved({ cause: "store down" }),
      new TokenError.CodeExchangeFailed({ cause: unavailable(503) })
    ]
  ) {
    it.scoped(`a TokenProvider does not retry ${error._tag}`, () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint()
        yield* endpoint.script(fail(error))
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const failure = yield* Effect.flip(provider.get)
        assert.strictEqual(failure._tag, error._tag)
        assert.isFalse(failure.retryable)
        assert.strictEqual(yield* endpoint.calls, 1)
      }))
  }

  it.scoped("while a retryable error is retried (the contrast)", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint()
      yield* endpoint.script(fail(oauthError("temporarily_unavailable", 503)))
      const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
      const fiber = yield* Effect.fork(provider.get)
      yield* Effect.yieldNow()
      yield* TestClock.adjust("1 second")
      yield* fiber.await
      assert.strictEqual(yield* endpoint.calls, 2)
    }))
})

describe("Grant.refreshToken and Grant.refreshTokenFlow", () => {
  const insecure = Endpoint.make({
    tokenUrl: "http://auth.example.com/token",
    auth: ClientAuth.clientSecretBasic("id", Redacted.make("secret"))
  })

  it.effect("refuse an insecure token URL before sending the refresh token", () =>
    Effect.gen(function*() {
      const refreshToken = Redacted.make("rt-secret")
      const error = yield* Effect.flip(Grant.refreshToken(insecure, { refreshToken }))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      const fetch = yield* Grant.refreshTokenFlow(insecure, { initial: refreshToken })
      // a configuration error does not discard the refresh token: it is not a refusal
      for (let i = 0; i < 2; i++) {
        const flowError = yield* Effect.flip(fetch)
        assert.strictEqual(flowError._tag, "InvalidTokenRequest")
        assert.notInclude(Cause.pretty(Cause.fail(flowError)), "rt-secret")
      }
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})
