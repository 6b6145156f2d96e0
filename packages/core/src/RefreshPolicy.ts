/**
 * When a {@link TokenProvider} refreshes its token, and how it retries a
 * failing token endpoint.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as AccessToken from "./AccessToken.js"
import * as TokenError from "./TokenError.js"

/**
 * A refresh policy.
 *
 * - `skew`: how long before expiry a token is refreshed in the background;
 * - `maxWindowFraction`: the refresh window never exceeds this fraction of a
 *   token's lifetime, so that short-lived tokens do not cause a refresh storm;
 * - `safetyMargin`: how long before expiry a token is no longer handed out:
 *   callers wait for the refresh instead. Servers round issue times down and
 *   a starved process refreshes late, so the last moments of a token's
 *   lifetime as the client computes it may be past its real expiry. Never
 *   longer than the refresh window (see `AccessToken.marginMillis`);
 * - `retry`: how a failing token request is retried. It only ever sees
 *   retryable errors: `invalid_client`, `invalid_grant` and the like are never
 *   retried, whatever the schedule says;
 * - `maxRetryAfter`: the longest `Retry-After` the provider waits for inside
 *   one refresh; a longer one ends the refresh, and no new attempt is made
 *   before it has passed;
 * - `coolDown`: after a refresh failed, how long callers get that failure
 *   instead of a new token request, so a broken endpoint is not hammered;
 * - `maxCoolDown`: the longest cool-down, whatever the server's `Retry-After`
 *   asks for: a hostile or broken server cannot stop the provider for hours.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshPolicy extends AccessToken.RefreshWindow {
  readonly skew: Duration.Duration
  readonly maxWindowFraction: number
  readonly safetyMargin: Duration.Duration
  readonly retry: Schedule.Schedule<unknown, TokenError.TokenError>
  readonly maxRetryAfter: Duration.Duration
  readonly coolDown: Duration.Duration
  readonly maxCoolDown: Duration.Duration
}

/**
 * The default retry schedule: jittered exponential backoff from 250 ms,
 * doubling, at most 4 retries.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { RefreshPolicy } from "@grantflow/core"
 *
 * const policy = RefreshPolicy.make({ retry: RefreshPolicy.defaultRetry })
 * ```
 */
export const defaultRetry: Schedule.Schedule<unknown, TokenError.TokenError> = Schedule.exponential("250 millis", 2)
  .pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(4))
  )

/**
 * Builds a refresh policy; every option has a default: `skew` 60 seconds,
 * `maxWindowFraction` 0.5, `safetyMargin` 2 seconds, `retry`
 * {@link defaultRetry}, `maxRetryAfter` 30 seconds, `coolDown` 5 seconds,
 * `maxCoolDown` 5 minutes (or `coolDown`, if longer). A `maxCoolDown` shorter
 * than `coolDown` and an infinite `coolDown`, `maxCoolDown` or `safetyMargin`
 * are `RangeError`s.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { RefreshPolicy } from "@grantflow/core"
 * import { Schedule } from "effect"
 *
 * const policy = RefreshPolicy.make({
 *   skew: "2 minutes",
 *   retry: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))
 * })
 * ```
 */
