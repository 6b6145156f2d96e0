import { assert, describe, it } from "@effect/vitest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import { Duration, Effect, type Exit, Fiber, Redacted, Ref, TestClock } from "effect"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import type * as TokenError from "../src/TokenError.js"
import { json, layerOf, makeRecorder } from "./routerClient.js"

const issuer = "https://auth.example.com"
const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

const authorization = {
  device_code: "dc-secret-1",
  user_code: "WDJB-MJHT",
  verification_uri: `${issuer}/device`,
  verification_uri_complete: `${issuer}/device?user_code=WDJB-MJHT`,
  expires_in: 600,
  interval: 5
}

const pending = json({ error: "authorization_pending" }, 400)
const slowDown = json({ error: "slow_down" }, 400)
const issued = json({ access_token: "at-device", token_type: "Bearer", expires_in: 3600, refresh_token: "rt-device" })

type Answer = ReturnType<typeof json>

/**
 * Runs the device flow against a device authorization endpoint answering
 * `deviceAnswer` and a token endpoint answering the n-th poll with
 * `polls[n - 1]` (the last one from then on). The flow runs in a fiber while
 * the TestClock moves `advance` ahead. Returns the flow's exit, the user codes
 * shown, and the requests received, their times in seconds.
 */
const runFlow = (options: {
  readonly deviceAnswer?: Answer
  readonly polls: ReadonlyArray<Answer>
  readonly advance: Duration.DurationInput
  readonly auth?: ClientAuth.ClientAuth
  readonly scopes?: ReadonlyArray<string>
}) =>
  Effect.gen(function*() {
    const recorder = yield* makeRecorder
    const shown = yield* Ref.make<ReadonlyArray<Grant.UserCode>>([])
    const router = HttpRouter.empty.pipe(
      HttpRouter.post("/device/code", recorder.record(() => options.deviceAnswer ?? json(authorization))),
      HttpRouter.post(
        "/token",
        recorder.record((_, n) => options.polls[Math.min(n, options.polls.length) - 1]!)
      )
    )
    const endpoint = Endpoint.make({
      deviceAuthorizationUrl: `${issuer}/device/code`,
      tokenUrl: `${issuer}/token`,
      auth: options.auth ?? ClientAuth.none("tv-app")
    })
    const fiber = yield* Grant.deviceCode(endpoint, {
      scopes: options.scopes,
      onUserCode: (info) => Ref.update(shown, (all) => [...all, info])
    }).pipe(Effect.provide(layerOf(router)), Effect.exit, Effect.fork)
    yield* TestClock.adjust(options.advance)
    const exit = yield* Fiber.join(fiber)
    const seconds = (path: string) =>
      Effect.map(recorder.at(path), (all) => all.map((r) => ({ at: r.at / 1000, form: r.form, headers: r.headers })))
    return { exit, shown: yield* Ref.get(shown), device: yield* seconds("/device/code"), polls: yield* seconds("/token") }
  })

const failure = <A>(exit: Exit.Exit<A, TokenError.TokenError>): TokenError.TokenError => {
  assert.isTrue(exit._tag === "Failure", "expected the flow to fail")
  if (exit._tag === "Success" || exit.cause._tag !== "Fail") return assert.fail("expected a failure")
  return exit.cause.error
}

