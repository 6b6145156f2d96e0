import { assert, describe, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Effect, Either, Exit, FastCheck, Inspectable, Option, Redacted } from "effect"
import * as AuthorizationCode from "../src/AuthorizationCode.js"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import { adversarial, timeBoundMs, timed } from "./hostile.js"

const unreserved = /^[\w\-.~]+$/
const base64Url = /^[\w-]+$/

const startOptions: AuthorizationCode.StartOptions = {
  authorizeUrl: "https://auth.example.com/authorize",
  clientId: "my-client",
  redirectUri: "https://app.example.com/callback"
}

const pending = new AuthorizationCode.Pending({
  clientId: "my-client",
  redirectUri: "https://app.example.com/callback",
  state: "state-123",
  verifier: Option.some(Redacted.make("v".repeat(43))),
  nonce: Option.none()
})

const code = "SplxlOBeZQQYbYS6WxSbIA-code"

const rejected = (
  received: URL | URLSearchParams | Record<string, string>,
  options?: AuthorizationCode.CallbackOptions
): AuthorizationCode.AuthorizationError =>
  Either.match(AuthorizationCode.callback(pending, received, options), {
    onLeft: (error) => error,
    onRight: () => assert.fail("expected the callback to be rejected")
  })

const accepted = (
  received: URL | URLSearchParams | Record<string, string>,
  options?: AuthorizationCode.CallbackOptions
): AuthorizationCode.CallbackResult =>
  Either.match(AuthorizationCode.callback(pending, received, options), {
    onLeft: (error) => assert.fail(`expected the callback to be accepted: ${error.message}`),
    onRight: (result) => result
  })

const reason = (error: AuthorizationCode.AuthorizationError) =>
  error._tag === "InvalidCallback" ? error.reason : error._tag

describe("PKCE", () => {
  it.effect("S256 gives the challenge of RFC 7636 Appendix B", () =>
    Effect.gen(function*() {
      const verifier = Redacted.make("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
      assert.strictEqual(yield* AuthorizationCode.challenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
      assert.strictEqual(
        yield* AuthorizationCode.challenge(verifier, "S256"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
      )
    }))

  it.effect("plain is the verifier itself", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* AuthorizationCode.challenge(Redacted.make("abc~._-XYZ"), "plain"), "abc~._-XYZ")
    }))

  it.effect("a verifier has the length asked for, 43 to 128, from the unreserved characters", () =>
    Effect.gen(function*() {
      const byDefault = Redacted.value(yield* AuthorizationCode.generateVerifier())
      assert.strictEqual(byDefault.length, 64)
      assert.match(byDefault, unreserved)
      for (let length = 43; length <= 128; length++) {
        const verifier = Redacted.value(yield* AuthorizationCode.generateVerifier(length))
        assert.strictEqual(verifier.length, length)
        assert.match(verifier, unreserved)
      }
    }))

  it.effect("verifiers are random and use the whole alphabet", () =>
    Effect.gen(function*() {
      const seen = new Set<string>()
      const characters = new Set<string>()
      for (let i = 0; i < 200; i++) {
        const verifier = Redacted.value(yield* AuthorizationCode.generateVerifier(128))
        seen.add(verifier)
        for (const character of verifier) characters.add(character)
      }
      assert.strictEqual(seen.size, 200)
      // 25,600 draws from 66 characters: each one shows up
      assert.strictEqual(characters.size, 66)
    }))

  it.effect("a length outside 43–128 is a defect", () =>
    Effect.gen(function*() {
      for (const length of [42, 129, 50.5]) {
        const exit = yield* Effect.exit(AuthorizationCode.generateVerifier(length))
        assert.isTrue(Exit.isFailure(exit) && Exit.causeOption(exit).pipe(Option.exists((cause) => cause._tag === "Die")))
      }
    }))
})

