import { assert, describe, it } from "@effect/vitest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import {
  Clock,
  ConfigProvider,
  Effect,
  Either,
  Exit,
  FastCheck,
  Fiber,
  Layer,
  Option,
  Redacted,
  Ref,
  TestClock
} from "effect"
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose"
import { ClientAuth, Endpoint, Grant, TokenError, TokenProvider } from "@grantflow/core"
import { json, layerOf, makeRecorder } from "../../core/test/routerClient.js"
import * as TokenVerifier from "../src/TokenVerifier.js"

const issuer = "https://auth.example.com"
const audience = "https://orders.example.com"

const first = await generateKeyPair("RS256")
const second = await generateKeyPair("RS256")
const stranger = await generateKeyPair("RS256")
const published = async (key: CryptoKey, kid: string): Promise<JWK> => ({
  ...(await exportJWK(key)),
  kid,
  alg: "RS256",
  use: "sig"
})
const firstJwk = await published(first.publicKey, "k1")
const secondJwk = await published(second.publicKey, "k2")
const firstPem = await exportSPKI(first.publicKey)

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")

/** Claims of a token the issuer signs now (from `Clock`), five minutes long; `overrides` may drop any with `undefined`. */
const sign = (
  overrides: Record<string, unknown> = {},
  header: { readonly kid?: string; readonly typ?: string } = {},
  key: CryptoKey = first.privateKey
) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const seconds = Math.floor(now / 1000)
    return Effect.promise(() =>
      new SignJWT({
        iss: issuer,
        aud: audience,
        sub: "user-1",
        client_id: "orders-app",
        scope: "orders.read orders.write",
        iat: seconds,
        exp: seconds + 300,
        jti: "jti-1",
        ...overrides
      }).setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: "k1", ...header }).sign(key)
    ).pipe(Effect.map(Redacted.make))
  })

interface Issuer {
  readonly keys: Ref.Ref<ReadonlyArray<JWK>>
  readonly jwksStatus: Ref.Ref<number>
  readonly jwksFetches: Effect.Effect<number>
}