describe("Grant.deviceCode", () => {
  it.effect("pending → slow_down (+5 s from then on) → token, polling on the TestClock", () =>
    Effect.gen(function*() {
      const { device, exit, polls, shown } = yield* runFlow({
        polls: [pending, slowDown, pending, issued],
        advance: "1 minute",
        scopes: ["openid", "offline_access"]
      })
      assert.isTrue(exit._tag === "Success")
      if (exit._tag === "Success") {
        assert.strictEqual(Redacted.value(exit.value.token), "at-device")
        assert.strictEqual(exit.value.issuedAt, 30_000)
      }
      // first poll one interval in; 5 s after pending; 10 s after slow_down, and still 10 s after
      assert.deepStrictEqual(polls.map((p) => p.at), [5, 10, 20, 30])
      assert.deepStrictEqual(device.map((d) => d.form), [{ client_id: "tv-app", scope: "openid offline_access" }])
      for (const poll of polls) {
        assert.deepStrictEqual(poll.form, { grant_type: deviceGrant, device_code: "dc-secret-1", client_id: "tv-app" })
      }
      assert.lengthOf(shown, 1)
      assert.strictEqual(shown[0]!.userCode, "WDJB-MJHT")
      assert.strictEqual(shown[0]!.verificationUri, `${issuer}/device`)
      assert.strictEqual(shown[0]!.verificationUriComplete, `${issuer}/device?user_code=WDJB-MJHT`)
      assert.strictEqual(Duration.toMillis(shown[0]!.expiresIn), 600_000)
    }))

  it.effect("expired_token ends the flow with DeviceCodeExpired", () =>
    Effect.gen(function*() {
      const { exit, polls } = yield* runFlow({ polls: [pending, json({ error: "expired_token" }, 400)], advance: "1 minute" })
      const error = failure(exit)
      assert.strictEqual(error._tag, "DeviceCodeExpired")
      if (error._tag === "DeviceCodeExpired") assert.strictEqual(error.reason, "ExpiredToken")
      assert.isFalse(error.retryable)
      assert.include(error.message, "start the device flow again")
      assert.lengthOf(polls, 2)
    }))

  it.effect("access_denied ends the flow with DeviceAccessDenied", () =>
    Effect.gen(function*() {
      const { exit, polls } = yield* runFlow({ polls: [json({ error: "access_denied" }, 400)], advance: "1 minute" })
      const error = failure(exit)
      assert.strictEqual(error._tag, "DeviceAccessDenied")
      assert.include(error.message, "denied")
      assert.lengthOf(polls, 1)
    }))

  it.effect("stops when the code's own expires_in has elapsed, without a poll that could not succeed", () =>
    Effect.gen(function*() {
      const { exit, polls } = yield* runFlow({
        deviceAnswer: json({ ...authorization, expires_in: 17 }),
        polls: [pending],
        advance: "5 minutes"
      })
      const error = failure(exit)
      assert.strictEqual(error._tag, "DeviceCodeExpired")
      if (error._tag === "DeviceCodeExpired") {
        assert.strictEqual(error.reason, "Elapsed")
        assert.strictEqual((error.cause as TokenError.OAuthError).error, "authorization_pending")
      }
      // a fourth poll would come at 20 s, after the code expired at 17 s
      assert.deepStrictEqual(polls.map((p) => p.at), [5, 10, 15])
    }))

  it.effect("without an interval it polls every 5 seconds; Google's verification_url is read too", () =>
    Effect.gen(function*() {
      const { device, exit, polls, shown } = yield* runFlow({
        deviceAnswer: json({
          device_code: "dc-2",
          user_code: "ABCD",
          verification_url: "https://www.google.com/device",
          expires_in: "1800"
        }),
        polls: [pending, issued],
        advance: "1 minute"
      })
      assert.isTrue(exit._tag === "Success")
      assert.deepStrictEqual(polls.map((p) => p.at), [5, 10])
      assert.lengthOf(device, 1)
      assert.strictEqual(shown[0]!.verificationUri, "https://www.google.com/device")
      assert.isUndefined(shown[0]!.verificationUriComplete)
    }))

  it.effect("a briefly unavailable token endpoint doubles the wait, then polling goes on", () =>
    Effect.gen(function*() {
      const { exit, polls } = yield* runFlow({
        polls: [json({ error: "temporarily_unavailable" }, 503), pending, issued],
        advance: "1 minute"
      })
      assert.isTrue(exit._tag === "Success")
      assert.deepStrictEqual(polls.map((p) => p.at), [5, 15, 25])
    }))

  it.effect("a confidential client authenticates both requests", () =>
    Effect.gen(function*() {
      const { device, exit, polls } = yield* runFlow({
        polls: [issued],
        advance: "1 minute",
        auth: ClientAuth.clientSecretBasic("tv", Redacted.make("s3cret"))
      })
      assert.isTrue(exit._tag === "Success")
      for (const request of [...device, ...polls]) {
        assert.match(request.headers["authorization"]!, /^Basic /)
        assert.isUndefined(request.form["client_id"])
      }
    }))

  it.effect("a refused device authorization request fails before the user is shown anything", () =>
    Effect.gen(function*() {
      const { exit, polls, shown } = yield* runFlow({
        deviceAnswer: json({ error: "invalid_client", error_description: "unknown client" }, 401),
        polls: [issued],
        advance: "1 minute"
      })
      const error = failure(exit)
      assert.strictEqual(error._tag, "OAuthError")
      if (error._tag === "OAuthError") assert.strictEqual(error.endpoint, "deviceAuthorization")
      assert.include(error.message, "the device authorization endpoint answered HTTP 401")
      assert.isFalse(error.retryable)
      assert.lengthOf(shown, 0)
      assert.lengthOf(polls, 0)
    }))

  it.effect("a device authorization response without a user code is malformed; the device code is not shown", () =>
    Effect.gen(function*() {
      const { exit, shown } = yield* runFlow({
        deviceAnswer: json({ device_code: "dc-secret-2", verification_uri: "https://x", expires_in: 60 }),
        polls: [issued],
        advance: "1 minute"
      })
      const error = failure(exit)
      assert.strictEqual(error._tag, "MalformedResponse")
      if (error._tag === "MalformedResponse") assert.strictEqual(error.endpoint, "deviceAuthorization")
      assert.include(error.message, "`user_code` is missing or empty")
      assert.notInclude(error.message, "dc-secret-2")
      assert.notInclude(JSON.stringify(error), "dc-secret-2")
      assert.lengthOf(shown, 0)
    }))

  it.effect("an unsafe device authorization URL is refused before anything is sent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Grant.deviceCode(
          Endpoint.make({
            deviceAuthorizationUrl: "http://auth.example.com/device/code",
            tokenUrl: `${issuer}/token`,
            auth: ClientAuth.none("tv")
          }),
          { onUserCode: () => Effect.void }
        ).pipe(Effect.provide(layerOf(HttpRouter.empty)))
      )
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.include(error.message, "device authorization URL must use https:")
    }))

  it.effect("an endpoint without a device authorization URL is refused before anything is sent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Grant.deviceCode(Endpoint.make({ tokenUrl: `${issuer}/token`, auth: ClientAuth.none("tv") }), {
          onUserCode: () => Effect.void
        }).pipe(Effect.provide(layerOf(HttpRouter.empty)))
      )
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.include(error.message, "the endpoint has no device authorization URL: set deviceAuthorizationUrl")
    }))
})

