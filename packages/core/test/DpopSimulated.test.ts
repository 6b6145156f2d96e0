/**
 * The DPoP client (Dpop, the token endpoint's proofs and nonce retry,
 * BearerAuth's DPoP scheme) against the simulated server's own DPoP checks
 * (RFC 9449): the two sides were written apart, from the RFC, and meet here.
 */
import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { AuthorizationCode, BearerAuth, ClientAuth, Dpop, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, FastCheck, Layer, Redacted } from "effect"
import * as TestClock from "effect/TestClock"
import * as Sim from "./simServer.js"

const serverWith = (dpop: AuthServer.DpopOptions) =>
  AuthServer.layerClient.pipe(
    Layer.provideMerge(AuthServer.layer({
      clients: [{ clientId: "app", clientSecret: "app-secret" }],
      tokenLifetime: "10 minutes",
      dpop
    }))
  )

const setup = Effect.gen(function*() {
  const server = yield* AuthServer.AuthServer
  const key = yield* Dpop.generateKey()
  const endpoint = Endpoint.make({
    tokenUrl: "http://127.0.0.1/token",
    auth: ClientAuth.clientSecretBasic("app", Redacted.make("app-secret")),
    dpop: key
  })
  const provider = yield* TokenProvider.make(Grant.clientCredentials(endpoint))
  const client = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider, { dpop: key }))
  const entries = (endpoint: string) => Effect.map(server.journal, (all) => all.filter((e) => e.endpoint === endpoint))
  return { server, key, provider, client, entries }
})

describe("DPoP: the client against the simulated server", () => {
  it.scoped("gets a DPoP-bound token and calls the API with proofs of the same key", () =>
    Effect.gen(function*() {
      const { client, entries, key, provider } = yield* setup
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* client.get("http://127.0.0.1/api/orders")).status, 200)
      const token = yield* provider.get
      assert.strictEqual(token.type, "DPoP")
      const jkt = yield* Dpop.thumbprint(key)
      const calls = [...(yield* entries("token")), ...(yield* entries("api"))]
      assert.deepStrictEqual(calls.map((e) => [e.endpoint, e.status, e.dpop, e.dpopJkt]), [
        ["token", 200, "valid", jkt],
        ["api", 200, "valid", jkt],
        ["api", 200, "valid", jkt],
        ["api", 200, "valid", jkt]
      ])
    }).pipe(Effect.provide(serverWith({}))))

  it.scoped("a server that wants nonces: one extra round trip, at the token endpoint; the API is on the same origin", () =>
    Effect.gen(function*() {
      const { client, entries } = yield* setup
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* client.get("http://127.0.0.1/api/orders")).status, 200)
      assert.deepStrictEqual((yield* entries("token")).map((e) => [e.status, e.dpop]), [[400, "nonce"], [200, "valid"]])
      // the nonce is kept per origin: the API's first proof already carries it
      assert.deepStrictEqual(
        (yield* entries("api")).map((e) => [e.status, e.dpop]),
        [[200, "valid"], [200, "valid"], [200, "valid"]]
      )
    }).pipe(Effect.provide(serverWith({ nonce: true }))))

  it.scoped("a nonce rotated at the server: the API's challenge is answered once with the new nonce, the token kept", () =>
    Effect.gen(function*() {
      const { client, entries } = yield* setup
      assert.strictEqual((yield* client.get("http://127.0.0.1/api/orders")).status, 200)
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual((yield* client.get("http://127.0.0.1/api/orders")).status, 200)
      assert.deepStrictEqual(
        (yield* entries("api")).map((e) => [e.status, e.dpop, e.tokenId]),
        [[200, "valid", "t1"], [401, "nonce", "t1"], [200, "valid", "t1"]]
      )
      // a nonce retry is not a rejection: no new token was asked for
      assert.deepStrictEqual((yield* entries("token")).map((e) => e.status), [400, 200])
    }).pipe(Effect.provide(serverWith({ nonce: { rotateEvery: "1 minute" } }))))
})

