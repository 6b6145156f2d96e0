/**
 * DPoP at the resource server (RFC 9449): proofs made by core's client
 * (`Dpop.proof`) pass; every way a proof or a binding can be wrong gets the
 * exact §7 challenge; nonces rotate on the `Clock`; the replay cache keeps
 * its bound. The issuer's JWKS and introspection endpoint are served in
 * memory; the socket's view of the URL (`socketUrl`) differs from the
 * public one, as behind a proxy.
 */
import { assert, describe, it } from "@effect/vitest"
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { ClientAuth, Dpop } from "@grantflow/core"
import { Clock, Effect, FastCheck, FiberRef, Layer, Logger, LogLevel, Option, Redacted, Schema, TestClock } from "effect"
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from "jose"
import { createHash } from "node:crypto"
import { makeCapture, printings } from "../../core/test/leakCapture.js"
import { json, layerOf } from "../../core/test/routerClient.js"
import * as DpopProof from "../src/DpopProof.js"
import * as dpopProof from "../src/internal/dpopProof.js"
import * as ResourceServer from "../src/ResourceServer.js"
import * as TokenVerifier from "../src/TokenVerifier.js"

const issuer = "https://auth.example.com"
const audience = "https://orders.example.com"
const publicUrl = "https://orders.example.com"
/** What the server's socket sees: a proxy forwards the public URL here. */
const socketUrl = "http://10.0.0.7:8080"
const ordersUrl = `${publicUrl}/orders`

const issuerKey = await generateKeyPair("RS256")
const issuerJwk = { ...(await exportJWK(issuerKey.publicKey)), kid: "k1", alg: "RS256", use: "sig" }

/** A key of another client, for proofs crafted by hand. */
const other = await generateKeyPair("ES256", { extractable: true })
const otherJwk = await exportJWK(other.publicKey)
const otherPrivateJwk = await exportJWK(other.privateKey)
const otherJkt = await calculateJwkThumbprint(otherJwk)

const ath = (token: string) => createHash("sha256").update(token).digest("base64url")

/** A JWT access token the issuer signs now, bound to `jkt` when given. */
const accessToken = (jkt?: string) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const iat = Math.floor(now / 1000)
    return Effect.promise(() =>
      new SignJWT({
        iss: issuer,
        aud: audience,
        sub: "user-1",
        client_id: "orders-app",
        scope: "orders.read",
        iat,
        exp: iat + 600,
        ...(jkt === undefined ? {} : { cnf: { jkt } })
      }).setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: "k1" }).sign(issuerKey.privateKey)
    )
  })

/** An opaque token the issuer's introspection endpoint answers for: bound to the thumbprint after `op.`, if any. */
const opaqueToken = (jkt?: string) => jkt === undefined ? "op" : `op.${jkt}`

const issuerRouter = HttpRouter.empty.pipe(
  HttpRouter.get("/jwks", json({ keys: [issuerJwk] })),
  HttpRouter.post(
    "/introspect",
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const token = (yield* Effect.orDie(request.urlParamsBody)).find(([key]) => key === "token")?.[1] ?? ""
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const jkt = token.startsWith("op.") ? token.slice(3) : undefined
      return yield* json({
        active: token.startsWith("op"),
        client_id: "orders-app",
        scope: "orders.read",
        exp: now + 600,
        token_type: jkt === undefined ? "Bearer" : "DPoP",
        ...(jkt === undefined ? {} : { cnf: { jkt } })
      })
    })
  )
)

/** A JWT verifier; with `"bearer only"`, one without the dpop option. */
const jwtVerifier = (dpop: DpopProof.Options | "bearer only" = {}) =>
  TokenVerifier.layer(
    TokenVerifier.jwt({ issuer, audience, jwksUri: `${issuer}/jwks`, ...(dpop === "bearer only" ? {} : { dpop }) })
  ).pipe(
    Layer.provide(layerOf(issuerRouter))
  )

