import { assert, describe, it } from "@effect/vitest"
import { ClientAuth, Grant, RefreshPolicy, TokenProvider, type TokenStore } from "@grantflow/core"
import { Cause, Deferred, Effect, Fiber, Option, Redacted, Ref, Schedule, TestClock } from "effect"
import { json, type Respond, withEndpoint } from "./tokenEndpoint.js"

/** Issues `at-n`, and `rt-(n+1)` as the next refresh token. */
const rotating: Respond = (_form, n) =>
  json({ access_token: `at-${n}`, token_type: "Bearer", expires_in: 3600, refresh_token: `rt-${n + 1}` })

/** Issues `at-n` and no refresh token. */
const notRotating: Respond = (_form, n) => json({ access_token: `at-${n}`, expires_in: 3600 })

const invalidGrant = json({ error: "invalid_grant", error_description: "Token has been expired or revoked." }, 400)

const auth = ClientAuth.clientSecretBasic("cli", Redacted.make("s3cret"))

const value = (secret: Redacted.Redacted<string>) => Redacted.value(secret)
const refreshOf = (token: { readonly refreshToken: Option.Option<Redacted.Redacted<string>> }) =>
  Option.map(token.refreshToken, value)

// Retries at once and often: only non-retryable failures end a refresh after one request.
const policy = RefreshPolicy.make({ retry: Schedule.recurs(3) })

describe("Grant.refreshToken over HTTP", () => {
  it.live("sends grant_type=refresh_token, the refresh token, the scopes and the client authentication", () =>
    withEndpoint(rotating, { auth }, (endpoint, received) =>
      Effect.gen(function*() {
        const token = yield* Grant.refreshToken(endpoint, {
          refreshToken: Redacted.make("rt-1"),
          scopes: ["read", "write"]
        })
        assert.strictEqual(value(token.token), "at-1")
        assert.deepStrictEqual(refreshOf(token), Option.some("rt-2"))
        const [request] = yield* received
        assert.deepStrictEqual(request!.form, { grant_type: "refresh_token", refresh_token: "rt-1", scope: "read write" })
        assert.match(request!.headers["authorization"]!, /^Basic /)
      })))

  it.live("without a new refresh token, the token keeps the one that was sent", () =>
    withEndpoint(notRotating, { auth }, (endpoint) =>
      Effect.gen(function*() {
        const token = yield* Grant.refreshToken(endpoint, { refreshToken: Redacted.make("rt-1") })
        assert.strictEqual(value(token.token), "at-1")
        assert.deepStrictEqual(refreshOf(token), Option.some("rt-1"))
      })))

  it.live("invalid_grant is ReauthorizationRequired, with the OAuthError as its cause and no token in it", () =>
    withEndpoint(() => invalidGrant, { auth }, (endpoint) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Grant.refreshToken(endpoint, { refreshToken: Redacted.make("rt-secret-1") })
        )
        assert.strictEqual(error._tag, "ReauthorizationRequired")
        assert.isFalse(error.retryable)
        if (error._tag === "ReauthorizationRequired") {
          assert.strictEqual(error.cause._tag, "OAuthError")
          assert.strictEqual(error.cause.error, "invalid_grant")
        }
        assert.include(error.message, "the user must authorize again")
        for (const text of [error.message, JSON.stringify(error), Cause.pretty(Cause.fail(error))]) {
          assert.notInclude(text, "rt-secret-1")
        }
      })))

  it.live("other OAuth errors stay OAuthErrors", () =>
    withEndpoint(() => json({ error: "invalid_client" }, 401), { auth }, (endpoint) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: Redacted.make("rt-1") }))
        assert.strictEqual(error._tag, "OAuthError")
      })))
})

