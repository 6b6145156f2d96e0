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
import * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as AccessToken from "../AccessToken.js"
import * as RefreshPolicy from "../RefreshPolicy.js"
import * as TokenError from "../TokenError.js"
import * as TokenEvent from "../TokenEvent.js"
import type * as TokenProvider from "../TokenProvider.js"
import * as metrics from "./metrics.js"

type Service = TokenProvider.TokenProvider["Type"]

/**
 * Whether `token` may still be handed out at `now`: it has not entered its
 * safety margin, where the server may already reject it. Computed when asked
 * rather than kept per token: only a stale token asks, and a pool of many
 * connections keeps one number less for each.
 */
const usable = (token: AccessToken.AccessToken, policy: RefreshPolicy.RefreshPolicy, now: number): boolean =>
  now < token.expiresAt - AccessToken.marginMillis(token, policy)

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
  /** The number (counted by `attempts`) of the token request that obtained `token`; 0 for an initial token. */
  tokenAttempt = 0
  /** `attempts` when the refresh in flight started: a request numbered above it is its own. */
  inflightFrom = 0
  /**
   * When a token from a new request was last demanded (`refresh`, e.g. after a
   * rejection): a shared fetch takes no stored token issued at or before it;
   * `undefined` until then.
   */
  renewedAt: number | undefined = undefined
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
    this.last = initial
  }
}

/**
 * What a provider tells the fetch it runs: the cell it runs for (a shared
 * fetch reads `renewedAt` when it looks at a stored token) and its policy
 * (which says whether a stored token is fresh enough to serve), so that a
 * shared fetch always judges tokens as its provider does.
 *
 * @internal
 */
export interface FetchContext {
  readonly cell: Pick<Cell, "renewedAt">
  readonly policy: RefreshPolicy.RefreshPolicy
}

/** @internal */
export const currentFetch: FiberRef.FiberRef<FetchContext | undefined> = globalValue(
  Symbol.for("@grantflow/core/TokenProvider/currentFetch"),
  () => FiberRef.unsafeMake<FetchContext | undefined>(undefined)
)

/**
 * Numbers the tokens of a provider (or a pool): 1 for the first, then
 * counting — an id for events that is neither the token nor derived from it.
 * By identity, so that every token handed out keeps its number; weakly, so
 * that numbering keeps no token alive.
 *
 * @internal
 */
export class TokenIds {
  private readonly ids = new WeakMap<AccessToken.AccessToken, number>()
  private last = 0
  of(token: AccessToken.AccessToken): number {
    let id = this.ids.get(token)
    if (id === undefined) {
      id = ++this.last
      this.ids.set(token, id)
    }
    return id
  }
  /** `token` is `known` again (the same value): it keeps its number. */
  same(token: AccessToken.AccessToken, known: AccessToken.AccessToken): void {
    this.ids.set(token, this.of(known))
  }
}

/**
 * Each subscriber's buffer of events. Publishing never waits: a subscriber
 * that falls this far behind loses the oldest events, not the token path its
 * time, and memory stays bounded.
 */
const eventCapacity = 1024

