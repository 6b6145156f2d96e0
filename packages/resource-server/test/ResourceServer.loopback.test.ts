/**
 * The resource server middleware on a real loopback socket, verifying tokens
 * that the simulated authorization server (also on loopback) issues: JWT
 * access tokens against its JWKS, opaque ones by introspection, DPoP-bound
 * ones with core's DPoP client, and a static shared token.
 */
import { assert, describe, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { BearerAuth, ClientAuth, Dpop, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Clock, ConfigProvider, Effect, FastCheck, Option, Redacted } from "effect"
import { createHmac, createPublicKey, type JsonWebKey } from "node:crypto"
import { createServer } from "node:http"
import { connect } from "node:net"
import * as ResourceServer from "../src/ResourceServer.js"
import * as TokenVerifier from "../src/TokenVerifier.js"

const audience = "https://orders.example.com"
const billing = ClientAuth.clientSecretBasic("billing", Redacted.make("billing-secret"))
const resourceServerAuth = ClientAuth.clientSecretBasic("orders-api", Redacted.make("orders-api-secret"))

/** The simulated authorization server on its own loopback port, which is also its issuer. */
const startAuthServer = (options: Partial<AuthServer.Options> = {}) =>
  Effect.gen(function*() {
    const http = yield* NodeHttpServer.make(() => createServer(), { port: 0, host: "127.0.0.1" })
    const issuer = `http://127.0.0.1:${(http.address as HttpServer.TcpAddress).port}`
    const server = yield* AuthServer.make({
      issuer,
      audience,
      clients: [
        { clientId: "billing", clientSecret: "billing-secret", scopes: ["orders.read"] },
        { clientId: "orders-api", clientSecret: "orders-api-secret" }
      ],
      ...options
    })
    yield* http.serve(server.app)
    const token = Effect.map(
      Grant.clientCredentials(Endpoint.make({ tokenUrl: `${issuer}/token`, auth: billing })),
      (issued) => issued.token
    )
    return { issuer, server, token }
  })

/** The orders service: `GET /orders` for any valid token, `DELETE /orders/:id` with `orders.write`. */
const orders = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/orders",
    Effect.flatMap(ResourceServer.Caller, (token) =>
      HttpServerResponse.json({ clientId: Option.getOrNull(token.clientId), scopes: token.scopes }))
  ),
  HttpRouter.del(
    "/orders/:id",
    Effect.as(ResourceServer.requireScopes("orders.write"), HttpServerResponse.empty({ status: 204 }))
  ),
  ResourceServer.middleware({ realm: "orders" })
)

/** Serves the orders service on loopback with `verifier`, on `clock` if given. */
const serveOrders = (verifier: TokenVerifier.TokenVerifier["Type"], clock?: Clock.Clock) => {
  const app = Effect.provideService(orders, TokenVerifier.TokenVerifier, verifier)
  return Effect.map(Loopback.make(clock === undefined ? app : Effect.withClock(app, clock)), ({ url }) => url)
}

interface Answer {
  readonly status: number
  readonly challenge: string | undefined
  readonly body: string
}

const send = (url: URL, token?: Redacted.Redacted<string>, method: "GET" | "DELETE" = "GET", path = "/orders") =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    let request = HttpClientRequest.make(method)(new URL(path, url))
    if (token !== undefined) request = HttpClientRequest.bearerToken(request, token)
    const response = yield* client.execute(request)
    return { status: response.status, challenge: response.headers["www-authenticate"], body: yield* response.text }
  })

/** Sends header lines exactly as given, which no HTTP client does for a repeated Authorization header. */
const sendRaw = (url: URL, lines: ReadonlyArray<string>) =>
  Effect.async<Answer>((resume) => {
    let data = ""
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        `GET /orders HTTP/1.1\r\nHost: ${url.host}\r\n${lines.map((line) => `${line}\r\n`).join("")}` +
          "Connection: close\r\n\r\n"
      )
    })
    socket.on("data", (chunk) => (data += chunk.toString()))
    socket.on("end", () => {
      const [head = "", body = ""] = data.split("\r\n\r\n")
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      const challenge = /^www-authenticate: (.*)$/im.exec(head)?.[1]
      resume(Effect.succeed({ status, challenge, body }))
    })
    socket.on("error", (error) => resume(Effect.die(error)))
  })

