import { assert, describe, it } from "@effect/vitest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import { Duration, Effect, Either, FastCheck, Inspectable, Option, Redacted, Schema, TestClock } from "effect"
import type * as AccessToken from "../src/AccessToken.js"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import type * as TokenError from "../src/TokenError.js"
import * as TokenProvider from "../src/TokenProvider.js"
import * as TokenResponse from "../src/TokenResponse.js"
import { json, layerOf, makeRecorder } from "./routerClient.js"

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
): TokenError.MalformedResponse => {
  const error = failure(body)
  assert.strictEqual(error._tag, "MalformedResponse")
  const m = error as TokenError.MalformedResponse
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
      malformed({ error: { code: 5 } }, "error", "is not an error code (RFC 6749 §5.2: printable ASCII without quotes or backslashes)")
    })

    it("an error that is not of RFC 6749 §5.2's characters is no error code: a mangled body is not an OAuthError", () => {
      // a form body read from prose runs `error` into the fields after it, token included
      const body = Either.getOrThrow(
        TokenResponse.parseBody("text/html", `error="invalid_token"access_token=at_9f8e7d6c5b4a&scope=read`)
      )
      const error = failure(body)
      assert.strictEqual(error._tag, "MalformedResponse")
      assert.notInclude(error.message, "at_9f8e7d6c5b4a")
      assert.notInclude(JSON.stringify(error), "at_9f8e7d6c5b4a")
      for (const code of ["bad\\code", "tab\tcode", "ünicode"]) {
        assert.strictEqual(failure({ error: code })._tag, "MalformedResponse", code)
        assert.strictEqual(failure({ error: code }, { status: 400 })._tag, "EndpointUnavailable", code)
      }
      assert.strictEqual(failure({ error: "invalid_grant", error_description: "any \"text\" here" })._tag, "OAuthError")
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

    it("an error status without an OAuth error body is EndpointUnavailable", () => {
      for (const body of [{ message: "down" }, { error: { code: 1 } }, [], { access_token: "t" }]) {
        const error = failure(body, { status: 502 }) as TokenError.EndpointUnavailable
        assert.strictEqual(error._tag, "EndpointUnavailable")
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
    const error = (result as Either.Left<TokenError.MalformedResponse, unknown>).left
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

// ── hostile inputs (issue 12) ──────────────────────────────────────────────

const MiB = 1024 * 1024

/**
 * The result of `f`, asserting that the best of up to three runs took at most
 * `bound` milliseconds: the one place a time bound is asked for (every parser
 * answers any input up to its cap in well under 50 ms). Five tries keep a
 * busy machine from failing a linear parser; a super-linear one misses the
 * bound by orders of magnitude.
 */
const answersWithin = <A>(bound: number, f: () => A): A => {
  let best = Infinity
  let result!: A
  for (let attempt = 0; attempt < 5 && best > bound; attempt++) {
    const start = performance.now()
    result = f()
    best = Math.min(best, performance.now() - start)
  }
  assert.isAtMost(best, bound)
  return result
}

const timeBound = 50

const notVisibleReason = "contains a character other than printable ASCII (RFC 6749 Appendix A: VSCHAR)"
const typeReason = `contains a character other than letters, digits, "-", "." and "_" (RFC 6749 Appendix A)`

const parseAndDecode = (contentType: string, text: string) =>
  Either.flatMap(TokenResponse.parseBody(contentType, text), (body) => decode(body))

const malformedOf = (result: Either.Either<unknown, TokenError.TokenError>): TokenError.MalformedResponse => {
  assert.isTrue(Either.isLeft(result), "expected an error")
  const error = (result as Either.Left<TokenError.TokenError, unknown>).left
  assert.strictEqual(error._tag, "MalformedResponse")
  return error as TokenError.MalformedResponse
}

describe("hostile token responses", () => {
  describe("form-body sniffing is a linear scan", () => {
    const worst = "a=" + "&a=".repeat(28) + "<"
    const worse = "a=" + "&a=".repeat(32) + "<"

    it("the 87-byte and 99-byte bodies, and their 1 MiB variants, answer within the bound", () => {
      assert.deepStrictEqual([worst.length, worse.length], [87, 99])
      const huge = "a=" + "&a=".repeat(Math.floor((MiB - 3) / 3)) + "<"
      for (const body of [worst, worse, huge, "a".repeat(MiB) + "=<", "a=" + "b".repeat(MiB) + " c"]) {
        for (const type of ["text/plain", "text/html", undefined]) {
          const error = malformedOf(answersWithin(timeBound, () => TokenResponse.parseBody(type, body)))
          assert.strictEqual(error.field, "body")
          assert.include(error.reason, "is neither JSON nor form data")
        }
      }
    })

    it("still reads form data under a wrong content type, and only form data", () => {
      assert.deepStrictEqual(Either.getOrThrow(TokenResponse.parseBody("text/plain", "access_token=x&a.b~c-d_e=%20+")), {
        access_token: "x",
        "a.b~c-d_e": "  "
      })
      for (const text of ["=x", "a=b&", "a=b&&c=d", "a b=c", "a=b c", "a=<b>", "a=b\u0000", "ä=b", "a=é"]) {
        assert.isTrue(Either.isLeft(TokenResponse.parseBody("text/plain", text)), text)
      }
    })

    it("a form of more than 10,000 parameters is refused before it is read, within the bound", () => {
      const many = "a=" + "&a=".repeat(10_000)
      for (const type of ["application/x-www-form-urlencoded", "text/plain"]) {
        const error = malformedOf(answersWithin(timeBound, () => TokenResponse.parseBody(type, many)))
        assert.strictEqual(error.reason, "holds more than 10000 values")
      }
      const huge = "a=" + "&a=".repeat(MiB / 3)
      answersWithin(timeBound, () => TokenResponse.parseBody("application/x-www-form-urlencoded", huge))
      assert.isTrue(Either.isRight(TokenResponse.parseBody("text/plain", "a=1" + "&a=1".repeat(9_999))))
    })
  })

  describe("every string field is measured before it is matched", () => {
    it("expires_in: the 78 KiB body and 1 MiB variants are refused within the bound", () => {
      const digits = (n: number) => "1".repeat(n)
      const hostile = [
        `${digits(78 * 1024)}x`,
        `${digits(MiB)}x`,
        `${".1".repeat(MiB / 2)}x`,
        `1e${digits(MiB)}x`,
        `${digits(MiB / 2)}.${digits(MiB / 2)}e`
      ]
      for (const value of hostile) {
        const text = JSON.stringify({ access_token: "t", expires_in: value })
        const error = malformedOf(answersWithin(timeBound, () => parseAndDecode("application/json", text)))
        assert.strictEqual(error.field, "expires_in")
        assert.strictEqual(error.reason, "is longer than 32 characters")
        assert.isAtMost(error.message.length, 400)
      }
    })

    it("expires_in: a numeric string of 32 characters is still read", () => {
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: "0".repeat(28) + "3600" })), 3_600_000)
      malformed({ access_token: "t", expires_in: "0".repeat(29) + "3600" }, "expires_in", "is longer than 32 characters")
    })

    it("access_token and refresh_token: up to 16 KiB, a longer one is refused without being shown", () => {
      const longest = "t".repeat(TokenResponse.maxTokenLength)
      assert.strictEqual(Redacted.value(token({ access_token: longest }).token).length, 16 * 1024)
      const refreshed = token({ access_token: "t", refresh_token: longest })
      assert.strictEqual(Option.map(refreshed.refreshToken, (r) => Redacted.value(r).length).pipe(Option.getOrThrow), 16_384)
      const tooLong = `${longest}x`
      malformed({ access_token: tooLong }, "access_token", "is longer than 16384 characters", ["tttttttt"])
      malformed({ access_token: "t", refresh_token: tooLong }, "refresh_token", "is longer than 16384 characters", [
        "tttttttt"
      ])
      for (const field of ["access_token", "refresh_token"]) {
        const text = JSON.stringify({ access_token: "t", [field]: "k".repeat(MiB) })
        const error = malformedOf(answersWithin(timeBound, () => parseAndDecode("application/json", text)))
        assert.strictEqual(error.field, field)
      }
    })

    it("token_type and scope have caps too", () => {
      assert.strictEqual(token({ access_token: "t", token_type: "x".repeat(128) }).type, "x".repeat(128))
      malformed({ access_token: "t", token_type: "x".repeat(129) }, "token_type", "is longer than 128 characters")
      assert.lengthOf(token({ access_token: "t", scope: "abc ".repeat(4096) }).scopes, 4096)
      malformed({ access_token: "t", scope: "abc ".repeat(4096) + "d" }, "scope", "is longer than 16384 characters")
      malformed({ access_token: "t", scope: Array.from({ length: 9000 }, () => "ab") }, "scope", "is longer than 16384 characters")
      for (const scope of [" a".repeat(MiB / 2), Array.from({ length: 9_000 }, () => "a")]) {
        const text = JSON.stringify({ access_token: "t", scope })
        assert.strictEqual(malformedOf(answersWithin(timeBound, () => parseAndDecode("application/json", text))).field, "scope")
      }
    })
  })

  describe("deep or huge JSON is a typed error, never a throw", () => {
    const nested = (depth: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown => {
      let value = leaf
      for (let i = 0; i < depth; i++) value = wrap(value)
      return value
    }

    it("the 4.4 KB body of nested arrays or objects, as text", () => {
      const arrays = "[".repeat(2200) + "]".repeat(2200)
      const objects = `{"a":`.repeat(900) + "1" + "}".repeat(900)
      for (const text of [arrays, objects, `{"access_token":"t","scope":${arrays}}`, `{"access_token":"t","x":${objects}}`]) {
        for (const type of ["application/json", "text/plain", undefined]) {
          const error = malformedOf(answersWithin(timeBound, () => parseAndDecode(type ?? "", text)))
          assert.strictEqual(error.reason, "nests deeper than 64 levels")
        }
      }
    })

    it("an already-parsed deep value passed to decode", () => {
      for (const wrap of [(v: unknown) => [v], (v: unknown) => ({ a: v })]) {
        for (const field of ["scope", "access_token", "expires_in", "vendor"]) {
          const error = malformed({ access_token: "t", [field]: nested(5_000, "x", wrap) }, "body", "nests deeper than 64 levels")
          assert.strictEqual(error.excerpt, "")
          malformed({ access_token: "t", [field]: nested(100_000, "x", wrap) }, "body", "holds more than 10000 values")
        }
      }
      // 64 levels are fine
      assert.strictEqual(token({ access_token: "t", vendor: nested(62, 1, (v) => [v]) }).type, "Bearer")
    })

    it("a body of more than 10,000 values, parsed or not, within the bound", () => {
      const keys = Object.fromEntries(Array.from({ length: 65_536 }, (_, i) => [`k${i}`, i]))
      const bodies = [
        JSON.stringify({ access_token: "t", ...keys }),
        JSON.stringify({ access_token: "t", list: Array.from({ length: MiB / 4 }, () => 1) }),
        "[" + "{},".repeat(MiB / 3 - 1) + "{}]"
      ]
      for (const text of bodies) {
        const error = malformedOf(answersWithin(timeBound, () => parseAndDecode("application/json", text)))
        assert.strictEqual(error.reason, "holds more than 10000 values")
      }
      const parsed = { access_token: "t", ...keys }
      malformedOf(answersWithin(timeBound, () => decode(parsed)))
      // an error status says the endpoint failed, as for any body it cannot read
      assert.strictEqual(failure(parsed, { status: 503 })._tag, "EndpointUnavailable")
    })

    it("a cyclic value from a user is read or refused, never a stack overflow", () => {
      const cyclic: Record<string, unknown> = { access_token: "t" }
      cyclic["self"] = cyclic
      assert.strictEqual(Redacted.value(token(cyclic).token), "t")
      const broken: Record<string, unknown> = { access_token: "Q-cyc-tok", expires_in: "soon" }
      broken["self"] = { again: broken }
      malformed(broken, "expires_in", "is not a number of seconds", ["Q-cyc-tok"])
    })

    it("any 1 MiB JSON string body answers within the bound", () => {
      const text = JSON.stringify({ access_token: "t", vendor: "v".repeat(MiB) })
      assert.isTrue(Either.isRight(answersWithin(timeBound, () => parseAndDecode("application/json", text))))
      const broken = `{"access_token":"${"t".repeat(MiB)}`
      assert.strictEqual(malformedOf(answersWithin(timeBound, () => parseAndDecode("application/json", broken))).reason, "is not valid JSON")
    })
  })

  describe("tokens and types are made of RFC 6749's characters", () => {
    const controls = ["\u0000", "\n", "\r", "\t", "\u001b[31m", "\u007f", "\u0085", "\u2028", "é", "\u{1F511}"]

    it("a control or non-ASCII character inside access_token or refresh_token is refused, naming the field", () => {
      for (const bad of controls) {
        for (const field of ["access_token", "refresh_token"]) {
          const value = `Qsecret${bad}tok`
          const error = malformed({ access_token: "t", [field]: value }, field, notVisibleReason, ["Qsecret"])
          assert.notInclude(error.excerpt, "Qsecret")
        }
      }
    })

    it("a space is a VSCHAR; whitespace around the value is trimmed as before", () => {
      assert.strictEqual(Redacted.value(token({ access_token: "a b" }).token), "a b")
      assert.strictEqual(Redacted.value(token({ access_token: "\t ab \n" }).token), "ab")
    })

    it("token_type is letters, digits, '-', '.' and '_'", () => {
      for (const type of ["DPoP", "N_A", "Zoho-oauthtoken", "mac.v1", "Bearer"]) {
        assert.strictEqual(token({ access_token: "t", token_type: type }).type, type)
      }
      for (const type of ["Bea rer", "Bearer;", "Bearer\u0000", "Bearer\r\nX-Injected: 1", "Bearér"]) {
        malformed({ access_token: "t", token_type: type }, "token_type", typeReason)
      }
    })

    it("property: exactly the VSCHAR tokens are accepted, and a refused one is never shown", () => {
      const vschar = FastCheck.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))
      const other = FastCheck.oneof(
        FastCheck.integer({ min: 0, max: 0x1f }),
        FastCheck.integer({ min: 0x7f, max: 0xffff })
      ).map((c) => String.fromCharCode(c))
      const visible = FastCheck.array(vschar, { minLength: 1, maxLength: 30 }).map((cs) => `Q${cs.join("")}Q`)
      FastCheck.assert(
        FastCheck.property(visible, other, FastCheck.nat(31), (text, bad, at) => {
          assert.strictEqual(Redacted.value(token({ access_token: text }).token), text)
          // inside the token: whitespace around it is trimmed, not refused
          const cut = 1 + (at % (text.length - 1))
          const tainted = `${text.slice(0, cut)}${bad}${text.slice(cut)}`
          const error = failure({ access_token: tainted, expires_in: 60 })
          assert.strictEqual(error._tag, "MalformedResponse")
          assert.notInclude(rendered(error), tainted)
        })
      )
    })
  })

  describe("a token has a lifetime of at least one second", () => {
    it("a positive expires_in below it is raised to it; 0 still means the default", () => {
      for (const seconds of [0.0004, 0.001, "0.5", 1e-300]) {
        assert.strictEqual(lifetime(token({ access_token: "t", expires_in: seconds })), 1_000)
      }
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: 1.5 })), 1_500)
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: 0 })), 300_000)
      assert.strictEqual(Duration.toMillis(TokenResponse.minLifetime), 1_000)
    })

    it("a configured maximum below it still wins: it is the user's, not the server's", () => {
      assert.strictEqual(lifetime(token({ access_token: "t", expires_in: 0.0004 }, { maxLifetime: "500 millis" })), 500)
    })

    it.scoped("a provider served expires_in 0.0004 sends a few token requests a second, not one per call", () =>
      Effect.gen(function*() {
        const recorder = yield* makeRecorder
        const router = HttpRouter.empty.pipe(
          HttpRouter.post("/token", recorder.record((_, n) => json({ access_token: `at-${n}`, expires_in: 0.0004 })))
        )
        const provider = yield* TokenProvider.make(
          Grant.clientCredentials(Endpoint.make({ tokenUrl: "https://auth.example.com/token", auth: ClientAuth.none("c") }))
        ).pipe(Effect.provide(layerOf(router)))
        // 200 API calls over 2 seconds
        for (let call = 0; call < 200; call++) {
          yield* provider.get
          yield* TestClock.adjust("10 millis")
        }
        const requests = (yield* recorder.all).length
        // one token a second at most, each refreshed once in its window: before the floor, 200
        assert.isAtLeast(requests, 2)
        assert.isAtMost(requests, 6)
      }))
  })
})

