import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck, Redacted, TestClock } from "effect"
import * as AuthServer from "../src/AuthServer.js"
import { apiStatus, expectError, tokenRequest, tokens, withServer } from "./grantFixtures.js"

const app = ["app", "app-secret"] as const
const other = ["other", "other-secret"] as const

const options = (extra: Partial<AuthServer.Options> = {}): AuthServer.Options => ({
  clients: [
    { clientId: "app", clientSecret: "app-secret", grants: ["client_credentials", "refresh_token"], scopes: ["a", "b"] },
    { clientId: "other", clientSecret: "other-secret", grants: ["client_credentials", "refresh_token"] },
    { clientId: "no-refresh", clientSecret: "n" }
  ],
  refreshTokenForClientCredentials: true,
  ...extra
})

const start = (client: readonly [string, string] = app) =>
  tokens(tokenRequest(client, { grant_type: "client_credentials" }))

const refresh = (refreshToken: string, extra: Record<string, string> = {}, client: readonly [string, string] = app) =>
  tokenRequest(client, { grant_type: "refresh_token", refresh_token: refreshToken, ...extra })

describe("refresh_token grant", () => {
  it.effect("issues refresh tokens only where the grant and the client allow it", () =>
    Effect.gen(function*() {
      const plain = yield* withServer(options({ refreshTokenForClientCredentials: false }), start())
      assert.isUndefined(plain.refresh_token)
      yield* withServer(
        options(),
        Effect.gen(function*() {
          assert.match((yield* start()).refresh_token ?? "", /^[\w-]{43}$/)
          assert.isUndefined((yield* tokens(tokenRequest(["no-refresh", "n"], { grant_type: "client_credentials" })))
            .refresh_token)
          // a client may use only its grants
          yield* expectError(
            tokenRequest(["no-refresh", "n"], { grant_type: "refresh_token", refresh_token: "x" }),
            "unauthorized_client"
          )
        })
      )
    }))

  it.effect("rotates: a new refresh and access token each time, recorded by id in the families and the journal", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* start()
        const second = yield* tokens(refresh(first.refresh_token!))
        assert.notStrictEqual(second.refresh_token, first.refresh_token)
        assert.notStrictEqual(second.access_token, first.access_token)
        assert.strictEqual(second.scope, "a b")
        const third = yield* tokens(refresh(second.refresh_token!))
        assert.strictEqual(yield* apiStatus(third.access_token), 200)

        assert.deepStrictEqual(yield* server.families, [{
          id: "f1",
          clientId: "app",
          grantType: "client_credentials",
          scopes: ["a", "b"],
          generation: 3,
          refreshTokenIds: ["r1", "r2", "r3"],
          accessTokenIds: ["t1", "t2", "t3"],
          revoked: false
        }])
        const journal = (yield* server.journal).filter((e) => e.endpoint === "token")
        assert.deepStrictEqual(
          journal.map((e) => [e.grantType, e.tokenId, e.refreshTokenId, e.issuedRefreshTokenId]),
          [["client_credentials", "t1", undefined, "r1"], ["refresh_token", "t2", "r1", "r2"], [
            "refresh_token",
            "t3",
            "r2",
            "r3"
          ]]
        )
        const text = JSON.stringify([journal, yield* server.families])
        for (const value of [first.refresh_token!, second.refresh_token!, third.refresh_token!]) {
          assert.notInclude(text, value)
        }
      })
    ))

  it.effect("detects the reuse of a retired refresh token and revokes its whole family", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* start()
        const unrelated = yield* start(other)
        const second = yield* tokens(refresh(first.refresh_token!))
        const description = yield* expectError(refresh(first.refresh_token!), "invalid_grant")
        assert.match(description, /already used/)
        // the attacker's and the victim's tokens alike
        yield* expectError(refresh(second.refresh_token!), "invalid_grant")
        assert.strictEqual(yield* apiStatus(first.access_token), 401)
        assert.strictEqual(yield* apiStatus(second.access_token), 401)
        const [family, otherFamily] = yield* server.families
        assert.isTrue(family?.revoked)
        assert.isFalse(otherFamily?.revoked)
        assert.strictEqual(yield* apiStatus(unrelated.access_token), 200)
        assert.deepStrictEqual((yield* server.journal).filter((e) => e.grantType === "refresh_token").map((e) => [
          e.refreshTokenId,
          e.status
        ]), [["r1", 200], ["r1", 400], ["r3", 400]])
      })
    ))

  it.effect("without rotation, keeps the refresh token valid and answers without one", () =>
    withServer(
      options({ refreshRotation: false }),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* start()
        for (let i = 0; i < 3; i++) {
          const next = yield* tokens(refresh(first.refresh_token!))
          assert.isUndefined(next.refresh_token)
          assert.strictEqual(yield* apiStatus(next.access_token), 200)
        }
        const [family] = yield* server.families
        assert.strictEqual(family?.generation, 1)
        assert.deepStrictEqual(family?.accessTokenIds, ["t1", "t2", "t3", "t4"])
      })
    ))

  it.effect("accepts the token just retired once more within the grace period, with the current one back", () =>
    withServer(
      options({ refreshGrace: "10 seconds" }),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* start()
        const second = yield* tokens(refresh(first.refresh_token!))
        yield* TestClock.adjust("9 seconds")
        const late = yield* tokens(refresh(first.refresh_token!))
        assert.strictEqual(late.refresh_token, second.refresh_token)
        assert.strictEqual(yield* apiStatus(late.access_token), 200)
        // only once
        yield* expectError(refresh(first.refresh_token!), "invalid_grant")
        assert.isTrue((yield* server.families)[0]?.revoked)
      })
    ))

  it.effect("ends the grace period after its duration, or after refreshGraceReuses uses", () =>
    Effect.gen(function*() {
      yield* withServer(
        options({ refreshGrace: "10 seconds" }),
        Effect.gen(function*() {
          const first = yield* start()
          yield* tokens(refresh(first.refresh_token!))
          yield* TestClock.adjust("10 seconds")
          yield* expectError(refresh(first.refresh_token!), "invalid_grant")
        })
      )
      yield* withServer(
        options({ refreshGrace: "10 seconds", refreshGraceReuses: 2 }),
        Effect.gen(function*() {
          const first = yield* start()
          const second = yield* tokens(refresh(first.refresh_token!))
          assert.strictEqual((yield* tokens(refresh(first.refresh_token!))).refresh_token, second.refresh_token)
          assert.strictEqual((yield* tokens(refresh(first.refresh_token!))).refresh_token, second.refresh_token)
          yield* expectError(refresh(first.refresh_token!), "invalid_grant")
        })
      )
    }))

  it.effect("lets concurrent refreshes with one token both succeed within the grace period", () =>
    withServer(
      options({ refreshGrace: "5 seconds" }),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* start()
        const [a, b] = yield* Effect.all([tokens(refresh(first.refresh_token!)), tokens(refresh(first.refresh_token!))], {
          concurrency: 2
        })
        assert.strictEqual(a.refresh_token, b.refresh_token)
        yield* tokens(refresh(a.refresh_token!))
        assert.isFalse((yield* server.families)[0]?.revoked)
      })
    ))

  it.effect("binds a refresh token to its client", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* start()
        const description = yield* expectError(refresh(first.refresh_token!, {}, other), "invalid_grant")
        assert.match(description, /another client/)
        assert.isFalse((yield* server.families)[0]?.revoked)
        yield* tokens(refresh(first.refresh_token!))
      })
    ))

  it.effect("narrows the scope on request, never widens it, and keeps the token when it refuses", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* start()
        const narrow = yield* tokens(refresh(first.refresh_token!, { scope: "a" }))
        assert.strictEqual(narrow.scope, "a")
        // the grant keeps its scopes: asking for none gives them all
        const all = yield* tokens(refresh(narrow.refresh_token!))
        assert.strictEqual(all.scope, "a b")
        yield* expectError(refresh(all.refresh_token!, { scope: "a c" }), "invalid_scope")
        yield* tokens(refresh(all.refresh_token!))
        assert.deepStrictEqual((yield* server.tokens).map((t) => t.scopes), [["a", "b"], ["a"], ["a", "b"], ["a", "b"]])
      })
    ))

  it.effect("revokes a family on command, and expires refresh tokens after refreshTokenLifetime", () =>
    withServer(
      options({ refreshTokenLifetime: "1 hour" }),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* start()
        const kept = yield* start()
        yield* server.revokeFamily("f1")
        yield* server.revokeFamily("f404")
        assert.match(yield* expectError(refresh(first.refresh_token!), "invalid_grant"), /revoked/)
        assert.strictEqual(yield* apiStatus(first.access_token), 401)

        yield* TestClock.adjust("59 minutes")
        const renewed = yield* tokens(refresh(kept.refresh_token!))
        yield* TestClock.adjust("1 hour")
        assert.match(yield* expectError(refresh(renewed.refresh_token!), "invalid_grant"), /expired/)
      })
    ))

  it.effect("answers invalid_request without a refresh token and invalid_grant for an unknown one", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        yield* expectError(tokenRequest(app, { grant_type: "refresh_token" }), "invalid_request")
        yield* expectError(refresh("made-up"), "invalid_grant")
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (s) => s.journal)
        assert.isTrue(journal.every((e) => e.refreshTokenId === undefined))
      })
    ))

  it.effect.prop(
    "never honours a refresh token twice and revokes every token of a family on reuse",
    [FastCheck.array(FastCheck.nat({ max: 4 }), { minLength: 1, maxLength: 12 })],
    ([picks]) =>
      withServer(
        options(),
        Effect.gen(function*() {
          const server = yield* AuthServer.AuthServer
          // every refresh token handed out so far, oldest first; each step presents one of them
          const held = [(yield* start()).refresh_token!]
          for (const pick of picks) {
            const response = yield* refresh(held[Math.max(0, held.length - 1 - pick)]!)
            if (response.status === 200) {
              const json = (yield* response.json) as { readonly refresh_token: string }
              held.push(json.refresh_token)
            }
          }
          const journal = (yield* server.journal).filter((e) => e.grantType === "refresh_token")
          const honoured = journal.filter((e) => e.status === 200).map((e) => e.refreshTokenId)
          assert.strictEqual(new Set(honoured).size, honoured.length)
          const [family] = yield* server.families
          const reused = journal.some((e) => e.status === 400)
          assert.strictEqual(family?.revoked, reused)
          if (reused) {
            const revoked = new Set((yield* server.tokens).filter((t) => t.revoked).map((t) => t.id))
            assert.isTrue(family!.accessTokenIds.every((id) => revoked.has(id)))
          }
        })
      ),
    { fastCheck: { numRuns: 50 } }
  )
})