const introspectionVerifier = (dpop: DpopProof.Options = {}) =>
  TokenVerifier.layer(
    TokenVerifier.introspection({
      introspectionUrl: `${issuer}/introspect`,
      auth: ClientAuth.clientSecretBasic("orders-api", Redacted.make("orders-api-secret")),
      dpop
    })
  ).pipe(Layer.provide(layerOf(issuerRouter)))

const orders = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/orders",
    Effect.flatMap(ResourceServer.Caller, (caller) =>
      HttpServerResponse.json({ jkt: Option.getOrNull(caller.dpopThumbprint), client: Option.getOrNull(caller.clientId) }))
  ),
  HttpRouter.post("/orders", Effect.as(ResourceServer.requireScopes("orders.write"), HttpServerResponse.empty({ status: 201 }))),
  ResourceServer.middleware({ realm: "orders", publicUrl })
)

interface Answer {
  readonly status: number
  readonly challenge: string | null
  readonly nonce: string | null
  readonly body: string
}

interface Call {
  readonly method?: string
  readonly path?: string
  readonly authorization?: string
  readonly dpop?: string | ReadonlyArray<string>
}

/** One request to the orders service, as a server runs it (its pre-response handlers included). */
const call = (init: Call) =>
  Effect.gen(function*() {
    const headers = new Headers()
    if (init.authorization !== undefined) headers.set("authorization", init.authorization)
    for (const proof of typeof init.dpop === "string" ? [init.dpop] : init.dpop ?? []) headers.append("dpop", proof)
    const request = HttpServerRequest.fromWeb(
      new Request(`${socketUrl}${init.path ?? "/orders"}`, { method: init.method ?? "GET", headers })
    )
    const handled = Effect.gen(function*() {
      const response = yield* Effect.provideService(orders, HttpServerRequest.HttpServerRequest, request)
      const handler = yield* FiberRef.get(HttpApp.currentPreResponseHandlers)
      return Option.isSome(handler) ? yield* handler.value(request, response) : response
    })
    const response = yield* Effect.locally(handled, HttpApp.currentPreResponseHandlers, Option.none())
    const web = HttpServerResponse.toWeb(response)
    return {
      status: web.status,
      challenge: web.headers.get("www-authenticate"),
      nonce: web.headers.get("dpop-nonce"),
      body: yield* Effect.promise(() => web.text())
    } satisfies Answer
  }).pipe(Effect.orDie)

/** A proof of `key` made by core's DPoP client for `GET /orders` with `token`. */
const clientProof = (key: Dpop.DpopKey, token: string, options: Partial<Dpop.ProofOptions> = {}) =>
  Effect.orDie(Dpop.proof(key, { htm: "GET", htu: ordersUrl, accessToken: token, ...options }))

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")

/**
 * A proof crafted by hand with the other client's key: a valid one for
 * `GET /orders` with `token`, unless `header` or `claims` say otherwise
 * (`undefined` drops a claim).
 */
const crafted = (
  token: string,
  changes: {
    readonly header?: Record<string, unknown>
    readonly claims?: Record<string, unknown>
    readonly key?: CryptoKey | Uint8Array
  } = {}
) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.promise(() =>
      new SignJWT({
        jti: crypto.randomUUID(),
        htm: "GET",
        htu: ordersUrl,
        iat: Math.floor(now / 1000),
        ath: ath(token),
        ...changes.claims
      }).setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: otherJwk, ...changes.header })
        .sign(changes.key ?? other.privateKey)
    ))

const algs = `algs="ES256 EdDSA RS256"`
const description = (reason: TokenVerifier.FailureReason) => new TokenVerifier.VerificationFailed({ reason }).description
/** The challenge of a refused DPoP request, with the Bearer scheme the resource also takes. */
const dpopChallenge = (error: string, text: string) =>
  `DPoP realm="orders", error="${error}", error_description="${text}", ${algs}, Bearer realm="orders"`
const invalidProof = (reason: TokenVerifier.FailureReason) => dpopChallenge("invalid_dpop_proof", description(reason))

