import { assert, describe, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { ConfigProvider, Duration, Effect, Either, Exit, Option, Redacted } from "effect"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import * as retryAfter from "../src/internal/retryAfter.js"
import * as tokenRequest from "../src/internal/tokenRequest.js"
import type * as TokenError from "../src/TokenError.js"

const auth = ClientAuth.clientSecretBasic("id", Redacted.make("secret"))

const urlError = (url: string | URL, allowInsecure = false) =>
  Either.match(Endpoint.url(Endpoint.make({ tokenUrl: url, allowInsecure }), "token"), {
    onLeft: (error) => error.reason,
    onRight: () => undefined
  })

describe("token URL checks", () => {
  it("accepts https: anywhere", () => {
    assert.isUndefined(urlError("https://auth.example.com/oauth/token?tenant=1"))
    assert.isUndefined(urlError(new URL("https://10.0.0.1:8443/token")))
  })

  it("accepts plain http: for loopback hosts only", () => {
    for (const url of ["http://127.0.0.1:8080/token", "http://127.1.2.3/token", "http://[::1]:9000/t", "http://localhost/t", "http://LOCALHOST/t"]) {
      assert.isUndefined(urlError(url), url)
    }
    for (const url of ["http://auth.example.com/token", "http://128.0.0.1/t", "http://localhost.example.com/t", "http://[::2]/t", "http://10.0.0.1/t"]) {
      assert.include(urlError(url), "must use https:", url)
    }
  })

  it("allowInsecure permits plain http: anywhere", () => {
    assert.isUndefined(urlError("http://auth.internal/token", true))
  })

  it("rejects other schemes, relative URLs, fragments and credentials, without quoting the URL", () => {
    assert.include(urlError("ftp://auth.example.com/token"), "it uses ftp:")
    assert.include(urlError("/oauth/token"), "not an absolute URL")
    assert.include(urlError("my-client-secret-pasted-here"), "not an absolute URL")
    assert.notInclude(urlError("my-client-secret-pasted-here"), "pasted")
    assert.include(urlError("https://auth.example.com/token#x"), "fragment")
    assert.include(urlError("https://user:pw@auth.example.com/token"), "credentials")
    assert.notInclude(urlError("https://user:pw@auth.example.com/token"), "pw")
  })
})

describe("Grant.clientCredentials", () => {
  const failure = (endpoint: Endpoint.Endpoint, options?: Grant.ClientCredentialsOptions) =>
    Grant.clientCredentials(endpoint, options).pipe(Effect.flip, Effect.provide(FetchHttpClient.layer))

  it.effect("refuses an insecure token URL before sending anything", () =>
    Effect.gen(function*() {
      const error = yield* failure(Endpoint.make({ tokenUrl: "http://auth.example.com/token", auth }))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.isFalse(error.retryable)
      assert.include(error.message, "https:")
    }))

  it.effect("extraParams cannot override the grant type or the client authentication", () =>
    Effect.gen(function*() {
      const endpoint = Endpoint.make({ tokenUrl: "https://auth.example.com/token", auth })
      for (const key of ["grant_type", "client_id", "client_secret", "client_assertion"]) {
        const error = yield* failure(endpoint, { extraParams: { [key]: "x" } })
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        assert.include(error.message, `"${key}"`)
      }
    }))
})

describe("Grant.clientCredentialsConfig", () => {
  const load = (
    entries: ReadonlyArray<readonly [string, string]>,
    options?: Grant.ClientCredentialsConfigOptions
  ) =>
    Effect.exit(Grant.clientCredentialsConfig(options)).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries), { pathDelim: "_" }))
    )

  const valid = [
    ["TOKEN_URL", "https://auth.example.com/token"],
    ["CLIENT_ID", "id"],
    ["CLIENT_SECRET", "secret-from-env"]
  ] as const

  it.effect("yields the fetch from valid configuration", () =>
    Effect.gen(function*() {
      const exit = yield* load(valid)
      assert.isTrue(Exit.isSuccess(exit) && Effect.isEffect(exit.value))
    }))

  it.effect("reads the names under a prefix", () =>
    Effect.gen(function*() {
      assert.isTrue(Exit.isSuccess(yield* load(valid.map(([k, v]) => [`CRM_${k}`, v] as const), { prefix: "CRM" })))
      const exit = yield* load(valid, { prefix: "CRM" })
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "CRM")
    }))

  it.effect("a missing client secret is a configuration error", () =>
    Effect.gen(function*() {
      const exit = yield* load(valid.filter(([k]) => k !== "CLIENT_SECRET"))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "CLIENT_SECRET")
    }))

  it.effect("an unknown AUTH_METHOD is a configuration error", () =>
    Effect.gen(function*() {
      const exit = yield* load([...valid, ["AUTH_METHOD", "private_key_jwt"]])
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "AUTH_METHOD")
      assert.isTrue(Exit.isSuccess(yield* load([...valid, ["AUTH_METHOD", "client_secret_post"]])))
    }))

  it.effect("an insecure TOKEN_URL fails when the configuration is read, unless allowed", () =>
    Effect.gen(function*() {
      const insecure = [["TOKEN_URL", "http://auth.example.com/token"], ...valid.slice(1)] as const
      const exit = yield* load(insecure)
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "must use https:")
      assert.include(String(exit), "TOKEN_URL")
      assert.isTrue(Exit.isSuccess(yield* load(insecure, { allowInsecure: true })))
    }))

  it.effect("configuration errors never show the client secret", () =>
    Effect.gen(function*() {
      const exit = yield* load([["TOKEN_URL", "nope"], ["CLIENT_ID", "id"], ["CLIENT_SECRET", "secret-from-env"]])
      assert.isTrue(Exit.isFailure(exit))
      assert.notInclude(String(exit), "secret-from-env")
    }))
})

