import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Effect, Layer, Redacted, TestClock } from "effect"
import { createServer } from "node:http"
import * as Jose from "jose"
import * as AuthServer from "../src/AuthServer.js"
import * as Dpop from "../src/internal/dpop.js"
import { body, expectError, introspect, post, send, tokens, withServer } from "./grantFixtures.js"

const issuer = "https://as.example"
const callback = "https://app.example.com/callback"
const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

const withoutDpop: AuthServer.Options = {
  clients: [
    { clientId: "crm", clientSecret: "s3cret", scopes: ["crm.read"] },
    { clientId: "spa", public: true, redirectUris: [callback] }
  ],
  issuer,
  accessTokenFormat: "jwt",
  autoApprove: true,
  apiScopes: { "/api/admin": ["admin"] }
}

const options = (dpop: AuthServer.DpopOptions = {}): AuthServer.Options => ({ ...withoutDpop, dpop })

interface Key {
  readonly privateKey: Jose.CryptoKey
  readonly jwk: Jose.JWK
  readonly jkt: string
}

const makeKey = (alg: "ES256" | "EdDSA" = "ES256"): Effect.Effect<Key> =>
  Effect.promise(async () => {
    const { privateKey, publicKey } = await Jose.generateKeyPair(alg, { extractable: true })
    const jwk = await Jose.exportJWK(publicKey)
    return { privateKey, jwk, jkt: await Jose.calculateJwkThumbprint(jwk) }
  })

let jtis = 0

/** A proof as a client makes it (RFC 9449 §4.2), at the Clock's time, with `claims` and `header` overriding. */
const proof = (
  key: Key,
  htm: string,
  htu: string,
  // loosely typed: the tests send what a hostile client would
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {}
) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.promise(() =>
      new Jose.SignJWT({ htm, htu, jti: `jti-${++jtis}`, iat: Math.floor(now / 1000), ...claims })
        .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.jwk, ...header } as Jose.JWTHeaderParameters)
        .sign(key.privateKey)
    ))

const ath = (token: string) => Effect.promise(() => Dpop.accessTokenHash(token))

const withProof = (value: string) => HttpClientRequest.setHeader("DPoP", value)

const clientCredentials = (dpop?: string) =>
  send(
    HttpClientRequest.post("/token").pipe(
      HttpClientRequest.bodyUrlParams({ grant_type: "client_credentials" }),
      HttpClientRequest.basicAuth("crm", "s3cret"),
      dpop === undefined ? (r) => r : withProof(dpop)
    )
  )

const boundToken = (key: Key) =>
  Effect.flatMap(proof(key, "POST", `${issuer}/token`), (p) => tokens(clientCredentials(p)))

/** An API call with a token in the DPoP scheme (or the Bearer one) and an optional proof. */
const api = (token: string, dpop: string | undefined, scheme = "DPoP", path = "/api/things") =>
  send(
    HttpClientRequest.get(path).pipe(
      HttpClientRequest.setHeader("Authorization", `${scheme} ${token}`),
      dpop === undefined ? (r) => r : withProof(dpop)
    )
  )

const apiProof = (key: Key, token: string, claims: Record<string, unknown> = {}) =>
  Effect.flatMap(ath(token), (hash) => proof(key, "GET", `${issuer}/api/things`, { ath: hash, ...claims }))

/** Asserts a 401 of the API with a DPoP challenge carrying `error`. */
const expectChallenge = (response: HttpClientResponse.HttpClientResponse, error: string) =>
  Effect.gen(function*() {
    assert.strictEqual(response.status, 401)
    const challenge = response.headers["www-authenticate"] ?? ""
    assert.match(challenge, /^DPoP realm="grantflow-sim"/)
    assert.include(challenge, `error="${error}"`)
    assert.include(challenge, `algs="ES256 EdDSA RS256 PS256"`)
    assert.include(challenge, `resource_metadata="${issuer}/.well-known/oauth-protected-resource/api"`)
    assert.strictEqual((yield* body(response)).error, error)
  })

