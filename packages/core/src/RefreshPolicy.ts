/**
 * When a {@link TokenProvider} refreshes its token, and how it retries a
 * failing token endpoint.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Schedule from "effect/Schedule"
import type * as AccessToken from "./AccessToken.js"
import * as internal from "./internal/refreshPolicy.js"
import type * as TokenError from "./TokenError.js"

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
export const defaultRetry: Schedule.Schedule<unknown, TokenError.TokenError> = internal.defaultRetry

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
export const make: (options?: {
  readonly skew?: Duration.DurationInput | undefined
  readonly maxWindowFraction?: number | undefined
  readonly safetyMargin?: Duration.DurationInput | undefined
  readonly retry?: Schedule.Schedule<unknown, TokenError.TokenError> | undefined
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  readonly coolDown?: Duration.DurationInput | undefined
  readonly maxCoolDown?: Duration.DurationInput | undefined
}) => RefreshPolicy = internal.make

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
export const defaultPolicy: RefreshPolicy = internal.defaultPolicy

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
export const retrySchedule: (
  policy: RefreshPolicy
) => Schedule.Schedule<readonly [unknown, TokenError.TokenError], TokenError.TokenError> = internal.retrySchedule

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
 * const error = new TokenError.EndpointUnavailable({
 *   endpoint: "token",
 *   reason: "Status", status: Option.some(429), retryAfter: Option.some(Duration.minutes(2))
 * })
 * RefreshPolicy.coolDownAfter(RefreshPolicy.defaultPolicy, error) // 2 minutes
 * ```
 */
export const coolDownAfter: (policy: RefreshPolicy, error: TokenError.TokenError) => Duration.Duration =
  internal.coolDownAfter
