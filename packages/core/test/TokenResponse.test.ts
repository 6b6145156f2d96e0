import { assert, describe, it } from "@effect/vitest"
import { Duration, Either, FastCheck, Inspectable, Option, Redacted, Schema } from "effect"
import type * as AccessToken from "../src/AccessToken.js"
import type * as TokenError from "../src/TokenError.js"
import * as TokenResponse from "../src/TokenResponse.js"

const sentAt = 1_000_000

const decode = (body: unknown, options: Partial<TokenResponse.DecodeOptions> = {}) =>
  TokenResponse.decode(body, { status: 200, sentAt, ...options })

const token = (body: unknown, options: Partial<TokenResponse.DecodeOptions> = {}): AccessToken.AccessToken =>
  Either.getOrElse(decode(body, options), (error) => assert.fail(`expected a token, got ${error.message}`))

const failure = (body: unknown, options: Partial<TokenResponse.DecodeOptions> = {}): TokenError.TokenError =>
  Either.match(decode(body, options), {
    onLeft: (error) => error,
    onRight: () => assert.fail("expected an error, got a token")
  })

/** Everything a user could see of an error. */
const rendered = (error: TokenError.TokenError): string =>
  [error.message, JSON.stringify(error), Inspectable.format(error), String(error)].join("\n")

const malformed = (
  body: unknown,
  field: string,
  reason: string,
  secrets: ReadonlyArray<string> = []
): TokenError.MalformedTokenResponse => {
  const error = failure(body)
  assert.strictEqual(error._tag, "MalformedTokenResponse")
  const m = error as TokenError.MalformedTokenResponse
  assert.strictEqual(m.field, field)
  assert.strictEqual(m.reason, reason)
  assert.strictEqual(m.status, 200)
  assert.include(m.message, `\`${field}\` ${reason}`)
  for (const secret of secrets) assert.notInclude(rendered(m), secret)
  return m
}

const lifetime = (t: AccessToken.AccessToken) => t.expiresAt - t.issuedAt

