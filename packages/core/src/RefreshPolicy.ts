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
 * - `retry`: how a failing token request is retried. It only ever sees
 *   retryable errors: `invalid_client`, `invalid_grant` and the like are never
 *   retried, whatever the schedule says;
 * - `maxRetryAfter`: the longest `Retry-After` the provider waits for inside
 *   one refresh; a longer one ends the refresh, and no new attempt is made
 *   before it has passed;
 * - `coolDown`: after a refresh failed, how long callers get that failure
 *   instead of a new token request, so a broken endpoint is not hammered.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshPolicy extends AccessToken.RefreshWindow {
  readonly skew: Duration.Duration
  readonly maxWindowFraction: number
  readonly retry: Schedule.Schedule<unknown, TokenError.TokenError>
  readonly maxRetryAfter: Duration.Duration
  readonly coolDown: Duration.Duration
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
 * `maxWindowFraction` 0.5, `retry` {@link defaultRetry}, `maxRetryAfter`
 * 30 seconds, `coolDown` 5 seconds.
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
  readonly retry?: Schedule.Schedule<unknown, TokenError.TokenError> | undefined
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  readonly coolDown?: Duration.DurationInput | undefined
} = {}): RefreshPolicy => {
  const maxWindowFraction = options.maxWindowFraction ?? 0.5
  if (!(maxWindowFraction >= 0 && maxWindowFraction <= 1)) {
    throw new RangeError(`RefreshPolicy: maxWindowFraction must be between 0 and 1, got ${maxWindowFraction}`)
  }
  return {
    skew: Duration.decode(options.skew ?? "60 seconds"),
    maxWindowFraction,
    retry: options.retry ?? defaultRetry,
    maxRetryAfter: Duration.decode(options.maxRetryAfter ?? "30 seconds"),
    coolDown: Duration.decode(options.coolDown ?? "5 seconds")
  }
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
 * if that is longer.
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
    onSome: (wait) => Duration.max(policy.coolDown, wait)
  })