describe("dpop_jkt: the code bound to the key it is exchanged with (RFC 9449 §10)", () => {
  const endpointWith = (dpop: Dpop.DpopKey) =>
    Endpoint.make({ tokenUrl: Sim.tokenUrl, pushedAuthorizationUrl: `${Sim.issuer}/par`, auth: Sim.auth, dpop })

  it.effect("start with the key: the URL names its thumbprint, and the code is exchanged with a proof of it", () =>
    Sim.withServer(
      Effect.gen(function*() {
        const key = yield* Dpop.generateKey()
        const jkt = yield* Dpop.thumbprint(key)
        const { callbackUrl, pending } = yield* Sim.authorize({ dpop: key })
        const result = yield* AuthorizationCode.callback(pending, callbackUrl, { issuer: Sim.issuer })
        const token = yield* AuthorizationCode.exchange(endpointWith(key), pending, result)
        assert.strictEqual(token.type, "DPoP")
        assert.strictEqual(token.dpop, key)
        const server = yield* AuthServer.AuthServer
        assert.deepStrictEqual((yield* server.codes).map((code) => code.dpopJkt), [jkt])
        const { url } = yield* AuthorizationCode.start({
          authorizeUrl: Sim.authorizeUrl,
          clientId: "app",
          redirectUri: Sim.redirectUri,
          dpop: key
        })
        assert.strictEqual(url.searchParams.get("dpop_jkt"), jkt)
      }),
      { dpop: {} }
    ))

  it.effect("push sends the endpoint's key; an exchange with another key is refused (invalid_grant)", () =>
    Sim.withServer(
      Effect.gen(function*() {
        const key = yield* Dpop.generateKey()
        const pushed = yield* AuthorizationCode.push(endpointWith(key), {
          authorizeUrl: Sim.authorizeUrl,
          clientId: "app",
          redirectUri: Sim.redirectUri,
          scopes: ["orders.read"]
        })
        const back = yield* HttpClient.get(pushed.url)
        const result = yield* AuthorizationCode.callback(pushed.pending, new URL(back.headers["location"]!), {
          issuer: Sim.issuer
        })
        const server = yield* AuthServer.AuthServer
        assert.deepStrictEqual((yield* server.codes).map((code) => code.dpopJkt), [yield* Dpop.thumbprint(key)])
        const error = yield* Effect.flip(
          AuthorizationCode.exchange(endpointWith(yield* Dpop.generateKey()), pushed.pending, result)
        )
        assert.strictEqual(error._tag, "CodeExchangeFailed")
        assert.strictEqual(Sim.oauthCause(error)?.error, "invalid_grant")
      }),
      { dpop: {} }
    ))

  it.effect("without a key nothing is named; dpop_jkt is not an extra parameter to set by hand", () =>
    Effect.gen(function*() {
      const options = { authorizeUrl: Sim.authorizeUrl, clientId: "app", redirectUri: Sim.redirectUri }
      const { url } = yield* AuthorizationCode.start(options)
      assert.isFalse(url.searchParams.has("dpop_jkt"))
      const error = yield* Effect.flip(AuthorizationCode.start({ ...options, extraParams: { dpop_jkt: "x" } }))
      assert.strictEqual(error._tag, "InvalidAuthorizationRequest")
    }))
})

describe("DPoP proofs are never reused", () => {
  /** What the client does next: call the API, force a refresh, or let the server's Clock run. */
  type Step = "api" | "refresh" | { readonly advance: number }
  const step: FastCheck.Arbitrary<Step> = FastCheck.oneof(
    FastCheck.constant("api" as const),
    FastCheck.constant("refresh" as const),
    FastCheck.record({ advance: FastCheck.integer({ min: 0, max: 90 }) })
  )

  it.effect.prop(
    "whatever the client does, at one instant or across nonce rotations, every proof carries a jti of its own",
    [FastCheck.array(step, { minLength: 1, maxLength: 12 }), FastCheck.boolean()],
    ([steps, nonce]) =>
      Effect.gen(function*() {
        const sent: Array<string> = []
        const recording = Layer.effect(
          HttpClient.HttpClient,
          Effect.map(HttpClient.HttpClient, (client) =>
            HttpClient.tapRequest(client, (request) =>
              Effect.sync(() => {
                const proof = request.headers["dpop"]
                if (proof !== undefined) sent.push(proof)
              })))
        )
        yield* Effect.gen(function*() {
          const { client, entries, provider } = yield* setup
          for (const next of ["api" as const, ...steps]) {
            if (next === "api") assert.strictEqual((yield* client.get("http://127.0.0.1/api/orders")).status, 200)
            else if (next === "refresh") yield* provider.refresh
            else yield* TestClock.adjust(`${next.advance} seconds`)
          }
          // the server refused no proof as replayed (or as anything else but a nonce to learn)
          const proofs = [...(yield* entries("token")), ...(yield* entries("api"))]
          assert.isTrue(proofs.every((e) => e.dpop === "valid" || e.dpop === "nonce"))
        }).pipe(
          Effect.scoped,
          Effect.provide(Layer.provideMerge(recording, serverWith(nonce ? { nonce: { rotateEvery: "1 minute" } } : {})))
        )
        const jtis = sent.map((proof) => JSON.parse(Buffer.from(proof.split(".")[1]!, "base64url").toString()).jti)
        assert.isAtLeast(jtis.length, steps.filter((next) => typeof next === "string").length + 2)
        assert.strictEqual(new Set(jtis).size, jtis.length)
        for (const jti of jtis) assert.match(jti, /^[\w-]{22}$/)
      }),
    { fastCheck: { numRuns: 25 } }
  )
})