/**
 * What the cells of one provider — or of one pool — share: the policy, the
 * scope their refreshes run in, the context of their fetches, their events
 * and metrics.
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
  readonly ids: TokenIds
  readonly pubsub: PubSub.PubSub<TokenEvent.TokenEvent>
  readonly events: Stream.Stream<TokenEvent.TokenEvent>
  readonly subscribe: Effect.Effect<Stream.Stream<TokenEvent.TokenEvent>, never, Scope.Scope>
  readonly served: Metric.Metric.Counter<number>
  readonly fetched: Metric.Metric.Counter<number>
  readonly failed: Metric.Metric.Counter<number>
  readonly backgroundSucceeded: Metric.Metric.Counter<number>
  readonly backgroundFailed: Metric.Metric.Counter<number>
  readonly replays: Metric.Metric.Counter<number>
  readonly fetchDuration: Metric.Metric.Histogram<number>
}

/** @internal */
export const makeRuntime = <C extends Cell, R>(options: {
  readonly policy?: RefreshPolicy.RefreshPolicy | undefined
  readonly name?: string | undefined
  readonly fetch: (cell: C) => Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>
  readonly onOutcome?: ((cell: C, previous: TokenError.TokenError | undefined) => void) | undefined
}): Effect.Effect<Runtime<C, R>, never, Scope.Scope | R> =>
  Effect.map(
    Effect.all([
      Effect.scope,
      Effect.context<R>(),
      Effect.acquireRelease(PubSub.sliding<TokenEvent.TokenEvent>(eventCapacity), PubSub.shutdown)
    ]),
    ([scope, context, pubsub]) => {
      const policy = options.policy ?? RefreshPolicy.defaultPolicy
      const name = options.name ?? "default"
      const provider = { [metrics.providerLabel]: name }
      return {
        scope,
        context: context as Context.Context<R>,
        policy,
        name,
        schedule: RefreshPolicy.retrySchedule(policy),
        fetch: options.fetch,
        onOutcome: options.onOutcome,
        ids: new TokenIds(),
        pubsub,
        events: Stream.fromPubSub(pubsub),
        subscribe: Stream.fromPubSub(pubsub, { scoped: true }),
        served: metrics.labelled(metrics.tokensServed, provider),
        fetched: metrics.labelled(metrics.tokenFetches, provider),
        failed: metrics.labelled(metrics.tokenFetchFailures, provider),
        backgroundSucceeded: metrics.labelled(metrics.backgroundRefreshes, { ...provider, "grantflow.outcome": "success" }),
        backgroundFailed: metrics.labelled(metrics.backgroundRefreshes, { ...provider, "grantflow.outcome": "failure" }),
        replays: metrics.labelled(metrics.requestReplays, provider),
        fetchDuration: metrics.labelled(metrics.fetchDuration, provider)
      }
    }
  )

/**
 * Publishes an event; never waits (see {@link eventCapacity}). Once the
 * provider's scope closed, the event goes nowhere: a caller that reports a
 * rejection late is not interrupted for it.
 */
const publish = <C extends Cell, R>(runtime: Runtime<C, R>, event: TokenEvent.TokenEvent): Effect.Effect<void> =>
  Effect.catchAllCause(PubSub.publish(runtime.pubsub, event), () => Effect.void)

const fetchWithRetry = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C, reason: TokenEvent.Reason) =>
  Effect.suspend(() => {
    cell.attempts++
    return runtime.fetch(cell)
  }).pipe(
    Effect.tapError((error) => {
      const retryAfter = TokenError.retryAfter(error)
      return Effect.zipRight(
        Effect.logDebug("grantflow: token request failed").pipe(
          Effect.annotateLogs({
            provider: runtime.name,
            error: error.message,
            retryable: error.retryable,
            ...Option.match(retryAfter, {
              onNone: () => ({}),
              onSome: (wait) => ({ retryAfterMillis: Duration.toMillis(wait) })
            })
          })
        ),
        publish(
          runtime,
          TokenEvent.RefreshFailed({
            provider: runtime.name,
            reason,
            attempt: cell.attempts - cell.inflightFrom,
            // the error itself, not the span-carrying proxy that a failure inside a span becomes
            error: Cause.originalError(error),
            retryAfter
          })
        )
      )
    }),
    Effect.retry(runtime.schedule),
    Effect.provide(runtime.context)
  )