const setup = (alg: Dpop.Algorithm = "ES256") =>
  Effect.gen(function*() {
    const key = yield* Effect.orDie(Dpop.generateKey({ alg }))
    const jkt = yield* Dpop.thumbprint(key)
    const token = yield* accessToken(jkt)
    return { key, jkt, token, authorization: `DPoP ${token}` }
  })

describe("DPoP proofs at the resource server", () => {
  it.effect("accepts proofs made by core's client, of every key type; the Caller names the key", () =>
    Effect.gen(function*() {
      for (const alg of ["ES256", "EdDSA", "RS256"] as const) {
        const { authorization, jkt, key, token } = yield* setup(alg)
        const answer = yield* call({ authorization, dpop: yield* clientProof(key, token) })
        assert.strictEqual(answer.status, 200, alg)
        assert.deepStrictEqual(JSON.parse(answer.body), { jkt, client: "orders-app" })
        assert.isNull(answer.nonce)
      }
    }).pipe(Effect.provide(jwtVerifier())))

  it.effect("compares htu without query and fragment, normalised; the URL is the public one, not the socket's", () =>
    Effect.gen(function*() {
      const { authorization, key, token } = yield* setup()
      // core's client leaves the query out; the request has one
      const withQuery = yield* clientProof(key, token, { htu: `${ordersUrl}?page=2` })
      assert.strictEqual((yield* call({ authorization, path: "/orders?page=2", dpop: withQuery })).status, 200)
      const bound = yield* accessToken(otherJkt)
      for (const htu of [`HTTPS://Orders.EXAMPLE.com:443/%6Frders?page=2#top`, `${publicUrl}/x/../orders`]) {
        const proof = yield* crafted(bound, { claims: { htu } })
        assert.strictEqual((yield* call({ authorization: `DPoP ${bound}`, dpop: proof })).status, 200, htu)
      }
      for (const htu of [`${socketUrl}/orders`, `${publicUrl}/orders/1`, `http://orders.example.com/orders`, "/orders"]) {
        const answer = yield* call({ authorization: `DPoP ${bound}`, dpop: yield* crafted(bound, { claims: { htu } }) })
        assert.deepStrictEqual([answer.status, answer.challenge], [401, invalidProof("DpopUrl")], htu)
      }
    }).pipe(Effect.provide(jwtVerifier())))

  it.effect("refuses every malformed or unacceptable proof with invalid_dpop_proof", () =>
    Effect.gen(function*() {
      const token = yield* accessToken(otherJkt)
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const claims = b64({ jti: "j-none", htm: "GET", htu: ordersUrl, iat: now, ath: ath(token) })
      const unsigned = `${b64({ alg: "none", typ: "dpop+jwt", jwk: otherJwk })}.${claims}.`
      const cases: ReadonlyArray<readonly [string, string, TokenVerifier.FailureReason]> = [
        ["typ JWT", yield* crafted(token, { header: { typ: "JWT" } }), "DpopType"],
        ["no typ", yield* crafted(token, { header: { typ: undefined } }), "DpopType"],
        ["alg none", unsigned, "DpopAlgorithm"],
        [
          "HS256",
          yield* crafted(token, { header: { alg: "HS256" }, key: new TextEncoder().encode("a-shared-secret-of-32-bytes!!!!!") }),
          "DpopAlgorithm"
        ],
        ["ES384 (not in the allowlist)", `${b64({ alg: "ES384", typ: "dpop+jwt", jwk: otherJwk })}.${claims}.${"A".repeat(128)}`, "DpopAlgorithm"],
        ["a private jwk", yield* crafted(token, { header: { jwk: otherPrivateJwk } }), "DpopKey"],
        ["no jwk", yield* crafted(token, { header: { jwk: undefined } }), "DpopKey"],
        ["a symmetric jwk", yield* crafted(token, { header: { jwk: { kty: "oct", k: "c2VjcmV0" } } }), "DpopKey"],
        ["a jwk of another key", yield* crafted(token, { header: { jwk: issuerJwk } }), "DpopKey"],
        ["htm POST", yield* crafted(token, { claims: { htm: "POST" } }), "DpopMethod"],
        ["htm get", yield* crafted(token, { claims: { htm: "get" } }), "DpopMethod"],
        ["iat 61 s old", yield* crafted(token, { claims: { iat: now - 61 } }), "DpopTime"],
        ["iat 61 s ahead", yield* crafted(token, { claims: { iat: now + 61 } }), "DpopTime"],
        ["ath of another token", yield* crafted(token, { claims: { ath: ath("another-token") } }), "DpopTokenHash"],
        ["no ath", yield* crafted(token, { claims: { ath: undefined } }), "DpopTokenHash"],
        ["no jti", yield* crafted(token, { claims: { jti: undefined } }), "DpopMalformed"],
        ["iat a string", yield* crafted(token, { claims: { iat: String(now) } }), "DpopMalformed"],
        ["9 KiB", yield* crafted(token, { claims: { pad: "x".repeat(9 * 1024) } }), "DpopMalformed"],
        ["not a JWS", "not-a-proof", "DpopMalformed"]
      ]
      for (const [label, proof, reason] of cases) {
        const answer = yield* call({ authorization: `DPoP ${token}`, dpop: proof })
        assert.deepStrictEqual([answer.status, answer.challenge], [401, invalidProof(reason)], label)
        assert.deepStrictEqual(JSON.parse(answer.body), { _tag: "InvalidDpopProof", error_description: description(reason) })
      }
      const altered = yield* crafted(token)
      const signature = altered.slice(altered.lastIndexOf(".") + 1)
      const flipped = `${altered.slice(0, altered.lastIndexOf(".") + 1)}${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`
      assert.strictEqual((yield* call({ authorization: `DPoP ${token}`, dpop: flipped })).challenge, invalidProof("DpopSignature"))
    }).pipe(Effect.provide(jwtVerifier())))

  it.effect("refuses a missing proof, two proofs, and a replayed one", () =>
    Effect.gen(function*() {
      const { authorization, key, token } = yield* setup()
      const missing = yield* call({ authorization })
      assert.deepStrictEqual([missing.status, missing.challenge], [401, invalidProof("DpopMissing")])
      assert.strictEqual(description("DpopMissing"), "The request has no DPoP proof")
      const [first, second] = [yield* clientProof(key, token), yield* clientProof(key, token)]
      const two = yield* call({ authorization, dpop: [first, second] })
      assert.deepStrictEqual([two.status, two.challenge], [401, invalidProof("DpopMalformed")])
      assert.strictEqual((yield* call({ authorization, dpop: first })).status, 200)
      const replayed = yield* call({ authorization, dpop: first })
      assert.deepStrictEqual([replayed.status, replayed.challenge], [
        401,
        `DPoP realm="orders", error="invalid_dpop_proof", error_description="The DPoP proof was already used", ${algs}, Bearer realm="orders"`
      ])
      assert.strictEqual((yield* call({ authorization, dpop: second })).status, 200)
    }).pipe(Effect.provide(jwtVerifier())))

  it.effect("accepts iat within the window of the Clock, either way, and refuses it beyond", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_800_000_000_000)
      const { authorization, key, token } = yield* setup()
      const early = yield* clientProof(key, token)
      const late = yield* clientProof(key, token)
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual((yield* call({ authorization, dpop: early })).status, 200)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* call({ authorization, dpop: late })).challenge, invalidProof("DpopTime"))
    }).pipe(Effect.provide(jwtVerifier({ proofWindow: "30 seconds" }))))

  it.effect("binds the token to the proof's key: a JWT's cnf.jkt", () =>
    Effect.gen(function*() {
      const { key } = yield* setup()
      const boundElsewhere = yield* accessToken(otherJkt)
      const mismatch = yield* call({ authorization: `DPoP ${boundElsewhere}`, dpop: yield* clientProof(key, boundElsewhere) })
      assert.deepStrictEqual([mismatch.status, mismatch.challenge], [
        401,
        dpopChallenge("invalid_token", "The access token is bound to another key than the DPoP proof's")
      ])
      assert.deepStrictEqual(JSON.parse(mismatch.body), {
        _tag: "InvalidToken",
        error_description: "The access token is bound to another key than the DPoP proof's",
        scheme: "DPoP"
      })
      // RFC 9449 §7.2: a bound token is no bearer token
      const asBearer = yield* call({ authorization: `Bearer ${boundElsewhere}` })
      assert.deepStrictEqual([asBearer.status, asBearer.challenge], [
        401,
        dpopChallenge("invalid_token", "The access token is DPoP-bound: send it with the DPoP scheme and a proof")
      ])
      const unbound = yield* accessToken()
      const withProof = yield* call({ authorization: `DPoP ${unbound}`, dpop: yield* clientProof(key, unbound) })
      assert.deepStrictEqual([withProof.status, withProof.challenge], [
        401,
        dpopChallenge("invalid_token", "The access token is not DPoP-bound: send it as a Bearer token")
      ])
      // an unbound token is still a bearer token
      const bearer = yield* call({ authorization: `Bearer ${unbound}` })
      assert.deepStrictEqual([bearer.status, JSON.parse(bearer.body)], [200, { jkt: null, client: "orders-app" }])
    }).pipe(Effect.provide(jwtVerifier())))

  it.effect("binds the token to the proof's key: an introspection answer's cnf.jkt", () =>
    Effect.gen(function*() {
      const key = yield* Effect.orDie(Dpop.generateKey())
      const jkt = yield* Dpop.thumbprint(key)
      const bound = opaqueToken(jkt)
      const ok = yield* call({ authorization: `DPoP ${bound}`, dpop: yield* clientProof(key, bound) })
      assert.deepStrictEqual([ok.status, JSON.parse(ok.body)], [200, { jkt, client: "orders-app" }])
      const boundElsewhere = opaqueToken(otherJkt)
      const mismatch = yield* call({ authorization: `DPoP ${boundElsewhere}`, dpop: yield* clientProof(key, boundElsewhere) })
      assert.deepStrictEqual([mismatch.status, mismatch.challenge], [401, dpopChallenge("invalid_token", description("DpopKeyMismatch"))])
      const asBearer = yield* call({ authorization: `Bearer ${bound}` })
      assert.deepStrictEqual([asBearer.status, asBearer.challenge], [401, dpopChallenge("invalid_token", description("DpopBound"))])
      assert.strictEqual((yield* call({ authorization: `Bearer ${opaqueToken()}` })).status, 200)
    }).pipe(Effect.provide(introspectionVerifier())))

  it.effect("challenges both schemes when both are taken; DPoP alone when it is required", () =>
    Effect.gen(function*() {
      const missing = yield* call({})
      assert.deepStrictEqual([missing.status, missing.challenge], [401, `Bearer realm="orders", DPoP realm="orders", ${algs}`])
      // a refused bearer token: its own scheme's challenge, then the other scheme taken
      const expired = yield* call({ authorization: "Bearer not.a.jwt" })
      assert.strictEqual(
        expired.challenge,
        `Bearer realm="orders", error="invalid_token", error_description="${description("Malformed")}", DPoP realm="orders", ${algs}`
      )
      const malformed = yield* call({ authorization: "DPoP a b" })
      assert.deepStrictEqual([malformed.status, malformed.challenge], [
        400,
        `DPoP realm="orders", error="invalid_request", error_description="The DPoP access token in the Authorization header is malformed", ${algs}`
      ])
      const { authorization, key, token } = yield* setup()
      const scope = yield* call({ method: "POST", authorization, dpop: yield* clientProof(key, token, { htm: "POST" }) })
      assert.deepStrictEqual([scope.status, scope.challenge], [
        403,
        `DPoP realm="orders", error="insufficient_scope", error_description="The access token lacks the scope this resource requires", scope="orders.write", ${algs}`
      ])
    }).pipe(Effect.provide(jwtVerifier())))

  it.effect("with required, a bearer token is refused and only DPoP is challenged", () =>
    Effect.gen(function*() {
      const missing = yield* call({})
      assert.strictEqual(missing.challenge, `DPoP realm="orders", algs="ES256"`)
      const bearer = yield* call({ authorization: `Bearer ${yield* accessToken()}` })
      assert.deepStrictEqual([bearer.status, bearer.challenge], [
        401,
        `DPoP realm="orders", error="invalid_token", error_description="The resource accepts DPoP-bound access tokens only", algs="ES256"`
      ])
    }).pipe(Effect.provide(jwtVerifier({ required: true, algorithms: ["ES256"] }))))

  it.effect("without the dpop option, the DPoP scheme is no token and a bound token is refused", () =>
    Effect.gen(function*() {
      const { authorization, key, token } = yield* setup()
      const answer = yield* call({ authorization, dpop: yield* clientProof(key, token) })
      assert.deepStrictEqual([answer.status, answer.challenge], [401, `Bearer realm="orders"`])
      const asBearer = yield* call({ authorization: `Bearer ${token}` })
      assert.deepStrictEqual([asBearer.status, asBearer.challenge], [
        401,
        `Bearer realm="orders", error="invalid_token", error_description="${description("DpopBound")}"`
      ])
    }).pipe(Effect.provide(jwtVerifier("bearer only"))))
})