describe("Retry-After", () => {
  const now = Date.parse("Sun, 06 Nov 1994 08:49:37 GMT")

  it("reads delay-seconds", () => {
    assert.deepStrictEqual(retryAfter.parse("120", now), Option.some(Duration.seconds(120)))
    assert.deepStrictEqual(retryAfter.parse(" 0 ", now), Option.some(Duration.seconds(0)))
  })

  it("reads an HTTP-date relative to now", () => {
    assert.deepStrictEqual(retryAfter.parse("Sun, 06 Nov 1994 08:51:37 GMT", now), Option.some(Duration.millis(120_000)))
    // the obsolete RFC 850 form
    assert.deepStrictEqual(retryAfter.parse("Sunday, 06-Nov-94 08:50:37 GMT", now), Option.some(Duration.millis(60_000)))
  })

  it("a date in the past means now", () => {
    assert.deepStrictEqual(retryAfter.parse("Sat, 05 Nov 1994 08:49:37 GMT", now), Option.some(Duration.millis(0)))
  })

  it("ignores anything else", () => {
    for (const value of [undefined, "", "soon", "-5", "1.5", "5 minutes", "2024-01-01T00:00:00Z"]) {
      assert.isTrue(Option.isNone(retryAfter.parse(value, now)), String(value))
    }
  })
})

describe("interpreting token endpoint responses", () => {
  const interpret = (response: Partial<tokenRequest.RawResponse> & { readonly status: number }) =>
    tokenRequest.interpret(
      { contentType: "application/json", body: Option.none(), retryAfter: Option.none(), ...response },
      { sentAt: 0 }
    )
  const error = (response: Partial<tokenRequest.RawResponse> & { readonly status: number }): TokenError.TokenError =>
    Either.match(interpret(response), { onLeft: (e) => e, onRight: () => assert.fail("expected an error") })

  it("200 with a token", () => {
    const result = interpret({ status: 200, body: Option.some(`{"access_token":"t","expires_in":60}`) })
    assert.strictEqual(Either.getOrThrow(result).expiresAt, 60_000)
  })

  it("an oversized 2xx body is malformed; an oversized error body is a status error", () => {
    const malformed = error({ status: 200 }) as TokenError.MalformedResponse
    assert.deepStrictEqual([malformed._tag, malformed.field, malformed.reason], [
      "MalformedResponse",
      "body",
      "is larger than 1 MiB"
    ])
    assert.strictEqual(error({ status: 500 })._tag, "EndpointUnavailable")
  })

  it("a 503 gateway page is EndpointUnavailable with the Retry-After", () => {
    const e = error({
      status: 503,
      contentType: "text/html",
      body: Option.some("<html><body>Service Unavailable</body></html>"),
      retryAfter: Option.some(Duration.seconds(30))
    }) as TokenError.EndpointUnavailable
    assert.strictEqual(e._tag, "EndpointUnavailable")
    assert.strictEqual(e.reason, "Status")
    assert.deepStrictEqual(e.status, Option.some(503))
    assert.deepStrictEqual(e.retryAfter, Option.some(Duration.seconds(30)))
    assert.isTrue(e.retryable)
  })

  it("a 400 OAuth error is an OAuthError that is not retried", () => {
    const e = error({
      status: 400,
      body: Option.some(`{"error":"invalid_client","error_description":"Client authentication failed"}`)
    }) as TokenError.OAuthError
    assert.deepStrictEqual([e._tag, e.status, e.error], ["OAuthError", 400, "invalid_client"])
    assert.isFalse(e.retryable)
  })

  it("a 429 OAuth error carries the Retry-After", () => {
    const e = error({
      status: 429,
      body: Option.some(`{"error":"slow_down"}`),
      retryAfter: Option.some(Duration.seconds(5))
    }) as TokenError.OAuthError
    assert.deepStrictEqual(e.retryAfter, Option.some(Duration.seconds(5)))
    assert.isTrue(e.retryable)
  })

  it("a 200 HTML page is malformed", () => {
    const e = error({ status: 200, contentType: "text/html", body: Option.some("<html>login</html>") })
    assert.strictEqual(e._tag, "MalformedResponse")
  })
})
