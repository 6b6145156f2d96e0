import { assert, describe, it } from "@effect/vitest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import { Cause, Effect, Option, Redacted, TestClock } from "effect"
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from "jose"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import { json, layerOf, makeRecorder, type Received } from "./routerClient.js"

const tokenUrl = "https://auth.example.com/oauth/token"
/** The token endpoint without client authentication: these grants may carry their own (RFC 7523 §2.1). */
const endpoint = Endpoint.make({ tokenUrl })
const start = 1_700_000_000_000
const rsa = await generateKeyPair("RS256", { extractable: true })
const jwk = { ...(await exportJWK(rsa.privateKey)), kid: "sa-key-7" }

/** Runs `body` against a token endpoint answering every request with `answer`. */
const withEndpoint = <A, E, R>(
  answer: ReturnType<typeof json>,
  body: (received: Effect.Effect<ReadonlyArray<Received>>) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(start)
    const recorder = yield* makeRecorder
    const router = HttpRouter.empty.pipe(HttpRouter.post("/oauth/token", recorder.record(() => answer)))
    return yield* body(recorder.all).pipe(Effect.provide(layerOf(router)))
  })

const issued = json({ access_token: "at-1", token_type: "Bearer", expires_in: 600 })

describe("Grant.jwtBearer", () => {
  it.effect("sends a given assertion as it is, without client authentication", () =>
    withEndpoint(issued, (received) =>
      Effect.gen(function*() {
        const token = yield* Grant.jwtBearer(endpoint, {
          assertion: Redacted.make("eyJ.given.assertion"),
          scopes: ["read", "write"]
        })
        assert.strictEqual(Redacted.value(token.token), "at-1")
        const [request] = yield* received
        assert.deepStrictEqual(request!.form, {
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion: "eyJ.given.assertion",
          scope: "read write"
        })
        assert.isUndefined(request!.headers["authorization"])
      })))

  it.effect("authenticates the client when asked to", () =>
    withEndpoint(issued, (received) =>
      Effect.gen(function*() {
        yield* Grant.jwtBearer(
          Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretBasic("cli", Redacted.make("s3cret")) }),
          { assertion: Redacted.make("eyJ.a.b") }
        )
        const [request] = yield* received
        assert.match(request!.headers["authorization"]!, /^Basic /)
        assert.strictEqual(request!.form["assertion"], "eyJ.a.b")
      })))

  it.effect("signs the assertion at each run: registered claims, extra claims, fresh jti, iat from Clock", () =>
    withEndpoint(issued, (received) =>
      Effect.gen(function*() {
        const fetch = Grant.jwtBearer(endpoint, {
          assertion: {
            key: Redacted.make(jwk),
            issuer: "robot@project.iam.example.com",
            subject: "user@example.com",
            // extra claims never override the registered ones
            claims: { scope: "cloud-platform", iss: "someone-else", aud: "elsewhere" },
            lifetime: "10 minutes"
          }
        })
        yield* fetch
        yield* TestClock.adjust("1 minute")
        yield* fetch
        const assertions = (yield* received).map((request) => request.form["assertion"]!)
        const verified = yield* Effect.forEach(assertions, (jwt) =>
          Effect.promise(() => jwtVerify(jwt, rsa.publicKey, { currentDate: new Date(start + 60_000) })))
        const [first, second] = verified.map((v) => v.payload)
        assert.strictEqual(first!.iss, "robot@project.iam.example.com")
        assert.strictEqual(first!.sub, "user@example.com")
        assert.strictEqual(first!.aud, tokenUrl)
        assert.strictEqual(first!["scope"], "cloud-platform")
        assert.strictEqual(first!.exp! - first!.iat!, 600)
        assert.deepStrictEqual([first!.iat, second!.iat], [start / 1000, start / 1000 + 60])
        assert.notStrictEqual(first!.jti, second!.jti)
        assert.deepStrictEqual(decodeProtectedHeader(assertions[0]!), { alg: "RS256", typ: "JWT", kid: "sa-key-7" })
      })))

  it.effect("an explicit audience replaces the token URL", () =>
    withEndpoint(issued, (received) =>
      Effect.gen(function*() {
        yield* Grant.jwtBearer(endpoint, {
          assertion: { key: Redacted.make(rsa.privateKey), issuer: "svc", audience: ["https://a", "https://b"] }
        })
        const [request] = yield* received
        const { payload } = yield* Effect.promise(() =>
          jwtVerify(request!.form["assertion"]!, rsa.publicKey, { currentDate: new Date(start) })
        )
        assert.deepStrictEqual(payload.aud, ["https://a", "https://b"])
        assert.isUndefined(payload.sub)
      })))
})