class Orders extends HttpApiGroup.make("orders")
  .add(HttpApiEndpoint.get("list", "/orders").addSuccess(Schema.Struct({ jkt: Schema.NullOr(Schema.String) })))
  .middleware(ResourceServer.Guard)
{}

class Api extends HttpApi.make("api").add(Orders) {}

const OrdersLive = HttpApiBuilder.group(Api, "orders", (handlers) =>
  handlers.handle("list", () => Effect.map(ResourceServer.Caller, (caller) => ({ jkt: Option.getOrNull(caller.dpopThumbprint) }))))

describe("DPoP with ResourceServer.Guard (HttpApi)", () => {
  it.scopedLive("takes proofs, asks for its nonce and challenges both schemes", () =>
    Effect.gen(function*() {
      const { dispose, handler } = HttpApiBuilder.toWebHandler(
        Layer.mergeAll(
          HttpApiBuilder.api(Api).pipe(
            Layer.provide(OrdersLive),
            Layer.provide(ResourceServer.layerGuard({ realm: "orders", publicUrl })),
            Layer.provide(jwtVerifier({ nonce: true }))
          ),
          HttpServer.layerContext
        )
      )
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const send = (headers: Record<string, string>) =>
        Effect.promise(async () => {
          const response = await handler(new Request(`${socketUrl}/orders`, { headers }))
          return {
            status: response.status,
            challenge: response.headers.get("www-authenticate"),
            nonce: response.headers.get("dpop-nonce"),
            body: await response.text()
          }
        })
      const { authorization, jkt, key, token } = yield* setup()
      const missing = yield* send({})
      assert.deepStrictEqual([missing.status, missing.challenge], [401, `Bearer realm="orders", DPoP realm="orders", ${algs}`])
      const first = yield* send({ authorization, dpop: yield* clientProof(key, token) })
      assert.deepStrictEqual([first.status, first.challenge], [
        401,
        dpopChallenge("use_dpop_nonce", "The resource server requires the nonce of its DPoP-Nonce header in the DPoP proof")
      ])
      const ok = yield* send({ authorization, dpop: yield* clientProof(key, token, { nonce: first.nonce! }) })
      assert.deepStrictEqual([ok.status, JSON.parse(ok.body)], [200, { jkt }])
      const bad = yield* send({ authorization, dpop: yield* clientProof(key, token, { nonce: first.nonce!, htm: "PUT" }) })
      assert.deepStrictEqual([bad.status, bad.challenge], [401, invalidProof("DpopMethod")])
    }))
})

