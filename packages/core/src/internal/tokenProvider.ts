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
import { globalValue } from "effect/GlobalValue"
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
 * One token's state. It is a plain mutable record rather than a `Ref`:
 * every transition below happens inside one synchronous step, which is atomic
 * on JavaScript's single thread, and it keeps the warm `get` path to a clock
 * read and a comparison. It holds no closures, and as a class every instance
 * has one fixed shape (object literals built by spreading get a hidden class
 * each), so that a pool can keep one per connection for 100,000 connections.
 *
 * @internal
 */
export class Cell {
  token: AccessToken.AccessToken | undefined
  /** When `token` enters its refresh window, computed once per token. */
  staleAt: number
  /** When `token` enters its safety margin and is no longer handed out, computed once per token. */
  usableUntil: number
  /** The number (counted by `attempts`) of the token request that obtained `token`; 0 for an initial token. */
  tokenAttempt = 0
  /** `attempts` when the refresh in flight started: a request numbered above it is its own. */
  inflightFrom = 0
  /**
   * When a token from a new request was last demanded (`refresh`, e.g. after a
   * rejection): a shared fetch takes no stored token issued at or before it.
   */
  renewedAt = Number.NEGATIVE_INFINITY
  /** The last token obtained, even if invalidated since: detects servers that re-issue the same expiry. */
  last: AccessToken.AccessToken | undefined
  inflight: Deferred.Deferred<AccessToken.AccessToken, TokenError.TokenError> | undefined = undefined
  failure: TokenError.TokenError | undefined = undefined
  coolDownUntil = 0
  /** No background refresh before this instant. */
  earlyRefreshFrom = 0
  /** Token requests sent, retries included. */
  attempts = 0
  lastSuccessAt: number | undefined = undefined
  lastFailureAt: number | undefined = undefined
  constructor(initial: AccessToken.AccessToken | undefined, policy: RefreshPolicy.RefreshPolicy) {
    this.token = initial
    this.staleAt = initial === undefined ? 0 : initial.expiresAt - AccessToken.windowMillis(initial, policy)
    this.usableUntil = initial === undefined ? 0 : initial.expiresAt - AccessToken.marginMillis(initial, policy)
    this.last = initial
  }
}

/**
 * The cell a fetch runs for, so that a shared fetch can read `renewedAt`
 * when it looks at a stored token.
 *
 * @internal
 */
export const currentCell: FiberRef.FiberRef<Pick<Cell, "renewedAt"> | undefined> = globalValue(
  Symbol.for("@grantflow/core/TokenProvider/currentCell"),
  () => FiberRef.unsafeMake<Pick<Cell, "renewedAt"> | undefined>(undefined)
)

/**
 * What the cells of one provider — or of one pool — share: the policy, the
 * scope their refreshes run in, the context of their fetches, and metrics.
 *
 * @internal
 */
export interface Runtime<C extends Cell, R> {
  readonly scope: Scope.Scope
  readonly context: Context.Context<R>
  readonly policy: RefreshPolicy.RefreshPolicy
  readonly name: string
  readonly schedule: ReturnType<typeof RefreshPolicy.retrySchedule>
  readonly fetch: (cell: C) => Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>
  /** Told of every refresh's outcome, after the cell was updated. */
  readonly onOutcome: ((cell: C, previous: TokenError.TokenError | undefined) => void) | undefined
  readonly served: Metric.Metric.Counter<number>
  readonly fetched: Metric.Metric.Counter<number>
  readonly failed: Metric.Metric.Counter<number>
  readonly backgroundSucceeded: Metric.Metric.Counter<number>
  readonly backgroundFailed: Metric.Metric.Counter<number>
}

/** @internal */
export const makeRuntime = <C extends Cell, R>(options: {
  readonly policy?: RefreshPolicy.RefreshPolicy | undefined
  readonly name?: string | undefined
  readonly fetch: (cell: C) => Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>
  readonly onOutcome?: ((cell: C, previous: TokenError.TokenError | undefined) => void) | undefined
}): Effect.Effect<Runtime<C, R>, never, Scope.Scope | R> =>
  Effect.map(Effect.all([Effect.scope, Effect.context<R>()]), ([scope, context]) => {
    const policy = options.policy ?? RefreshPolicy.defaultPolicy
    const name = options.name ?? "default"
    return {
      scope,
      context: context as Context.Context<R>,
      policy,
      name,
      schedule: RefreshPolicy.retrySchedule(policy),
      fetch: options.fetch,
      onOutcome: options.onOutcome,
      served: metrics.labelled(metrics.tokensServed, { provider: name }),
      fetched: metrics.labelled(metrics.tokenFetches, { provider: name }),
      failed: metrics.labelled(metrics.tokenFetchFailures, { provider: name }),
      backgroundSucceeded: metrics.labelled(metrics.backgroundRefreshes, { provider: name, outcome: "success" }),
      backgroundFailed: metrics.labelled(metrics.backgroundRefreshes, { provider: name, outcome: "failure" })
    }
  })

