import * as HttpRouter from "@effect/platform/HttpRouter"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Option, Redacted, Schedule, Scope } from "effect"
import * as TestClock from "effect/TestClock"
import * as AccessToken from "../src/AccessToken.js"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import * as RefreshPolicy from "../src/RefreshPolicy.js"
import * as retryAfter from "../src/internal/retryAfter.js"
import * as tokenProvider from "../src/internal/tokenProvider.js"
import * as TokenError from "../src/TokenError.js"
import * as TokenProvider from "../src/TokenProvider.js"
import * as TokenStore from "../src/TokenStore.js"
import { fail, issue, issueUntil, makeEndpoint, oauthError, tokenValue, unavailable } from "./fixtures.js"
import { json, layerOf, makeRecorder } from "./routerClient.js"

// Deterministic backoff (no jitter) so TestClock steps line up with attempts.
const policy = RefreshPolicy.make({
  retry: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(3))),
  coolDown: "5 seconds"
})

/** Lets forked fibers (background refreshes) run to their next suspension. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

describe("TokenProvider", () => {
  describe("freshness", () => {
    it.scoped("serves a fresh token from the cache", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ lifetime: "10 minutes" })
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const first = yield* provider.get
        yield* TestClock.adjust("5 minutes")
        const second = yield* provider.get
        assert.strictEqual(tokenValue(first), "token-1")
        assert.strictEqual(tokenValue(second), "token-1")
        assert.strictEqual(yield* endpoint.calls, 1)
      }))

    it.scoped("one millisecond before the window it is fresh; at the window it is stale and refreshed once in the background", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ lifetime: "10 minutes" })
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        yield* provider.get
        // window = min(60 s skew, 50 % of 10 min) = 60 s: it opens at 540,000 ms
        yield* TestClock.adjust(539_999)
        assert.strictEqual(tokenValue(yield* provider.get), "token-1")
        yield* settle
        assert.strictEqual(yield* endpoint.calls, 1)

        yield* TestClock.adjust(1)
        // stale: the old token is still served while the refresh starts
        assert.strictEqual(tokenValue(yield* provider.get), "token-1")
        assert.strictEqual(tokenValue(yield* provider.get), "token-1")
        yield* settle
        assert.strictEqual(yield* endpoint.calls, 2)
        assert.strictEqual(tokenValue(yield* provider.get), "token-2")
      }))

    it.scoped("the window is bounded by a fraction of a short token's lifetime", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ lifetime: "30 seconds" })
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        yield* provider.get
        // skew 60 s would cover the whole life; 50 % of 30 s = 15 s opens at 15,000 ms
        yield* TestClock.adjust(14_999)
        yield* provider.get
        yield* settle
        assert.strictEqual(yield* endpoint.calls, 1)
        yield* TestClock.adjust(1)
        yield* provider.get
        yield* settle
        assert.strictEqual(yield* endpoint.calls, 2)
      }))

    it.scoped("an expired token is never served: callers wait for the refresh", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ lifetime: "10 minutes", latency: "1 second" })
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const first = yield* Effect.fork(provider.get)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(tokenValue(yield* Fiber.join(first)), "token-1")
        // token-1 was issued at 0 (sent time), so it expires at 600,000 ms
        yield* TestClock.adjust(599_000 - 1)
        yield* TestClock.adjust(1)
        const waiting = yield* Effect.fork(provider.get)
        yield* settle
        assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
        yield* TestClock.adjust("1 second")
        assert.strictEqual(tokenValue(yield* Fiber.join(waiting)), "token-2")
      }))

    it.scoped("a refresh that returns no later expiry stops early refreshing until expiry", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint()
        yield* endpoint.script(issueUntil(600_000), issueUntil(600_000), issue("10 minutes"))
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        yield* provider.get
        yield* TestClock.adjust("570 seconds")
        yield* provider.get
        yield* settle
        assert.strictEqual(yield* endpoint.calls, 2)
        // the second token expires at the same instant: no refresh per call in the window
        for (let i = 0; i < 5; i++) {
          yield* TestClock.adjust("1 second")
          yield* provider.get
          yield* settle
        }
        assert.strictEqual(yield* endpoint.calls, 2)
        yield* TestClock.adjust("30 seconds")
        assert.strictEqual(tokenValue(yield* provider.get), "token-3")
      }))
  })

  describe("single flight", () => {
    it.scoped("10,000 concurrent callers cause one token request", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ latency: "100 millis" })
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const fiber = yield* Effect.fork(Effect.all(Array.from({ length: 10_000 }, () => provider.get), {
          concurrency: "unbounded"
        }))
        yield* settle
        yield* TestClock.adjust("100 millis")
        const tokens = yield* Fiber.join(fiber)
        assert.strictEqual(yield* endpoint.calls, 1)
        assert.isTrue(tokens.every((t) => tokenValue(t) === "token-1"))
      }))

    it.scoped("all waiters share one failure", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ latency: "100 millis" })
        yield* endpoint.script(fail(oauthError("invalid_client", 401)))
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const fiber = yield* Effect.fork(Effect.all(Array.from({ length: 100 }, () => Effect.flip(provider.get)), {
          concurrency: "unbounded"
        }))
        yield* settle
        yield* TestClock.adjust("100 millis")
        const errors = yield* Fiber.join(fiber)
        assert.strictEqual(yield* endpoint.calls, 1)
        assert.isTrue(errors.every((e) => e === errors[0] && e._tag === "OAuthError"))
      }))

    it.scoped("interrupting a waiter does not interrupt the refresh", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ latency: "1 second" })
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const impatient = yield* Effect.fork(provider.get)
        const patient = yield* Effect.fork(provider.get)
        yield* settle
        yield* Fiber.interrupt(impatient)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(tokenValue(yield* Fiber.join(patient)), "token-1")
        assert.strictEqual(tokenValue(yield* provider.get), "token-1")
        assert.strictEqual(yield* endpoint.calls, 1)
      }))

    it.effect("closing the provider's scope stops a running refresh", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ latency: "1 second" })
        const scope = yield* Scope.make()
        const provider = yield* Scope.extend(TokenProvider.make(endpoint.fetch, { policy }), scope)
        const waiter = yield* Effect.fork(provider.get)
        yield* settle
        yield* Scope.close(scope, Exit.void)
        const exit = yield* Fiber.await(waiter)
        assert.isTrue(Exit.isInterrupted(exit))
      }))
  })

  describe("invalidate", () => {
    it.scoped("a burst of rejections of one token causes one refresh", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint()
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const rejected = yield* provider.get
        yield* Effect.all(Array.from({ length: 100 }, () =>
          Effect.zipRight(provider.invalidate(rejected), provider.get)), { concurrency: "unbounded" })
        assert.strictEqual(yield* endpoint.calls, 2)
        assert.strictEqual(tokenValue(yield* provider.get), "token-2")
      }))

    it.scoped("invalidating a token that was already replaced does nothing", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint()
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const first = yield* provider.get
        yield* provider.invalidate(first)
        const second = yield* provider.get
        yield* provider.invalidate(first)
        assert.strictEqual(tokenValue(yield* provider.get), tokenValue(second))
        assert.strictEqual(yield* endpoint.calls, 2)
      }))
  })

  describe("token endpoint failures", () => {
    it.scoped("retries retryable failures with the schedule", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint()
        yield* endpoint.script(fail(unavailable(503)), fail(unavailable(502)))
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const fiber = yield* Effect.fork(provider.get)
        yield* settle
        assert.strictEqual(yield* endpoint.calls, 1)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* endpoint.calls, 2)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(tokenValue(yield* Fiber.join(fiber)), "token-3")
      }))

    it.scoped("never retries invalid_client, invalid_grant or unauthorized_client", () =>
      Effect.gen(function*() {
        for (const code of ["invalid_client", "invalid_grant", "unauthorized_client"]) {
          const endpoint = yield* makeEndpoint()
          // even with a status that would otherwise be retryable
          yield* endpoint.script(fail(oauthError(code, 503)))
          const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
          const error = yield* Effect.flip(provider.get)
          assert.strictEqual(error._tag, "OAuthError")
          assert.isFalse(error.retryable)
          assert.strictEqual(yield* endpoint.calls, 1)
        }
      }))

    it.scoped("honours Retry-After: no attempt before it has passed", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint()
        yield* endpoint.script(fail(unavailable(429, "10 seconds")))
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const fiber = yield* Effect.fork(provider.get)
        yield* settle
        yield* TestClock.adjust(9_999)
        assert.strictEqual(yield* endpoint.calls, 1)
        yield* TestClock.adjust(1)
        assert.strictEqual(tokenValue(yield* Fiber.join(fiber)), "token-2")
      }))

    it.scoped("a Retry-After beyond maxRetryAfter ends the refresh and lengthens the cool-down", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint()
        yield* endpoint.script(fail(unavailable(503, "2 minutes")))
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const error = yield* Effect.flip(provider.get)
        assert.strictEqual(error._tag, "EndpointUnavailable")
        yield* TestClock.adjust("119 seconds")
        assert.strictEqual((yield* Effect.flip(provider.get))._tag, "EndpointUnavailable")
        assert.strictEqual(yield* endpoint.calls, 1)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(tokenValue(yield* provider.get), "token-2")
      }))

    it.scoped("stale-if-error: while refreshing fails, the unexpired token is still served", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ lifetime: "10 minutes" })
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        yield* provider.get
        yield* endpoint.script(...Array.from({ length: 20 }, () => fail(unavailable(503))))
        yield* TestClock.adjust("570 seconds")
        assert.strictEqual(tokenValue(yield* provider.get), "token-1")
        // background refresh: 1 attempt + 3 retries, one second apart
        yield* settle
        for (let i = 0; i < 3; i++) yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* endpoint.calls, 5)
        assert.strictEqual(tokenValue(yield* provider.get), "token-1")
        // past expiry the old token is never served
        yield* TestClock.adjust("30 seconds")
        const waiter = yield* Effect.fork(Effect.flip(provider.get))
        for (let i = 0; i < 3; i++) yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(waiter)
        assert.isTrue(TokenError.isGrantflowError(error))
        assert.strictEqual(yield* endpoint.calls, 9)
      }))

    it.scoped("after a failed refresh, callers get that failure during the cool-down, then one new attempt", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint()
        yield* endpoint.script(fail(oauthError("invalid_client", 401)))
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const first = yield* Effect.flip(provider.get)
        yield* TestClock.adjust(4_999)
        const again = yield* Effect.flip(provider.get)
        assert.strictEqual(again, first)
        assert.strictEqual(yield* endpoint.calls, 1)
        yield* TestClock.adjust(1)
        assert.strictEqual(tokenValue(yield* provider.get), "token-2")
      }))

    it.scoped("the background refresh honours the cool-down too", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ lifetime: "10 minutes" })
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        yield* provider.get
        yield* endpoint.script(fail(oauthError("invalid_client", 401)))
        yield* TestClock.adjust("570 seconds")
        yield* provider.get
        yield* settle
        assert.strictEqual(yield* endpoint.calls, 2)
        for (let i = 0; i < 4; i++) {
          yield* TestClock.adjust("1 second")
          yield* provider.get
          yield* settle
        }
        assert.strictEqual(yield* endpoint.calls, 2)
        yield* TestClock.adjust("1 second")
        yield* provider.get
        yield* settle
        assert.strictEqual(yield* endpoint.calls, 3)
        assert.strictEqual(tokenValue(yield* provider.get), "token-3")
      }))
  })

  it.scoped("refresh obtains a new token now and joins one already running", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint({ latency: "1 second" })
      const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
      const a = yield* Effect.fork(provider.refresh)
      const b = yield* Effect.fork(provider.refresh)
      yield* settle
      yield* TestClock.adjust("1 second")
      assert.strictEqual(tokenValue(yield* Fiber.join(a)), "token-1")
      assert.strictEqual(tokenValue(yield* Fiber.join(b)), "token-1")
      assert.strictEqual(yield* endpoint.calls, 1)
    }))

  it.scoped("an initial token is served until its window opens, then refreshed as usual", () =>
    Effect.gen(function*() {
      const endpoint = yield* makeEndpoint({ lifetime: "10 minutes" })
      const initial = yield* endpoint.fetch
      const provider = yield* TokenProvider.make(endpoint.fetch, { policy, initial })
      assert.strictEqual(tokenValue(yield* provider.get), "token-1")
      yield* TestClock.adjust("540 seconds")
      assert.strictEqual(tokenValue(yield* provider.get), "token-1")
      yield* settle
      assert.strictEqual(tokenValue(yield* provider.get), "token-2")
      assert.strictEqual(yield* endpoint.calls, 2)
    }))

  it("the policy rejects a window fraction outside [0, 1]", () => {
    assert.throws(() => RefreshPolicy.make({ maxWindowFraction: 1.5 }), /maxWindowFraction/)
    assert.deepStrictEqual(RefreshPolicy.defaultPolicy.coolDown, Duration.seconds(5))
  })

  it("the policy bounds the cool-down: 5 minutes by default, never shorter than coolDown, always finite", () => {
    assert.deepStrictEqual(RefreshPolicy.defaultPolicy.maxCoolDown, Duration.minutes(5))
    assert.deepStrictEqual(RefreshPolicy.make({ coolDown: "10 minutes" }).maxCoolDown, Duration.minutes(10))
    assert.throws(() => RefreshPolicy.make({ coolDown: "1 minute", maxCoolDown: "30 seconds" }), /maxCoolDown/)
    assert.throws(() => RefreshPolicy.make({ maxCoolDown: Duration.infinity }), /maxCoolDown must be a finite/)
    assert.throws(() => RefreshPolicy.make({ safetyMargin: Duration.infinity }), /safetyMargin must be a finite/)
  })

  describe("a server's Retry-After cannot stop the provider for longer than maxCoolDown", () => {
    const fetch = Grant.clientCredentials(Endpoint.make({
      tokenUrl: "https://auth.example.com/oauth/token",
      auth: ClientAuth.clientSecretBasic("id", Redacted.make("s3cret"))
    }))
    const bounded = RefreshPolicy.make({ retry: Schedule.stop, maxCoolDown: "2 minutes" })

    /** The token endpoint answers 429 with `retryAfter` once, then tokens; the provider must ask again after 2 minutes. */
    const coolDownAfter = (retryAfter: string) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Date.parse("2026-12-03T12:00:00Z"))
        const recorder = yield* makeRecorder
        const router = HttpRouter.empty.pipe(HttpRouter.post(
          "/oauth/token",
          recorder.record((_, n) =>
            n === 1
              ? json({ error: "slow_down" }, 429, { "retry-after": retryAfter })
              : json({ access_token: `at-${n}`, token_type: "Bearer", expires_in: 600 })
          )
        ))
        return yield* Effect.gen(function*() {
          const provider = yield* TokenProvider.make(fetch, { policy: bounded })
          const error = yield* Effect.flip(provider.get)
          assert.isTrue(Option.isSome(TokenError.retryAfter(error)), retryAfter)
          yield* TestClock.adjust(Duration.toMillis("2 minutes") - 1)
          assert.strictEqual(yield* Effect.flip(provider.get), error)
          assert.strictEqual((yield* recorder.all).length, 1, retryAfter)
          yield* TestClock.adjust(1)
          assert.strictEqual(Redacted.value((yield* provider.get).token), "at-2", retryAfter)
        }).pipe(Effect.provide(layerOf(router)), Effect.scoped)
      })

    it.effect("an hour (3600) gives the maximum", () => coolDownAfter("3600"))

    it.effect("a number of seconds too large for a finite delay gives the maximum", () =>
      coolDownAfter(`1${"0".repeat(60)}`))

    it.effect("a date in the year 9999 gives the maximum", () => coolDownAfter("Fri, 31 Dec 9999 23:59:59 GMT"))

    it("the header is read as finite, bounded and only up to a length", () => {
      const now = 0
      for (const value of ["3600", `1${"0".repeat(60)}`, "Fri, 31 Dec 9999 23:59:59 GMT"]) {
        const wait = retryAfter.parse(value, now)
        assert.isTrue(Option.isSome(wait) && Duration.isFinite(wait.value), value)
        const error = new TokenError.EndpointUnavailable({ endpoint: "token", reason: "Status", status: Option.some(429), retryAfter: wait })
        assert.isTrue(Duration.lessThanOrEqualTo(RefreshPolicy.coolDownAfter(bounded, error), Duration.minutes(2)), value)
      }
      // longer than any Retry-After can be: not read at all
      assert.isTrue(Option.isNone(retryAfter.parse("9".repeat(400), now)))
      assert.isTrue(Option.isNone(retryAfter.parse(`Fri, 31 Dec 9999 23:59:59 GMT${" ".repeat(100_000)}`, now)))
    })
  })

  describe("safety margin and renewal after a rejection", () => {
    // 10-second tokens: window min(60 s, 5 s) = 5 s, margin min(2 s, 5 s) = 2 s
    const margin = RefreshPolicy.make({ retry: Schedule.stop, safetyMargin: "2 seconds" })

    it.scoped("inside the safety margin the token is no longer served: callers wait for the refresh", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ lifetime: "10 seconds", latency: "1 second" })
        // no get in the window, so no background refresh: as if the process had been starved
        const first = yield* Effect.fork(warmProvider(endpoint, margin))
        yield* TestClock.adjust("1 second")
        const get = yield* Fiber.join(first)
        assert.strictEqual(tokenValue(yield* get), "token-1")
        // token-1 was sent at 0: it expires at 10 s, its margin starts at 8 s
        yield* TestClock.adjust(6_999)
        assert.strictEqual(tokenValue(yield* get), "token-1")
        yield* TestClock.adjust(1)
        const waiting = yield* Effect.fork(get)
        yield* settle
        assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
        yield* TestClock.adjust("1 second")
        assert.strictEqual(tokenValue(yield* Fiber.join(waiting)), "token-2")
      }))

    it("the margin never exceeds the refresh window, so it is bounded by the token's lifetime", () => {
      const token = (lifetime: number) =>
        new AccessToken.AccessToken({
          token: Redacted.make("t"),
          type: "Bearer",
          issuedAt: 0,
          expiresAt: lifetime,
          scopes: [],
          refreshToken: Option.none()
        })
      assert.strictEqual(AccessToken.marginMillis(token(600_000), margin), 2_000)
      assert.strictEqual(AccessToken.marginMillis(token(3_000), margin), 1_500)
      assert.strictEqual(AccessToken.freshness(token(3_000), 1_499, margin), "Fresh")
      assert.strictEqual(AccessToken.freshness(token(3_000), 1_500, margin), "Expired")
      assert.strictEqual(AccessToken.marginMillis(token(600_000), { skew: "60 seconds", maxWindowFraction: 0.5 }), 0)
    })

    it.scoped("refresh never hands out a token whose request had started before it was called", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ lifetime: "10 minutes", latency: "1 second" })
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy })
        const before = yield* Effect.fork(provider.get)
        yield* settle
        // token request 1 is on the wire; a rejection seen now must not be answered with its token
        const renewed = yield* Effect.fork(provider.refresh)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(tokenValue(yield* Fiber.join(before)), "token-1")
        yield* settle
        assert.isTrue(Option.isNone(yield* Fiber.poll(renewed)))
        yield* TestClock.adjust("1 second")
        assert.strictEqual(tokenValue(yield* Fiber.join(renewed)), "token-2")
        assert.strictEqual(yield* endpoint.calls, 2)
      }))

    it.scoped("a renewal after a rejection honours the cool-down of a failed refresh; a deliberate refresh does not", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint()
        yield* endpoint.script(fail(unavailable(503)))
        const provider = yield* TokenProvider.make(endpoint.fetch, { policy: margin })
        const error = yield* Effect.flip(provider.get)
        // what BearerAuth replays with
        assert.strictEqual(yield* Effect.flip(tokenProvider.internalOf(provider).renew), error)
        assert.strictEqual(yield* endpoint.calls, 1)
        assert.strictEqual(tokenValue(yield* provider.refresh), "token-2")
        assert.strictEqual(tokenValue(yield* tokenProvider.internalOf(provider).renew), "token-3")
      }))

    it.scoped("a shared fetch renewing after a rejection skips a stored token issued before it", () =>
      Effect.gen(function*() {
        const endpoint = yield* makeEndpoint({ lifetime: "10 minutes" })
        const store = yield* TokenStore.TokenStore
        const key = TokenStore.key({ issuer: "https://auth.example.com", clientId: "id", grant: "client_credentials" })
        const fetch = yield* TokenStore.shared({ key, acquire: endpoint.fetch })
        const provider = yield* TokenProvider.make(fetch, { policy })
        const mine = yield* provider.get
        // another process stores the token it obtained at 500 ms
        yield* TestClock.adjust(500)
        const theirs = yield* endpoint.fetch
        const version = Option.getOrThrow(yield* store.get(key)).version
        assert.strictEqual((yield* store.set(key, theirs, { expectedVersion: version }))._tag, "Written")
        // at 1 s the API rejects ours: theirs was issued before that, so it may be rejected as well
        yield* TestClock.adjust(500)
        yield* provider.invalidate(mine)
        const renewed = yield* provider.refresh
        assert.deepStrictEqual([tokenValue(mine), tokenValue(theirs), tokenValue(renewed)], ["token-1", "token-2", "token-3"])
        assert.strictEqual(yield* endpoint.calls, 3)
      }).pipe(Effect.provide(TokenStore.layerMemory)))
  })
})

/** A provider whose `get` is handed out once built (its first token obtained). */
const warmProvider = (
  endpoint: Effect.Effect.Success<ReturnType<typeof makeEndpoint>>,
  policy: RefreshPolicy.RefreshPolicy
) =>
  Effect.gen(function*() {
    const built = yield* TokenProvider.make(endpoint.fetch, { policy })
    yield* built.get
    return built.get
  })
