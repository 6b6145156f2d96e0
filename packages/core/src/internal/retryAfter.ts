import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

// An HTTP-date starts with a day name in all three formats of RFC 9110 §5.6.7
// (IMF-fixdate, RFC 850, asctime). Requiring it keeps `Date.parse`, which is
// lenient, from reading arbitrary text as a date.
const httpDate = /^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,? /i

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds, or an
 * HTTP-date taken relative to `now` (epoch milliseconds). A date in the past
 * means "now" (zero); anything unreadable is ignored.
 *
 * @internal
 */
export const parse = (value: string | undefined, now: number): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const text = value.trim()
  if (/^\d+$/.test(text)) return Option.some(Duration.seconds(Number(text)))
  if (!httpDate.test(text)) return Option.none()
  const at = Date.parse(text)
  return Number.isNaN(at) ? Option.none() : Option.some(Duration.millis(Math.max(0, at - now)))
}