const fetchWithRetry = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C) =>
  Effect.suspend(() => {
    cell.attempts++
    return runtime.fetch(cell)
  }).pipe(
    Effect.tapError((error) =>
      Effect.logDebug("grantflow: token request failed").pipe(
        Effect.annotateLogs({
          provider: runtime.name,
          error: error.message,
          retryable: error.retryable,
          ...Option.match(TokenError.retryAfter(error), {
            onNone: () => ({}),
            onSome: (wait) => ({ retryAfterMillis: Duration.toMillis(wait) })
          })
        })
      )
    ),
    Effect.retry(runtime.schedule),
    Effect.provide(runtime.context)
  )

const complete = <C extends Cell, R>(
  runtime: Runtime<C, R>,
  cell: C,
  deferred: Deferred.Deferred<AccessToken.AccessToken, TokenError.TokenError>,
  reason: Reason,
  exit: Exit.Exit<AccessToken.AccessToken, TokenError.TokenError>
) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const { name, policy } = runtime
    cell.inflight = undefined
    const previous = cell.failure
    let report: Effect.Effect<void>
    if (Exit.isSuccess(exit)) {
      const token = exit.value
      // A server that hands back a token expiring no later than the one we
      // had would be asked again on every call of the window: wait for expiry.
      cell.earlyRefreshFrom = cell.last !== undefined && token.expiresAt <= cell.last.expiresAt
        ? token.expiresAt
        : 0
      cell.token = token
      cell.staleAt = token.expiresAt - AccessToken.windowMillis(token, policy)
      cell.usableUntil = token.expiresAt - AccessToken.marginMillis(token, policy)
      // single flight: the last request started is the one that obtained it
      cell.tokenAttempt = cell.attempts
      cell.last = token
      cell.failure = undefined
      cell.coolDownUntil = 0
      cell.lastSuccessAt = now
      report = Effect.zipRight(
        Metric.increment(reason === "background" ? runtime.backgroundSucceeded : runtime.fetched),
        Effect.logDebug("grantflow: token obtained").pipe(
          Effect.annotateLogs({ provider: name, reason, expiresInMillis: token.expiresAt - now })
        )
      )
      if (reason === "background") report = Effect.zipRight(Metric.increment(runtime.fetched), report)
    } else {
      const error = Cause.failureOption(exit.cause)
      if (Option.isNone(error)) return Deferred.done(deferred, exit)
      cell.failure = error.value
      cell.lastFailureAt = now
      cell.coolDownUntil = now + Duration.toMillis(RefreshPolicy.coolDownAfter(policy, error.value))
      const stillServing = cell.token !== undefined && cell.usableUntil > now
      report = Effect.zipRight(
        Metric.increment(reason === "background" ? runtime.backgroundFailed : runtime.failed),
        Effect.logWarning(
          stillServing
            ? "grantflow: token refresh failed; serving the current token until it expires"
            : "grantflow: token refresh failed"
        ).pipe(
          Effect.annotateLogs({
            provider: name,
            reason,
            error: error.value.message,
            coolDownMillis: cell.coolDownUntil - now
          })
        )
      )
      if (reason === "background") report = Effect.zipRight(Metric.increment(runtime.failed), report)
    }
    runtime.onOutcome?.(cell, previous)
    return Effect.zipRight(report, Deferred.done(deferred, exit))
  })

// Starting a refresh is uninterruptible so that a caller interrupted at the
// wrong moment can never leave an in-flight marker without a fiber behind it.
// The refresh itself runs in the runtime's scope, not the caller's: an
// interrupted waiter never interrupts it, and closing the scope does.
const startRefresh = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C, reason: Reason) =>
  Effect.uninterruptible(Effect.suspend(() => {
    if (cell.inflight !== undefined) return Effect.succeed(cell.inflight)
    const deferred = Deferred.unsafeMake<AccessToken.AccessToken, TokenError.TokenError>(FiberId.none)
    cell.inflight = deferred
    cell.inflightFrom = cell.attempts
    const run = fetchWithRetry(runtime, cell).pipe(
      Effect.locally(currentCell, cell),
      Effect.withSpan(reason === "initial" ? "grantflow.token.acquire" : "grantflow.token.refresh", {
        attributes: { "grantflow.provider": runtime.name, "grantflow.reason": reason }
      }),
      Effect.onExit((exit) => complete(runtime, cell, deferred, reason, exit))
    )
    return Effect.as(Effect.forkIn(Effect.interruptible(run), runtime.scope), deferred)
  }))

const awaitToken = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C, now: number, reason: Reason) =>
  Effect.suspend(() => {
    if (cell.inflight !== undefined) return Deferred.await(cell.inflight)
    if (cell.failure !== undefined && now < cell.coolDownUntil) return Effect.fail(cell.failure)
    return Effect.flatMap(startRefresh(runtime, cell, reason), Deferred.await)
  }).pipe(Effect.tap(() => Metric.increment(runtime.served)))