describe("DPoP nonces at the resource server", () => {
  const useNonce = dpopChallenge(
    "use_dpop_nonce",
    "The resource server requires the nonce of its DPoP-Nonce header in the DPoP proof"
  )

  it.effect("asks for its nonce, takes it, rotates it on the Clock, and hands out the new one", () =>
    Effect.gen(function*() {
      const { authorization, key, token } = yield* setup()
      const first = yield* call({ authorization, dpop: yield* clientProof(key, token) })
      assert.deepStrictEqual([first.status, first.challenge], [401, useNonce])
      const nonce = first.nonce!
      assert.match(nonce, /^[\w-]{32}$/)
      const retried = yield* call({ authorization, dpop: yield* clientProof(key, token, { nonce }) })
      assert.deepStrictEqual([retried.status, retried.nonce], [200, null])
      // a period later the nonce is the previous one: still taken, and the answer carries the new one
      yield* TestClock.adjust("1 minute")
      const rotated = yield* call({ authorization, dpop: yield* clientProof(key, token, { nonce }) })
      assert.strictEqual(rotated.status, 200)
      assert.notStrictEqual(rotated.nonce, null)
      assert.notStrictEqual(rotated.nonce, nonce)
      assert.strictEqual((yield* call({ authorization, dpop: yield* clientProof(key, token, { nonce: rotated.nonce! }) })).nonce, null)
      // two periods later it is stale
      yield* TestClock.adjust("2 minutes")
      const stale = yield* call({ authorization, dpop: yield* clientProof(key, token, { nonce }) })
      assert.deepStrictEqual([stale.status, stale.challenge], [401, useNonce])
      assert.strictEqual((yield* call({ authorization, dpop: yield* clientProof(key, token, { nonce: stale.nonce! }) })).status, 200)
      const made = yield* call({ authorization, dpop: yield* clientProof(key, token, { nonce: "made-up" }) })
      assert.deepStrictEqual([made.status, made.challenge, made.nonce], [401, useNonce, stale.nonce])
    }).pipe(Effect.provide(jwtVerifier({ nonce: { rotateEvery: "1 minute" } }))))

  it.effect("servers that share the nonce secret give and take the same nonces; others do not", () =>
    Effect.gen(function*() {
      const secret = Redacted.make("fleet-nonce-secret")
      const a = yield* DpopProof.make({ nonce: { secret } })
      const b = yield* DpopProof.make({ nonce: { secret } })
      const c = yield* DpopProof.make({ nonce: true })
      const nonce = Option.getOrThrow(yield* a.currentNonce)
      assert.deepStrictEqual(yield* b.currentNonce, Option.some(nonce))
      assert.notStrictEqual(Option.getOrThrow(yield* c.currentNonce), nonce)
      const key = yield* Effect.orDie(Dpop.generateKey())
      const token = yield* accessToken()
      const proof = Redacted.make(yield* clientProof(key, token, { nonce }))
      const request = { method: "GET", url: ordersUrl, accessToken: Redacted.make(token) }
      assert.strictEqual((yield* b.verify(proof, request)).jkt, yield* Dpop.thumbprint(key))
      assert.strictEqual((yield* Effect.flip(c.verify(proof, request))).reason, "DpopNonce")
    }))
})