describe("Grant.tokenExchange", () => {
  it.effect("sends every RFC 8693 parameter and surfaces issued_token_type", () =>
    withEndpoint(
      json({
        access_token: "exchanged",
        token_type: "N_A",
        issued_token_type: "urn:ietf:params:oauth:token-type:jwt",
        expires_in: 60
      }),
      (received) =>
        Effect.gen(function*() {
          const exchanged = yield* Grant.tokenExchange(
            Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretPost("gateway", Redacted.make("s3cret")) }),
            {
              subjectToken: Redacted.make("user-token&x=1"),
              subjectTokenType: Grant.tokenTypes.accessToken,
              actorToken: Redacted.make("actor-token"),
              actorTokenType: Grant.tokenTypes.jwt,
              requestedTokenType: Grant.tokenTypes.jwt,
              audience: ["orders", "billing"],
              resource: "https://orders.example.com/api",
              scopes: ["orders.read"]
            }
          )
          assert.deepStrictEqual(exchanged.issuedTokenType, Option.some("urn:ietf:params:oauth:token-type:jwt"))
          assert.strictEqual(Redacted.value(exchanged.token.token), "exchanged")
          assert.strictEqual(exchanged.token.type, "N_A")
          const [request] = yield* received
          assert.deepStrictEqual(request!.params.filter(([key]) => key === "audience"), [
            ["audience", "orders"],
            ["audience", "billing"]
          ])
          // the record keeps the last of a repeated parameter
          assert.deepStrictEqual(request!.form, {
            grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
            subject_token: "user-token&x=1",
            subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
            actor_token: "actor-token",
            actor_token_type: "urn:ietf:params:oauth:token-type:jwt",
            requested_token_type: "urn:ietf:params:oauth:token-type:jwt",
            audience: "billing",
            resource: "https://orders.example.com/api",
            scope: "orders.read",
            client_id: "gateway",
            client_secret: "s3cret"
          })
        })
    ))

  it.effect("repeats audience and resource once per value, in order", () =>
    withEndpoint(issued, (received) =>
      Effect.gen(function*() {
        yield* Grant.tokenExchange(endpoint, {
          subjectToken: Redacted.make("t"),
          subjectTokenType: Grant.tokenTypes.idToken,
          audience: ["a", "b", "c"],
          resource: ["https://r1", "https://r2"]
        })
        const [request] = yield* received
        assert.deepStrictEqual(request!.params.filter(([key]) => key === "audience" || key === "resource"), [
          ["audience", "a"],
          ["audience", "b"],
          ["audience", "c"],
          ["resource", "https://r1"],
          ["resource", "https://r2"]
        ])
      })))

  it.effect("a missing issued_token_type is None", () =>
    withEndpoint(issued, () =>
      Effect.gen(function*() {
        const exchanged = yield* Grant.tokenExchange(endpoint, {
          subjectToken: Redacted.make("t"),
          subjectTokenType: Grant.tokenTypes.accessToken
        })
        assert.isTrue(Option.isNone(exchanged.issuedTokenType))
      })))

  it.effect("an actor token without its type is refused before anything is sent", () =>
    withEndpoint(issued, (received) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Grant.tokenExchange(endpoint, {
            subjectToken: Redacted.make("t"),
            subjectTokenType: Grant.tokenTypes.accessToken,
            actorToken: Redacted.make("actor")
          })
        )
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        assert.include(error.message, "actorTokenType")
        assert.lengthOf(yield* received, 0)
      })))

  it.effect("a refused exchange is an OAuthError that never shows the subject token", () =>
    withEndpoint(json({ error: "invalid_target", error_description: "unknown audience" }, 400), () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Grant.tokenExchange(endpoint, {
            subjectToken: Redacted.make("subject-secret-42"),
            subjectTokenType: Grant.tokenTypes.accessToken,
            audience: "nowhere"
          })
        )
        assert.strictEqual(error._tag, "OAuthError")
        assert.isFalse(error.retryable)
        for (const text of [error.message, JSON.stringify(error), Cause.pretty(Cause.fail(error))]) {
          assert.notInclude(text, "subject-secret-42")
        }
      })))
})