/** The public client's authorization request, with `extra` parameters: where the server sends the user back. */
const authorize = (extra: Record<string, string> = {}) =>
  Effect.map(
    send(HttpClientRequest.get("/authorize").pipe(HttpClientRequest.setUrlParams({
      response_type: "code",
      client_id: "spa",
      redirect_uri: callback,
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...extra
    }))),
    (response) => new URL(response.headers.location!)
  )

/** The public client's code exchange, with a proof when given. */
const exchange = (code: string, dpop: string | undefined) =>
  send(HttpClientRequest.post("/token").pipe(
    HttpClientRequest.bodyUrlParams({
      grant_type: "authorization_code",
      client_id: "spa",
      code,
      redirect_uri: callback,
      code_verifier: verifier
    }),
    dpop === undefined ? (r) => r : withProof(dpop)
  ))

/** A public client's tokens from the authorization code grant, with a proof of `key`. */
const publicTokens = (key: Key) =>
  Effect.gen(function*() {
    const code = (yield* authorize()).searchParams.get("code")!
    return yield* tokens(exchange(code, yield* proof(key, "POST", `${issuer}/token`)))
  })

const refresh = (refreshToken: string, dpop: string | undefined) =>
  send(HttpClientRequest.post("/token").pipe(
    HttpClientRequest.bodyUrlParams({ grant_type: "refresh_token", client_id: "spa", refresh_token: refreshToken }),
    dpop === undefined ? (r) => r : withProof(dpop)
  ))

describe("DPoP at the token endpoint", () => {
  it.effect("binds the access token to the proof's key: token_type, cnf.jkt in the JWT and at introspection", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const issued = yield* boundToken(key)
        assert.strictEqual(issued.token_type, "DPoP")
        assert.deepStrictEqual(Jose.decodeJwt(issued.access_token).cnf, { jkt: key.jkt })
        const introspection = yield* introspect(issued.access_token)
        assert.deepInclude(introspection, { active: true, token_type: "DPoP", cnf: { jkt: key.jkt } })
        const metadata = yield* Effect.flatMap(send(HttpClientRequest.get("/.well-known/oauth-authorization-server")), body)
        assert.deepStrictEqual(metadata.dpop_signing_alg_values_supported, ["ES256", "EdDSA", "RS256", "PS256"])
      })
    ))

  it.effect("issues bearer tokens without a proof, and refuses an invalid proof or a missing required one", () =>
    Effect.gen(function*() {
      const key = yield* makeKey()
      yield* withServer(
        options(),
        Effect.gen(function*() {
          const issued = yield* tokens(clientCredentials())
          assert.strictEqual(issued.token_type, "Bearer")
          assert.isUndefined(Jose.decodeJwt(issued.access_token).cnf)
          const wrongUrl = yield* proof(key, "POST", `${issuer}/revoke`)
          const description = yield* expectError(clientCredentials(wrongUrl), "invalid_dpop_proof")
          assert.include(description, "htu")
          yield* expectError(clientCredentials("not.a.proof"), "invalid_dpop_proof")
        })
      )
      yield* withServer(options({ required: true }), expectError(clientCredentials(), "invalid_dpop_proof"))
    }))

  it.effect("ignores DPoP when the server is not told to take it", () =>
    withServer(
      withoutDpop,
      Effect.gen(function*() {
        const key = yield* makeKey()
        const issued = yield* boundToken(key)
        assert.strictEqual(issued.token_type, "Bearer")
        const metadata = yield* Effect.flatMap(send(HttpClientRequest.get("/.well-known/oauth-authorization-server")), body)
        assert.notProperty(metadata, "dpop_signing_alg_values_supported")
      })
    ))

  it.effect("binds a public client's refresh token: another key, or no proof, is refused", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const other = yield* makeKey("EdDSA")
        const issued = yield* publicTokens(key)
        assert.strictEqual(issued.token_type, "DPoP")
        const refreshToken = issued.refresh_token!
        const otherProof = yield* proof(other, "POST", `${issuer}/token`, {}, { alg: "EdDSA", jwk: other.jwk })
        yield* expectError(refresh(refreshToken, otherProof), "invalid_grant")
        yield* expectError(refresh(refreshToken, undefined), "invalid_dpop_proof")
        const refreshed = yield* tokens(refresh(refreshToken, yield* proof(key, "POST", `${issuer}/token`)))
        assert.strictEqual(refreshed.token_type, "DPoP")
        assert.deepStrictEqual(Jose.decodeJwt(refreshed.access_token).cnf, { jkt: key.jkt })
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        assert.deepStrictEqual(
          journal.filter((entry) => entry.grantType === "refresh_token").map(({ dpop, dpopJkt, status }) => ({
            dpop,
            dpopJkt,
            status
          })),
          [
            { dpop: "mismatch", dpopJkt: other.jkt, status: 400 },
            { dpop: "missing", dpopJkt: undefined, status: 400 },
            { dpop: "valid", dpopJkt: key.jkt, status: 200 }
          ]
        )
      })
    ))
})