describe("the replay cache", () => {
  // a proof's key (thumbprint and jti) always comes with the same expiry (its iat plus the window): each
  // generated proof has one, and is presented any number of times
  it.effect.prop(
    "never holds more than its capacity, and never takes a proof twice while it could pass",
    [
      FastCheck.integer({ min: 1, max: 8 }),
      FastCheck.array(FastCheck.integer({ min: 1, max: 120_000 }), { minLength: 1, maxLength: 12 }),
      FastCheck.array(FastCheck.tuple(FastCheck.nat(), FastCheck.integer({ min: 0, max: 30_000 })), { maxLength: 100 })
    ],
    ([capacity, expiries, steps]) =>
      Effect.gen(function*() {
        const cache = yield* dpopProof.memoryReplayCache({ capacity })
        const taken = new Set<number>()
        for (const [pick, wait] of steps) {
          yield* TestClock.adjust(wait)
          const now = yield* Clock.currentTimeMillis
          const proof = pick % expiries.length
          const expiresAt = expiries[proof]!
          const added = yield* cache.add(`jkt j${proof}`, expiresAt)
          if (taken.has(proof) && expiresAt > now) assert.isFalse(added, `j${proof} taken twice`)
          if (added) taken.add(proof)
          assert.isAtMost(yield* cache.size, capacity)
        }
      }),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect("makes room with the oldest entry, and from then on refuses what it may have forgotten", () =>
    Effect.gen(function*() {
      const cache = yield* dpopProof.memoryReplayCache({ capacity: 2 })
      const now = yield* Clock.currentTimeMillis
      assert.isTrue(yield* cache.add("a", now + 60_000))
      assert.isTrue(yield* cache.add("b", now + 61_000))
      assert.isTrue(yield* cache.add("c", now + 62_000))
      assert.strictEqual(yield* cache.size, 2)
      // "a" was forgotten: taking it again could accept a replay
      assert.isFalse(yield* cache.add("a", now + 60_000))
      assert.isTrue(yield* cache.add("d", now + 63_000))
      // past their expiry, entries go and make room
      yield* TestClock.adjust("70 seconds")
      assert.isTrue(yield* cache.add("e", now + 130_000))
      assert.strictEqual(yield* cache.size, 1)
    }))

  it.effect("a capacity that is not a positive integer is a defect, as is an algorithm that is not asymmetric", () =>
    Effect.gen(function*() {
      for (const capacity of [0, -1, 1.5, Number.NaN]) {
        assert.strictEqual((yield* Effect.exit(dpopProof.memoryReplayCache({ capacity })))._tag, "Failure", String(capacity))
      }
      const hmac = yield* Effect.exit(DpopProof.make({ algorithms: ["HS256" as TokenVerifier.Algorithm] }))
      assert.strictEqual(hmac._tag, "Failure")
      assert.strictEqual((yield* Effect.exit(DpopProof.make({ algorithms: [] })))._tag, "Failure")
    }))
})

describe("DPoP values print no secret", () => {
  it.effect("refusals, their errors and the Caller, printed every way and logged, hold no token and no proof", () =>
    Effect.gen(function*() {
      const capture = makeCapture()
      const { key, token } = yield* setup()
      const proofs = [
        yield* clientProof(key, token),
        yield* crafted(token, { header: { typ: "JWT" } }),
        yield* crafted(token, { claims: { htm: "PUT" } })
      ]
      const secrets = [token, ...proofs, ...proofs.map((proof) => proof.split(".")[2]!)]
      const verifier = yield* TokenVerifier.TokenVerifier
      const request = (dpop: string | undefined, scheme = "DPoP") =>
        HttpServerRequest.fromWeb(
          new Request(`${socketUrl}/orders`, {
            headers: { authorization: `${scheme} ${token}`, ...(dpop === undefined ? {} : { dpop }) }
          })
        )
      const run = <A, E>(effect: Effect.Effect<A, E, HttpServerRequest.HttpServerRequest | TokenVerifier.TokenVerifier>, dpop?: string, scheme?: string) =>
        effect.pipe(
          Effect.provideService(HttpServerRequest.HttpServerRequest, request(dpop, scheme)),
          Effect.withTracer(capture.tracer),
          Effect.provide(capture.logger),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
      const verify = ResourceServer.verifyRequest({ publicUrl })
      capture.print(yield* run(verify, proofs[0]))
      for (const [dpop, scheme] of [[proofs[0]], [proofs[1]], [proofs[2]], [undefined], [undefined, "Bearer"]] as const) {
        const refusal = yield* Effect.flip(run(verify, dpop, scheme))
        capture.print(refusal)
        capture.print(yield* Effect.promise(() => HttpServerResponse.toWeb(ResourceServer.toResponse(refusal)).text()))
      }
      for (const proof of proofs) {
        capture.print(
          yield* Effect.either(verifier.dpop!.verify(Redacted.make(proof), { method: "GET", url: ordersUrl, accessToken: Redacted.make(token) }))
        )
      }
      const text = capture.text()
      assert.include(text, "DpopType")
      for (const secret of secrets) assert.notInclude(text, secret)
      for (const printed of printings(new ResourceServer.UseDpopNonce({ nonce: "n" }))) {
        for (const secret of secrets) assert.notInclude(printed, secret)
      }
    }).pipe(Effect.provide(jwtVerifier())))
})
