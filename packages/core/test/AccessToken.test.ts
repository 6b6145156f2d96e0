import { assert, describe, it } from "@effect/vitest"
import { Inspectable, Option, Redacted } from "effect"
import * as AccessToken from "../src/AccessToken.js"

const make = (issuedAt: number, expiresAt: number, value = "secret-token-value") =>
  new AccessToken.AccessToken({
    token: Redacted.make(value),
    type: "Bearer",
    issuedAt,
    expiresAt,
    scopes: ["read"],
    refreshToken: Option.some(Redacted.make("secret-refresh-value"))
  })

const window: AccessToken.RefreshWindow = { skew: "60 seconds", maxWindowFraction: 0.5 }

describe("AccessToken", () => {
  it("freshness: fresh until the window, stale inside it, expired at expiry", () => {
    const token = make(1_000, 601_000)
    assert.strictEqual(AccessToken.freshness(token, 1_000, window), "Fresh")
    assert.strictEqual(AccessToken.freshness(token, 540_999, window), "Fresh")
    assert.strictEqual(AccessToken.freshness(token, 541_000, window), "Stale")
    assert.strictEqual(AccessToken.freshness(token, 600_999, window), "Stale")
    assert.strictEqual(AccessToken.freshness(token, 601_000, window), "Expired")
  })

  it("the window is the skew bounded by a fraction of the lifetime, never negative", () => {
    assert.strictEqual(AccessToken.windowMillis(make(0, 600_000), window), 60_000)
    assert.strictEqual(AccessToken.windowMillis(make(0, 30_000), window), 15_000)
    assert.strictEqual(AccessToken.windowMillis(make(0, 30_000), { skew: 0, maxWindowFraction: 0.5 }), 0)
    // a token that claims to expire before it was issued has no window
    assert.strictEqual(AccessToken.windowMillis(make(10_000, 0), window), 0)
    assert.strictEqual(AccessToken.freshness(make(10_000, 0), 10_000, window), "Expired")
  })

  it("the skew can never be applied backwards: a token is never fresh after the window opened", () => {
    for (const lifetime of [1, 2, 999, 1_000, 59_999, 120_000, 3_600_000]) {
      const token = make(0, lifetime)
      const start = lifetime - AccessToken.windowMillis(token, window)
      assert.isTrue(start <= lifetime)
      if (start > 0) assert.strictEqual(AccessToken.freshness(token, start - 1, window), "Fresh")
      assert.notStrictEqual(AccessToken.freshness(token, start, window), "Fresh")
    }
  })

  it("never shows the token or the refresh token when printed", () => {
    const token = make(0, 1)
    for (const text of [String(token), JSON.stringify(token), Inspectable.format(token), `${token.token}`]) {
      assert.notInclude(text, "secret-token-value")
      assert.notInclude(text, "secret-refresh-value")
    }
  })

  it("authorizationHeader and sameToken", () => {
    const token = make(0, 1, "abc")
    assert.strictEqual(Redacted.value(AccessToken.authorizationHeader(token)), "Bearer abc")
    assert.isTrue(AccessToken.sameToken(token, make(5, 6, "abc")))
    assert.isFalse(AccessToken.sameToken(token, make(0, 1, "abd")))
  })
})
