import { assert, describe, it } from "@effect/vitest"
import { Either, Option } from "effect"
import * as TokenError from "../src/TokenError.js"
import * as TokenResponse from "../src/TokenResponse.js"

const oauthError = (fields: { error: string; description?: string; status?: number }) =>
  new TokenError.OAuthError({
    endpoint: "token",
    status: fields.status ?? 400,
    error: fields.error,
    description: Option.fromNullable(fields.description),
    uri: Option.none(),
    retryAfter: Option.none()
  })

/** Whether `text` holds a character that forges log lines or rewrites a terminal. */
const forges = (text: string): boolean =>
  Array.from(text).some((c) => {
    const code = c.codePointAt(0)!
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 ||
      (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)
  })

describe("server text in error messages", () => {
  const hostile = "invalid_grant\n2026-12-03T13:00:00Z INFO login ok user=admin\u001b[2K\u001b[1A\u202e"

  it("OAuthError: control characters are escaped visibly; the fields keep the server's text", () => {
    const error = oauthError({ error: hostile, description: "line one\r\nline two\u0007" })
    assert.isFalse(forges(error.message))
    assert.include(error.message, `"invalid_grant\\n2026-12-03T13:00:00Z INFO login ok user=admin\\u001b[2K\\u001b[1A\\u202e"`)
    assert.include(error.message, ": line one\\r\\nline two\\u0007")
    assert.strictEqual(error.error, hostile)
    assert.deepStrictEqual(error.description, Option.some("line one\r\nline two\u0007"))
  })

  it("OAuthError: each field is cut to 200 characters, with an ellipsis", () => {
    const error = oauthError({ error: "e".repeat(5000), description: "d".repeat(1_000_000) })
    assert.include(error.message, `"${"e".repeat(199)}…"`)
    assert.include(error.message, `: ${"d".repeat(199)}…`)
    assert.notInclude(error.message, "e".repeat(200))
    assert.isBelow(error.message.length, 600)
    // escapes count towards the bound, and are never cut in half
    const escaped = oauthError({ error: "\n".repeat(150) }).message
    assert.include(escaped, `"${"\\n".repeat(99)}…"`)
  })

  it("the errors that embed an OAuthError's text escape and bound it too", () => {
    const cause = oauthError({ error: hostile, description: `${"x".repeat(300)}\u001b[31m` })
    const errors = [
      new TokenError.ReauthorizationRequired({ cause }),
      new TokenError.CodeExchangeFailed({ cause }),
      new TokenError.OAuthError({ ...cause, endpoint: "deviceAuthorization" }),
      new TokenError.DeviceAccessDenied({ cause }),
      new TokenError.DeviceCodeExpired({ reason: "ExpiredToken", cause })
    ]
    for (const error of errors) {
      assert.isFalse(forges(error.message), error._tag)
      assert.isBelow(error.message.length, 700, error._tag)
    }
    assert.include(new TokenError.ReauthorizationRequired({ cause }).message, `(${"x".repeat(199)}…)`)
  })

  it("MalformedResponse: the field, the reason and the excerpt are escaped", () => {
    const error = new TokenError.MalformedResponse({
      endpoint: "token",
      status: 200,
      field: "data\n.token",
      reason: "is empty",
      excerpt: "\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007"
    })
    assert.isFalse(forges(error.message))
    assert.include(error.message, "`data\\n.token` is empty")
    assert.isFalse(forges(new TokenError.CodeExchangeFailed({ cause: error }).message))
  })

  it("a content type in a parse failure is escaped and bounded", () => {
    const result = TokenResponse.parseBody(`text/evil\u001b[31m${"x".repeat(500)}`, "<html>")
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.isFalse(forges(result.left.message))
      assert.include(result.left.reason, "text/evil\\u001b[31m")
      assert.isBelow(result.left.reason.length, 150)
    }
  })

  it("from the wire: a token endpoint's error body reaches the message escaped", () => {
    const result = TokenResponse.decode(
      { error: "invalid_request", error_description: "\u001b[31mall good\u001b[0m" },
      { status: 400, sentAt: 0 }
    )
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.strictEqual(result.left._tag, "OAuthError")
      assert.isFalse(forges(result.left.message))
      assert.include(result.left.message, "\\u001b[31mall good\\u001b[0m")
    }
    // an error code outside RFC 6749 §5.2's characters is no OAuth error at all
    const forged = TokenResponse.decode({ error: hostile }, { status: 400, sentAt: 0 })
    assert.isTrue(Either.isLeft(forged) && forged.left._tag === "EndpointUnavailable")
    if (Either.isLeft(forged)) assert.isFalse(forges(forged.left.message))
  })
})
