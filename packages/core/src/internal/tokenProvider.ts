import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as AccessToken from "../AccessToken.js"
import * as RefreshPolicy from "../RefreshPolicy.js"
import * as TokenError from "../TokenError.js"
import * as metrics from "./metrics.js"

/** @internal */
export interface Service {
  readonly get: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError>
  readonly invalidate: (token: AccessToken.AccessToken) => Effect.Effect<void>
  readonly refresh: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError>
}

/** @internal */
export interface Options {
  readonly policy?: RefreshPolicy.RefreshPolicy | undefined
  readonly name?: string | undefined
  readonly initial?: AccessToken.AccessToken | undefined
}

type Reason = "initial" | "expired" | "background" | "invalidated" | "forced"

/**
 * The provider's state. It is a plain mutable record rather than a `Ref`:
 * every transition below happens inside one synchronous step, which is atomic
 * on JavaScript's single thread, and it keeps the warm `get` path to a clock
 * read and a comparison.
 */
interface State {
  token: AccessToken.AccessToken | undefined
  /** When `token` enters its refresh window, computed once per token. */
  staleAt: number
  /** The last token obtained, even if invalidated since: detects servers that re-issue the same expiry. */
  last: AccessToken.AccessToken | undefined
  inflight: Deferred.Deferred<AccessToken.AccessToken, TokenError.TokenError> | undefined
  failure: TokenError.TokenError | undefined
  coolDownUntil: number
  /** No background refresh before this instant. */
  earlyRefreshFrom: number
}

