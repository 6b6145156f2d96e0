import { assert, describe, it } from "@effect/vitest"
import { Duration, Either, FastCheck, Inspectable, Option, Redacted } from "effect"
import type * as AccessToken from "../src/AccessToken.js"
import * as TokenError from "../src/TokenError.js"
import * as TokenResponse from "../src/TokenResponse.js"

const sentAt = 1_700_000_000_000

const decode = (body: unknown, shape?: TokenResponse.Shape) =>
  TokenResponse.decode(body, { status: 200, sentAt, shape })

const token = (body: unknown, shape?: TokenResponse.Shape): AccessToken.AccessToken =>
  Either.getOrElse(decode(body, shape), (error) => assert.fail(`expected a token, got ${error.message}`))

const malformed = (body: unknown, shape: TokenResponse.Shape): TokenError.MalformedResponse =>
  Either.match(decode(body, shape), {
    onLeft: (error) => {
      assert.strictEqual(error._tag, "MalformedResponse")
      return error as TokenError.MalformedResponse
    },
    onRight: () => assert.fail("expected an error, got a token")
  })

describe("TokenResponse shapes", () => {
  it("without a shape, decoding is unchanged: a nested token is not found", () => {
    const error = Either.flip(decode({ data: { access_token: "abc" } }))
    assert.isTrue(Either.isRight(error))
    if (Either.isRight(error)) {
      assert.strictEqual(error.right._tag, "MalformedResponse")
      assert.strictEqual((error.right as TokenError.MalformedResponse).field, "access_token")
    }
    assert.deepStrictEqual(TokenResponse.normalize({ access_token: "a", expires_in: 5 }, {}, 0), {
      access_token: "a",
      expires_in: 5
    })
  })

  it("reads every field from its path", () => {
    const t = token(
      { ok: true, data: { token: "abc", kind: "bearer", ttl: 60, renew: "r-1", grants: "read write" } },
      {
        accessToken: "data.token",
        tokenType: "data.kind",
        expiresIn: "data.ttl",
        refreshToken: "data.renew",
        scope: "data.grants"
      }
    )
    assert.strictEqual(Redacted.value(t.token), "abc")
    assert.strictEqual(t.type, "Bearer")
    assert.strictEqual(t.expiresAt, sentAt + 60_000)
    assert.deepStrictEqual(t.scopes, ["read", "write"])
    assert.strictEqual(Option.map(t.refreshToken, Redacted.value).pipe(Option.getOrUndefined), "r-1")
  })

  it("a path replaces the top-level field: a decoy at the RFC name is not used", () => {
    const error = malformed({ access_token: "decoy", data: {} }, { accessToken: "data.token" })
    assert.strictEqual(error.field, "data.token")
    assert.strictEqual(error.reason, "is missing")
  })

  it("expiry in milliseconds", () => {
    assert.strictEqual(token({ access_token: "a", expires_in: 90_000 }, { expiresAs: "milliseconds" }).expiresAt, sentAt + 90_000)
    assert.strictEqual(token({ access_token: "a", expires_in: "1500" }, { expiresAs: "milliseconds" }).expiresAt, sentAt + 1_500)
  })

  it("expiry as an absolute instant: epoch seconds, epoch milliseconds, ISO 8601", () => {
    const expiresAt = sentAt + 3_600_000
    assert.strictEqual(
      token({ access_token: "a", expires_at: expiresAt / 1000 }, { expiresIn: "expires_at", expiresAs: "epochSeconds" })
        .expiresAt,
      expiresAt
    )
    assert.strictEqual(
      token({ access_token: "a", expires_in: expiresAt }, { expiresAs: "epochMilliseconds" }).expiresAt,
      expiresAt
    )
    assert.strictEqual(
      token({ access_token: "a", expiry: new Date(expiresAt).toISOString() }, {
        expiresIn: "expiry",
        expiresAs: "iso8601"
      }).expiresAt,
      expiresAt
    )
  })

  it("an absolute expiry already past gets the minimum lifetime, not the default one", () => {
    const t = token({ access_token: "a", expires_at: (sentAt - 60_000) / 1000 }, {
      expiresIn: "expires_at",
      expiresAs: "epochSeconds"
    })
    // a token request a second at most, not one per call
    assert.strictEqual(t.expiresAt, sentAt + Duration.toMillis(TokenResponse.minLifetime))
  })

  it("a missing expiry still gets the default lifetime", () => {
    assert.strictEqual(
      token({ access_token: "a" }, { expiresIn: "expires_at", expiresAs: "epochSeconds" }).expiresAt,
      sentAt + 300_000
    )
  })

  it("an expiry that cannot be converted is an error naming its path", () => {
    const error = malformed({ access_token: "a", expiry: "next tuesday" }, { expiresIn: "expiry", expiresAs: "iso8601" })
    assert.strictEqual(error.field, "expiry")
    assert.strictEqual(error.reason, "is not a number of seconds")
  })

  it("a fixed token type wins over the response's", () => {
    assert.strictEqual(token({ access_token: "a", token_type: "bearer" }, { type: "Token" }).type, "Token")
    assert.strictEqual(token({ access_token: "a" }, { type: "Zoho-oauthtoken" }).type, "Zoho-oauthtoken")
  })

  it("a blank token at the path is rejected without showing anything secret", () => {
    const error = malformed({ data: { token: "  ", refresh: "r-secret-value" } }, {
      accessToken: "data.token",
      refreshToken: "data.refresh"
    })
    assert.strictEqual(error.field, "data.token")
    assert.strictEqual(error.reason, "is empty")
    const shown = [error.message, JSON.stringify(error), Inspectable.format(error)].join("\n")
    assert.notInclude(shown, "r-secret-value")
  })

  it("error bodies are read as usual, whatever the shape", () => {
    const result = decode({ error: "invalid_client" }, { accessToken: "data.token" })
    assert.isTrue(Either.isLeft(result) && result.left._tag === "OAuthError")
    const unshaped = { error: "invalid_client", data: { token: "x" } }
    assert.strictEqual(TokenResponse.normalize(unshaped, { accessToken: "data.token" }, 0), unshaped)
  })

  it("normalize leaves non-objects alone", () => {
    assert.strictEqual(TokenResponse.normalize("text", { accessToken: "x" }, 0), "text")
    assert.strictEqual(TokenResponse.normalize(null, {}, 0), null)
  })

  it("property: any lifetime in milliseconds gives the same token as that lifetime in seconds", () =>
    FastCheck.assert(
      FastCheck.property(FastCheck.integer({ min: 1, max: 10_000_000 }), (seconds) => {
        const inSeconds = token({ access_token: "a", expires_in: seconds })
        const inMillis = token({ access_token: "a", expires_in: seconds * 1000 }, { expiresAs: "milliseconds" })
        const atInstant = token({ access_token: "a", exp: sentAt + seconds * 1000 }, {
          expiresIn: "exp",
          expiresAs: "epochMilliseconds"
        })
        return inSeconds.expiresAt === inMillis.expiresAt && inSeconds.expiresAt === atInstant.expiresAt
      })
    ))

  it("a shaped error is a TokenError like any other", () => {
    const error = malformed({ data: {} }, { accessToken: "data.token" })
    assert.isTrue(TokenError.isGrantflowError(error))
    assert.isFalse(error.retryable)
  })
})

