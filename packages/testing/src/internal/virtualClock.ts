import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as TestClock from "effect/TestClock"
import * as WebCrypto from "./webCrypto.js"

interface Sleeper {
  readonly end: number
  readonly order: number
  readonly wake: () => void
}

/**
 * A `TestClock` for one scenario run. Effect's own `TestClock` waits for the
 * other fibers to suspend with several `setTimeout(0)` rounds per adjustment
 * (4–8 ms each on Node), which alone would cost minutes over a thousand runs.
 * This one waits with a single `setImmediate`: the callback fires only once
 * the microtask queue is empty, which is when every fiber of the run is blocked
 * on a sleep, a `Deferred` or another macrotask (Effect's scheduler resumes
 * fibers on microtasks). Sleepers wake one at a time, in the order of their
 * end and then of their start, each followed by such a wait, so a run is
 * reproducible.
 *
 * @internal
 */
export interface VirtualClock extends TestClock.TestClock {
  /** Lets every fiber that can run at the current instant run until it blocks. */
  readonly settle: Effect.Effect<void>
  /** When the earliest sleeper wakes, if any sleeps. */
  readonly nextWake: () => number | undefined
}

const nextMacrotask: (callback: () => void) => () => void = typeof globalThis.setImmediate === "function"
  ? (callback) => {
    const handle = globalThis.setImmediate(callback)
    return () => globalThis.clearImmediate(handle)
  }
  : (callback) => {
    const handle = globalThis.setTimeout(callback, 0)
    return () => globalThis.clearTimeout(handle)
  }

/** @internal */
export const make = (start = 0): VirtualClock => {
  WebCrypto.install()
  let instant = start
  let order = 0
  // sorted by end, then by order
  let sleepers: Array<Sleeper> = []

  const insert = (sleeper: Sleeper) => {
    let index = sleepers.length
    while (index > 0 && sleepers[index - 1]!.end > sleeper.end) index--
    sleepers.splice(index, 0, sleeper)
  }

  // a macrotask after the microtasks, and again while WebCrypto work is in flight: its answers come as macrotasks
  const settle = Effect.async<void>((resume) => {
    let cancelled = false
    let cancel = () => {}
    const step = () => {
      if (cancelled) return
      cancel = nextMacrotask(() => {
        if (WebCrypto.isIdle()) resume(Effect.void)
        else WebCrypto.whenIdle(step)
      })
    }
    step()
    return Effect.sync(() => {
      cancelled = true
      cancel()
    })
  })

  const sleep = (duration: Duration.Duration): Effect.Effect<void> =>
    Effect.suspend(() => {
      const millis = Duration.toMillis(duration)
      if (!(millis > 0)) return Effect.void
      return Effect.async<void>((resume) => {
        const sleeper: Sleeper = { end: instant + millis, order: order++, wake: () => resume(Effect.void) }
        insert(sleeper)
        return Effect.sync(() => {
          sleepers = sleepers.filter((other) => other !== sleeper)
        })
      })
    })

  // Wakes every sleeper due by `target`, one at a time, then moves to `target`.
  const runUntil = (target: number): Effect.Effect<void> =>
    Effect.flatMap(settle, () => {
      const next = sleepers[0]
      if (next === undefined || next.end > target) {
        instant = Math.max(instant, target)
        return Effect.void
      }
      sleepers.shift()
      instant = Math.max(instant, next.end)
      next.wake()
      return runUntil(target)
    })

  const clock: VirtualClock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => instant,
    unsafeCurrentTimeNanos: () => BigInt(Math.floor(instant * 1_000_000)),
    currentTimeMillis: Effect.sync(() => instant),
    currentTimeNanos: Effect.sync(() => BigInt(Math.floor(instant * 1_000_000))),
    sleep,
    adjust: (duration) => Effect.suspend(() => runUntil(instant + Duration.toMillis(Duration.decode(duration)))),
    adjustWith: (duration) => (effect) =>
      Effect.zipLeft(effect, clock.adjust(duration), { concurrent: true }),
    setTime: (time) => Effect.suspend(() => runUntil(time)),
    save: Effect.sync(() => {
      const saved = instant
      return Effect.sync(() => {
        instant = saved
      })
    }),
    sleeps: Effect.sync(() => Chunk.fromIterable(sleepers.map((sleeper) => sleeper.end))),
    settle,
    nextWake: () => sleepers[0]?.end
  }
  return clock
}
