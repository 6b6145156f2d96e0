/**
 * DPoP at the API (RFC 9449 §7, §9): a DPoP-bound token goes as
 * `Authorization: DPoP …` with a proof carrying `ath`; the nonce challenge is
 * retried once with the same token, inside the request's two sendings.
 */
import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, BearerAuth, Dpop, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { Effect, Option, Redacted } from "effect"
import * as bearerAuth from "../src/internal/bearerAuth.js"
import * as DpopServer from "./dpopServer.js"
import { layerOf } from "./routerClient.js"

const setup = (server: Effect.Effect.Success<ReturnType<typeof DpopServer.make>>, withKey: boolean) =>
  Effect.gen(function*() {
    const key = yield* Dpop.generateKey()
    const endpoint = Endpoint.make({ tokenUrl: DpopServer.tokenUrl, dpop: key })
    const provider = yield* TokenProvider.make(Grant.clientCredentials(endpoint))
    const client = (yield* HttpClient.HttpClient).pipe(
      BearerAuth.authenticate(provider, withKey ? { dpop: key } : {})
    )
    const at = (path: string) => Effect.map(server.seen, (all) => all.filter((seen) => seen.path === path))
    return { key, client, api: at("/api"), token: at("/token") }
  })

type Setup = Effect.Effect.Success<ReturnType<typeof setup>>

/** Runs `test` with a client authenticated by a provider of DPoP tokens from a server with `options`. */
const run = <A, E>(
  options: DpopServer.Options,
  withKey: boolean,
  test: (setup: Setup) => Effect.Effect<A, E, HttpClient.HttpClient>
) =>
  Effect.gen(function*() {
    const server = yield* DpopServer.make(options)
    return yield* Effect.flatMap(setup(server, withKey), test).pipe(Effect.provide(layerOf(server.router)))
  })

describe("bearerAuth.isNonceChallenge", () => {
  it("is a 401 with a DPoP use_dpop_nonce challenge and a DPoP-Nonce header", () => {
    const challenge = `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`
    assert.isTrue(bearerAuth.isNonceChallenge(401, { "www-authenticate": challenge, "dpop-nonce": "n" }))
    assert.isTrue(
      bearerAuth.isNonceChallenge(401, { "www-authenticate": `Bearer realm="x", dpop error=use_dpop_nonce`, "dpop-nonce": "n" })
    )
    assert.isFalse(bearerAuth.isNonceChallenge(401, { "www-authenticate": challenge }))
    assert.isFalse(bearerAuth.isNonceChallenge(400, { "www-authenticate": challenge, "dpop-nonce": "n" }))
    assert.isFalse(
      bearerAuth.isNonceChallenge(401, { "www-authenticate": `Bearer error="use_dpop_nonce"`, "dpop-nonce": "n" })
    )
    assert.isFalse(
      bearerAuth.isNonceChallenge(401, { "www-authenticate": `DPoP error="invalid_token"`, "dpop-nonce": "n" })
    )
  })

  it("a DPoP invalid_token challenge is a rejection, as a Bearer one is", () => {
    assert.isTrue(bearerAuth.isInvalidTokenChallenge(`DPoP error="invalid_token", algs="ES256"`))
  })
})

describe("BearerAuth with a DPoP key", () => {
  it.scoped("sends the token as DPoP with a proof for the request, its URL without the query", () =>
    run({}, true, ({ api, client, key }) =>
      Effect.gen(function*() {
        const response = yield* client.get(`${DpopServer.apiUrl}?page=2#top`)
        assert.strictEqual(response.status, 200)
        const [seen] = yield* api
        assert.strictEqual(seen?.authorization, "DPoP at-1")
        assert.strictEqual(seen?.claims?.htm, "GET")
        assert.strictEqual(seen?.claims?.htu, DpopServer.apiUrl)
        assert.strictEqual(seen?.jkt, yield* Dpop.thumbprint(key))
        // the proof, like the token, is not in what the client hands back
        assert.notInclude(JSON.stringify(response.request.headers), "at-1")
        assert.strictEqual(response.request.headers["dpop"], "<redacted>")
      })))

  it.scoped("retries a use_dpop_nonce challenge once with the same token, and keeps the nonce", () =>
    run({ apiNonce: "rs-nonce" }, true, ({ api, client, key, token }) =>
      Effect.gen(function*() {
        assert.strictEqual((yield* client.get(DpopServer.apiUrl)).status, 200)
        assert.deepStrictEqual((yield* api).map((s) => [s.authorization, s.claims?.nonce, s.answer]), [
          ["DPoP at-1", undefined, 401],
          ["DPoP at-1", "rs-nonce", 200]
        ])
        // not a rejection: the token was kept
        assert.strictEqual((yield* token).length, 1)
        assert.deepStrictEqual(Dpop.nonceFor(key, DpopServer.apiUrl), Option.some("rs-nonce"))
        assert.strictEqual((yield* client.get(DpopServer.apiUrl)).status, 200)
        assert.strictEqual((yield* api).length, 3)
      })))

  it.scoped("sends a request at most twice: rejected after the nonce retry, it is TokenRejected", () =>
    run({ apiNonce: "rs-nonce", apiRejects: [2] }, true, ({ api, client, token }) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(client.get(DpopServer.apiUrl))
        assert.strictEqual(error._tag, "TokenRejected")
        assert.deepStrictEqual((yield* api).map((s) => s.answer), [401, 401])
        assert.strictEqual((yield* token).length, 1)
        // the rejected token was invalidated: the next request gets a new one
        assert.strictEqual((yield* client.get(DpopServer.apiUrl)).status, 200)
        assert.strictEqual((yield* api).at(-1)?.authorization, "DPoP at-2")
      })))

  it.scoped("replays a rejected DPoP token once with a new one", () =>
    run({ apiRejects: [1] }, true, ({ api, client, token }) =>
      Effect.gen(function*() {
        assert.strictEqual((yield* client.get(DpopServer.apiUrl)).status, 200)
        assert.deepStrictEqual((yield* api).map((s) => [s.authorization, s.answer]), [["DPoP at-1", 401], ["DPoP at-2", 200]])
        assert.strictEqual((yield* token).length, 2)
      })))

  it.scoped("a token obtained with the endpoint's key carries it: BearerAuth proves it without the dpop option", () =>
    run({}, false, ({ api, client, key }) =>
      Effect.gen(function*() {
        assert.strictEqual((yield* client.get(DpopServer.apiUrl)).status, 200)
        const [seen] = yield* api
        assert.strictEqual(seen?.authorization, "DPoP at-1")
        assert.strictEqual(seen?.jkt, yield* Dpop.thumbprint(key))
      })))

  it.scoped("a DPoP token that holds no key, and no dpop option: an InvalidTokenRequest, nothing sent", () =>
    Effect.gen(function*() {
      const server = yield* DpopServer.make({})
      // a token from a fetch of one's own: nothing says which key it is bound to
      const token = new AccessToken.AccessToken({
        token: Redacted.make("at-from-elsewhere"),
        type: "DPoP",
        issuedAt: 0,
        expiresAt: 3_600_000,
        scopes: [],
        refreshToken: Option.none()
      })
      const provider = yield* TokenProvider.make(Effect.succeed(token))
      const error = yield* HttpClient.HttpClient.pipe(
        Effect.flatMap((client) => Effect.flip(BearerAuth.authenticate(client, provider).get(DpopServer.apiUrl))),
        Effect.provide(layerOf(server.router))
      )
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.deepStrictEqual(yield* server.seen, [])
    }))
})