/**
 * A clock `offset` milliseconds off the real one, as a badly synchronised
 * server's would be; `offset.by` can be moved while it runs.
 */
const skewed = (offset: number | { by: number }): Clock.Clock => {
  const real = Clock.make()
  const millis = () => real.unsafeCurrentTimeMillis() + (typeof offset === "number" ? offset : offset.by)
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: millis,
    currentTimeMillis: Effect.sync(millis),
    unsafeCurrentTimeNanos: () => BigInt(millis()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(millis()) * 1_000_000n),
    sleep: (duration) => real.sleep(duration)
  }
}

const invalidToken = (answer: Answer, description: string) => {
  assert.strictEqual(answer.status, 401)
  assert.strictEqual(
    answer.challenge,
    `Bearer realm="orders", error="invalid_token", error_description="${description}"`
  )
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const parts = (token: Redacted.Redacted<string>) => {
  const [header = "", payload = "", signature = ""] = Redacted.value(token).split(".")
  return { header, payload, signature, claims: JSON.parse(Buffer.from(payload, "base64url").toString()) }
}

const jwksFetches = (server: AuthServer.AuthServer["Type"]) =>
  Effect.map(server.journal, (journal) => journal.filter((entry) => entry.endpoint === "jwks").length)

describe("JWT access tokens over loopback", () => {
  const jwtServer = startAuthServer({ accessTokenFormat: "jwt" })

  it.scopedLive("a grantflow client's token passes; the handler sees the caller", () =>
    Effect.gen(function*() {
      const { issuer } = yield* jwtServer
      const url = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience }))
      const provider = yield* TokenProvider.make(Grant.clientCredentials(Endpoint.make({ tokenUrl: `${issuer}/token`, auth: billing })))
      const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider))
      const response = yield* client.get(new URL("/orders", url))
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(yield* response.json, { clientId: "billing", scopes: ["orders.read"] })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("refuses an expired token and one not valid yet, by the verifier's own clock", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtServer
      const issued = yield* token
      // the verifier's clock two hours ahead of the issuer's: the one-hour token has expired
      const ahead = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience }), skewed(2 * 3600_000))
      invalidToken(yield* send(ahead, issued), "The access token expired")
      // five minutes behind: the token was issued in its future
      const behind = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience }), skewed(-5 * 60_000))
      invalidToken(yield* send(behind, issued), "The access token is not valid yet")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("refuses a token of another issuer sharing the keys, and one for another audience", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtServer
      const issued = yield* token
      const tenantB = yield* serveOrders(
        yield* TokenVerifier.jwt({ issuer: `${issuer}/tenant-b`, jwksUri: `${issuer}/jwks`, audience })
      )
      invalidToken(yield* send(tenantB, issued), "The access token was issued by another issuer")
      const billingApi = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience: "https://billing.example.com" }))
      invalidToken(yield* send(billingApi, issued), "The access token is not meant for this resource")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("an unknown kid is refused until the cool-down allows a new fetch; then the rotated key verifies", () =>
    Effect.gen(function*() {
      const { issuer, server, token } = yield* jwtServer
      // the verifier's clock, moved forward instead of waiting for the cool-down
      const offset = { by: 0 }
      const url = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience, jwksCoolDown: "30 seconds" }), skewed(offset))
      const before = yield* token
      assert.strictEqual((yield* send(url, before)).status, 200)

      yield* server.rotateSigningKey
      const after = yield* token
      assert.notStrictEqual(parts(after).header, parts(before).header)
      invalidToken(yield* send(url, after), "The access token is signed with an unknown key")
      assert.strictEqual(yield* jwksFetches(server), 1)

      offset.by = 31_000
      assert.strictEqual((yield* send(url, after)).status, 200)
      // the old key is still published: tokens signed before the rotation still pass
      assert.strictEqual((yield* send(url, before)).status, 200)
      assert.strictEqual(yield* jwksFetches(server), 2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("refuses alg none and HS256 signed with the server's public key, without fetching keys", () =>
    Effect.gen(function*() {
      const { issuer, server, token } = yield* jwtServer
      const url = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience }))
      const { claims, header, payload } = parts(yield* token)
      const escalated = { ...claims, scope: "orders.read orders.write" }
      const unsigned = Redacted.make(`${b64({ ...JSON.parse(Buffer.from(header, "base64url").toString()), alg: "none" })}.${payload}.`)
      invalidToken(yield* send(url, unsigned), "The access token is signed with an algorithm that is not accepted")

      // the classic confusion: the published RSA public key, as PEM, used as the HMAC secret
      const [jwk] = (yield* server.jwks).keys
      const pem = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" }).export({ type: "spki", format: "pem" })
      const input = `${b64({ alg: "HS256", typ: "at+jwt", kid: jwk!.kid })}.${b64(escalated)}`
      const forged = `${input}.${createHmac("sha256", pem).update(input).digest("base64url")}`
      const answer = yield* send(url, Redacted.make(forged), "DELETE", "/orders/1")
      invalidToken(answer, "The access token is signed with an algorithm that is not accepted")
      assert.strictEqual(yield* jwksFetches(server), 0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("refuses a tampered payload", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtServer
      const url = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience }))
      const { claims, header, signature } = parts(yield* token)
      const tampered = `${header}.${b64({ ...claims, scope: "orders.read orders.write" })}.${signature}`
      const answer = yield* send(url, Redacted.make(tampered), "DELETE", "/orders/1")
      invalidToken(answer, "The access token signature is invalid")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("missing, malformed and duplicated Authorization headers", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtServer
      const url = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience }))
      const value = Redacted.value(yield* token)

      const missing = yield* sendRaw(url, [])
      assert.strictEqual(missing.status, 401)
      assert.strictEqual(missing.challenge, `Bearer realm="orders"`)
      for (const line of ["Authorization: Bearer", `Authorization: Bearer ${value} extra`, "Authorization: Bearer a,b"]) {
        const malformed = yield* sendRaw(url, [line])
        assert.strictEqual(malformed.status, 400, line)
        assert.match(malformed.challenge ?? "", /^Bearer realm="orders", error="invalid_request"/)
      }
      // Node keeps only the first of two Authorization lines in its header record: both are counted
      const twice = yield* sendRaw(url, [`Authorization: Bearer ${value}`, `Authorization: Bearer ${value}`])
      assert.strictEqual(twice.status, 400)
      assert.strictEqual(
        twice.challenge,
        `Bearer realm="orders", error="invalid_request", error_description="The request carries more than one Authorization header"`
      )
      assert.notInclude(twice.body, value)
      assert.strictEqual((yield* sendRaw(url, [`Authorization: Bearer ${value}`])).status, 200)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a valid token without the route's scope gets 403 insufficient_scope", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtServer
      const url = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience }))
      const answer = yield* send(url, yield* token, "DELETE", "/orders/1")
      assert.strictEqual(answer.status, 403)
      assert.strictEqual(
        answer.challenge,
        `Bearer realm="orders", error="insufficient_scope", ` +
          `error_description="The access token lacks the scope this resource requires", scope="orders.write"`
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("any byte-level change to a valid token is refused over the wire", () =>
    Effect.gen(function*() {
      const { issuer, token } = yield* jwtServer
      const url = yield* serveOrders(yield* TokenVerifier.jwt({ issuer, audience }))
      const value = Redacted.value(yield* token)
      const positions = FastCheck.oneof(FastCheck.nat(value.length - 1), FastCheck.constant(value.length - 1))
      // only bytes an HTTP header can carry are sent; the others cannot reach a server
      const bytes = FastCheck.integer({ min: 0x21, max: 0x7e })
      const samples = FastCheck.sample(FastCheck.tuple(positions, bytes), { numRuns: 40, seed: 7 })
      for (const [index, byte] of samples) {
        if (value.charCodeAt(index) === byte) continue
        const changed = value.slice(0, index) + String.fromCharCode(byte) + value.slice(index + 1)
        const answer = yield* sendRaw(url, [`Authorization: Bearer ${changed}`])
        assert.include([400, 401], answer.status, `changed at ${index}`)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("opaque tokens by introspection over loopback", () => {
  const opaqueServer = startAuthServer({ accessTokenFormat: "opaque" })
  const introspecting = (issuer: string) => TokenVerifier.introspection({ issuer, auth: resourceServerAuth, audience })

  it.scopedLive("a valid token passes, and one introspection serves several requests", () =>
    Effect.gen(function*() {
      const { issuer, server, token } = yield* opaqueServer
      const url = yield* serveOrders(yield* introspecting(issuer))
      const issued = yield* token
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* send(url, issued)).status, 200)
      const introspections = (yield* server.journal).filter((entry) => entry.endpoint === "introspect")
      assert.deepStrictEqual(introspections.map((entry) => [entry.clientId, entry.status]), [["orders-api", 200]])
      assert.strictEqual((yield* send(url, issued, "DELETE", "/orders/1")).status, 403)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("refuses a revoked token and an expired one", () =>
    Effect.gen(function*() {
      const { issuer, server, token } = yield* opaqueServer
      const url = yield* serveOrders(yield* introspecting(issuer))
      const revoked = yield* token
      yield* server.revoke(revoked)
      invalidToken(yield* send(url, revoked), "The access token is not active")
      yield* server.setTokenLifetime("1 second")
      const short = yield* token
      yield* Effect.sleep("1100 millis")
      invalidToken(yield* send(url, short), "The access token is not active")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("an introspection endpoint that is down fails closed: a typed error, 503 and no challenge", () =>
    Effect.gen(function*() {
      const { issuer, server, token } = yield* opaqueServer
      const verifier = yield* introspecting(issuer)
      const url = yield* serveOrders(verifier)
      const issued = yield* token

      yield* server.fail(AuthServer.Status({ status: 503 }), { endpoint: "introspect", times: 2 })
      const error = yield* Effect.flip(verifier.verify(issued))
      assert.strictEqual(error._tag, "EndpointUnavailable")
      if (error._tag === "EndpointUnavailable") {
        assert.strictEqual(error.endpoint, "introspection")
        assert.deepStrictEqual(error.status, Option.some(503))
      }
      const down = yield* send(url, issued)
      assert.strictEqual(down.status, 503)
      assert.isUndefined(down.challenge)

      yield* server.fail(AuthServer.DropConnection(), { endpoint: "introspect" })
      assert.strictEqual((yield* send(url, issued)).status, 503)
      // nothing of the outage was cached
      assert.strictEqual((yield* send(url, issued)).status, 200)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("a static shared token over loopback", () => {
  it.scopedLive("accepts the current and the previous token; a rotation retires the oldest", () =>
    Effect.gen(function*() {
      const serveWith = (env: Record<string, string>) =>
        Effect.gen(function*() {
          const make = yield* TokenVerifier.staticTokenConfig({ prefix: "WEBHOOK", scopes: ["orders.read"] })
          return yield* serveOrders(yield* make)
        }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)), { pathDelim: "_" })))
      const v1 = Redacted.make("webhook-secret-v1")
      const v2 = Redacted.make("webhook-secret-v2")
      const v3 = Redacted.make("webhook-secret-v3")

      const first = yield* serveWith({ WEBHOOK_TOKEN: "webhook-secret-v2", WEBHOOK_PREVIOUS_TOKEN: "webhook-secret-v1" })
      assert.strictEqual((yield* send(first, v2)).status, 200)
      assert.strictEqual((yield* send(first, v1)).status, 200)
      invalidToken(yield* send(first, v3), "The access token is not valid")

      const rotated = yield* serveWith({ WEBHOOK_TOKEN: "webhook-secret-v3", WEBHOOK_PREVIOUS_TOKEN: "webhook-secret-v2" })
      assert.strictEqual((yield* send(rotated, v3)).status, 200)
      assert.strictEqual((yield* send(rotated, v2)).status, 200)
      invalidToken(yield* send(rotated, v1), "The access token is not valid")
      assert.strictEqual((yield* send(rotated)).status, 401)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("an Authorization header over the bound is refused with 400 before it is parsed", () =>
    Effect.gen(function*() {
      const secret = "webhook-secret-v1"
      const url = yield* serveOrders(yield* TokenVerifier.staticToken({ current: Redacted.make(secret) }))
      const bound = ResourceServer.defaultMaxCredentialLength
      const spaces = " ".repeat(bound)
      for (const line of [`Authorization: Bearer${spaces}x`, `Authorization: Bearer ${"a".repeat(bound)}`]) {
        const answer = yield* sendRaw(url, [line])
        assert.strictEqual(answer.status, 400)
        assert.strictEqual(
          answer.challenge,
          `Bearer realm="orders", error="invalid_request", ` +
            `error_description="The Authorization header is longer than ${bound} characters"`
        )
      }
      // under the bound, any run of spaces between the scheme and the token is still read
      const padded = `Authorization: Bearer${" ".repeat(bound - 100)}${secret}`
      assert.strictEqual((yield* sendRaw(url, [padded])).status, 200)
    }))
})

describe("DPoP-bound tokens over loopback", () => {
  const dpopServer = startAuthServer({ accessTokenFormat: "jwt", dpop: {} })
  const algs = `algs="ES256 EdDSA RS256"`

  /** The orders service with `verifier` (on `clock` if given), and the statuses it answered, in order. */
  const serveCounted = (verifier: TokenVerifier.TokenVerifier["Type"], clock?: Clock.Clock) =>
    Effect.gen(function*() {
      const statuses: Array<number> = []
      const app = Effect.provideService(orders, TokenVerifier.TokenVerifier, verifier).pipe(
        Effect.tap((response) => Effect.sync(() => statuses.push(response.status)))
      )
      const { url } = yield* Loopback.make(clock === undefined ? app : Effect.withClock(app, clock))
      return { url, statuses }
    })

  /** Core's DPoP client: a key, tokens bound to it (client credentials), and BearerAuth with the key. */
  const dpopClient = (issuer: string) =>
    Effect.gen(function*() {
      const key = yield* Dpop.generateKey()
      const provider = yield* TokenProvider.make(
        Grant.clientCredentials(Endpoint.make({ tokenUrl: `${issuer}/token`, auth: billing, dpop: key }))
      )
      const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider, { dpop: key }))
      return { key, provider, client }
    })

  /** `GET /orders` with exactly these Authorization and DPoP headers. */
  const sendDpop = (url: URL, authorization: string, proof?: string) =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const request = HttpClientRequest.get(new URL("/orders", url)).pipe(
        HttpClientRequest.setHeader("authorization", authorization),
        proof === undefined ? (r) => r : HttpClientRequest.setHeader("dpop", proof)
      )
      const response = yield* client.execute(request)
      return { status: response.status, challenge: response.headers["www-authenticate"], body: yield* response.text }
    })

  it.scopedLive("core's client: the API's use_dpop_nonce is answered once, with the same token; then requests pass at once", () =>
    Effect.gen(function*() {
      const { issuer, server } = yield* dpopServer
      const { statuses, url } = yield* serveCounted(yield* TokenVerifier.jwt({ issuer, audience, dpop: { nonce: true } }))
      const { client, provider } = yield* dpopClient(issuer)
      for (let i = 0; i < 3; i++) {
        const response = yield* client.get(new URL("/orders", url))
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(yield* response.json, { clientId: "billing", scopes: ["orders.read"] })
      }
      assert.strictEqual((yield* provider.get).type, "DPoP")
      // one nonce round trip, then none; the nonce retry is no rejection: one token was issued
      assert.deepStrictEqual(statuses, [401, 200, 200, 200])
      assert.strictEqual(yield* server.issued, 1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a rotated nonce: the previous one still passes, the answer hands out the new one, the client uses it", () =>
    Effect.gen(function*() {
      const { issuer } = yield* dpopServer
      // the server's clock, moved forward a nonce period instead of waiting for it
      const offset = { by: 0 }
      const verifier = yield* TokenVerifier.jwt({
        issuer,
        audience,
        dpop: { nonce: { rotateEvery: "1 minute" }, proofWindow: "5 minutes" }
      })
      const { statuses, url } = yield* serveCounted(verifier, skewed(offset))
      const { client, key } = yield* dpopClient(issuer)
      assert.strictEqual((yield* client.get(new URL("/orders", url))).status, 200)
      const first = Option.getOrThrow(Dpop.nonceFor(key, url))
      offset.by = 60_000
      const rotated = yield* client.get(new URL("/orders", url))
      assert.strictEqual(rotated.status, 200)
      const second = rotated.headers["dpop-nonce"]
      assert.isString(second)
      assert.notStrictEqual(second, first)
      assert.deepStrictEqual(Dpop.nonceFor(key, url), Option.some(second!))
      assert.strictEqual((yield* client.get(new URL("/orders", url))).headers["dpop-nonce"], undefined)
      assert.deepStrictEqual(statuses, [401, 200, 200, 200])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("introspected tokens carry their binding in cnf; another key's proof and a bearer use are refused", () =>
    Effect.gen(function*() {
      const { issuer } = yield* dpopServer
      const { statuses, url } = yield* serveCounted(
        yield* TokenVerifier.introspection({ issuer, auth: resourceServerAuth, audience, dpop: {} })
      )
      const { client, provider } = yield* dpopClient(issuer)
      for (let i = 0; i < 2; i++) assert.strictEqual((yield* client.get(new URL("/orders", url))).status, 200)
      assert.deepStrictEqual(statuses, [200, 200])
      const token = Redacted.value((yield* provider.get).token)
      const thief = yield* Dpop.generateKey()
      const stolen = yield* Dpop.proof(thief, { htm: "GET", htu: new URL("/orders", url), accessToken: token })
      const refused = yield* sendDpop(url, `DPoP ${token}`, stolen)
      assert.deepStrictEqual([refused.status, refused.challenge], [
        401,
        `DPoP realm="orders", error="invalid_token", ` +
        `error_description="The access token is bound to another key than the DPoP proof's", ${algs}, Bearer realm="orders"`
      ])
      const asBearer = yield* sendDpop(url, `Bearer ${token}`)
      assert.deepStrictEqual([asBearer.status, asBearer.challenge], [
        401,
        `DPoP realm="orders", error="invalid_token", ` +
        `error_description="The access token is DPoP-bound: send it with the DPoP scheme and a proof", ${algs}, Bearer realm="orders"`
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("two DPoP header lines are one proof too many", () =>
    Effect.gen(function*() {
      const { issuer } = yield* dpopServer
      const { url } = yield* serveCounted(yield* TokenVerifier.jwt({ issuer, audience, dpop: {} }))
      const { key, provider } = yield* dpopClient(issuer)
      const token = Redacted.value((yield* provider.get).token)
      const proof = () => Dpop.proof(key, { htm: "GET", htu: new URL("/orders", url), accessToken: token })
      const answer = yield* sendRaw(url, [`Authorization: DPoP ${token}`, `DPoP: ${yield* proof()}`, `DPoP: ${yield* proof()}`])
      assert.deepStrictEqual([answer.status, answer.challenge], [
        401,
        `DPoP realm="orders", error="invalid_dpop_proof", ` +
        `error_description="The DPoP header is not one well-formed DPoP proof", ${algs}, Bearer realm="orders"`
      ])
      assert.strictEqual((yield* sendRaw(url, [`Authorization: DPoP ${token}`, `DPoP: ${yield* proof()}`])).status, 200)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
