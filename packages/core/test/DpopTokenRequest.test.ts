/**
 * DPoP at the token endpoint (RFC 9449 §5, §8): a proof on every token
 * request, the nonce challenge retried once, `token_type` `DPoP` kept, and a
 * refresh with the same key.
 */
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, Dpop, Endpoint, Grant, RefreshPolicy, TokenProvider, TokenResponse } from "@grantflow/core"
import { Effect, Either, Option, Redacted, Schedule } from "effect"
import * as tokenRequest from "../src/internal/tokenRequest.js"
import * as DpopServer from "./dpopServer.js"
import { layerOf } from "./routerClient.js"

const answer = (status: number, body: unknown, dpopNonce?: string) => ({
  status,
  contentType: "application/json",
  body: Option.some(typeof body === "string" ? body : JSON.stringify(body)),
  retryAfter: Option.none(),
  dpopNonce
})

describe("tokenRequest.isNonceChallenge", () => {
  it("is a 400 use_dpop_nonce with a DPoP-Nonce header, and nothing else", () => {
    assert.isTrue(tokenRequest.isNonceChallenge(answer(400, { error: "use_dpop_nonce" }, "n")))
    assert.isFalse(tokenRequest.isNonceChallenge(answer(400, { error: "use_dpop_nonce" })))
    assert.isFalse(tokenRequest.isNonceChallenge(answer(401, { error: "use_dpop_nonce" }, "n")))
    assert.isFalse(tokenRequest.isNonceChallenge(answer(400, { error: "invalid_grant" }, "n")))
    assert.isFalse(tokenRequest.isNonceChallenge(answer(400, "<html>use_dpop_nonce</html>", "n")))
    assert.isFalse(tokenRequest.isNonceChallenge(answer(400, [{ error: "use_dpop_nonce" }], "n")))
    assert.isFalse(tokenRequest.isNonceChallenge({ ...answer(400, {}, "n"), body: Option.none() }))
  })
})

describe("token_type DPoP", () => {
  it("is read in any case as DPoP, and presented as DPoP", () => {
    const token = Either.getOrThrow(TokenResponse.decode(
      { access_token: "abc", token_type: "dpop", expires_in: 60 },
      { status: 200, sentAt: 0 }
    ))
    assert.strictEqual(token.type, "DPoP")
    assert.strictEqual(Redacted.value(AccessToken.authorizationHeader(token)), "DPoP abc")
  })
})

describe("token requests with a DPoP key", () => {
  it.effect("carry a proof for the token URL, bound to the key; the token is DPoP", () =>
    Effect.gen(function*() {
      const server = yield* DpopServer.make()
      const key = yield* Dpop.generateKey()
      const endpoint = Endpoint.make({ tokenUrl: DpopServer.tokenUrl, dpop: key })
      const token = yield* Grant.clientCredentials(endpoint).pipe(Effect.provide(layerOf(server.router)))
      assert.strictEqual(token.type, "DPoP")
      const seen = yield* server.seen
      assert.strictEqual(seen.length, 1)
      assert.strictEqual(seen[0]?.jkt, yield* Dpop.thumbprint(key))
      assert.isUndefined(seen[0]?.claims?.ath)
      assert.include(String(endpoint), `"dpop": "ES256"`)
    }))

  it.effect("retry a use_dpop_nonce answer once with the nonce, and keep the nonce for the next request", () =>
    Effect.gen(function*() {
      const server = yield* DpopServer.make({ tokenNonce: "as-nonce-1" })
      const key = yield* Dpop.generateKey({ alg: "EdDSA" })
      const endpoint = Endpoint.make({ tokenUrl: DpopServer.tokenUrl, dpop: key })
      const client = layerOf(server.router)
      yield* Grant.clientCredentials(endpoint).pipe(Effect.provide(client))
      assert.deepStrictEqual((yield* server.seen).map((s) => [s.answer, s.claims?.nonce]), [
        [400, undefined],
        [200, "as-nonce-1"]
      ])
      assert.deepStrictEqual(Dpop.nonceFor(key, DpopServer.tokenUrl), Option.some("as-nonce-1"))
      yield* Grant.clientCredentials(endpoint).pipe(Effect.provide(client))
      const seen = yield* server.seen
      assert.strictEqual(seen.length, 3)
      assert.strictEqual(seen[2]?.claims?.nonce, "as-nonce-1")
      // every proof is new
      assert.strictEqual(new Set(seen.map((s) => s.claims?.jti)).size, 3)
    }))

  it.effect("send a request at most twice: a second nonce challenge is the OAuthError", () =>
    Effect.gen(function*() {
      // the server keeps asking for a nonce that is no NQCHAR string, which the client will not keep
      const server = yield* DpopServer.make({ tokenNonce: "\"unusable\"" })
      const key = yield* Dpop.generateKey()
      const endpoint = Endpoint.make({ tokenUrl: DpopServer.tokenUrl, dpop: key })
      const error = yield* Effect.flip(Grant.clientCredentials(endpoint).pipe(Effect.provide(layerOf(server.router))))
      assert.strictEqual(error._tag, "OAuthError")
      assert.strictEqual(error._tag === "OAuthError" ? error.error : "", "use_dpop_nonce")
      assert.strictEqual((yield* server.seen).length, 2)
    }))

  it.scoped("a nonce that rotated during the one retry: a retryable OAuthError, and the provider's retry succeeds", () =>
    Effect.gen(function*() {
      const server = yield* DpopServer.make({ tokenNonce: "n", tokenNonceRotations: 1 })
      const key = yield* Dpop.generateKey()
      const endpoint = Endpoint.make({ tokenUrl: DpopServer.tokenUrl, dpop: key })
      const client = layerOf(server.router)
      const attempts: Array<string> = []
      const fetch = Grant.clientCredentials(endpoint).pipe(
        Effect.tapError((error) => Effect.sync(() => attempts.push(`${error.message} retryable=${error.retryable}`))),
        Effect.provide(client)
      )
      // the RefreshPolicy schedule sends it again, with the nonce the last challenge gave
      const provider = yield* TokenProvider.make(fetch, { policy: RefreshPolicy.make({ retry: Schedule.recurs(1) }) })
      assert.strictEqual((yield* provider.get).type, "DPoP")
      assert.strictEqual(attempts.length, 1)
      assert.include(attempts[0], "use_dpop_nonce")
      assert.include(attempts[0], "retryable=true")
      assert.deepStrictEqual((yield* server.seen).map((seen) => [seen.claims?.nonce, seen.answer]), [
        [undefined, 400],
        ["n", 400],
        ["n-1", 200]
      ])
    }))

  it.effect("refresh with the same key: the server accepts the DPoP-bound refresh token", () =>
    Effect.gen(function*() {
      const server = yield* DpopServer.make()
      const key = yield* Dpop.generateKey()
      const endpoint = Endpoint.make({ tokenUrl: DpopServer.tokenUrl, dpop: key })
      const client = layerOf(server.router)
      const first = yield* Grant.clientCredentials(endpoint).pipe(Effect.provide(client))
      const refreshToken = Option.getOrThrow(first.refreshToken)
      const second = yield* Grant.refreshToken(endpoint, { refreshToken }).pipe(Effect.provide(client))
      assert.strictEqual(second.type, "DPoP")
      // another key cannot use it
      const other = Endpoint.make({ tokenUrl: DpopServer.tokenUrl, dpop: yield* Dpop.generateKey() })
      const error = yield* Effect.flip(Grant.refreshToken(other, { refreshToken }).pipe(Effect.provide(client)))
      assert.strictEqual(error._tag, "ReauthorizationRequired")
    }))
})