describe("Grant.deviceCode with a hostile device authorization response", () => {
  it.effect("an interval of 0.001 s is floored to 1 s: two polls in two seconds, not two thousand", () =>
    Effect.gen(function*() {
      const { exit, polls } = yield* runFlow({
        deviceAnswer: json({ ...authorization, expires_in: 3, interval: 0.001 }),
        polls: [pending],
        advance: "10 seconds"
      })
      assert.strictEqual(failure(exit)._tag, "DeviceCodeExpired")
      assert.deepStrictEqual(polls.map((p) => p.at), [1, 2])
    }))

  it.effect("an interval of 0 means as often as allowed: every second", () =>
    Effect.gen(function*() {
      const { exit, polls } = yield* runFlow({
        deviceAnswer: json({ ...authorization, interval: "0" }),
        polls: [pending, pending, issued],
        advance: "1 minute"
      })
      assert.isTrue(exit._tag === "Success")
      assert.deepStrictEqual(polls.map((p) => p.at), [1, 2, 3])
    }))

  it.effect("a negative or non-numeric interval is malformed", () =>
    Effect.gen(function*() {
      for (const interval of [-1, "soon", "1".repeat(100_000)]) {
        const { exit, shown } = yield* runFlow({
          deviceAnswer: json({ ...authorization, interval }),
          polls: [issued],
          advance: "1 minute"
        })
        const error = failure(exit)
        assert.strictEqual(error._tag, "MalformedResponse")
        assert.include(error.message, "`interval` is not a number of seconds")
        assert.lengthOf(shown, 0)
      }
    }))

  it.effect("a user code or verification URI that would rewrite the user's screen is refused before it is shown", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
        [{ user_code: "WDJB\u001b[2J-MJHT" }, "`user_code` contains a control character"],
        [{ verification_uri: "https://auth.example.com/device\nPaste your password at https://evil.example" }, "`verification_uri` contains a control character"],
        [{ verification_uri: undefined, verification_url: "https://x/\u202egnp.exe" }, "`verification_url` contains a control character"],
        [{ verification_uri_complete: "https://x/?c=\u0007" }, "`verification_uri_complete` contains a control character"],
        [{ user_code: "A".repeat(129) }, "`user_code` is longer than 128 characters"],
        [{ verification_uri: `https://x/${"a".repeat(2048)}` }, "`verification_uri` is longer than 2048 characters"],
        [{ device_code: "d".repeat(16 * 1024 + 1) }, "`device_code` is longer than 16384 characters"]
      ]
      for (const [overrides, expected] of cases) {
        const { exit, polls, shown } = yield* runFlow({
          deviceAnswer: json({ ...authorization, ...overrides }),
          polls: [issued],
          advance: "1 minute"
        })
        const error = failure(exit)
        assert.strictEqual(error._tag, "MalformedResponse")
        assert.include(error.message, expected)
        assert.notInclude(error.message, "\u001b")
        assert.lengthOf(shown, 0)
        assert.lengthOf(polls, 0)
      }
    }))
})