describe("AuthorizationCode.start", () => {
  it.effect("builds the URL with every parameter, encoded, after the endpoint's own query", () =>
    Effect.gen(function*() {
      const { pending, url } = yield* AuthorizationCode.start({
        authorizeUrl: "https://auth.example.com/o/authorize?tenant=a%20b",
        clientId: "my client",
        redirectUri: "https://app.example.com/cb?x=1&y=2",
        scopes: ["openid", "read:all", ""],
        state: "s 1&x=é",
        nonce: true,
        extraParams: { access_type: "offline", prompt: "consent" }
      })
      assert.strictEqual(`${url.origin}${url.pathname}`, "https://auth.example.com/o/authorize")
      const challenge = yield* AuthorizationCode.challenge(Option.getOrThrow(pending.verifier))
      const nonce = Option.getOrThrow(pending.nonce)
      assert.deepStrictEqual([...url.searchParams], [
        ["tenant", "a b"],
        ["response_type", "code"],
        ["client_id", "my client"],
        ["redirect_uri", "https://app.example.com/cb?x=1&y=2"],
        ["scope", "openid read:all"],
        ["state", "s 1&x=é"],
        ["code_challenge", challenge],
        ["code_challenge_method", "S256"],
        ["nonce", nonce],
        ["access_type", "offline"],
        ["prompt", "consent"]
      ])
      // form encoding, as RFC 6749 Appendix B asks
      assert.include(url.search, "client_id=my+client")
      assert.include(url.search, "redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Fx%3D1%26y%3D2")
      assert.include(url.search, "scope=openid+read%3Aall")
      assert.include(url.search, "state=s+1%26x%3D%C3%A9")
      assert.match(nonce, base64Url)
      assert.strictEqual(pending.state, "s 1&x=é")
      assert.strictEqual(pending.clientId, "my client")
      assert.strictEqual(pending.redirectUri, "https://app.example.com/cb?x=1&y=2")
    }))

  it.effect("by default: a random state, an S256 challenge, no nonce and no scope", () =>
    Effect.gen(function*() {
      const first = yield* AuthorizationCode.start(startOptions)
      const second = yield* AuthorizationCode.start(startOptions)
      const params = Object.fromEntries(first.url.searchParams)
      assert.deepStrictEqual(Object.keys(params), [
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method"
      ])
      assert.strictEqual(params["code_challenge_method"], "S256")
      assert.strictEqual(params["state"], first.pending.state)
      // 32 random bytes, base64url
      assert.match(first.pending.state, base64Url)
      assert.strictEqual(first.pending.state.length, 43)
      assert.notStrictEqual(first.pending.state, second.pending.state)
      const verifier = Redacted.value(Option.getOrThrow(first.pending.verifier))
      assert.strictEqual(verifier.length, 64)
      assert.notStrictEqual(verifier, Redacted.value(Option.getOrThrow(second.pending.verifier)))
      assert.strictEqual(params["code_challenge"], yield* AuthorizationCode.challenge(Redacted.make(verifier)))
      assert.isTrue(Option.isNone(first.pending.nonce))
      // the verifier never leaves the pending authorization in clear
      assert.notInclude(first.url.href, verifier)
      assert.notInclude(Inspectable.format(first.pending), verifier)
      assert.notInclude(JSON.stringify(first.pending), verifier)
    }))

  it.effect("plain PKCE only when asked, and none with pkce: false", () =>
    Effect.gen(function*() {
      const plain = yield* AuthorizationCode.start({ ...startOptions, pkce: "plain" })
      assert.strictEqual(plain.url.searchParams.get("code_challenge_method"), "plain")
      assert.strictEqual(
        plain.url.searchParams.get("code_challenge"),
        Redacted.value(Option.getOrThrow(plain.pending.verifier))
      )
      const none = yield* AuthorizationCode.start({ ...startOptions, pkce: false })
      assert.isFalse(none.url.searchParams.has("code_challenge"))
      assert.isFalse(none.url.searchParams.has("code_challenge_method"))
      assert.isTrue(Option.isNone(none.pending.verifier))
    }))

  it.effect("a loopback authorization URL may use http:", () =>
    Effect.gen(function*() {
      const { url } = yield* AuthorizationCode.start({ ...startOptions, authorizeUrl: "http://127.0.0.1:8080/authorize" })
      assert.strictEqual(url.protocol, "http:")
    }))

  it.effect("refuses unusable options", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Partial<AuthorizationCode.StartOptions>, string]> = [
        [{ authorizeUrl: "http://auth.example.com/authorize" }, "must use https:"],
        [{ authorizeUrl: "/authorize" }, "not an absolute URL"],
        [{ authorizeUrl: "ftp://auth.example.com/authorize" }, "it uses ftp:"],
        [{ authorizeUrl: "https://auth.example.com/authorize#x" }, "fragment"],
        [{ authorizeUrl: "https://me:pw@auth.example.com/authorize" }, "must not contain credentials"],
        [{ redirectUri: "/callback" }, "redirect URI is not an absolute URI"],
        [{ redirectUri: "https://app.example.com/callback#x" }, "redirect URI must not contain a fragment"],
        [{ clientId: "" }, "client id is empty"],
        [{ state: "" }, "state is empty"],
        [{ extraParams: { state: "mine" } }, `extraParams cannot set "state"`],
        [{ extraParams: { code_challenge: "x" } }, `extraParams cannot set "code_challenge"`],
        [{ authorizeUrl: "https://auth.example.com/authorize?scope=a" }, `query already has "scope"`],
        [
          { authorizeUrl: "https://auth.example.com/authorize?prompt=login", extraParams: { prompt: "consent" } },
          `query already has "prompt"`
        ]
      ]
      for (const [options, expected] of cases) {
        const error = yield* Effect.flip(AuthorizationCode.start({ ...startOptions, ...options }))
        assert.strictEqual(error._tag, "InvalidAuthorizationRequest")
        assert.include(error.message, expected, JSON.stringify(options))
      }
    }))
})

