import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AuthServer from "../src/AuthServer.js"
import { apiStatus, expectError, tokenRequest, tokens, withServer } from "./grantFixtures.js"

const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
const tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
const accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
const jwtType = "urn:ietf:params:oauth:token-type:jwt"

const svc = ["svc", "svc-secret"] as const
const options = (extra: Partial<AuthServer.Options> = {}): AuthServer.Options => ({
  clients: [
    { clientId: "svc", clientSecret: "svc-secret", grants: [jwtBearer, tokenExchange], scopes: ["read", "write"] },
    { clientId: "plain", clientSecret: "p" }
  ],
  ...extra
})

describe("extension grants", () => {
  it.effect("JWT bearer: issues a token for an assertion on the configured list", () =>
    withServer(
      options({ jwtBearerAssertions: ["eyJ.good.sig"] }),
      Effect.gen(function*() {
        const issued = yield* tokens(tokenRequest(svc, { grant_type: jwtBearer, assertion: "eyJ.good.sig", scope: "read" }))
        assert.strictEqual(issued.scope, "read")
        assert.isUndefined(issued.refresh_token)
        assert.strictEqual(yield* apiStatus(issued.access_token), 200)
        yield* expectError(tokenRequest(svc, { grant_type: jwtBearer, assertion: "eyJ.bad.sig" }), "invalid_grant")
        yield* expectError(tokenRequest(svc, { grant_type: jwtBearer }), "invalid_request")
        yield* expectError(
          tokenRequest(svc, { grant_type: jwtBearer, assertion: "eyJ.good.sig", scope: "admin" }),
          "invalid_scope"
        )
        yield* expectError(
          tokenRequest(["plain", "p"], { grant_type: jwtBearer, assertion: "eyJ.good.sig" }),
          "unauthorized_client"
        )
        const server = yield* AuthServer.AuthServer
        assert.notInclude(JSON.stringify(yield* server.journal), "eyJ")
      })
    ))

  it.effect("JWT bearer: asks the configured predicate, and accepts nothing unconfigured", () =>
    Effect.gen(function*() {
      yield* withServer(
        options({ jwtBearerAssertions: (assertion) => assertion.startsWith("ok.") }),
        Effect.gen(function*() {
          yield* tokens(tokenRequest(svc, { grant_type: jwtBearer, assertion: "ok.1" }))
          yield* expectError(tokenRequest(svc, { grant_type: jwtBearer, assertion: "no.1" }), "invalid_grant")
        })
      )
      yield* withServer(
        options(),
        expectError(tokenRequest(svc, { grant_type: jwtBearer, assertion: "ok.1" }), "invalid_grant")
      )
    }))

  it.effect("token exchange: issues an access token for an accepted subject token, with issued_token_type", () =>
    withServer(
      options({ tokenExchangeSubjects: (token, type) => token === "user-token" && type === jwtType }),
      Effect.gen(function*() {
        const exchange = (params: Record<string, string>) =>
          tokenRequest(svc, { grant_type: tokenExchange, subject_token: "user-token", subject_token_type: jwtType, ...params })
        const issued = yield* tokens(exchange({ scope: "write" }))
        assert.strictEqual(issued.issued_token_type, accessTokenType)
        assert.strictEqual(issued.token_type, "Bearer")
        assert.strictEqual(issued.scope, "write")
        assert.strictEqual(yield* apiStatus(issued.access_token), 200)
        yield* tokens(exchange({ requested_token_type: accessTokenType, actor_token: "a", actor_token_type: jwtType }))

        yield* expectError(exchange({ subject_token_type: accessTokenType }), "invalid_grant")
        yield* expectError(exchange({ subject_token: "someone-else" }), "invalid_grant")
        yield* expectError(exchange({ subject_token_type: "" }), "invalid_request")
        yield* expectError(exchange({ subject_token: "" }), "invalid_request")
        yield* expectError(exchange({ actor_token: "a" }), "invalid_request")
        const refreshType = "urn:ietf:params:oauth:token-type:refresh_token"
        yield* expectError(exchange({ requested_token_type: refreshType }), "invalid_request")
      })
    ))

  it.effect("token exchange: accepts the subject tokens on the configured list", () =>
    withServer(
      options({ tokenExchangeSubjects: ["listed"] }),
      Effect.gen(function*() {
        const exchange = (subject: string) =>
          tokenRequest(svc, { grant_type: tokenExchange, subject_token: subject, subject_token_type: accessTokenType })
        yield* tokens(exchange("listed"))
        yield* expectError(exchange("unlisted"), "invalid_grant")
      })
    ))
})
