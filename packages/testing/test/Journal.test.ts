import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import * as AuthServer from "../src/AuthServer.js"
import * as Journal from "../src/Journal.js"
import { apiStatus, send, tokenRequest, tokens, withServer } from "./grantFixtures.js"

const options: AuthServer.Options = {
  clients: [{ clientId: "crm", clientSecret: "s3cret", grants: ["client_credentials", "refresh_token"] }],
  tokenLifetime: "10 minutes",
  refreshTokenForClientCredentials: true
}

const clientCredentials = tokens(tokenRequest(["crm", "s3cret"], { grant_type: "client_credentials" }))
const refresh = (refreshToken: string) =>
  tokenRequest(["crm", "s3cret"], { grant_type: "refresh_token", refresh_token: refreshToken })

const journal = Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)

const failure = <A>(result: Either.Either<A, Journal.JournalAssertionError>) => {
  assert.isTrue(Either.isLeft(result), "expected the assertion to fail")
  return (result as Either.Left<Journal.JournalAssertionError, A>).left
}

describe("Journal", () => {
  it.effect("finds the token requests and the one token request", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const { access_token } = yield* clientCredentials
        yield* apiStatus(access_token)
        const entry = yield* Journal.exactlyOneTokenRequest(yield* journal)
        assert.deepInclude(entry, { endpoint: "token", grantType: "client_credentials", tokenId: "t1" })
        assert.lengthOf(Journal.tokenRequests(yield* journal), 1)

        yield* TestClock.adjust("1 second")
        yield* tokenRequest(["crm", "wrong"], { grant_type: "client_credentials" })
        const error = failure(Journal.exactlyOneTokenRequest(yield* journal))
        assert.strictEqual(error._tag, "JournalAssertionError")
        assert.lengthOf(error.entries, 2)
        assert.strictEqual(
          error.message,
          [
            "Expected exactly one token request, found 2",
            "  @0ms POST /token → 200 grant=client_credentials client=crm token=t1 issuedRefreshToken=r1",
            "  @1000ms POST /token → 401 grant=client_credentials client=crm"
          ].join("\n")
        )
        assert.match(failure(Journal.exactlyOneTokenRequest([])).message, /found 0$/)
      })
    ))

  it.effect("noRefreshTokenUsedTwice passes rotations and catches a retry with a rotated token", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const first = yield* clientCredentials
        const second = yield* tokens(refresh(first.refresh_token!))
        const third = yield* tokens(refresh(second.refresh_token!))
        assert.deepStrictEqual(yield* Journal.noRefreshTokenUsedTwice(yield* journal), ["r1", "r2"])

        // the answer to the next refresh is lost, and the client tries the same token again
        yield* server.fail(AuthServer.LostResponse())
        assert.strictEqual((yield* refresh(third.refresh_token!)).status, 502)
        assert.strictEqual((yield* refresh(third.refresh_token!)).status, 400)
        const error = failure(Journal.noRefreshTokenUsedTwice(yield* journal))
        assert.match(error.message, /^Expected every refresh token to be presented once, but r3 came back\n/)
        assert.deepStrictEqual(error.entries.map((entry) => [entry.refreshTokenId, entry.status]), [["r3", 502], ["r3", 400]])
      })
    ))

  it.effect("everyApiRequestCarriedAuth catches a request without a token, not one with a bad token", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const { access_token } = yield* clientCredentials
        yield* apiStatus(access_token)
        yield* apiStatus("made-up")
        assert.lengthOf(yield* Journal.everyApiRequestCarriedAuth(yield* journal), 2)
        yield* send(HttpClientRequest.get("/api/bare"))
        const error = failure(Journal.everyApiRequestCarriedAuth(yield* journal))
        assert.strictEqual(
          error.message,
          "Expected every API request to carry a bearer token, but 1 of 3 did not\n  @0ms GET /api/bare → 401"
        )
      })
    ))

  it.effect("noExpiredTokenSent reads the token state the server saw on arrival", () =>
    withServer(
      options,
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const { access_token } = yield* clientCredentials
        const revoked = yield* clientCredentials
        yield* server.revoke(revoked.access_token)
        yield* apiStatus(revoked.access_token)
        yield* TestClock.adjust("599999 millis")
        yield* apiStatus(access_token)
        assert.lengthOf(yield* Journal.noExpiredTokenSent(yield* journal), 2)
        yield* TestClock.adjust("1 millis")
        yield* apiStatus(access_token)
        const error = failure(Journal.noExpiredTokenSent(yield* journal))
        assert.strictEqual(
          error.message,
          "Expected no API request to carry an expired token, but 1 did\n" +
            "  @600000ms GET /api/things → 401 client=crm token=t1 tokenState=expired"
        )
        assert.deepStrictEqual(
          (yield* journal).filter((entry) => entry.endpoint === "api").map((entry) => entry.tokenState),
          ["revoked", "valid", "expired"]
        )
      })
    ))

  it("describes entries on one line, without token values", () => {
    assert.strictEqual(
      Journal.describe({
        at: 5,
        endpoint: "token",
        method: "POST",
        path: "/token",
        grantType: "refresh_token",
        clientId: "crm",
        refreshTokenId: "r1",
        status: 0,
        fault: "DropConnection"
      }),
      "@5ms POST /token → no answer grant=refresh_token client=crm refreshToken=r1 fault=DropConnection"
    )
    const many = Array.from({ length: 25 }, (_, i) => ({
      at: i,
      endpoint: "token" as const,
      method: "POST",
      path: "/token",
      status: 200
    }))
    const lines = failure(Journal.exactlyOneTokenRequest(many)).message.split("\n")
    assert.strictEqual(lines.length, 22)
    assert.strictEqual(lines.at(-1), "  … and 5 more")
  })
})