/** An issuer whose metadata and JWKS (`keys`, answered with `jwksStatus`) an in-memory client reaches. */
const withIssuer = <A, E, R>(body: (issuer: Issuer) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const recorder = yield* makeRecorder
    const keys = yield* Ref.make<ReadonlyArray<JWK>>([firstJwk])
    const jwksStatus = yield* Ref.make(200)
    const router = HttpRouter.empty.pipe(
      HttpRouter.get(
        "/.well-known/oauth-authorization-server",
        recorder.record(() => json({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` }))
      ),
      HttpRouter.get(
        "/jwks",
        recorder.record(() =>
          Effect.flatMap(
            Effect.zip(Ref.get(jwksStatus), Ref.get(keys)),
            ([status, keys]) => status === 200 ? json({ keys }) : json({ error: "unavailable" }, status)
          )
        )
      )
    )
    return yield* body({
      keys,
      jwksStatus,
      jwksFetches: Effect.map(recorder.at("/jwks"), (all) => all.length)
    }).pipe(Effect.provide(layerOf(router)))
  })

const jwtVerifier = (options: Partial<TokenVerifier.JwtOptions> = {}) => TokenVerifier.jwt({ issuer, audience, ...options })

const reason = <A>(effect: Effect.Effect<A, TokenVerifier.VerificationError>) =>
  Effect.map(Effect.flip(effect), (error) => error._tag === "VerificationFailed" ? error.reason : error._tag)

describe("TokenVerifier.VerificationFailed", () => {
  it("is a grantflow error, never retryable, whose description names no token", () => {
    const error = new TokenVerifier.VerificationFailed({ reason: "Expired" })
    assert.isTrue(TokenError.isGrantflowError(error))
    assert.isTrue(TokenError.TypeId in error)
    assert.isFalse(TokenError.isRetryable(error))
    assert.isFalse(error.retryable)
    assert.strictEqual(error.description, "The access token expired")
    assert.strictEqual(error.message, "the access token was refused: it expired")
  })
})

describe("TokenVerifier.decodeUnverified", () => {
  it.effect("reads the header and claims of a signed token, and never its signature", () =>
    Effect.gen(function*() {
      const token = Redacted.value(yield* sign())
      const decoded = TokenVerifier.decodeUnverified(token)
      assert.isTrue(Either.isRight(decoded))
      if (Either.isRight(decoded)) {
        assert.deepStrictEqual(decoded.right.header, { alg: "RS256", typ: "at+jwt", kid: "k1" })
        assert.strictEqual(decoded.right.claims["sub"], "user-1")
        assert.notInclude(JSON.stringify(decoded.right), token.split(".")[2]!)
      }
    }))

  it("says why a value is not a JWT, without quoting it", () => {
    const header = b64({ alg: "RS256" })
    const claims = b64({ sub: "user-1" })
    const cases: ReadonlyArray<readonly [string, TokenVerifier.DecodeFailure]> = [
      ["opaque-secret-value", { _tag: "Parts", count: 1 }],
      [`${header}.${claims}`, { _tag: "Parts", count: 2 }],
      [`${header}.${claims}.c2ln.x.y`, { _tag: "Parts", count: 5 }],
      [`${header}.${claims}.a.b.c.d.e`, { _tag: "Parts", count: 6 }],
      [`${header}.${claims}+.c2ln`, { _tag: "Encoding", part: "payload" }],
      // "c2" decodes as "cw" does: its spare low bits are not zero
      [`${header}.${claims}.c2`, { _tag: "Encoding", part: "signature" }],
      [`${b64([1])}.${claims}.c2ln`, { _tag: "NotJson", part: "header" }],
      [`${header}.${Buffer.from("{").toString("base64url")}.c2ln`, { _tag: "NotJson", part: "payload" }],
      [`${header}.${claims}.${"A".repeat(100)}`, { _tag: "TooLong", maxLength: 64 }]
    ]
    for (const [value, failure] of cases) {
      const decoded = TokenVerifier.decodeUnverified(value, { maxTokenLength: failure._tag === "TooLong" ? 64 : 1024 })
      assert.deepStrictEqual(decoded, Either.left(failure), value)
      const reason = TokenVerifier.describeDecodeFailure(failure)
      assert.notInclude(reason, "opaque-secret-value")
    }
    assert.strictEqual(
      TokenVerifier.describeDecodeFailure({ _tag: "Encoding", part: "payload" }),
      "is not a JWT: its payload is not base64url"
    )
  })
})

describe("TokenVerifier.staticToken", () => {
  it.effect("accepts the current and the previous token, with the configured scopes, and nothing else", () =>
    Effect.gen(function*() {
      const verifier = yield* TokenVerifier.staticToken({
        current: Redacted.make("current-secret"),
        previous: Redacted.make("previous-secret"),
        scopes: ["webhooks"],
        subject: "payments-webhook"
      })
      const accepted = yield* verifier.verify(Redacted.make("current-secret"))
      assert.deepStrictEqual(accepted.scopes, ["webhooks"])
      assert.deepStrictEqual(accepted.subject, Option.some("payments-webhook"))
      yield* verifier.verify(Redacted.make("previous-secret"))
      for (const wrong of ["current-secre", "current-secrets", "Current-secret", "", "previous-secret "]) {
        const error = yield* Effect.flip(verifier.verify(Redacted.make(wrong)))
        assert.strictEqual(error._tag === "VerificationFailed" && error.reason, "Mismatch")
        assert.notInclude(String(error), "secret")
      }
    }))

  it.effect("reads TOKEN and PREVIOUS_TOKEN from the configuration, and refuses an empty token", () =>
    Effect.gen(function*() {
      const fromMap = (entries: Record<string, string>) =>
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries)), { pathDelim: "_" }))
      const verify = (entries: Record<string, string>, token: string) =>
        Effect.gen(function*() {
          const make = yield* TokenVerifier.staticTokenConfig({ prefix: "WEBHOOK" })
          const verifier = yield* make
          return yield* Effect.either(verifier.verify(Redacted.make(token)))
        }).pipe(fromMap(entries))

      const rotated = { WEBHOOK_TOKEN: "new", WEBHOOK_PREVIOUS_TOKEN: "old" }
      assert.isTrue((yield* verify(rotated, "new"))._tag === "Right")
      assert.isTrue((yield* verify(rotated, "old"))._tag === "Right")
      assert.isTrue((yield* verify({ WEBHOOK_TOKEN: "new" }, "old"))._tag === "Left")
      const empty = yield* Effect.exit(verify({ WEBHOOK_TOKEN: "" }, ""))
      assert.isTrue(Exit.isFailure(empty))
    }))
})

describe("TokenVerifier.jwt", () => {
  it.effect("accepts a valid RFC 9068 token, its keys found through the issuer's metadata", () =>
    withIssuer(({ jwksFetches }) =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier()
        const token = yield* verifier.verify(yield* sign())
        assert.deepStrictEqual(token.subject, Option.some("user-1"))
        assert.deepStrictEqual(token.clientId, Option.some("orders-app"))
        assert.deepStrictEqual(token.scopes, ["orders.read", "orders.write"])
        assert.deepStrictEqual(token.audience, [audience])
        assert.deepStrictEqual(token.expiresAt, Option.some(300_000))
        // a second token: the keys are kept
        yield* verifier.verify(yield* sign({ sub: "user-2" }))
        assert.strictEqual(yield* jwksFetches, 1)
      })))

  it.effect("refuses an expired token once the clock tolerance has passed", () =>
    withIssuer(() =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier({ clockTolerance: "30 seconds" })
        const token = yield* sign()
        yield* TestClock.adjust("320 seconds")
        yield* verifier.verify(token)
        yield* TestClock.adjust("20 seconds")
        assert.strictEqual(yield* reason(verifier.verify(token)), "Expired")
      })))

  it.effect("refuses a token that is not valid yet (nbf or iat ahead of the clock)", () =>
    withIssuer(() =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier({ clockTolerance: "5 seconds" })
        const notBefore = yield* sign({ nbf: 120 })
        const issuedLater = yield* sign({ iat: 120 })
        assert.strictEqual(yield* reason(verifier.verify(notBefore)), "NotYetValid")
        assert.strictEqual(yield* reason(verifier.verify(issuedLater)), "NotYetValid")
        yield* TestClock.adjust("116 seconds")
        yield* verifier.verify(notBefore)
        yield* verifier.verify(issuedLater)
      })))

  it.effect("refuses another issuer, another audience, a missing exp and another typ", () =>
    withIssuer(() =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier()
        assert.strictEqual(yield* reason(verifier.verify(yield* sign({ iss: "https://evil.example.com" }))), "Issuer")
        assert.strictEqual(yield* reason(verifier.verify(yield* sign({ aud: "https://billing.example.com" }))), "Audience")
        yield* verifier.verify(yield* sign({ aud: ["https://billing.example.com", audience] }))
        assert.strictEqual(yield* reason(verifier.verify(yield* sign({ exp: undefined }))), "Malformed")
        assert.strictEqual(yield* reason(verifier.verify(yield* sign({}, { typ: "JWT" }))), "Type")
        const lenient = yield* jwtVerifier({ requireAtJwtType: false })
        yield* lenient.verify(yield* sign({}, { typ: "JWT" }))
      })))

  it.effect("refuses alg none and an HMAC signed with the public key, without fetching keys", () =>
    withIssuer(({ jwksFetches }) =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier()
        const payload = b64({ iss: issuer, aud: audience, sub: "admin", exp: 600, scope: "orders.write" })
        const unsigned = Redacted.make(`${b64({ alg: "none", typ: "at+jwt", kid: "k1" })}.${payload}.`)
        assert.strictEqual(yield* reason(verifier.verify(unsigned)), "Algorithm")
        const none = Redacted.make(`${b64({ alg: "none", typ: "at+jwt", kid: "k1" })}.${payload}.AA`)
        assert.strictEqual(yield* reason(verifier.verify(none)), "Algorithm")
        // the classic confusion: the RSA public key, as the server publishes it, used as an HMAC secret
        for (const secret of [firstPem, JSON.stringify(firstJwk)]) {
          const forged = yield* Effect.promise(() =>
            new SignJWT({ iss: issuer, aud: audience, sub: "admin", exp: 600 })
              .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: "k1" })
              .sign(new TextEncoder().encode(secret))
          )
          assert.strictEqual(yield* reason(verifier.verify(Redacted.make(forged))), "Algorithm")
        }
        assert.strictEqual(yield* jwksFetches, 0)
        const hmac = yield* Effect.exit(jwtVerifier({ algorithms: ["HS256" as TokenVerifier.Algorithm] }))
        assert.isTrue(Exit.isFailure(hmac))
      })))

  it.effect("refuses a tampered payload and a signature by a key the issuer does not hold", () =>
    withIssuer(() =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier()
        const [header, , signature] = Redacted.value(yield* sign({ scope: "orders.read" })).split(".")
        const escalated = b64({ iss: issuer, aud: audience, sub: "user-1", exp: 300, scope: "orders.read admin" })
        assert.strictEqual(yield* reason(verifier.verify(Redacted.make(`${header}.${escalated}.${signature}`))), "Signature")
        assert.strictEqual(yield* reason(verifier.verify(yield* sign({}, {}, stranger.privateKey))), "Signature")
        assert.strictEqual(yield* reason(verifier.verify(Redacted.make("not-a-jwt"))), "Malformed")
      })))

  it.effect("fetches the keys again for an unknown kid, at most once per cool-down", () =>
    withIssuer(({ jwksFetches, keys }) =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier({ jwksCoolDown: "30 seconds" })
        yield* verifier.verify(yield* sign())
        // the issuer rotates: a new key, published next to the old one
        yield* Ref.set(keys, [firstJwk, secondJwk])
        const rotated = yield* sign({}, { kid: "k2" }, second.privateKey)
        assert.strictEqual(yield* reason(verifier.verify(rotated)), "UnknownKey")
        assert.strictEqual(yield* jwksFetches, 1)

        yield* TestClock.adjust("31 seconds")
        // many requests with the new kid at once: one fetch
        yield* Effect.all(Array.from({ length: 5 }, () => verifier.verify(rotated)), { concurrency: "unbounded" })
        assert.strictEqual(yield* jwksFetches, 2)
        yield* verifier.verify(yield* sign())

        // made-up kids cannot make the verifier hammer the issuer: one fetch per cool-down
        const madeUp = Effect.forEach(["x1", "x2", "x3"], (kid) =>
          Effect.flatMap(sign({}, { kid }), (token) =>
            Effect.map(reason(verifier.verify(token)), (why) => assert.strictEqual(why, "UnknownKey"))))
        yield* madeUp
        assert.strictEqual(yield* jwksFetches, 2)
        yield* TestClock.adjust("31 seconds")
        yield* madeUp
        assert.strictEqual(yield* jwksFetches, 3)
      })))

  it.effect("fails closed when the keys cannot be fetched, and fetches again after the failure cool-down", () =>
    withIssuer(({ jwksFetches, jwksStatus }) =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier({ jwksFailureCoolDown: "5 seconds" })
        yield* Ref.set(jwksStatus, 503)
        const error = yield* Effect.flip(verifier.verify(yield* sign()))
        assert.strictEqual(error._tag, "EndpointUnavailable")
        if (error._tag === "EndpointUnavailable") {
          assert.strictEqual(error.endpoint, "jwks")
          assert.strictEqual(error.reason, "Status")
          assert.deepStrictEqual(error.status, Option.some(503))
          assert.include(error.message, "the issuer's JWKS endpoint answered HTTP 503")
          assert.isTrue(TokenError.isRetryable(error))
        }
        yield* Ref.set(jwksStatus, 200)
        yield* TestClock.adjust("4 seconds")
        assert.strictEqual(yield* Effect.flip(verifier.verify(yield* sign())), error)
        assert.strictEqual(yield* jwksFetches, 1)
        yield* TestClock.adjust("1 second")
        yield* verifier.verify(yield* sign())
        assert.strictEqual(yield* jwksFetches, 2)
      })))

  it.effect("shares one JWKS fetch among concurrent verifications, and fails at once during the cool-down", () =>
    Effect.gen(function*() {
      const recorder = yield* makeRecorder
      // a JWKS endpoint that never answers
      const router = HttpRouter.empty.pipe(HttpRouter.get("/jwks", recorder.record(() => Effect.never)))
      const fetches = Effect.map(recorder.at("/jwks"), (all) => all.length)
      const verifier = yield* jwtVerifier({
        jwksUri: `${issuer}/jwks`,
        timeout: "1 second",
        jwksFailureCoolDown: "10 seconds"
      }).pipe(Effect.provide(layerOf(router)))
      const token = yield* sign()
      const waiting = yield* Effect.forEach(
        Array.from({ length: 5 }, () => Effect.fork(Effect.flip(verifier.verify(token)))),
        (fork) => fork
      )
      yield* TestClock.adjust("999 millis")
      for (const fiber of waiting) assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 milli")
      const errors = yield* Effect.forEach(waiting, Fiber.join)
      const [timedOut] = errors
      assert.isTrue(timedOut?._tag === "EndpointUnavailable" && timedOut.reason === "Timeout")
      assert.strictEqual(timedOut?._tag === "EndpointUnavailable" && timedOut.endpoint, "jwks")
      for (const error of errors) assert.strictEqual(error, timedOut)
      assert.strictEqual(yield* fetches, 1)

      // within the cool-down: the same error at once, no fetch
      yield* TestClock.adjust("9 seconds")
      assert.strictEqual(yield* Effect.flip(verifier.verify(token)), timedOut)
      assert.strictEqual(yield* fetches, 1)

      // after it: one fetch again
      yield* TestClock.adjust("1 second")
      const seventh = yield* Effect.fork(Effect.flip(verifier.verify(token)))
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(seventh))._tag, "EndpointUnavailable")
      assert.strictEqual(yield* fetches, 2)
    }))

  it.effect("refuses a JWKS that is too large, too deep or not a key set, with no received value in the error", () =>
    Effect.gen(function*() {
      const body = yield* Ref.make("")
      const router = HttpRouter.empty.pipe(
        HttpRouter.get("/jwks", Effect.flatMap(Ref.get(body), (text) => HttpServerResponse.text(text, { contentType: "application/json" })))
      )
      const verify = (text: string, options: Partial<TokenVerifier.JwtOptions> = {}) =>
        Effect.gen(function*() {
          yield* Ref.set(body, text)
          const verifier = yield* jwtVerifier({ jwksUri: `${issuer}/jwks`, ...options })
          return yield* Effect.flip(verifier.verify(yield* sign()))
        }).pipe(Effect.provide(layerOf(router)))
      const planted = "PLANTED-JWKS-VALUE"
      const large = JSON.stringify({ keys: [firstJwk], padding: planted.repeat(TokenVerifier.defaultMaxJwksBytes / 16) })
      const cases: ReadonlyArray<readonly [string, string, string]> = [
        [large, "body", `larger than ${TokenVerifier.defaultMaxJwksBytes} bytes`],
        [`{"keys":[${"[".repeat(100)}"${planted}"${"]".repeat(100)}]}`, "body", "nests deeper than 64 levels"],
        [`{"keys":"${planted}"}`, "keys", "is not an array"],
        [`{"keys":[1],"x":"${planted}"}`, "body", "not a JSON Web Key Set"],
        [`{"keys":[${planted}`, "body", "not valid JSON"],
        [
          JSON.stringify({ keys: Array.from({ length: 101 }, (_, i) => ({ ...firstJwk, kid: `${planted}-${i}` })) }),
          "keys",
          "more than 100 keys"
        ]
      ]
      for (const [text, field, detail] of cases) {
        const error = yield* verify(text)
        assert.strictEqual(error._tag, "MalformedResponse", detail)
        if (error._tag === "MalformedResponse") {
          assert.strictEqual(error.endpoint, "jwks", detail)
          assert.strictEqual(error.field, field, detail)
          assert.include(error.reason, detail)
          assert.isFalse(error.retryable)
        }
        assert.include(error.message, detail)
        assert.notInclude(error.message, planted)
        assert.notInclude(JSON.stringify(error), planted)
      }
      // a larger cap lets a larger key set through
      yield* Ref.set(body, large)
      const verifier = yield* jwtVerifier({ jwksUri: `${issuer}/jwks`, maxJwksBytes: 2 * large.length }).pipe(
        Effect.provide(layerOf(router))
      )
      yield* verifier.verify(yield* sign())
    }))

  it.effect("refuses an overlong token and a deep header or payload as Malformed, before fetching keys", () =>
    withIssuer(({ jwksFetches }) =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier()
        const padded = yield* sign({ padding: "x".repeat(TokenVerifier.defaultMaxTokenLength) })
        assert.strictEqual(yield* reason(verifier.verify(padded)), "Malformed")
        const nested = (depth: number): unknown => depth === 0 ? 1 : [nested(depth - 1)]
        const [header, payload, signature] = Redacted.value(yield* sign()).split(".")
        const deepHeader = b64({ alg: "RS256", typ: "at+jwt", kid: "k1", x: nested(100) })
        const deepPayload = b64({ iss: issuer, aud: audience, exp: 600, x: nested(100) })
        for (const token of [`${deepHeader}.${payload}.${signature}`, `${header}.${deepPayload}.${signature}`]) {
          assert.strictEqual(yield* reason(verifier.verify(Redacted.make(token))), "Malformed")
        }
        assert.strictEqual(yield* jwksFetches, 0)
        // a signed deep payload is refused just the same
        assert.strictEqual(yield* reason(verifier.verify(yield* sign({ x: nested(100) }))), "Malformed")
        // where tokens are longer, the bound is raised
        const lenient = yield* jwtVerifier({ maxTokenLength: 2 * TokenVerifier.defaultMaxTokenLength })
        yield* lenient.verify(padded)
      })))

  it.effect("keeps using its keys when refreshing stale ones fails", () =>
    withIssuer(({ jwksFetches, jwksStatus }) =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier({ jwksMaxAge: "1 minute", jwksCoolDown: "30 seconds" })
        yield* verifier.verify(yield* sign())
        yield* Ref.set(jwksStatus, 500)
        yield* TestClock.adjust("2 minutes")
        yield* verifier.verify(yield* sign())
        yield* verifier.verify(yield* sign())
        assert.strictEqual(yield* jwksFetches, 2)
      })))

  it.effect("an issuer whose metadata has no jwks_uri is a configuration error", () =>
    Effect.gen(function*() {
      const router = HttpRouter.empty.pipe(
        HttpRouter.get("/.well-known/oauth-authorization-server", json({ issuer, token_endpoint: `${issuer}/token` }))
      )
      const verifier = yield* jwtVerifier().pipe(Effect.provide(layerOf(router)))
      const error = yield* Effect.flip(verifier.verify(yield* sign()))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      if (error._tag === "InvalidTokenRequest") assert.include(error.reason, "names no JWKS URL")
      assert.isFalse(error.retryable)
    }))

  it.effect("an unsafe JWKS URL is a configuration error, and nothing is fetched", () =>
    withIssuer(({ jwksFetches }) =>
      Effect.gen(function*() {
        const verifier = yield* jwtVerifier({ jwksUri: "http://auth.example.com/jwks" })
        const error = yield* Effect.flip(verifier.verify(yield* sign()))
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        if (error._tag === "InvalidTokenRequest") assert.include(error.reason, "JWKS URL")
        assert.isTrue(TokenError.isGrantflowError(error))
        assert.isFalse(TokenError.isRetryable(error))
        assert.strictEqual(yield* jwksFetches, 0)
      })))

  it.effect("an issuer whose metadata cannot be read is EndpointUnavailable of the metadata endpoint", () =>
    Effect.gen(function*() {
      const verifier = yield* jwtVerifier().pipe(Effect.provide(layerOf(HttpRouter.empty)))
      const error = yield* Effect.flip(verifier.verify(yield* sign()))
      assert.strictEqual(error._tag, "EndpointUnavailable")
      if (error._tag === "EndpointUnavailable") {
        assert.strictEqual(error.endpoint, "metadata")
        assert.deepStrictEqual(error.status, Option.some(404))
      }
    }))

  it.effect.prop(
    "refuses any byte-level change to a valid token",
    // the last characters get their own share: their spare bits are where a lax decoder lets a change through
    [FastCheck.oneof(FastCheck.nat(), FastCheck.integer({ min: -2, max: -1 })), FastCheck.integer({ min: 1, max: 255 })],
    ([position, delta]) =>
      withIssuer(() =>
        Effect.gen(function*() {
          const verifier = yield* jwtVerifier()
          const valid = Redacted.value(yield* sign())
          yield* verifier.verify(Redacted.make(valid))
          const index = position < 0 ? valid.length + position : position % valid.length
          const changed = valid.slice(0, index) + String.fromCharCode((valid.charCodeAt(index) + delta) % 256) +
            valid.slice(index + 1)
          assert.notStrictEqual(changed, valid)
          const error = yield* Effect.flip(verifier.verify(Redacted.make(changed)))
          assert.strictEqual(error._tag, "VerificationFailed")
        })
      ),
    { fastCheck: { numRuns: 100 } }
  )
})

interface Introspected {
  readonly body: unknown
  readonly status?: number
}

/** An issuer with an introspection endpoint (and a token endpoint for a TokenProvider) answering from `answers`. */
const withIntrospection = <A, E, R>(
  body: (server: {
    readonly answers: Ref.Ref<Record<string, Introspected>>
    readonly calls: Effect.Effect<ReadonlyArray<{ readonly headers: Readonly<Record<string, string>>; readonly form: Readonly<Record<string, string>> }>>
  }) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const recorder = yield* makeRecorder
    const answers = yield* Ref.make<Record<string, Introspected>>({})
    const router = HttpRouter.empty.pipe(
      HttpRouter.get(
        "/.well-known/oauth-authorization-server",
        json({ issuer, introspection_endpoint: `${issuer}/introspect`, token_endpoint: `${issuer}/token` })
      ),
      HttpRouter.post(
        "/token",
        recorder.record(() => json({ access_token: "rs-token", token_type: "Bearer", expires_in: 3600 }))
      ),
      HttpRouter.post(
        "/introspect",
        recorder.record((form) =>
          Effect.map(Ref.get(answers), (all) => {
            const answer = all[form["token"] ?? ""] ?? { body: { active: false } }
            return HttpServerResponse.unsafeJson(answer.body, { status: answer.status ?? 200 })
          })
        )
      )
    )
    return yield* body({ answers, calls: recorder.at("/introspect") }).pipe(Effect.provide(layerOf(router)))
  })

const basic = ClientAuth.clientSecretBasic("orders-api", Redacted.make("rs-secret"))

const active = (overrides: Record<string, unknown> = {}): Introspected => ({
  body: {
    active: true,
    sub: "user-1",
    client_id: "orders-app",
    scope: "orders.read",
    iss: issuer,
    aud: audience,
    exp: 600,
    ...overrides
  }
})

describe("TokenVerifier.introspection", () => {
  it.effect("asks the endpoint named by the metadata, authenticated as the client, and caches the answer", () =>
    withIntrospection(({ answers, calls }) =>
      Effect.gen(function*() {
        yield* Ref.set(answers, { "opaque-1": active() })
        const verifier = yield* TokenVerifier.introspection({ issuer, auth: basic, audience, cacheTtl: "30 seconds" })
        const token = yield* verifier.verify(Redacted.make("opaque-1"))
        assert.deepStrictEqual(token.scopes, ["orders.read"])
        assert.deepStrictEqual(token.clientId, Option.some("orders-app"))
        const [call] = yield* calls
        assert.deepStrictEqual(call!.form, { token: "opaque-1", token_type_hint: "access_token" })
        assert.match(call!.headers["authorization"] ?? "", /^Basic /)

        // concurrent and later requests within the TTL share the answer
        yield* Effect.all([1, 2, 3].map(() => verifier.verify(Redacted.make("opaque-1"))), { concurrency: "unbounded" })
        yield* TestClock.adjust("29 seconds")
        yield* verifier.verify(Redacted.make("opaque-1"))
        assert.strictEqual((yield* calls).length, 1)
        yield* TestClock.adjust("2 seconds")
        yield* verifier.verify(Redacted.make("opaque-1"))
        assert.strictEqual((yield* calls).length, 2)
      })))

  it.effect("never serves a cached answer past the token's exp", () =>
    withIntrospection(({ answers, calls }) =>
      Effect.gen(function*() {
        yield* Ref.set(answers, { "short": active({ exp: 10 }) })
        const verifier = yield* TokenVerifier.introspection({
          introspectionUrl: `${issuer}/introspect`,
          auth: basic,
          cacheTtl: "5 minutes",
          clockTolerance: "0 seconds"
        })
        yield* verifier.verify(Redacted.make("short"))
        yield* TestClock.adjust("9 seconds")
        yield* verifier.verify(Redacted.make("short"))
        assert.strictEqual((yield* calls).length, 1)
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual(yield* reason(verifier.verify(Redacted.make("short"))), "Expired")
      })))

  it.effect("refuses an inactive token, and remembers that for the negative TTL", () =>
    withIntrospection(({ calls }) =>
      Effect.gen(function*() {
        const verifier = yield* TokenVerifier.introspection({ issuer, auth: basic, negativeCacheTtl: "5 seconds" })
        assert.strictEqual(yield* reason(verifier.verify(Redacted.make("revoked"))), "Inactive")
        assert.strictEqual(yield* reason(verifier.verify(Redacted.make("revoked"))), "Inactive")
        assert.strictEqual((yield* calls).length, 1)
        yield* TestClock.adjust("6 seconds")
        assert.strictEqual(yield* reason(verifier.verify(Redacted.make("revoked"))), "Inactive")
        assert.strictEqual((yield* calls).length, 2)
      })))

  it.effect("an endpoint that redirects fails closed, and the error says redirects are not followed", () =>
    withIntrospection(({ answers, calls }) =>
      Effect.gen(function*() {
        yield* Ref.set(answers, { "moved": { body: {}, status: 307 } })
        const verifier = yield* TokenVerifier.introspection({ introspectionUrl: `${issuer}/introspect`, auth: basic })
        const error = yield* Effect.flip(verifier.verify(Redacted.make("moved")))
        assert.strictEqual(error._tag, "EndpointUnavailable")
        if (error._tag === "EndpointUnavailable") {
          assert.strictEqual(error.endpoint, "introspection")
          assert.deepStrictEqual(error.status, Option.some(307))
          assert.include(error.message, "which is not followed")
        }
        // never cached: the next request asks again
        yield* Effect.flip(verifier.verify(Redacted.make("moved")))
        assert.strictEqual((yield* calls).length, 2)
      })))

  it.effect("checks the issuer and the audience of an active answer", () =>
    withIntrospection(({ answers }) =>
      Effect.gen(function*() {
        yield* Ref.set(answers, {
          "other-issuer": active({ iss: "https://evil.example.com" }),
          "no-audience": active({ aud: undefined }),
          "later": active({ nbf: 120 })
        })
        const verifier = yield* TokenVerifier.introspection({ issuer, auth: basic, audience })
        assert.strictEqual(yield* reason(verifier.verify(Redacted.make("other-issuer"))), "Issuer")
        assert.strictEqual(yield* reason(verifier.verify(Redacted.make("no-audience"))), "Audience")
        assert.strictEqual(yield* reason(verifier.verify(Redacted.make("later"))), "NotYetValid")
      })))

  it.effect("fails closed, uncached, when the endpoint is down or refuses grantflow's credentials", () =>
    withIntrospection(({ answers, calls }) =>
      Effect.gen(function*() {
        yield* Ref.set(answers, { "opaque-1": { body: { error: "temporarily_unavailable" }, status: 503 } })
        const verifier = yield* TokenVerifier.introspection({ issuer, auth: basic })
        const down = yield* Effect.flip(verifier.verify(Redacted.make("opaque-1")))
        assert.strictEqual(down._tag, "OAuthError")
        if (down._tag === "OAuthError") {
          assert.strictEqual(down.endpoint, "introspection")
          assert.strictEqual(down.status, 503)
        }
        assert.isTrue(TokenError.isRetryable(down))
        assert.notInclude(down.message, "opaque-1")

        yield* Ref.set(answers, { "opaque-1": { body: { error: "invalid_client" }, status: 401 } })
        const refused = yield* Effect.flip(verifier.verify(Redacted.make("opaque-1")))
        assert.strictEqual(refused._tag, "OAuthError")
        assert.include(refused.message, "check the client id, the client secret")
        assert.isFalse(TokenError.isRetryable(refused))

        // a bare 401, without an OAuth body, says the same
        yield* Ref.set(answers, { "opaque-1": { body: {}, status: 401 } })
        const bare = yield* Effect.flip(verifier.verify(Redacted.make("opaque-1")))
        assert.strictEqual(bare._tag, "EndpointUnavailable")
        assert.include(bare.message, "check the client credentials")

        yield* Ref.set(answers, { "opaque-1": active() })
        yield* verifier.verify(Redacted.make("opaque-1"))
        assert.strictEqual((yield* calls).length, 4)
      })))

  it.effect("refuses an overlong token without asking, and an overlong or deep answer as unusable (503)", () =>
    withIntrospection(({ answers, calls }) =>
      Effect.gen(function*() {
        const planted = "PLANTED-CLAIM"
        const nested = `${"[".repeat(100)}"${planted}"${"]".repeat(100)}`
        yield* Ref.set(answers, {
          "long-answer": active({ padding: planted.repeat(TokenVerifier.defaultMaxIntrospectionLength / 8) }),
          "deep-answer": active({ x: JSON.parse(nested) })
        })
        const verifier = yield* TokenVerifier.introspection({ issuer, auth: basic })
        const overlong = Redacted.make("t".repeat(TokenVerifier.defaultMaxTokenLength + 1))
        assert.strictEqual(yield* reason(verifier.verify(overlong)), "Malformed")
        assert.strictEqual((yield* calls).length, 0)
        for (const token of ["long-answer", "deep-answer"]) {
          const error = yield* Effect.flip(verifier.verify(Redacted.make(token)))
          assert.isTrue(error._tag === "MalformedResponse" && error.endpoint === "introspection", token)
          assert.notInclude(error.message, planted)
        }
        const lenient = yield* TokenVerifier.introspection({
          issuer,
          auth: basic,
          maxResponseLength: 2 * TokenVerifier.defaultMaxIntrospectionLength
        })
        yield* lenient.verify(Redacted.make("long-answer"))
      })))

  it.effect("an answer without a boolean active is a MalformedResponse naming the field, never cached", () =>
    withIntrospection(({ answers, calls }) =>
      Effect.gen(function*() {
        yield* Ref.set(answers, { "odd": { body: { active: "yes" } } })
        const verifier = yield* TokenVerifier.introspection({ introspectionUrl: `${issuer}/introspect`, auth: basic })
        const error = yield* Effect.flip(verifier.verify(Redacted.make("odd")))
        assert.strictEqual(error._tag, "MalformedResponse")
        if (error._tag === "MalformedResponse") {
          assert.strictEqual(error.endpoint, "introspection")
          assert.strictEqual(error.field, "active")
        }
        yield* Effect.flip(verifier.verify(Redacted.make("odd")))
        assert.strictEqual((yield* calls).length, 2)
      })))

  it.effect("a misconfigured verifier fails with InvalidTokenRequest before anything is sent", () =>
    withIntrospection(({ calls }) =>
      Effect.gen(function*() {
        const unsafe = yield* TokenVerifier.introspection({ introspectionUrl: "http://auth.example.com/introspect", auth: basic })
        const error = yield* Effect.flip(unsafe.verify(Redacted.make("opaque-1")))
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        if (error._tag === "InvalidTokenRequest") assert.include(error.reason, "introspection URL")
        assert.isFalse(TokenError.isRetryable(error))
        assert.strictEqual((yield* calls).length, 0)
      })))

  it.effect("an issuer whose metadata names no introspection endpoint is a configuration error", () =>
    Effect.gen(function*() {
      const router = HttpRouter.empty.pipe(
        HttpRouter.get("/.well-known/oauth-authorization-server", json({ issuer, token_endpoint: `${issuer}/token` }))
      )
      const verifier = yield* TokenVerifier.introspection({ issuer, auth: basic }).pipe(Effect.provide(layerOf(router)))
      const error = yield* Effect.flip(verifier.verify(Redacted.make("opaque-1")))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      if (error._tag === "InvalidTokenRequest") assert.include(error.reason, "names no introspection URL")
    }))

  it.effect("keeps at most cacheCapacity answers, however many tokens callers make up", () =>
    withIntrospection(({ answers, calls }) =>
      Effect.gen(function*() {
        yield* Ref.set(answers, { "a": active(), "b": active(), "c": active() })
        const verifier = yield* TokenVerifier.introspection({ issuer, auth: basic, cacheCapacity: 2 })
        for (const token of ["a", "b", "a", "c", "made-up-1", "made-up-2"]) yield* Effect.either(verifier.verify(Redacted.make(token)))
        assert.strictEqual((yield* calls).length, 5)
        // "a" made room for the made-up tokens: asked again
        yield* verifier.verify(Redacted.make("a"))
        assert.strictEqual((yield* calls).length, 6)
      })))

  it.effect("an exp too large for milliseconds means no expiry, not an infinite one", () =>
    withIntrospection(({ answers }) =>
      Effect.gen(function*() {
        yield* Ref.set(answers, { "far": active({ exp: 1e306 }) })
        const verifier = yield* TokenVerifier.introspection({ issuer, auth: basic })
        assert.deepStrictEqual((yield* verifier.verify(Redacted.make("far"))).expiresAt, Option.none())
      })))

  it.scoped("authenticates with a TokenProvider's access token", () =>
    withIntrospection(({ answers, calls }) =>
      Effect.gen(function*() {
        yield* Ref.set(answers, { "opaque-1": active() })
        const provider = yield* TokenProvider.make(
          Grant.clientCredentials(Endpoint.make({ tokenUrl: `${issuer}/token`, auth: basic }))
        )
        const verifier = yield* TokenVerifier.introspection({ issuer, auth: provider })
        yield* verifier.verify(Redacted.make("opaque-1"))
        const [call] = yield* calls
        assert.strictEqual(call!.headers["authorization"], "Bearer rs-token")
        assert.deepStrictEqual(call!.form, { token: "opaque-1", token_type_hint: "access_token" })
      })))
})

describe("TokenVerifier layers", () => {
  it.effect("layer and layerConfig provide the service", () =>
    Effect.gen(function*() {
      const verifier = yield* TokenVerifier.TokenVerifier
      yield* verifier.verify(Redacted.make("from-config"))
    }).pipe(
      Effect.provide(
        TokenVerifier.layerConfig(TokenVerifier.staticTokenConfig()).pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["TOKEN", "from-config"]]))))
        )
      )
    ))
})