describe("dpop_jkt: a code bound to a key (RFC 9449 §10)", () => {
  it.effect("a code whose request named dpop_jkt is exchanged only with a proof of that key", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const other = yield* makeKey("EdDSA")
        const code = () => Effect.map(authorize({ dpop_jkt: key.jkt }), (back) => back.searchParams.get("code")!)
        const otherProof = yield* proof(other, "POST", `${issuer}/token`, {}, { alg: "EdDSA", jwk: other.jwk })
        const description = yield* expectError(exchange(yield* code(), otherProof), "invalid_grant")
        assert.include(description, "dpop_jkt")
        yield* expectError(exchange(yield* code(), undefined), "invalid_grant")
        const issued = yield* tokens(exchange(yield* code(), yield* proof(key, "POST", `${issuer}/token`)))
        assert.strictEqual(issued.token_type, "DPoP")
        assert.deepStrictEqual(Jose.decodeJwt(issued.access_token).cnf, { jkt: key.jkt })

        const server = yield* AuthServer.AuthServer
        assert.deepStrictEqual((yield* server.codes).map((c) => [c.dpopJkt, c.used]), [
          [key.jkt, true],
          [key.jkt, true],
          [key.jkt, true]
        ])
        const journal = yield* server.journal
        assert.deepStrictEqual(
          journal.filter((e) => e.grantType === "authorization_code").map((e) => [e.dpop, e.dpopJkt, e.status]),
          [["mismatch", other.jkt, 400], ["missing", undefined, 400], ["valid", key.jkt, 200]]
        )
        // a code without dpop_jkt is bound to nothing: any key, or none, exchanges it
        const free = (yield* authorize()).searchParams.get("code")!
        const again = yield* proof(other, "POST", `${issuer}/token`, {}, { alg: "EdDSA", jwk: other.jwk })
        assert.strictEqual((yield* tokens(exchange(free, again))).token_type, "DPoP")
      })
    ))

  it.effect("a dpop_jkt that is not a SHA-256 thumbprint is invalid_request, at /authorize and at /par", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        for (const wrong of ["abc", `${key.jkt}=`, `${key.jkt.slice(1)}+`, key.jkt.slice(0, 42), "x".repeat(4096)]) {
          const back = yield* authorize({ dpop_jkt: wrong })
          assert.strictEqual(back.searchParams.get("error"), "invalid_request", wrong)
          assert.include(back.searchParams.get("error_description"), "dpop_jkt")
          assert.isNull(back.searchParams.get("code"))
          const pushed = yield* expectError(
            post("/par", ["spa"], {
              response_type: "code",
              redirect_uri: callback,
              code_challenge: challenge,
              code_challenge_method: "S256",
              dpop_jkt: wrong
            }),
            "invalid_request"
          )
          assert.include(pushed, "dpop_jkt")
        }
      })
    ))

  it.effect("a pushed request's dpop_jkt binds the code it gives", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const pushed = yield* body(yield* post("/par", ["spa"], {
          response_type: "code",
          redirect_uri: callback,
          code_challenge: challenge,
          code_challenge_method: "S256",
          dpop_jkt: key.jkt
        }))
        const back = yield* Effect.map(
          send(HttpClientRequest.get("/authorize").pipe(
            HttpClientRequest.setUrlParams({ client_id: "spa", request_uri: String(pushed.request_uri) })
          )),
          (response) => new URL(response.headers.location!)
        )
        yield* expectError(exchange(back.searchParams.get("code")!, undefined), "invalid_grant")
        const server = yield* AuthServer.AuthServer
        assert.deepStrictEqual((yield* server.codes).map((c) => c.dpopJkt), [key.jkt])
      })
    ))

  it.effect("a server that does not take DPoP ignores dpop_jkt", () =>
    withServer(
      withoutDpop,
      Effect.gen(function*() {
        const back = yield* authorize({ dpop_jkt: "not a thumbprint" })
        const code = back.searchParams.get("code")!
        assert.strictEqual((yield* tokens(exchange(code, undefined))).token_type, "Bearer")
      })
    ))
})