describe("AuthorizationCode.callback", () => {
  it("accepts the code and state from a URL, URLSearchParams or a record, ignoring unknown parameters", () => {
    const inputs = [
      new URL(`https://app.example.com/callback?code=${code}&state=state-123&session_state=x&foo=1&foo=2`),
      new URLSearchParams({ code, state: "state-123", scope: "openid" }),
      { code, state: "state-123", authuser: "0" }
    ]
    for (const input of inputs) {
      const result = accepted(input)
      assert.deepStrictEqual(Option.map(result.code, Redacted.value), Option.some(code))
      assert.strictEqual(result.state, "state-123")
      assert.isTrue(Option.isNone(result.issuer))
    }
  })

  it("the code is never shown", () => {
    const result = accepted({ code, state: "state-123" })
    for (const text of [String(result), Inspectable.format(result), JSON.stringify(result)]) {
      assert.notInclude(text, code)
    }
  })

  it("rejects a missing or empty state", () => {
    assert.strictEqual(reason(rejected({ code })), "StateMissing")
    assert.strictEqual(reason(rejected({ code, state: "" })), "StateMissing")
  })

  it("rejects a state that is not the one sent", () => {
    const error = rejected({ code, state: "state-124" })
    assert.strictEqual(reason(error), "StateMismatch")
    assert.include(error.message, "start the authorization again")
  })

  it("checks the state before reporting an error, which may be forged", () => {
    assert.strictEqual(reason(rejected({ error: "access_denied", state: "forged" })), "StateMismatch")
  })

  it("keeps the server's error, description and URI in the error's fields", () => {
    const error = rejected({
      error: "access_denied",
      error_description: "The user denied access",
      error_uri: "https://auth.example.com/errors/denied",
      state: "state-123"
    })
    assert.strictEqual(error._tag, "AuthorizationFailed")
    if (error._tag === "AuthorizationFailed") {
      assert.strictEqual(error.error, "access_denied")
      assert.deepStrictEqual(error.description, Option.some("The user denied access"))
      assert.deepStrictEqual(error.uri, Option.some("https://auth.example.com/errors/denied"))
      assert.include(error.message, `"access_denied"`)
      assert.include(error.message, "declined")
    }
    const other = rejected({ error: "invalid_scope", state: "state-123" })
    assert.strictEqual(other._tag, "AuthorizationFailed")
    assert.include(other.message, "check the authorization request")
  })

  it("the message names a registered error code only, and quotes no description or URI", () => {
    const hostile = "line\r\nfake log line \u001b[31m<script>"
    const errors = [
      rejected({ error: "server_error", error_description: hostile, error_uri: hostile, state: "state-123" }),
      rejected({ error: hostile, error_description: "call +1 555 0100", state: "state-123" }),
      rejected({ error: "x".repeat(5000), state: "state-123" })
    ]
    for (const error of errors) {
      assert.strictEqual(error._tag, "AuthorizationFailed")
      for (const echoed of ["fake log line", "<script", "555", "xxx"]) assert.notInclude(error.message, echoed)
      assert.isBelow(error.message.length, 300)
    }
    assert.include(errors[0]!.message, `"server_error"`)
    assert.include(errors[1]!.message, "an error code that is not a registered one")
  })

  it("refuses a query longer than maxCallbackLength, before reading it, in every form", () => {
    const head = "state=state-123&code="
    const filler = (length: number) => `${head}${"c".repeat(length - head.length)}`
    const atCap = filler(AuthorizationCode.maxCallbackLength)
    const overCap = filler(AuthorizationCode.maxCallbackLength + 1)
    const forms = (query: string) => [
      new URL(`https://app.example.com/callback?${query}`),
      new URLSearchParams(query),
      Object.fromEntries(new URLSearchParams(query))
    ]
    for (const input of forms(atCap)) assert.strictEqual(Redacted.value(Option.getOrThrow(accepted(input).code)).length, atCap.length - head.length)
    for (const input of forms(overCap)) {
      const error = rejected(input)
      assert.strictEqual(reason(error), "TooLong")
      assert.include(error.message, `${AuthorizationCode.maxCallbackLength} characters`)
      assert.notInclude(error.message, "ccc")
    }
    // many parameters, none of them known, count too
    assert.strictEqual(reason(rejected(new URLSearchParams(`${"a=&".repeat(3000)}state=state-123&code=c`))), "TooLong")
  })

  it.prop(
    "answers any query up to the cap within the time bound, quoting nothing of it",
    [FastCheck.oneof(adversarial(AuthorizationCode.maxCallbackLength - 16), FastCheck.string({ maxLength: 2000 }))],
    ([text]) => {
      for (const query of [text, `state=state-123&${text}`, `code=${text}&state=state-123`]) {
        const { ms, result } = timed(() => [
          AuthorizationCode.callback(pending, new URL(`https://app.example.com/callback?${query}`), { issuer: "https://a" }),
          AuthorizationCode.callback(pending, new URLSearchParams(query))
        ])
        assert.isAtMost(ms, timeBoundMs, `${ms.toFixed(1)} ms on ${query.length} chars`)
        for (const answer of result) {
          if (Either.isLeft(answer) && answer.left._tag === "InvalidCallback" && text.length > 24) {
            assert.notInclude(answer.left.message, text)
          }
        }
      }
    },
    { fastCheck: { numRuns: 100, seed: 6 } }
  )

  it("an error wins over a code that comes with it", () => {
    assert.strictEqual(reason(rejected({ error: "access_denied", code, state: "state-123" })), "AuthorizationFailed")
  })

  it("checks iss against the issuer when present (RFC 9207)", () => {
    const issuer = "https://auth.example.com"
    assert.strictEqual(
      reason(rejected({ code, state: "state-123", iss: "https://evil.example.com" }, { issuer })),
      "IssuerMismatch"
    )
    // the comparison is a simple string comparison (RFC 9207 §2.4)
    assert.strictEqual(reason(rejected({ code, state: "state-123", iss: `${issuer}/` }, { issuer })), "IssuerMismatch")
    const result = accepted({ code, state: "state-123", iss: issuer }, { issuer })
    assert.deepStrictEqual(result.issuer, Option.some(issuer))
    // an error response is checked too: it may come from the wrong server
    assert.strictEqual(
      reason(rejected({ error: "access_denied", state: "state-123", iss: "https://evil.example.com" }, { issuer })),
      "IssuerMismatch"
    )
  })

  it("requires iss when the server advertises it, and only then", () => {
    const issuer = "https://auth.example.com"
    assert.strictEqual(reason(rejected({ code, state: "state-123" }, { issuer, issuerRequired: true })), "IssuerMissing")
    accepted({ code, state: "state-123" }, { issuer })
    // without an expected issuer there is nothing to compare with
    const result = accepted({ code, state: "state-123", iss: "https://any.example.com" })
    assert.deepStrictEqual(result.issuer, Option.some("https://any.example.com"))
  })

  it("rejects a missing code, unless withoutCode", () => {
    assert.strictEqual(reason(rejected({ state: "state-123" })), "CodeMissing")
    assert.strictEqual(reason(rejected({ state: "state-123", code: "" })), "CodeMissing")
    const result = accepted({ state: "state-123" }, { withoutCode: true })
    assert.isTrue(Option.isNone(result.code))
  })

  it("rejects duplicated parameters of the response", () => {
    for (const query of [`code=a&code=b&state=state-123`, `code=a&state=state-123&state=state-123`, `code=a&state=state-123&iss=x&iss=x`]) {
      const error = rejected(new URL(`https://app.example.com/callback?${query}`))
      assert.strictEqual(reason(error), "DuplicateParameter")
      if (error._tag === "InvalidCallback") assert.include(["code", "state", "iss"], error.parameter)
      assert.notInclude(error.message, "state-123")
    }
  })

  it("no message quotes the code or the state", () => {
    const errors = [
      rejected({ code, state: "state-124" }),
      rejected({ code }),
      rejected({ code, state: "state-123", iss: "x" }, { issuer: "y" }),
      rejected(new URLSearchParams([["code", code], ["code", code], ["state", "state-123"]]))
    ]
    for (const error of errors) {
      for (const text of [error.message, String(error), JSON.stringify(error)]) {
        assert.notInclude(text, code)
        assert.notInclude(text, "state-12")
      }
    }
  })
})