const complete = <C extends Cell, R>(
  runtime: Runtime<C, R>,
  cell: C,
  deferred: Deferred.Deferred<AccessToken.AccessToken, TokenError.TokenError>,
  reason: TokenEvent.Reason,
  startedAt: number,
  exit: Exit.Exit<AccessToken.AccessToken, TokenError.TokenError>
) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const { ids, name, policy } = runtime
    cell.inflight = undefined
    const previous = cell.failure
    const attempts = cell.attempts - cell.inflightFrom
    const seconds = (now - startedAt) / 1000
    let report: Effect.Effect<void>
    if (Exit.isSuccess(exit)) {
      const token = exit.value
      const last = cell.last
      if (last !== undefined && AccessToken.sameToken(last, token)) ids.same(token, last)
      const event = {
        provider: name,
        tokenId: ids.of(token),
        previousTokenId: last === undefined ? Option.none() : Option.some(ids.of(last)),
        expiresAt: token.expiresAt,
        attempts
      }
      // A server that hands back a token expiring no later than the one we
      // had would be asked again on every call of the window: wait for expiry.
      cell.earlyRefreshFrom = last !== undefined && token.expiresAt <= last.expiresAt
        ? token.expiresAt
        : 0
      cell.token = token
      cell.staleAt = token.expiresAt - AccessToken.windowMillis(token, policy)
      // single flight: the last request started is the one that obtained it
      cell.tokenAttempt = cell.attempts
      cell.last = token
      cell.failure = undefined
      cell.coolDownUntil = 0
      cell.lastSuccessAt = now
      report = Effect.all([
        Metric.increment(runtime.fetched),
        reason === "background" ? Metric.increment(runtime.backgroundSucceeded) : Effect.void,
        Metric.update(runtime.fetchDuration, seconds),
        Effect.logDebug("grantflow: token obtained").pipe(
          Effect.annotateLogs({ provider: name, reason, expiresInMillis: token.expiresAt - now })
        ),
        publish(
          runtime,
          reason === "background" ? TokenEvent.BackgroundRefresh(event) : TokenEvent.Fetched({ ...event, reason })
        )
      ], { discard: true })
    } else {
      const failure = Cause.failureOption(exit.cause)
      if (Option.isNone(failure)) return Deferred.done(deferred, exit)
      const error = Cause.originalError(failure.value)
      cell.failure = failure.value
      cell.lastFailureAt = now
      cell.coolDownUntil = now + Duration.toMillis(RefreshPolicy.coolDownAfter(policy, error))
      const serving = cell.token !== undefined && usable(cell.token, policy, now) ? Option.some(ids.of(cell.token)) : Option.none()
      report = Effect.all([
        Metric.increment(runtime.failed),
        reason === "background" ? Metric.increment(runtime.backgroundFailed) : Effect.void,
        Metric.update(Metric.tagged(runtime.fetchDuration, "error.type", error._tag), seconds),
        Effect.logWarning(
          Option.isSome(serving)
            ? "grantflow: token refresh failed; serving the current token until it expires"
            : "grantflow: token refresh failed"
        ).pipe(
          Effect.annotateLogs({ provider: name, reason, error: error.message, coolDownMillis: cell.coolDownUntil - now })
        ),
        publish(
          runtime,
          TokenEvent.CoolingDown({ provider: name, reason, attempts, error, until: cell.coolDownUntil, serving })
        ),
        error._tag === "ReauthorizationRequired"
          ? publish(runtime, TokenEvent.Reauthorize({ provider: name, error }))
          : Effect.void
      ], { discard: true })
    }
    runtime.onOutcome?.(cell, previous)
    return Effect.zipRight(report, Deferred.done(deferred, exit))
  })

// Starting a refresh is uninterruptible so that a caller interrupted at the
// wrong moment can never leave an in-flight marker without a fiber behind it.
// The refresh itself runs in the runtime's scope, not the caller's: an
// interrupted waiter never interrupts it, and closing the scope does.
const startRefresh = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C, reason: TokenEvent.Reason) =>
  Effect.uninterruptible(Effect.clockWith((clock) => {
    if (cell.inflight !== undefined) return Effect.succeed(cell.inflight)
    const deferred = Deferred.unsafeMake<AccessToken.AccessToken, TokenError.TokenError>(FiberId.none)
    cell.inflight = deferred
    cell.inflightFrom = cell.attempts
    const startedAt = clock.unsafeCurrentTimeMillis()
    const run = fetchWithRetry(runtime, cell, reason).pipe(
      Effect.locally(currentFetch, { cell, policy: runtime.policy }),
      Effect.withSpan(reason === "initial" ? "grantflow.token.acquire" : "grantflow.token.refresh", {
        attributes: { "grantflow.reason": reason }
      }),
      // on this span and every span of the fetch: the token request's, the HTTP client's
      Effect.annotateSpans(metrics.providerLabel, runtime.name),
      Effect.onExit((exit) => complete(runtime, cell, deferred, reason, startedAt, exit))
    )
    return Effect.as(Effect.forkIn(Effect.interruptible(run), runtime.scope), deferred)
  }))

const awaitToken = <C extends Cell, R>(runtime: Runtime<C, R>, cell: C, now: number, reason: TokenEvent.Reason) =>
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
    if (!usable(token, runtime.policy, now)) return awaitToken(runtime, cell, now, "expired")
    const served = Effect.as(Metric.increment(runtime.served), token)
    const refreshEarly = cell.inflight === undefined && now >= cell.coolDownUntil && now >= cell.earlyRefreshFrom
    return refreshEarly ? Effect.zipRight(startRefresh(runtime, cell, "background"), served) : served
  })