describe("DPoP at the protected API", () => {
  it.effect("serves a bound token with a proof of its key, and refuses replays, wrong requests and wrong keys", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const token = (yield* boundToken(key)).access_token
        const good = yield* apiProof(key, token)
        const ok = yield* api(token, good)
        assert.strictEqual(ok.status, 200)
        yield* expectChallenge(yield* api(token, good), "invalid_dpop_proof")
        yield* expectChallenge(yield* api(token, yield* apiProof(key, token, { htm: "POST" })), "invalid_dpop_proof")
        yield* expectChallenge(
          yield* api(token, yield* apiProof(key, token, { htu: `${issuer}/api/other` })),
          "invalid_dpop_proof"
        )
        yield* expectChallenge(yield* api(token, yield* apiProof(key, token, { ath: "x" })), "invalid_dpop_proof")
        yield* expectChallenge(yield* api(token, undefined), "invalid_dpop_proof")
        // a valid proof, of the wrong key
        const other = yield* makeKey()
        yield* expectChallenge(yield* api(token, yield* apiProof(other, token)), "invalid_token")
        // a bound token is not a bearer token
        yield* expectChallenge(yield* api(token, undefined, "Bearer"), "invalid_token")
        // the query string is not part of htu
        assert.strictEqual((yield* api(token, yield* apiProof(key, token), "DPoP", "/api/things?page=2")).status, 200)
        // a scope the token lacks: the challenge keeps the scheme the token came in
        const admin = yield* api(
          token,
          yield* proof(key, "GET", `${issuer}/api/admin`, { ath: yield* ath(token) }),
          "DPoP",
          "/api/admin"
        )
        assert.strictEqual(admin.status, 403)
        assert.match(admin.headers["www-authenticate"] ?? "", /^DPoP realm="grantflow-sim", error="insufficient_scope"/)
      })
    ))

  it.effect("serves a token that AuthServer.grant bound to a key", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const granted = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.grant("spa", { dpopJkt: key.jkt }))
        const token = Redacted.value(granted.accessToken)
        assert.deepStrictEqual(Jose.decodeJwt(token).cnf, { jkt: key.jkt })
        assert.strictEqual((yield* api(token, yield* apiProof(key, token))).status, 200)
        yield* expectChallenge(yield* api(token, undefined, "Bearer"), "invalid_token")
        const refreshed = yield* tokens(refresh(Redacted.value(granted.refreshToken!), yield* proof(key, "POST", `${issuer}/token`)))
        assert.strictEqual(refreshed.token_type, "DPoP")
      })
    ))

  it.effect("refuses a proof whose iat left the window", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const token = (yield* boundToken(key)).access_token
        const early = yield* apiProof(key, token)
        yield* TestClock.adjust("61 seconds")
        yield* expectChallenge(yield* api(token, early), "invalid_dpop_proof")
        assert.strictEqual((yield* api(token, yield* apiProof(key, token))).status, 200)
      })
    ))

  it.effect("keeps bearer tokens as they were, and refuses a bearer token sent with the DPoP scheme", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const token = (yield* tokens(clientCredentials())).access_token
        assert.strictEqual((yield* api(token, undefined, "Bearer")).status, 200)
        yield* expectChallenge(yield* api(token, yield* apiProof(key, token)), "invalid_token")
        const missing = yield* send(HttpClientRequest.get("/api/things"))
        assert.match(missing.headers["www-authenticate"] ?? "", /^Bearer realm=/)
      })
    ))

  it.effect("records the outcome and the key thumbprint, never the proof", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const token = (yield* boundToken(key)).access_token
        const p = yield* apiProof(key, token)
        yield* api(token, p)
        yield* api(token, p)
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        assert.deepStrictEqual(journal.map(({ dpop, dpopJkt, endpoint, status }) => ({ endpoint, dpop, dpopJkt, status })), [
          { endpoint: "token", dpop: "valid", dpopJkt: key.jkt, status: 200 },
          { endpoint: "api", dpop: "valid", dpopJkt: key.jkt, status: 200 },
          { endpoint: "api", dpop: "invalid", dpopJkt: key.jkt, status: 401 }
        ])
        const text = JSON.stringify(journal)
        assert.notInclude(text, p.split(".")[2]!)
        assert.notInclude(text, token)
      })
    ))
})