describe("TokenResponse shapes: a provider's error codes", () => {
  const shape: TokenResponse.Shape = { errors: { invalid_refresh_token: "invalid_grant" } }

  it("renames a provider's code to RFC 6749's, keeping the provider's in the description", () => {
    assert.deepStrictEqual(TokenResponse.normalize({ ok: false, error: "invalid_refresh_token" }, shape, 0), {
      ok: false,
      error: "invalid_grant",
      error_description: "invalid_refresh_token"
    })
    assert.deepStrictEqual(
      TokenResponse.normalize({ error: "invalid_refresh_token", error_description: "expired" }, shape, 0),
      { error: "invalid_grant", error_description: "invalid_refresh_token: expired" }
    )
  })

  it("leaves other codes, and names that only look like keys of an object, as they are", () => {
    const body = { error: "toString" }
    assert.strictEqual(TokenResponse.normalize(body, shape, 0), body)
    const other = { error: "ratelimited" }
    assert.strictEqual(TokenResponse.normalize(other, shape, 0), other)
  })

  it("so that a refused refresh asks for re-authorization, as a standard server's does", () => {
    const decoded = TokenResponse.decode({ ok: false, error: "invalid_refresh_token" }, { status: 200, sentAt: 0, shape })
    assert.isTrue(Either.isLeft(decoded))
    const error = Either.getLeft(decoded).pipe(Option.getOrThrow)
    assert.instanceOf(error, TokenError.OAuthError)
    assert.strictEqual((error as TokenError.OAuthError).error, "invalid_grant")
  })
})

describe("TokenResponse shapes: an error code kept elsewhere than error", () => {
  const shape: TokenResponse.Shape = { error: "category", errors: { VALIDATION_ERROR: "invalid_grant" } }
  const refusal = { message: "Invalid input", correlationId: "c0ffee", category: "VALIDATION_ERROR" }

  it("reads the code at the shape's path and renames it", () => {
    const decoded = TokenResponse.decode(refusal, { status: 400, sentAt: 0, shape })
    const error = Either.getLeft(decoded).pipe(Option.getOrThrow)
    assert.instanceOf(error, TokenError.OAuthError)
    assert.strictEqual((error as TokenError.OAuthError).error, "invalid_grant")
    assert.strictEqual((error as TokenError.OAuthError).status, 400)
  })

  it("reads only the codes the shape renames there: another value is not an OAuth error", () => {
    const decoded = TokenResponse.decode({ ...refusal, category: "RATE_LIMITS" }, { status: 429, sentAt: 0, shape })
    assert.strictEqual(Either.getLeft(decoded).pipe(Option.getOrThrow)._tag, "EndpointUnavailable")
    // a success that happens to carry the field is a success
    const ok = TokenResponse.decode(
      { access_token: "a", token_type: "bearer", expires_in: 60, category: "x" },
      { status: 200, sentAt: 0, shape }
    )
    assert.isTrue(Either.isRight(ok))
  })

  it("still reads a top-level error", () => {
    const decoded = TokenResponse.decode({ error: "invalid_client" }, { status: 401, sentAt: 0, shape })
    assert.strictEqual((Either.getLeft(decoded).pipe(Option.getOrThrow) as TokenError.OAuthError).error, "invalid_client")
  })
})
