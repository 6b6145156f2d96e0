import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

// The longest well-formed value is an RFC 850 date such as
// "Wednesday, 09-Nov-1994 08:49:37 GMT" (36 characters); anything much longer
// is not a Retry-After, and is not scanned.
const maxLength = 64

// Seconds beyond this (about 31 years) say "a very long time", however many
// digits follow: the number stays finite. Callers clamp it to their own limit.
const maxSeconds = 1_000_000_000

// An HTTP-date starts with a day name in all three formats of RFC 9110 §5.6.7
// (IMF-fixdate, RFC 850, asctime). Requiring it keeps `Date.parse`, which is
// lenient, from reading arbitrary text as a date.
const httpDate = /^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,? /i

const isDigits = (text: string): boolean => {
  if (text.length === 0) return false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 48 || code > 57) return false
  }
  return true
}

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds, or an
 * HTTP-date taken relative to `now` (epoch milliseconds). A date in the past
 * means "now" (zero); anything unreadable, or longer than any valid value, is
 * ignored. The result is always finite — at most about 31 years for a huge
 * number of seconds or a far-future date — so it can be compared and clamped
 * (`RefreshPolicy.maxCoolDown`); reading it is linear in a bounded length.
 *
 * @internal
 */
export const parse = (value: string | undefined, now: number): Option.Option<Duration.Duration> => {
  if (value === undefined || value.length > maxLength) return Option.none()
  const text = value.trim()
  if (isDigits(text)) return Option.some(Duration.seconds(Math.min(Number(text), maxSeconds)))
  if (!httpDate.test(text)) return Option.none()
  const at = Date.parse(text)
  if (Number.isNaN(at)) return Option.none()
  return Option.some(Duration.millis(Math.min(Math.max(0, at - now), maxSeconds * 1000)))
}