describe("DPoP on a loopback port", () => {
  it.scopedLive("takes the URL the client used as htu, whatever the configured issuer", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(
        AuthServer.serve.pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
          Layer.provideMerge(AuthServer.layer({ ...options(), issuer: undefined }))
        )
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      assert(address._tag === "TcpAddress")
      const base = `http://127.0.0.1:${address.port}`
      const client = yield* HttpClient.HttpClient
      const key = yield* makeKey()
      const tokenRequest = (htu: string) =>
        Effect.flatMap(proof(key, "POST", htu), (p) =>
          client.execute(HttpClientRequest.post(`${base}/token`).pipe(
            HttpClientRequest.bodyUrlParams({ grant_type: "client_credentials" }),
            HttpClientRequest.basicAuth("crm", "s3cret"),
            withProof(p)
          )))
      yield* Effect.provide(expectError(tokenRequest("http://127.0.0.1:1/token"), "invalid_dpop_proof"), context)
      const issued = yield* Effect.provide(tokens(tokenRequest(`${base}/token`)), context)
      assert.strictEqual(issued.token_type, "DPoP")
      const token = issued.access_token
      const p = yield* proof(key, "GET", `${base}/api/things`, { ath: yield* ath(token) })
      const response = yield* client.execute(HttpClientRequest.get(`${base}/api/things`).pipe(
        HttpClientRequest.setHeader("Authorization", `DPoP ${token}`),
        withProof(p)
      ))
      assert.strictEqual(response.status, 200)
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})

describe("DPoP nonces", () => {
  it.effect("asks for the nonce at the token endpoint and the API, and rotates it on the Clock", () =>
    withServer(
      options({ nonce: { rotateEvery: "1 minute" } }),
      Effect.gen(function*() {
        const key = yield* makeKey()
        const first = yield* clientCredentials(yield* proof(key, "POST", `${issuer}/token`))
        assert.strictEqual(first.status, 400)
        assert.strictEqual((yield* body(first)).error, "use_dpop_nonce")
        const nonce = first.headers["dpop-nonce"]!
        assert.isString(nonce)
        const issued = yield* tokens(clientCredentials(yield* proof(key, "POST", `${issuer}/token`, { nonce })))
        assert.strictEqual(issued.token_type, "DPoP")
        const token = issued.access_token

        assert.strictEqual((yield* api(token, yield* apiProof(key, token, { nonce }))).status, 200)
        yield* TestClock.adjust("1 minute")
        const stale = yield* api(token, yield* apiProof(key, token, { nonce }))
        yield* expectChallenge(stale, "use_dpop_nonce")
        const next = stale.headers["dpop-nonce"]!
        assert.notStrictEqual(next, nonce)
        assert.strictEqual((yield* api(token, yield* apiProof(key, token, { nonce: next }))).status, 200)
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        assert.deepStrictEqual(journal.map((entry) => entry.dpop), ["nonce", "valid", "valid", "nonce", "valid"])
      })
    ))
})

describe("the proof verifier", () => {
  const expected = (overrides: Partial<Dpop.Expected> = {}): Dpop.Expected => ({
    method: "POST",
    urls: [`${issuer}/token`],
    now: 0,
    windowMillis: 60_000,
    nonce: undefined,
    accessToken: undefined,
    ...overrides
  })

  const reason = (header: string | undefined, overrides: Partial<Dpop.Expected> = {}) =>
    Effect.map(Dpop.verify(header, expected(overrides)), (verdict) =>
      verdict._tag === "Valid" ? `valid ${verdict.jkt}` : `${verdict.error}: ${verdict.description}`)

  const encode = (value: unknown) => Jose.base64url.encode(JSON.stringify(value))

  it.effect("accepts a proof of the request and gives its key's thumbprint", () =>
    Effect.gen(function*() {
      const key = yield* makeKey()
      const token = "an-access-token"
      const p = yield* proof(key, "POST", "https://AS.example:443/token?ignored=1#too", { ath: yield* ath(token) })
      assert.strictEqual(yield* reason(p, { urls: [`${issuer}/token?x=1`], accessToken: token }), `valid ${key.jkt}`)
      assert.match(yield* reason(p, { accessToken: "another" }), /ath/)
      assert.match(yield* reason(p, { method: "GET" }), /htm/)
      assert.match(yield* reason(p, { now: 61_000 }), /iat/)
      assert.match(yield* reason(p, { nonce: "n" }), /^use_dpop_nonce/)
    }))

  it.effect("refuses hostile and malformed headers", () =>
    Effect.gen(function*() {
      const key = yield* makeKey()
      const other = yield* makeKey()
      const htu = `${issuer}/token`
      const signed = yield* proof(key, "POST", htu)
      const [head, payload] = signed.split(".")
      const cases: ReadonlyArray<readonly [string | undefined, RegExp]> = [
        [undefined, /no DPoP proof/],
        ["", /no DPoP proof/],
        ["a".repeat(Dpop.maxProofLength + 1), /longer than/],
        [`${signed}, ${signed}`, /more than one/],
        ["a.b.c", /compact/],
        ["....", /compact/],
        [`${encode({ alg: "none", typ: "dpop+jwt", jwk: key.jwk })}.${payload}.`, /alg/],
        [yield* proof(key, "POST", htu, {}, { typ: "JWT" }), /typ/],
        [`${encode({ alg: "HS256", typ: "dpop+jwt", jwk: { kty: "oct", k: "AAAA" } })}.${payload}.AAAA`, /alg/],
        [yield* proof(key, "POST", htu, {}, { jwk: { ...key.jwk, d: "AAAA" } }), /private/],
        [yield* proof(key, "POST", htu, {}, { jwk: { kty: "oct", k: "AAAA" } }), /public key/],
        [yield* proof(key, "POST", htu, {}, { jwk: other.jwk }), /signature/],
        [`${head}.${payload}.${"A".repeat(86)}`, /signature/],
        [yield* proof(key, "POST", htu, { jti: undefined }), /jti/],
        [yield* proof(key, "POST", htu, { jti: "x".repeat(300) }), /jti/],
        [yield* proof(key, "POST", "javascript:alert(1)"), /htu/],
        [yield* proof(key, "POST", "/token"), /htu/],
        [yield* proof(key, "POST", htu, { htm: ["POST"] }), /htm/],
        [yield* proof(key, "POST", htu, { iat: "0" }), /iat/],
        [yield* proof(key, "POST", htu, { iat: -61 }), /iat/]
      ]
      for (const [header, expectedReason] of cases) {
        const got = yield* reason(header)
        assert.match(got, /^invalid_dpop_proof: /, String(header).slice(0, 80))
        assert.match(got, expectedReason, String(header).slice(0, 80))
      }
    }))

  it("normalizes the htu as URLs compare", () => {
    assert.strictEqual(Dpop.normalizeUri("HTTPS://As.Example:443/token?q#f"), "https://as.example/token")
    assert.strictEqual(Dpop.normalizeUri("http://as.example:8080/a/../token"), "http://as.example:8080/token")
    assert.isUndefined(Dpop.normalizeUri("urn:x:y"))
    assert.isUndefined(Dpop.normalizeUri("not a url"))
  })
})