describe("TokenResponse.decode", () => {
  it("decodes a standard response", () => {
    const t = token({
      access_token: "tok-abc",
      token_type: "Bearer",
      expires_in: 3600,
      scope: "read write",
      refresh_token: "rt-abc"
    })
    assert.strictEqual(Redacted.value(t.token), "tok-abc")
    assert.strictEqual(t.type, "Bearer")
    assert.strictEqual(t.issuedAt, sentAt)
    assert.strictEqual(t.expiresAt, sentAt + 3_600_000)
    assert.deepStrictEqual(t.scopes, ["read", "write"])
    assert.deepStrictEqual(Option.map(t.refreshToken, Redacted.value), Option.some("rt-abc"))
  })

  it("ignores unknown fields such as id_token", () => {
    const t = token({ access_token: "tok", expires_in: 60, id_token: "eyJ.x.y", ext_expires_in: 3600 })
    assert.strictEqual(lifetime(t), 60_000)
  })

  describe("access_token", () => {
    it("is trimmed", () => {
      assert.strictEqual(Redacted.value(token({ access_token: " tok-1\n" }).token), "tok-1")
    })

    it("empty or blank is an error, not a token", () => {
      malformed({ access_token: "", expires_in: 60 }, "access_token", "is empty")
      malformed({ access_token: " \t\n", expires_in: 60 }, "access_token", "is empty")
    })

    it("missing is an error", () => {
      const error = malformed({ token_type: "bearer", expires_in: 60 }, "access_token", "is missing")
      assert.strictEqual(error.excerpt, "fields: token_type, expires_in")
    })

    it("a refresh token without an access token is an error that does not show the refresh token", () => {
      const error = malformed(
        { refresh_token: "rt-very-secret", expires_in: 60 },
        "access_token",
        "is missing",
        ["rt-very-secret"]
      )
      assert.strictEqual(error.excerpt, "fields: refresh_token, expires_in")
    })

    it("a non-string token is an error that does not quote the value", () => {
      malformed({ access_token: 918273645 }, "access_token", "is not a string", ["918273645"])
      malformed({ access_token: { value: "tok-nested" } }, "access_token", "is not a string", ["tok-nested"])
      malformed({ access_token: null }, "access_token", "is not a string")
    })
  })

  describe("token_type", () => {
    it("any case of bearer becomes Bearer", () => {
      for (const type of ["bearer", "BEARER", "BeArEr", " bearer "]) {
        assert.strictEqual(token({ access_token: "t", token_type: type }).type, "Bearer")
      }
    })

    it("missing, null or blank means Bearer", () => {
      assert.strictEqual(token({ access_token: "t" }).type, "Bearer")
      assert.strictEqual(token({ access_token: "t", token_type: null }).type, "Bearer")
      assert.strictEqual(token({ access_token: "t", token_type: "" }).type, "Bearer")
    })

    it("other types are kept as sent", () => {
      assert.strictEqual(token({ access_token: "t", token_type: "DPoP" }).type, "DPoP")
      assert.strictEqual(token({ access_token: "t", token_type: "N_A" }).type, "N_A")
    })

    it("a non-string type is an error", () => {
      const error = malformed({ access_token: "tok-xyz", token_type: 42 }, "token_type", "is not a string", ["tok-xyz"])
      assert.strictEqual(error.excerpt, "token_type: 42; fields: access_token, token_type")
    })
  })

  describe("expires_in", () => {
    it("a number of seconds", () => {
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: 3599 })), 3_599_000)
    })

    it("a numeric string", () => {
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: "3600" })), 3_600_000)
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: " 7200 " })), 7_200_000)
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: "1.5" })), 1_500)
    })

    it("missing, null, blank or 0 gives the default lifetime of 5 minutes", () => {
      for (const body of [{}, { expires_in: null }, { expires_in: 0 }, { expires_in: "0" }, { expires_in: "" }]) {
        assert.strictEqual(lifetime(token({ access_token: "t", ...body })), 300_000)
      }
    })

    it("the default lifetime is configurable", () => {
      assert.strictEqual(lifetime(token({ access_token: "t" }, { defaultLifetime: "1 minute" })), 60_000)
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: 0 }, { defaultLifetime: 10_000 })), 10_000)
    })

    it("absurd values are clamped to the maximum lifetime, 365 days unless set", () => {
      const year = Duration.toMillis(Duration.days(365))
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: 1e12 })), year)
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: "1e999" })), year)
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: 7200 }, { maxLifetime: "1 hour" })), 3_600_000)
      // the default lifetime is bounded too
      assert.strictEqual(
        lifetime(token({ access_token: "t" }, { defaultLifetime: "1 hour", maxLifetime: "10 minutes" })),
        600_000
      )
    })

    it("negative is an error that shows the value", () => {
      const error = malformed({ access_token: "tok-neg", expires_in: -1 }, "expires_in", "is negative", ["tok-neg"])
      assert.strictEqual(error.excerpt, "expires_in: -1; fields: access_token, expires_in")
      malformed({ access_token: "t", expires_in: "-3600" }, "expires_in", "is negative")
    })

    it("non-numeric is an error", () => {
      const error = malformed({ access_token: "t", expires_in: "soon" }, "expires_in", "is not a number of seconds")
      assert.include(error.excerpt, `expires_in: "soon"`)
      malformed({ access_token: "t", expires_in: "0x10" }, "expires_in", "is not a number of seconds")
      malformed({ access_token: "t", expires_in: "3600s" }, "expires_in", "is not a number of seconds")
      malformed({ access_token: "t", expires_in: true }, "expires_in", "is not a number of seconds")
      malformed({ access_token: "t", expires_in: NaN }, "expires_in", "is not a number of seconds")
      malformed({ access_token: "t", expires_in: "NaN" }, "expires_in", "is not a number of seconds")
    })
  })

  describe("scope", () => {
    it("a space-separated string becomes an array", () => {
      assert.deepStrictEqual(token({ access_token: "t", scope: "a  b\tc " }).scopes, ["a", "b", "c"])
    })

    it("missing, null or empty means []", () => {
      assert.deepStrictEqual(token({ access_token: "t" }).scopes, [])
      assert.deepStrictEqual(token({ access_token: "t", scope: null }).scopes, [])
      assert.deepStrictEqual(token({ access_token: "t", scope: "" }).scopes, [])
    })

    it("an array of strings is accepted", () => {
      assert.deepStrictEqual(token({ access_token: "t", scope: ["a", "b"] }).scopes, ["a", "b"])
    })

    it("anything else is an error", () => {
      malformed({ access_token: "t", scope: 7 }, "scope", "is not a space-separated string")
      malformed({ access_token: "t", scope: ["a", 1] }, "scope", "is not a space-separated string")
    })
  })

  describe("refresh_token", () => {
    it("missing, null, empty or blank means none", () => {
      for (const body of [{}, { refresh_token: null }, { refresh_token: "" }, { refresh_token: "  " }]) {
        assert.isTrue(Option.isNone(token({ access_token: "t", ...body }).refreshToken))
      }
    })

    it("a non-string refresh token is an error that does not show it", () => {
      const error = malformed({ access_token: "t", refresh_token: 123456789 }, "refresh_token", "is not a string", [
        "123456789"
      ])
      assert.strictEqual(error.excerpt, "fields: access_token, refresh_token")
    })
  })

  describe("the body", () => {
    it("must be an object", () => {
      assert.strictEqual(malformed([], "body", "is not a JSON object or form data").excerpt, "a JSON array")
      assert.strictEqual(malformed("tok-raw", "body", "is not a JSON object or form data", ["tok-raw"]).excerpt, "a JSON string")
      assert.strictEqual(malformed(null, "body", "is not a JSON object or form data").excerpt, "null")
    })

    it("the excerpt never shows id_token or other secret-looking fields", () => {
      const error = malformed(
        { access_token: "", id_token: "eyJhbGciOiJub25lIn0.e30.", client_secret: "cs-1" },
        "access_token",
        "is empty",
        ["eyJhbGciOiJub25lIn0", "cs-1"]
      )
      assert.strictEqual(error.excerpt, "fields: access_token, id_token, client_secret")
    })
  })

  describe("error responses", () => {
    it("a 2xx response with an error field is an OAuthError", () => {
      const error = failure({ error: "invalid_scope", error_description: "no such scope", error_uri: "https://e/x" })
      assert.strictEqual(error._tag, "OAuthError")
      const e = error as TokenError.OAuthError
      assert.strictEqual(e.status, 200)
      assert.strictEqual(e.error, "invalid_scope")
      assert.deepStrictEqual(e.description, Option.some("no such scope"))
      assert.deepStrictEqual(e.uri, Option.some("https://e/x"))
      assert.isFalse(e.retryable)
    })

    it("an error field wins over an access token", () => {
      assert.strictEqual(failure({ error: "server_error", access_token: "t" })._tag, "OAuthError")
    })

    it("a null or empty error field is ignored", () => {
      assert.strictEqual(Redacted.value(token({ error: null, access_token: "t" }).token), "t")
      assert.strictEqual(Redacted.value(token({ error: "", access_token: "t" }).token), "t")
    })

    it("a non-string error in a 2xx response is malformed", () => {
      malformed({ error: { code: 5 } }, "error", "is not a string")
    })

    it("an error status with an OAuth error body is an OAuthError with the Retry-After", () => {
      const error = failure(
        { error: "temporarily_unavailable", error_description: 5 },
        { status: 503, retryAfter: Option.some(Duration.seconds(7)) }
      ) as TokenError.OAuthError
      assert.strictEqual(error._tag, "OAuthError")
      assert.strictEqual(error.status, 503)
      assert.isTrue(Option.isNone(error.description))
      assert.deepStrictEqual(error.retryAfter, Option.some(Duration.seconds(7)))
      assert.isTrue(error.retryable)
    })

    it("an error status without an OAuth error body is TokenEndpointUnavailable", () => {
      for (const body of [{ message: "down" }, { error: { code: 1 } }, [], { access_token: "t" }]) {
        const error = failure(body, { status: 502 }) as TokenError.TokenEndpointUnavailable
        assert.strictEqual(error._tag, "TokenEndpointUnavailable")
        assert.strictEqual(error.reason, "Status")
        assert.deepStrictEqual(error.status, Option.some(502))
      }
    })
  })

  it("never shows the access token in an error, whatever else is wrong (property)", () => {
    const secret = FastCheck.stringMatching(/^[\w.~+/-]{1,40}$/).map((s) => `tok_${s}`)
    const bad = FastCheck.constantFrom<Record<string, unknown>>(
      { expires_in: -5 },
      { expires_in: "soon" },
      { token_type: 1 },
      { scope: 2 },
      { refresh_token: 3 },
      { error: "invalid_client" },
      { error: 4 }
    )
    FastCheck.assert(
      FastCheck.property(secret, bad, FastCheck.boolean(), (value, extra, asRefresh) => {
        const body = asRefresh ? { ...extra, refresh_token: value } : { access_token: value, ...extra }
        const result = decode(body)
        if (Either.isLeft(result)) assert.notInclude(rendered(result.left), value)
      })
    )
  })

  it("the Success schema decodes and encodes", () => {
    const decoded = Schema.decodeUnknownSync(TokenResponse.Success)({
      access_token: "abc",
      token_type: "bearer",
      expires_in: "60",
      scope: "a b"
    })
    assert.strictEqual(decoded.tokenType, "Bearer")
    assert.deepStrictEqual(decoded.expiresIn, Option.some(60))
    assert.deepStrictEqual(Schema.encodeSync(TokenResponse.Success)(decoded), {
      access_token: "abc",
      token_type: "Bearer",
      expires_in: 60,
      scope: "a b",
      refresh_token: undefined
    })
  })
})