describe("AuthServer.grant", () => {
  it.effect("issues what a completed authorization would: a token the API takes, a refresh token that rotates", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const granted = yield* server.grant("app", { scopes: ["a"] })
        assert.deepStrictEqual(granted.scopes, ["a"])
        assert.strictEqual(granted.familyId, "f1")
        assert.strictEqual(yield* apiStatus(Redacted.value(granted.accessToken)), 200)
        const refreshed = yield* tokens(refresh(Redacted.value(granted.refreshToken!)))
        assert.strictEqual(refreshed.scope, "a")
        const [family] = yield* server.families
        assert.strictEqual(family!.grantType, "authorization_code")
        assert.deepStrictEqual(family!.refreshTokenIds, ["r1", "r2"])
        // the grant itself sent nothing: the journal has the API call and the refresh
        assert.deepStrictEqual((yield* server.journal).map((entry) => entry.endpoint), ["api", "token"])
      })
    ))

  it.effect("gives no refresh token to a client without the refresh token grant, all its scopes by default", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const granted = yield* server.grant("no-refresh")
        assert.isUndefined(granted.refreshToken)
        assert.isUndefined(granted.familyId)
        assert.deepStrictEqual((yield* server.grant("app")).scopes, ["a", "b"])
      })
    ))

  it.effect("an unknown client or scope is a defect that names it", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const unknown = yield* Effect.exit(server.grant("nobody"))
        assert.include(String(unknown), "no client nobody is registered")
        const scope = yield* Effect.exit(server.grant("app", { scopes: ["c"] }))
        assert.include(String(scope), "client app may not ask for c")
      })
    ))
})