export const make = (options: {
  readonly skew?: Duration.DurationInput | undefined
  readonly maxWindowFraction?: number | undefined
  readonly safetyMargin?: Duration.DurationInput | undefined
  readonly retry?: Schedule.Schedule<unknown, TokenError.TokenError> | undefined
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  readonly coolDown?: Duration.DurationInput | undefined
  readonly maxCoolDown?: Duration.DurationInput | undefined
} = {}): RefreshPolicy => {
  const maxWindowFraction = options.maxWindowFraction ?? 0.5
  if (!(maxWindowFraction >= 0 && maxWindowFraction <= 1)) {
    throw new RangeError(`RefreshPolicy: maxWindowFraction must be between 0 and 1, got ${maxWindowFraction}`)
  }
  const coolDown = finite("coolDown", options.coolDown ?? "5 seconds")
  const maxCoolDown = options.maxCoolDown === undefined
    ? Duration.max(coolDown, Duration.minutes(5))
    : finite("maxCoolDown", options.maxCoolDown)
  if (Duration.lessThan(maxCoolDown, coolDown)) {
    throw new RangeError(
      `RefreshPolicy: maxCoolDown (${Duration.format(maxCoolDown)}) must not be shorter than coolDown ` +
        `(${Duration.format(coolDown)})`
    )
  }
  return {
    skew: Duration.decode(options.skew ?? "60 seconds"),
    maxWindowFraction,
    safetyMargin: finite("safetyMargin", options.safetyMargin ?? "2 seconds"),
    retry: options.retry ?? defaultRetry,
    maxRetryAfter: Duration.decode(options.maxRetryAfter ?? "30 seconds"),
    coolDown,
    maxCoolDown
  }
}

/** A duration option that bounds a wait: it must be finite. */
const finite = (name: string, input: Duration.DurationInput): Duration.Duration => {
  const duration = Duration.decodeUnknown(input)
  if (Option.isNone(duration) || !Duration.isFinite(duration.value)) {
    throw new RangeError(`RefreshPolicy: ${name} must be a finite duration, got ${String(input)}`)
  }
  return duration.value
}

/**
 * The default policy, {@link make} with no options.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { RefreshPolicy } from "@grantflow/core"
 *
 * RefreshPolicy.defaultPolicy.coolDown // 5 seconds
 * ```
 */
export const defaultPolicy: RefreshPolicy = make()

/**
 * The schedule a provider really retries with: the policy's `retry`, only
 * while the error is retryable and asks for no longer a wait than
 * `maxRetryAfter`, each delay stretched to the server's `Retry-After`.
 *
 * @since 0.1.0
 * @category combinators
 * @example
 * ```ts
 * import { RefreshPolicy, TokenError } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * declare const fetch: Effect.Effect<string, TokenError.TokenError>
 * const retried = Effect.retry(fetch, RefreshPolicy.retrySchedule(RefreshPolicy.defaultPolicy))
 * ```
 */
export const retrySchedule = (
  policy: RefreshPolicy
): Schedule.Schedule<readonly [unknown, TokenError.TokenError], TokenError.TokenError> =>
  policy.retry.pipe(
    Schedule.intersect(Schedule.identity<TokenError.TokenError>()),
    Schedule.whileInput((error: TokenError.TokenError) =>
      error.retryable &&
      Option.match(TokenError.retryAfter(error), {
        onNone: () => true,
        onSome: (wait) => Duration.lessThanOrEqualTo(wait, policy.maxRetryAfter)
      })
    ),
    Schedule.modifyDelay(([, error], delay) =>
      Option.match(TokenError.retryAfter(error), {
        onNone: () => delay,
        onSome: (wait) => Duration.max(delay, wait)
      })
    )
  )

/**
 * How long a provider refrains from a new token request after a refresh
 * failed with `error`: the policy's `coolDown`, or the server's `Retry-After`
 * if that is longer, but never longer than `maxCoolDown` — a `Retry-After` of
 * an hour or of the year 9999 does not stop the provider for that long.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { RefreshPolicy, TokenError } from "@grantflow/core"
 * import { Duration, Option } from "effect"
 *
 * const error = new TokenError.TokenEndpointUnavailable({
 *   reason: "Status", status: Option.some(429), retryAfter: Option.some(Duration.minutes(2))
 * })
 * RefreshPolicy.coolDownAfter(RefreshPolicy.defaultPolicy, error) // 2 minutes
 * ```
 */
export const coolDownAfter = (policy: RefreshPolicy, error: TokenError.TokenError): Duration.Duration =>
  Option.match(TokenError.retryAfter(error), {
    onNone: () => policy.coolDown,
    onSome: (wait) => Duration.min(Duration.max(policy.coolDown, wait), policy.maxCoolDown)
  })