/**
 * Discards `token` if the cell still holds it, and publishes the rejection
 * either way: with the API request that saw it, when `BearerAuth` reports it.
 *
 * @internal
 */
export const invalidate = <C extends Cell, R>(
  runtime: Runtime<C, R>,
  cell: C,
  token: AccessToken.AccessToken,
  request: Option.Option<TokenEvent.ApiRequest>
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const invalidated = cell.token !== undefined && AccessToken.sameToken(cell.token, token)
    const rejected = publish(
      runtime,
      TokenEvent.Rejected({ provider: runtime.name, tokenId: runtime.ids.of(token), invalidated, request })
    )
    if (!invalidated) return rejected
    cell.token = undefined
    return Effect.zipRight(
      Effect.logDebug("grantflow: token invalidated").pipe(Effect.annotateLogs({ provider: runtime.name })),
      rejected
    )
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
    if (token !== undefined && cell.tokenAttempt > mark && usable(token, runtime.policy, now)) return Effect.succeed(token)
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
 * What `BearerAuth` asks of a provider beyond the `TokenProvider` service:
 * `renew`, and reporting on the provider what became of its tokens.
 *
 * @internal
 */
export interface Internal {
  readonly renew: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError>
  /** `invalidate`, with the API request whose response rejected the token. */
  readonly rejected: (token: AccessToken.AccessToken, request: TokenEvent.ApiRequest) => Effect.Effect<void>
  /** The request rejected for `rejected` is sent again with `token`. */
  readonly replayed: (
    rejected: AccessToken.AccessToken,
    token: AccessToken.AccessToken,
    request: TokenEvent.ApiRequest
  ) => Effect.Effect<void>
}

/**
 * Where the providers built here keep their {@link Internal}: not part of the
 * `TokenProvider` service, which other implementations provide too.
 *
 * @internal
 */
export const InternalId: unique symbol = Symbol.for("@grantflow/core/TokenProvider/internal")

/**
 * A provider built here.
 *
 * @internal
 */
export interface Internals extends Service {
  readonly [InternalId]: Internal
}

/** Replays through a provider not built here, which has no name to label them with. */
const externalReplays = metrics.labelled(metrics.requestReplays, { [metrics.providerLabel]: "external" })

/**
 * The {@link Internal} of a provider built here; for any other, its
 * `refresh` and `invalidate`, and no events.
 *
 * @internal
 */
export const internalOf = (provider: Service): Internal =>
  InternalId in provider ? (provider as Internals)[InternalId] : {
    renew: provider.refresh,
    rejected: (token) => provider.invalidate(token),
    replayed: () => Metric.increment(externalReplays)
  }

/**
 * The service of one cell of `runtime`: `withCell` hands the cell to each
 * operation (a pool finds the connection's, and marks it used).
 *
 * @internal
 */
export const service = <C extends Cell, R>(
  runtime: Runtime<C, R>,
  withCell: <A, E>(f: (cell: C) => Effect.Effect<A, E>) => Effect.Effect<A, E>
): Internals => ({
  get: withCell((cell) => get(runtime, cell)),
  invalidate: (token) => withCell((cell) => invalidate(runtime, cell, token, Option.none())),
  refresh: withCell((cell) => refresh(runtime, cell)),
  events: runtime.events,
  subscribe: runtime.subscribe,
  [InternalId]: {
    renew: withCell((cell) => renew(runtime, cell)),
    rejected: (token, request) => withCell((cell) => invalidate(runtime, cell, token, Option.some(request))),
    replayed: (rejected, token, request) =>
      Effect.zipRight(
        Metric.increment(runtime.replays),
        publish(
          runtime,
          TokenEvent.Replayed({
            provider: runtime.name,
            tokenId: runtime.ids.of(token),
            rejectedTokenId: runtime.ids.of(rejected),
            request
          })
        )
      )
  }
})

/** @internal */
export const make = <R>(
  fetch: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>,
  options: TokenProvider.Options = {}
): Effect.Effect<Service, never, Scope.Scope | R> =>
  Effect.map(makeRuntime<Cell, R>({ policy: options.policy, name: options.name, fetch: () => fetch }), (runtime) => {
    const cell = new Cell(options.initial, runtime.policy)
    // the initial token is the provider's first
    if (options.initial !== undefined) runtime.ids.of(options.initial)
    return service(runtime, (f) => f(cell))
  })