describe("TokenResponse.parseBody", () => {
  const parsed = (contentType: string | undefined, text: string) =>
    Either.getOrElse(TokenResponse.parseBody(contentType, text), (error) => assert.fail(error.message))

  const bodyError = (contentType: string | undefined, text: string, secrets: ReadonlyArray<string> = []) => {
    const result = TokenResponse.parseBody(contentType, text, 200)
    assert.isTrue(Either.isLeft(result))
    const error = (result as Either.Left<TokenError.MalformedTokenResponse, unknown>).left
    assert.strictEqual(error.field, "body")
    assert.isAtMost(error.excerpt.length, 80)
    for (const secret of secrets) assert.notInclude(rendered(error), secret)
    return error
  }

  it("reads JSON, with or without parameters in the content type", () => {
    assert.deepStrictEqual(parsed("application/json", `{"access_token":"t"}`), { access_token: "t" })
    assert.deepStrictEqual(parsed("application/json; charset=utf-8", ` {"a":1} `), { a: 1 })
    assert.deepStrictEqual(parsed(undefined, `{"a":1}`), { a: 1 })
  })

  it("reads form encoding, as old GitHub sent it", () => {
    const body = parsed("application/x-www-form-urlencoded", "access_token=gho_16C7e42F&scope=repo%20gist&token_type=bearer")
    assert.deepStrictEqual(body, { access_token: "gho_16C7e42F", scope: "repo gist", token_type: "bearer" })
    const t = Either.getOrThrow(TokenResponse.decode(body, { status: 200, sentAt: 0 }))
    assert.deepStrictEqual([t.type, t.scopes], ["Bearer", ["repo", "gist"]])
  })

  it("reads form data or JSON under a wrong content type", () => {
    assert.deepStrictEqual(parsed("text/plain", "access_token=abc&expires_in=60"), {
      access_token: "abc",
      expires_in: "60"
    })
    assert.deepStrictEqual(parsed("text/html", `{"access_token":"abc"}`), { access_token: "abc" })
    assert.deepStrictEqual(parsed("application/x-www-form-urlencoded", `{"access_token":"abc"}`), {
      access_token: "abc"
    })
  })

  it("an empty body is malformed", () => {
    assert.strictEqual(bodyError("application/json", "").reason, "is empty")
    assert.strictEqual(bodyError(undefined, " \n ").reason, "is empty")
  })

  it("an HTML page is malformed, with a short excerpt", () => {
    const page = `<!DOCTYPE html>\n<html>\n  <head><title>502 Bad Gateway</title></head>\n  <body>${"x ".repeat(200)}</body></html>`
    const error = bodyError("text/html; charset=utf-8", page)
    assert.strictEqual(error.reason, "is neither JSON nor form data (content type: text/html)")
    assert.isTrue(error.excerpt.startsWith("<!DOCTYPE html> <html> <head><title>502 Bad Gateway</title></head>"))
    assert.isTrue(error.excerpt.endsWith("…"))
  })

  it("broken JSON is malformed, and the excerpt hides token values", () => {
    const error = bodyError("application/json", `{"access_token": "abc123", "refresh_token": 'r9'`, ["abc123", "r9"])
    assert.strictEqual(error.reason, "is not valid JSON")
    assert.include(error.excerpt, `"access_token": "…"`)
  })

  it("the excerpt hides long token-like runs such as JWTs", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
    const error = bodyError("text/plain", `Your token is ${jwt} enjoy`, ["eyJhbGciOiJIUzI1NiJ9", "c2lnbmF0dXJl"])
    assert.strictEqual(error.excerpt, "Your token is … enjoy")
  })

  it("no body excerpt ever contains a token assigned in it (property)", () => {
    const secret = FastCheck.stringMatching(/^[\w-]{1,60}$/).map((s) => `tk${s}`)
    const layout = FastCheck.constantFrom(
      (v: string) => `{"access_token": "${v}", oops`,
      (v: string) => `<p>refresh_token=${v}</p> failed`,
      (v: string) => `id_token: ${v}; broken`
    )
    FastCheck.assert(
      FastCheck.property(secret, layout, FastCheck.constantFrom("application/json", "text/plain"), (v, make, type) => {
        const result = TokenResponse.parseBody(type, make(v))
        if (Either.isLeft(result)) assert.notInclude(result.left.excerpt, v)
      })
    )
  })
})