/** @internal */
export const make = <R>(
  fetch: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>,
  options: Options = {}
): Effect.Effect<Service, never, Scope.Scope | R> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const context = (yield* Effect.context<R>()) as Context.Context<R>
    const policy = options.policy ?? RefreshPolicy.defaultPolicy
    const name = options.name ?? "default"
    const schedule = RefreshPolicy.retrySchedule(policy)

    const served = metrics.labelled(metrics.tokensServed, { provider: name })
    const fetched = metrics.labelled(metrics.tokenFetches, { provider: name })
    const failed = metrics.labelled(metrics.tokenFetchFailures, { provider: name })
    const backgroundSucceeded = metrics.labelled(metrics.backgroundRefreshes, { provider: name, outcome: "success" })
    const backgroundFailed = metrics.labelled(metrics.backgroundRefreshes, { provider: name, outcome: "failure" })

    const initial = options.initial
    const state: State = {
      token: initial,
      staleAt: initial === undefined ? 0 : initial.expiresAt - AccessToken.windowMillis(initial, policy),
      last: initial,
      inflight: undefined,
      failure: undefined,
      coolDownUntil: 0,
      earlyRefreshFrom: 0
    }

    const attempt = Effect.tapError(fetch, (error) =>
      Effect.logDebug("grantflow: token request failed").pipe(
        Effect.annotateLogs({
          provider: name,
          error: error.message,
          retryable: error.retryable,
          ...Option.match(TokenError.retryAfter(error), {
            onNone: () => ({}),
            onSome: (wait) => ({ retryAfterMillis: Duration.toMillis(wait) })
          })
        })
      ))

    const fetchWithRetry = Effect.retry(attempt, schedule).pipe(Effect.provide(context))

    const complete = (
      deferred: Deferred.Deferred<AccessToken.AccessToken, TokenError.TokenError>,
      reason: Reason,
      exit: Exit.Exit<AccessToken.AccessToken, TokenError.TokenError>
    ) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        state.inflight = undefined
        let report: Effect.Effect<void>
        if (Exit.isSuccess(exit)) {
          const token = exit.value
          // A server that hands back a token expiring no later than the one we
          // had would be asked again on every call of the window: wait for expiry.
          state.earlyRefreshFrom = state.last !== undefined && token.expiresAt <= state.last.expiresAt
            ? token.expiresAt
            : 0
          state.token = token
          state.staleAt = token.expiresAt - AccessToken.windowMillis(token, policy)
          state.last = token
          state.failure = undefined
          state.coolDownUntil = 0
          report = Effect.zipRight(
            Metric.increment(reason === "background" ? backgroundSucceeded : fetched),
            Effect.logDebug("grantflow: token obtained").pipe(
              Effect.annotateLogs({ provider: name, reason, expiresInMillis: token.expiresAt - now })
            )
          )
          if (reason === "background") report = Effect.zipRight(Metric.increment(fetched), report)
        } else {
          const error = Cause.failureOption(exit.cause)
          if (Option.isNone(error)) return Deferred.done(deferred, exit)
          state.failure = error.value
          state.coolDownUntil = now + Duration.toMillis(RefreshPolicy.coolDownAfter(policy, error.value))
          const stillServing = state.token !== undefined && state.token.expiresAt > now
          report = Effect.zipRight(
            Metric.increment(reason === "background" ? backgroundFailed : failed),
            Effect.logWarning(
              stillServing
                ? "grantflow: token refresh failed; serving the current token until it expires"
                : "grantflow: token refresh failed"
            ).pipe(
              Effect.annotateLogs({
                provider: name,
                reason,
                error: error.value.message,
                coolDownMillis: state.coolDownUntil - now
              })
            )
          )
          if (reason === "background") report = Effect.zipRight(Metric.increment(failed), report)
        }
        return Effect.zipRight(report, Deferred.done(deferred, exit))
      })

    const runRefresh = (
      deferred: Deferred.Deferred<AccessToken.AccessToken, TokenError.TokenError>,
      reason: Reason
    ) =>
      fetchWithRetry.pipe(
        Effect.withSpan(reason === "initial" ? "grantflow.token.acquire" : "grantflow.token.refresh", {
          attributes: { "grantflow.provider": name, "grantflow.reason": reason }
        }),
        Effect.onExit((exit) => complete(deferred, reason, exit))
      )

    // Starting a refresh is uninterruptible so that a caller interrupted at the
    // wrong moment can never leave an in-flight marker without a fiber behind it.
    // The refresh itself runs in the provider's scope, not the caller's: an
    // interrupted waiter never interrupts it, and closing the scope does.
    const startRefresh = (reason: Reason) =>
      Effect.uninterruptible(Effect.suspend(() => {
        if (state.inflight !== undefined) return Effect.succeed(state.inflight)
        const deferred = Deferred.unsafeMake<AccessToken.AccessToken, TokenError.TokenError>(FiberId.none)
        state.inflight = deferred
        return Effect.as(Effect.forkIn(Effect.interruptible(runRefresh(deferred, reason)), scope), deferred)
      }))

    const serve = (token: AccessToken.AccessToken) => Effect.as(Metric.increment(served), token)

    const awaitToken = (now: number, reason: Reason) =>
      Effect.suspend(() => {
        if (state.inflight !== undefined) return Deferred.await(state.inflight)
        if (state.failure !== undefined && now < state.coolDownUntil) return Effect.fail(state.failure)
        return Effect.flatMap(startRefresh(reason), Deferred.await)
      }).pipe(Effect.tap(() => Metric.increment(served)))

    // The warm path is one step: clock, cache check and counter read straight
    // from the fiber, with the same services and metric labels the combinators
    // would use. It runs on every API request, so it must cost next to nothing.
    const get = Effect.withFiberRuntime<AccessToken.AccessToken, TokenError.TokenError>((fiber) => {
      const now = Context.get(fiber.getFiberRef(DefaultServices.currentServices), Clock.Clock)
        .unsafeCurrentTimeMillis()
      const token = state.token
      if (token === undefined) return awaitToken(now, state.last === undefined ? "initial" : "invalidated")
      if (now < state.staleAt) {
        served.unsafeUpdate(1, fiber.getFiberRef(FiberRef.currentMetricLabels))
        return Effect.succeed(token)
      }
      if (now >= token.expiresAt) return awaitToken(now, "expired")
      const refreshEarly = state.inflight === undefined && now >= state.coolDownUntil && now >= state.earlyRefreshFrom
      return refreshEarly ? Effect.zipRight(startRefresh("background"), serve(token)) : serve(token)
    })

    const invalidate = (token: AccessToken.AccessToken) =>
      Effect.suspend(() => {
        if (state.token === undefined || !AccessToken.sameToken(state.token, token)) return Effect.void
        state.token = undefined
        return Effect.logDebug("grantflow: token invalidated").pipe(Effect.annotateLogs({ provider: name }))
      })

    const refresh = Effect.flatMap(startRefresh("forced"), Deferred.await)

    return { get, invalidate, refresh } satisfies Service
  })