describe("Grant.refreshTokenFlow over HTTP", () => {
  it.live("rotation: each new refresh token is saved, then used for the next refresh", () =>
    withEndpoint(rotating, { auth }, (endpoint, received) =>
      Effect.gen(function*() {
        const saved = yield* Ref.make<ReadonlyArray<string>>([])
        const fetch = yield* Grant.refreshTokenFlow(endpoint, {
          initial: Redacted.make("rt-1"),
          onRotate: (refreshToken) => Ref.update(saved, (all) => [...all, value(refreshToken)])
        })
        const tokens = [yield* fetch, yield* fetch, yield* fetch]
        assert.deepStrictEqual(tokens.map((token) => value(token.token)), ["at-1", "at-2", "at-3"])
        assert.deepStrictEqual(tokens.map(refreshOf), [Option.some("rt-2"), Option.some("rt-3"), Option.some("rt-4")])
        assert.deepStrictEqual((yield* received).map((request) => request.form["refresh_token"]), ["rt-1", "rt-2", "rt-3"])
        assert.deepStrictEqual(yield* Ref.get(saved), ["rt-2", "rt-3", "rt-4"])
      })))

  it.live("no rotation: the refresh token is kept and onRotate does not run", () =>
    withEndpoint(
      (form, n) =>
        n === 2
          // the same refresh token sent back is no rotation either
          ? json({ access_token: `at-${n}`, refresh_token: form["refresh_token"] })
          : notRotating(form, n),
      { auth },
      (endpoint, received) =>
        Effect.gen(function*() {
          const rotations = yield* Ref.make(0)
          const fetch = yield* Grant.refreshTokenFlow(endpoint, {
            initial: Redacted.make("rt-1"),
            onRotate: () => Ref.update(rotations, (n) => n + 1)
          })
          const tokens = [yield* fetch, yield* fetch, yield* fetch]
          assert.deepStrictEqual(tokens.map(refreshOf), [Option.some("rt-1"), Option.some("rt-1"), Option.some("rt-1")])
          assert.deepStrictEqual((yield* received).map((request) => request.form["refresh_token"]), ["rt-1", "rt-1", "rt-1"])
          assert.strictEqual(yield* Ref.get(rotations), 0)
        })
    ))

  it.live("the new access token is not handed out before onRotate has completed", () =>
    withEndpoint(rotating, { auth }, (endpoint) =>
      Effect.gen(function*() {
        const started = yield* Deferred.make<string>()
        const release = yield* Deferred.make<void>()
        const events = yield* Ref.make<ReadonlyArray<string>>([])
        const log = (event: string) => Ref.update(events, (all) => [...all, event])
        const fetch = yield* Grant.refreshTokenFlow(endpoint, {
          initial: Redacted.make("rt-1"),
          onRotate: (refreshToken) =>
            Effect.gen(function*() {
              yield* Deferred.succeed(started, value(refreshToken))
              yield* Deferred.await(release)
              yield* log("saved")
            })
        })
        const fiber = yield* Effect.fork(Effect.tap(fetch, () => log("handed out")))
        assert.strictEqual(yield* Deferred.await(started), "rt-2")
        // onRotate is blocked: the response has arrived, but no token comes out
        yield* Effect.sleep("50 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        assert.deepStrictEqual(yield* Ref.get(events), [])
        yield* Deferred.succeed(release, undefined)
        const token = yield* Fiber.join(fiber)
        assert.strictEqual(value(token.token), "at-1")
        assert.deepStrictEqual(yield* Ref.get(events), ["saved", "handed out"])
      })))

  it.live("when onRotate fails, no token is handed out; the next run saves the rotated refresh token before sending anything", () =>
    withEndpoint(rotating, { auth }, (endpoint, received) =>
      Effect.gen(function*() {
        const attempts = yield* Ref.make(0)
        const saved = yield* Ref.make<ReadonlyArray<string>>([])
        const storeError = new Error("the store is down")
        const fetch = yield* Grant.refreshTokenFlow(endpoint, {
          initial: Redacted.make("rt-1"),
          onRotate: (refreshToken) =>
            Effect.flatMap(
              Ref.updateAndGet(attempts, (n) => n + 1),
              (n) => n === 1 ? Effect.fail(storeError) : Ref.update(saved, (all) => [...all, value(refreshToken)])
            )
        })
        const provider = yield* TokenProvider.make(fetch, { policy })
        const error = yield* Effect.flip(provider.get)
        assert.strictEqual(error._tag, "RefreshTokenNotSaved")
        // onRotate is the flow's store write: its error is the cause of the store error
        if (error._tag === "RefreshTokenNotSaved") {
          const cause = error.cause as TokenStore.TokenStoreError
          assert.strictEqual(cause._tag, "TokenStoreError")
          assert.strictEqual((cause.cause as Error).message, storeError.message)
        }
        assert.notInclude(error.message, "rt-2")
        assert.strictEqual((yield* received).length, 1)

        // the spent rt-1 is never sent again: rt-2 is saved first and its access token handed out
        const token = yield* provider.refresh
        assert.strictEqual(value(token.token), "at-1")
        assert.deepStrictEqual(yield* Ref.get(saved), ["rt-2"])
        assert.strictEqual((yield* received).length, 1)

        // and the next refresh sends rt-2
        yield* provider.refresh
        assert.deepStrictEqual((yield* received).map((request) => request.form["refresh_token"]), ["rt-1", "rt-2"])
      })))

  it.live("invalid_grant: ReauthorizationRequired, then later runs fail at once without sending the refresh token", () =>
    withEndpoint(() => invalidGrant, { auth }, (endpoint, received) =>
      Effect.gen(function*() {
        const fetch = yield* Grant.refreshTokenFlow(endpoint, { initial: Redacted.make("rt-1") })
        const provider = yield* TokenProvider.make(fetch, { policy })
        const first = yield* Effect.flip(provider.get)
        assert.strictEqual(first._tag, "ReauthorizationRequired")
        assert.strictEqual((yield* received).length, 1)
        for (let i = 0; i < 3; i++) {
          const again = yield* Effect.flip(fetch)
          assert.strictEqual(again._tag, "ReauthorizationRequired")
          assert.include(again.message, "Token has been expired or revoked.")
        }
        assert.strictEqual((yield* received).length, 1)
      })))

  it.live("two runs at once outside a TokenProvider: the second waits for the first, then sends the rotated refresh token", () =>
    withEndpoint(
      (form, n) => Effect.zipRight(Effect.sleep("50 millis"), rotating(form, n)),
      { auth },
      (endpoint, received) =>
        Effect.gen(function*() {
          const fetch = yield* Grant.refreshTokenFlow(endpoint, { initial: Redacted.make("rt-1") })
          const tokens = yield* Effect.all([fetch, fetch], { concurrency: 2 })
          assert.deepStrictEqual(tokens.map((token) => value(token.token)).sort(), ["at-1", "at-2"])
          assert.deepStrictEqual((yield* received).map((request) => request.form["refresh_token"]), ["rt-1", "rt-2"])
        })
    ))

  // TestClock: the second run gives up waiting for the first (after 15 s) and sends the same refresh token.
  it.effect("invalid_grant for a refresh token that is no longer current does not discard the current one", () =>
    Effect.gen(function*() {
      const firstArrived = yield* Deferred.make<void>()
      const secondArrived = yield* Deferred.make<void>()
      const answerFirst = yield* Deferred.make<void>()
      const rotated = yield* Deferred.make<void>()
      const respond: Respond = (form, n) => {
        switch (n) {
          case 1:
            return Deferred.succeed(firstArrived, undefined).pipe(
              Effect.zipRight(Deferred.await(answerFirst)),
              Effect.zipRight(rotating(form, n))
            )
          case 2:
            // the same refresh token, sent again: refused once the first rotation is through
            return Deferred.succeed(secondArrived, undefined).pipe(
              Effect.zipRight(Deferred.await(rotated)),
              Effect.zipRight(invalidGrant)
            )
          default:
            return notRotating(form, n)
        }
      }
      yield* withEndpoint(respond, { auth }, (endpoint, received) =>
        Effect.gen(function*() {
          const fetch = yield* Grant.refreshTokenFlow(endpoint, {
            initial: Redacted.make("rt-1"),
            onRotate: () => Deferred.succeed(rotated, undefined)
          })
          const first = yield* Effect.fork(Effect.either(fetch))
          yield* Deferred.await(firstArrived)
          const second = yield* Effect.fork(Effect.either(fetch))
          yield* TestClock.adjust("16 seconds")
          yield* Deferred.await(secondArrived)
          yield* Deferred.succeed(answerFirst, undefined)
          const outcomes = [yield* Fiber.join(first), yield* Fiber.join(second)].map((either) =>
            either._tag === "Right" ? "token" : either.left._tag
          )
          assert.deepStrictEqual(outcomes, ["token", "ReauthorizationRequired"])

          // rt-2, which replaced rt-1 while rt-1 was being refused, is still current
          const token = yield* fetch
          assert.strictEqual(value(token.token), "at-3")
          assert.deepStrictEqual((yield* received).map((request) => request.form["refresh_token"]), ["rt-1", "rt-1", "rt-2"])
        }))
    }))

  it.live("100 concurrent gets send one refresh request, and the same refresh token is never sent twice", () =>
    Effect.gen(function*() {
      // The server rotates, and refuses a refresh token that was already used.
      const current = yield* Ref.make("rt-1")
      const respond: Respond = (form, n) =>
        Effect.flatMap(
          Ref.modify(current, (rt) => form["refresh_token"] === rt ? [true, `rt-${n + 1}`] : [false, rt]),
          (valid) => valid ? Effect.zipRight(Effect.sleep("50 millis"), rotating(form, n)) : invalidGrant
        )
      yield* withEndpoint(respond, { auth }, (endpoint, received) =>
        Effect.gen(function*() {
          const fetch = yield* Grant.refreshTokenFlow(endpoint, { initial: Redacted.make("rt-1") })
          const provider = yield* TokenProvider.make(fetch, { policy })
          const tokens = yield* Effect.all(Array.from({ length: 100 }, () => provider.get), { concurrency: "unbounded" })
          assert.deepStrictEqual([...new Set(tokens.map((token) => value(token.token)))], ["at-1"])
          assert.strictEqual((yield* received).length, 1)

          // and the next refresh sends the rotated refresh token
          const next = yield* provider.refresh
          assert.strictEqual(value(next.token), "at-2")
          assert.deepStrictEqual((yield* received).map((request) => request.form["refresh_token"]), ["rt-1", "rt-2"])
          // the endpoint does refuse a reused refresh token
          const reused = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: Redacted.make("rt-1") }))
          assert.strictEqual(reused._tag, "ReauthorizationRequired")
        }))
    }))
})