describe("excerpts hide every string value of the response", () => {
  // upper-case Q: it occurs in no field name and no fixed text of a message
  const secret = FastCheck.stringMatching(/^[\dA-Z]{1,14}$/).map((s) => `Q${s}`)
  const name = FastCheck.stringMatching(/^[a-z][a-z_]{0,11}$/)

  it("a short token is hidden wherever it appears, by value, not by name", () => {
    // the failing field's value holds the token
    const inValue = malformed({ access_token: "Qk9", expires_in: "Qk9-soon" }, "expires_in", "is not a number of seconds", [
      "Qk9"
    ])
    assert.include(inValue.excerpt, `expires_in: "…-soon"`)
    // a key equal to a value
    assert.include(malformed({ access_token: "Qk8", expires_in: "x", Qk8: 1 }, "expires_in", "is not a number of seconds", ["Qk8"]).excerpt, "fields: access_token, expires_in, …")
    // an object or array is described, not shown
    const nested = malformed({ access_token: "t", scope: { grant: "Qk7" } }, "scope", "is not a space-separated string", ["Qk7"])
    assert.include(nested.excerpt, "scope: an object")
  })

  it("a shaped response: the token's path is never shown, and its value is hidden elsewhere", () => {
    const shaped = (body: unknown, shape: TokenResponse.Shape) =>
      malformedOf(TokenResponse.decode(body, { status: 200, sentAt, shape }))
    // a numeric token at a path whose name does not look secret
    const numeric = shaped({ result: 31415926 }, { accessToken: "result" })
    assert.strictEqual(numeric.field, "result")
    assert.notInclude(rendered(numeric), "31415926")
    const short = shaped({ data: { t: "Qsh0rt" }, ttl: "Qsh0rt" }, { accessToken: "data.t", expiresIn: "ttl" })
    assert.strictEqual(short.excerpt, `ttl: "…"; fields: data, ttl`)
    const refresh = shaped({ token: "t", renew: 42 }, { accessToken: "token", refreshToken: "renew" })
    assert.strictEqual(refresh.excerpt, "fields: token, renew")
  })

  it("a body that could not be parsed: every JSON string value and form value is hidden", () => {
    const cases = [
      `{"token": "Qtr1", "expires`,
      `{"data":{"t":"Qtr2"}, "x": 1,`,
      `{"a": "Qtr3`,
      `token=Qtr4 and more`,
      `{"key": "Qtr5\\" still", "n": 1`
    ]
    for (const text of cases) {
      const result = TokenResponse.parseBody("application/json", text)
      const error = malformedOf(result)
      assert.notMatch(error.excerpt, /Qtr/, text)
    }
    assert.strictEqual(malformedOf(TokenResponse.parseBody("application/json", `{"token": "Qtr1", "n": 1`)).excerpt, `{"token": "…", "n": 1`)
  })

  it("only the first kilobyte is read, and a word cut there is dropped whole", () => {
    const text = `{"x":1,${" ".repeat(1015)}Qcut0123456789 rest`
    const error = malformedOf(TokenResponse.parseBody("application/json", text))
    assert.notInclude(error.excerpt, "Qcut")
  })

  it("control characters in an excerpt are escaped", () => {
    const error = malformedOf(TokenResponse.parseBody("text/html", "<p>\u001b[31mred\u0007</p>"))
    assert.include(error.excerpt, "\\u001b[31mred\\u0007")
    assert.notInclude(error.message, "\u001b")
  })

  it("property: no short token shows in the excerpt of a decoded body, at any depth", () => {
    const value = (token: string) =>
      FastCheck.oneof(
        FastCheck.constant(token),
        FastCheck.dictionary(name, FastCheck.constant(token), { maxKeys: 2 }),
        FastCheck.array(FastCheck.constant(token), { maxLength: 2 })
      )
    const body = secret.chain((token) =>
      FastCheck.tuple(
        FastCheck.constant(token),
        FastCheck.dictionary(name, value(token), { maxKeys: 4 }),
        FastCheck.constantFrom<Record<string, unknown>>(
          { expires_in: "soon" },
          { expires_in: `${token}s` },
          { token_type: 7 },
          { scope: [token, 1] },
          { refresh_token: 1 },
          { error: { code: token } }
        )
      )
    )
    FastCheck.assert(
      FastCheck.property(body, FastCheck.boolean(), ([token, extra, bad], asAccess) => {
        const response = { ...extra, ...(asAccess ? { access_token: token } : { access_token: "t", other: token }), ...bad }
        const result = decode(response)
        if (Either.isLeft(result)) assert.notInclude(rendered(result.left), token)
      })
    )
  })

  it("property: no short token shows in the excerpt of a body cut anywhere", () => {
    FastCheck.assert(
      FastCheck.property(
        secret,
        FastCheck.dictionary(name, FastCheck.oneof(FastCheck.integer(), FastCheck.constant("x")), { maxKeys: 3 }),
        name,
        FastCheck.nat(),
        (token, extra, key, at) => {
          const text = JSON.stringify({ ...extra, [key]: token, ...extra })
          const cut = text.slice(0, 1 + (at % text.length))
          for (const type of ["application/json", "text/plain"]) {
            const result = TokenResponse.parseBody(type, cut)
            if (Either.isLeft(result)) assert.notInclude(rendered(result.left), token)
          }
        }
      )
    )
  })
})