/**
 * The token of `cell`. The warm path is one step: clock, cache check and
 * counter read straight from the fiber, with the same services and metric
 * labels the combinators would use. It runs on every API request, so it must
 * cost next to nothing.
 *
 * @internal
 */
export const get = <C extends Cell, R>(
  runtime: Runtime<C, R>,
  cell: C
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError> =>
  Effect.withFiberRuntime<AccessToken.AccessToken, TokenError.TokenError>((fiber) => {
    const now = Context.get(fiber.getFiberRef(DefaultServices.currentServices), Clock.Clock)
      .unsafeCurrentTimeMillis()
    const token = cell.token
    if (token === undefined) return awaitToken(runtime, cell, now, cell.last === undefined ? "initial" : "invalidated")
    if (now < cell.staleAt) {
      runtime.served.unsafeUpdate(1, fiber.getFiberRef(FiberRef.currentMetricLabels))
      return Effect.succeed(token)
    }
    // within the safety margin the server may already reject it: wait for a new one
    if (now >= cell.usableUntil) return awaitToken(runtime, cell, now, "expired")
    const served = Effect.as(Metric.increment(runtime.served), token)
    const refreshEarly = cell.inflight === undefined && now >= cell.coolDownUntil && now >= cell.earlyRefreshFrom
    return refreshEarly ? Effect.zipRight(startRefresh(runtime, cell, "background"), served) : served
  })

/** @internal */
export const invalidate = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C, token: AccessToken.AccessToken) =>
  Effect.suspend(() => {
    if (cell.token === undefined || !AccessToken.sameToken(cell.token, token)) return Effect.void
    cell.token = undefined
    return Effect.logDebug("grantflow: token invalidated").pipe(Effect.annotateLogs({ provider: runtime.name }))
  })

/**
 * A token obtained by a token request numbered above `mark`, i.e. started
 * after the caller's `mark` was read: one already cached, a refresh in flight
 * whose first request had not started by then (joined), or a new refresh —
 * after the one in flight, if that one had. With `coolDown`, during the
 * cool-down after a failed refresh, that failure instead of a new request.
 */
const renewed = <C extends Cell, R>(
  runtime: Runtime<C, R>,
  cell: C,
  mark: number,
  coolDown: boolean
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const token = cell.token
    if (token !== undefined && cell.tokenAttempt > mark && now < cell.usableUntil) return Effect.succeed(token)
    const inflight = cell.inflight
    if (inflight !== undefined) {
      if (cell.inflightFrom >= mark) return Deferred.await(inflight)
      // its request may have been answered before the mark: its token is not new enough
      return Effect.zipRight(Effect.exit(Deferred.await(inflight)), renewed(runtime, cell, mark, coolDown))
    }
    if (coolDown && cell.failure !== undefined && now < cell.coolDownUntil) return Effect.fail(cell.failure)
    return Effect.flatMap(startRefresh(runtime, cell, "forced"), Deferred.await)
  })

const renewing = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C, coolDown: boolean) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    cell.renewedAt = now
    return renewed(runtime, cell, cell.attempts, coolDown)
  })

/**
 * A token obtained by a token request that starts after this call (see
 * `renewed`), cool-down or not: a deliberate refresh.
 *
 * @internal
 */
export const refresh = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C) => renewing(runtime, cell, false)

/**
 * The same, honouring the cool-down: what a replay after a rejection needs —
 * a token that cannot have been issued before the rejection was seen — without
 * a token request per rejected call while the token endpoint is failing.
 *
 * @internal
 */
export const renew = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C) => renewing(runtime, cell, true)

/**
 * Where the providers built here keep `renew`: not part of the
 * `TokenProvider` service, which other implementations provide too.
 *
 * @internal
 */
export const RenewId: unique symbol = Symbol.for("@grantflow/core/TokenProvider/renew")

/**
 * A provider built here.
 *
 * @internal
 */
export interface Renewing extends Service {
  readonly [RenewId]: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError>
}

/**
 * `renew` of a provider built here; for any other, its `refresh`.
 *
 * @internal
 */
export const renewOf = (provider: Service): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError> =>
  RenewId in provider ? (provider as Renewing)[RenewId] : provider.refresh

/** @internal */
export const make = <R>(
  fetch: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>,
  options: Options = {}
): Effect.Effect<Service, never, Scope.Scope | R> =>
  Effect.map(makeRuntime<Cell, R>({ policy: options.policy, name: options.name, fetch: () => fetch }), (runtime) => {
    const cell = new Cell(options.initial, runtime.policy)
    return {
      get: get(runtime, cell),
      invalidate: (token) => invalidate(runtime, cell, token),
      refresh: refresh(runtime, cell),
      [RenewId]: renew(runtime, cell)
    } satisfies Renewing
  })
