import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as RefreshPolicy from "../RefreshPolicy.js"
import * as TokenError from "../TokenError.js"

/** @internal */
export const defaultRetry: Schedule.Schedule<unknown, TokenError.TokenError> = Schedule.exponential("250 millis", 2)
  .pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(4))
  )

/** @internal */
export const make = (options: Parameters<typeof RefreshPolicy.make>[0] = {}): RefreshPolicy.RefreshPolicy => {
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

/** @internal */
export const defaultPolicy: RefreshPolicy.RefreshPolicy = make()

/** @internal */
export const retrySchedule = (
  policy: RefreshPolicy.RefreshPolicy
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

/** @internal */
export const coolDownAfter = (policy: RefreshPolicy.RefreshPolicy, error: TokenError.TokenError): Duration.Duration =>
  Option.match(TokenError.retryAfter(error), {
    onNone: () => policy.coolDown,
    onSome: (wait) => Duration.min(Duration.max(policy.coolDown, wait), policy.maxCoolDown)
  })
