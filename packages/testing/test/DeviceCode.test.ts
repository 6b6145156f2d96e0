import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as AuthServer from "../src/AuthServer.js"
import { apiStatus, body, expectError, send, tokenRequest, tokens, withServer } from "./grantFixtures.js"

const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"
const tv = ["tv", "tv-secret"] as const

const options = (extra: Partial<AuthServer.Options> = {}): AuthServer.Options => ({
  clients: [
    { clientId: "tv", clientSecret: "tv-secret", grants: [deviceGrant, "refresh_token"], scopes: ["watch", "buy"] },
    { clientId: "cli", public: true },
    { clientId: "machine", clientSecret: "m" }
  ],
  ...extra
})

interface DeviceAuthorization {
  readonly device_code: string
  readonly user_code: string
  readonly verification_uri: string
  readonly verification_uri_complete: string
  readonly expires_in: number
  readonly interval: number
}

const startDevice = (client: readonly [string, string?] = tv, params: Record<string, string> = {}) =>
  send(
    HttpClientRequest.post("/device_authorization").pipe(
      HttpClientRequest.bodyUrlParams(client[1] === undefined ? { ...params, client_id: client[0] } : params),
      client[1] === undefined ? (r) => r : HttpClientRequest.basicAuth(client[0], client[1])
    )
  )

const authorization = (client: readonly [string, string?] = tv, params: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const response = yield* startDevice(client, params)
    assert.strictEqual(response.status, 200)
    assert.strictEqual(response.headers["cache-control"], "no-store")
    return (yield* body(response)) as unknown as DeviceAuthorization
  })

const poll = (deviceCode: string, client: readonly [string, string?] = tv) =>
  tokenRequest(client, { grant_type: deviceGrant, device_code: deviceCode })

const decide = (userCode: string, approve: boolean) =>
  Effect.flatMap(AuthServer.AuthServer, (server) => server.decideDevice(userCode, approve))

describe("device authorization grant", () => {
  it.effect("answers a device authorization request as RFC 8628 §3.2 says", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const device = yield* authorization(tv, { scope: "watch" })
        assert.match(device.device_code, /^[\w-]{43}$/)
        assert.match(device.user_code, /^[BCDFGHJ-NP-TVWXZ]{4}-[BCDFGHJ-NP-TVWXZ]{4}$/)
        assert.strictEqual(device.verification_uri, "http://127.0.0.1/device")
        assert.strictEqual(
          device.verification_uri_complete,
          `http://127.0.0.1/device?user_code=${device.user_code}`
        )
        assert.strictEqual(device.expires_in, 600)
        assert.strictEqual(device.interval, 5)
        const [entry] = yield* Effect.flatMap(AuthServer.AuthServer, (s) => s.journal)
        assert.deepStrictEqual(entry, {
          at: 0,
          endpoint: "device_authorization",
          method: "POST",
          path: "/device_authorization",
          clientId: "tv",
          status: 200
        })
      })
    ))

  it.effect("answers authorization_pending, slow_down (interval + 5 s), then tokens once the user approves", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const device = yield* authorization(tv, { scope: "watch" })
        yield* expectError(poll(device.device_code), "authorization_pending")
        yield* TestClock.adjust("4999 millis")
        assert.match(yield* expectError(poll(device.device_code), "slow_down"), /10 seconds/)
        // the interval is now 10 seconds, counted from the last poll
        yield* TestClock.adjust("9 seconds")
        yield* expectError(poll(device.device_code), "slow_down")
        yield* TestClock.adjust("15 seconds")
        yield* expectError(poll(device.device_code), "authorization_pending")

        assert.isTrue(yield* decide(device.user_code.toLowerCase().replace("-", " "), true))
        // answered: no second decision
        assert.isFalse(yield* decide(device.user_code, false))
        yield* TestClock.adjust("15 seconds")
        const issued = yield* tokens(poll(device.device_code))
        assert.strictEqual(issued.scope, "watch")
        assert.isString(issued.refresh_token)
        assert.strictEqual(yield* apiStatus(issued.access_token), 200)
        const server = yield* AuthServer.AuthServer
        assert.strictEqual((yield* server.families)[0]?.grantType, deviceGrant)

        yield* TestClock.adjust("15 seconds")
        yield* expectError(poll(device.device_code), "invalid_grant")
      })
    ))

  it.effect("answers access_denied when the user denies", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const device = yield* authorization()
        assert.isTrue(yield* decide(device.user_code, false))
        yield* expectError(poll(device.device_code), "access_denied")
      })
    ))

  it.effect("answers expired_token once the device code expires on the Clock", () =>
    withServer(
      options({ deviceCodeLifetime: "2 minutes", deviceInterval: "1 second" }),
      Effect.gen(function*() {
        const device = yield* authorization()
        assert.strictEqual(device.expires_in, 120)
        assert.strictEqual(device.interval, 1)
        yield* TestClock.adjust("119 seconds")
        yield* expectError(poll(device.device_code), "authorization_pending")
        yield* TestClock.adjust("1 second")
        yield* expectError(poll(device.device_code), "expired_token")
        assert.isFalse(yield* decide(device.user_code, true))
      })
    ))

  it.effect("lets the user answer on the /device page", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const device = yield* authorization()
        const page = yield* send(HttpClientRequest.get(device.verification_uri_complete))
        assert.strictEqual(page.status, 200)
        assert.include(yield* page.text, `value="${device.user_code}"`)

        const answer = (userCode: string, decision: string) =>
          send(HttpClientRequest.post("/device").pipe(HttpClientRequest.bodyUrlParams({ user_code: userCode, decision })))
        const unknown = yield* answer("BCDF-GHJK", "approve")
        assert.strictEqual(unknown.status, 400)
        assert.strictEqual((yield* answer(device.user_code, "maybe")).status, 400)
        const approved = yield* answer(device.user_code.replace("-", ""), "approve")
        assert.strictEqual(approved.status, 200)
        assert.include(yield* approved.text, "approved")
        yield* tokens(poll(device.device_code))
        assert.strictEqual((yield* send(HttpClientRequest.put("/device"))).status, 405)
      })
    ))

  it.effect("holds the device code to its client, its grants and its scopes", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const device = yield* authorization()
        yield* decide(device.user_code, true)
        yield* expectError(poll(device.device_code, ["machine", "m"]), "unauthorized_client")
        yield* expectError(poll("made-up"), "invalid_grant")
        yield* expectError(tokenRequest(tv, { grant_type: deviceGrant }), "invalid_request")

        // a public client starts and polls with its client_id alone
        const cli = yield* authorization(["cli"])
        yield* expectError(poll(device.device_code, ["cli"]), "invalid_grant")
        yield* expectError(poll(cli.device_code, tv), "invalid_grant")

        yield* expectError(startDevice(["machine", "m"]), "unauthorized_client")
        yield* expectError(startDevice(tv, { scope: "watch steal" }), "invalid_scope")
        yield* expectError(startDevice(["tv", "wrong"]), "invalid_client", 401)
        assert.strictEqual((yield* send(HttpClientRequest.get("/device_authorization"))).status, 405)
      })
    ))
})
