import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Option, Schedule, Scope } from "effect"
import * as TestClock from "effect/TestClock"
import * as RefreshPolicy from "../src/RefreshPolicy.js"
import * as TokenError from "../src/TokenError.js"
import * as TokenProvider from "../src/TokenProvider.js"
import { fail, issue, issueUntil, makeEndpoint, oauthError, tokenValue, unavailable } from "./fixtures.js"

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
        assert.strictEqual(error._tag, "TokenEndpointUnavailable")
        yield* TestClock.adjust("119 seconds")
        assert.strictEqual((yield* Effect.flip(provider.get))._tag, "TokenEndpointUnavailable")
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
        assert.isTrue(TokenError.isTokenError(error))
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
})