describe("AuthorizationCode.exchange", () => {
  const result = new AuthorizationCode.CallbackResult({
    code: Option.some(Redacted.make(code)),
    state: "state-123",
    issuer: Option.none()
  })
  const endpointFor = (clientId: string) =>
    Endpoint.make({ tokenUrl: "https://auth.example.com/token", auth: ClientAuth.none(clientId) })

  it.effect("refuses a client authentication for another client", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AuthorizationCode.exchange(endpointFor("other-client"), pending, result))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.include(error.message, "client id")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("refuses an endpoint without client authentication", () =>
    Effect.gen(function*() {
      const endpoint = Endpoint.make({ tokenUrl: "https://auth.example.com/token" })
      const error = yield* Effect.flip(AuthorizationCode.exchange(endpoint, pending, result))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.include(error.message, "ClientAuth.none(clientId)")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("refuses the result of another pending authorization", () =>
    Effect.gen(function*() {
      const other = new AuthorizationCode.CallbackResult({ ...result, state: "state-999" })
      const error = yield* Effect.flip(AuthorizationCode.exchange(endpointFor("my-client"), pending, other))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.include(error.message, "another pending authorization")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("refuses an insecure token URL without using the code up", () =>
    Effect.gen(function*() {
      const exchange = AuthorizationCode.exchange(
        Endpoint.make({ tokenUrl: "http://auth.example.com/token", auth: ClientAuth.none("my-client") }),
        pending,
        result
      )
      for (let i = 0; i < 2; i++) {
        const error = yield* Effect.flip(exchange)
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        assert.include(error.message, "must use https:")
      }
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})
