import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/**
 * A clock that runs with real time plus an offset that only grows: the
 * simulated server's `--virtual-clock`. Moving it forward expires tokens,
 * codes and device authorizations at once; sleeps (the `latency` fault) still
 * take real time.
 *
 * @internal
 */
export interface VirtualClock {
  readonly clock: Clock.Clock
  /** The clock's time, epoch milliseconds. */
  readonly now: Effect.Effect<number>
  /** Moves the clock forward by `duration` (an infinite one leaves it), and succeeds with its new time. */
  readonly advance: (duration: Duration.DurationInput) => Effect.Effect<number>
}

/** @internal */
export const make = (): VirtualClock => {
  const live = Clock.make()
  let offset = 0
  const millis = () => live.unsafeCurrentTimeMillis() + offset
  const nanos = () => live.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: millis,
    unsafeCurrentTimeNanos: nanos,
    currentTimeMillis: Effect.sync(millis),
    currentTimeNanos: Effect.sync(nanos),
    sleep: live.sleep
  }
  return {
    clock,
    now: clock.currentTimeMillis,
    advance: (duration) =>
      Effect.sync(() => {
        const step = Duration.toMillis(Duration.decode(duration))
        // whole milliseconds, so that the nanosecond reading stays a bigint
        if (Number.isFinite(step) && step > 0) offset += Math.round(step)
        return millis()
      })
  }
}
