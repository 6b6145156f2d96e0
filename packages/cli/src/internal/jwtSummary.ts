/**
 * A token's claims as a person reads them: who issued it, to whom, with
 * which scopes, and its times as dates with "expires in 14 min" or "expired
 * 3 h ago". The claims of a JWT access token (RFC 9068) and of an
 * introspection answer (RFC 7662) share their names, so `decode`,
 * `introspect` and `token` print the same summary.
 *
 * Claims come from whoever made the token: every value is shown with the
 * characters that change a terminal's display (controls, ANSI escapes,
 * bidirectional overrides) escaped, and cut to a readable length.
 */

// C0 and C1 controls, DEL, the line and paragraph separators, and the
// bidirectional marks and overrides ("Trojan Source")
// eslint-disable-next-line no-control-regex -- these are the characters it finds
const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g
// the same, less the C0 controls, which JSON.stringify already escapes
const unsafeInJson = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`

/** The longest rendering of one claim in a summary. */
const maxValue = 200

/**
 * A value as JSON (two-space indents) whose text holds no character that
 * changes a terminal's display: such characters can only be inside strings,
 * where `\uXXXX` means the same thing, so the JSON is still equal.
 *
 * @internal
 */
export const json = (value: unknown): string => JSON.stringify(value, null, 2).replace(unsafeInJson, escape)

/**
 * One claim's value for a summary line: strings as they are, lists of
 * strings joined with spaces, anything else as JSON; escaped and cut.
 *
 * @internal
 */
export const display = (value: unknown): string => {
  const text = typeof value === "string"
    ? value
    : Array.isArray(value) && value.every((item) => typeof item === "string")
    ? value.join(" ")
    : JSON.stringify(value) ?? String(value)
  const cut = text.length > maxValue ? `${text.slice(0, maxValue - 1)}…` : text
  return cut.replace(unsafe, escape)
}

/**
 * A span of time the way people say it: "42 s", "14 min", "3 h", "12 days",
 * "3 years", rounded down.
 *
 * @internal
 */
export const span = (millis: number): string => {
  const seconds = Math.floor(Math.abs(millis) / 1000)
  if (seconds < 60) return `${seconds} s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)} h`
  const days = Math.floor(seconds / 86400)
  return days < 730 ? `${days} days` : `${Math.floor(days / 365)} years`
}

// the range of a JavaScript Date: ±100 million days around 1970
const maxDate = 8.64e15

/**
 * A NumericDate (RFC 7519 §2: seconds since 1970) as an ISO date to the
 * second, or `undefined` when it is not one.
 */
const isoDate = (seconds: unknown): { readonly iso: string; readonly at: number } | undefined => {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || Math.abs(seconds * 1000) > maxDate) return undefined
  const at = seconds * 1000
  return { iso: new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"), at }
}

type Relative = (delta: number) => string

/** What each time claim means, from the time between now and it (positive: in the future). */
const times: ReadonlyArray<readonly [string, Relative]> = [
  ["iat", (delta) => delta > 0 ? `issued in ${span(delta)}: in the future, the clocks disagree` : `issued ${span(delta)} ago`],
  ["nbf", (delta) => delta > 0 ? `not valid yet: valid in ${span(delta)}` : `valid since ${span(delta)} ago`],
  ["exp", (delta) => delta > 0 ? `expires in ${span(delta)}` : `expired ${span(delta)} ago`]
]

/** The claims shown by name, in this order; the others are in the JSON. */
const named = ["iss", "sub", "aud", "client_id", "azp", "scope", "scp", "token_type", "jti"]

const width = Math.max(...named.map((name) => name.length))

const line = (name: string, value: string): string => `  ${name.padEnd(width)}  ${value}`

/**
 * The summary of a token's claims, one claim a line: the issuer, subject,
 * audience, client and scopes, then `iat`, `nbf` and `exp` as ISO dates with
 * how long ago or how soon, against `now` (epoch milliseconds): "expires in
 * 14 min", "expired 3 h ago". A time claim that is not a number of seconds
 * is shown as it is, and said to be none. Without any of these claims, one
 * line says so.
 *
 * @internal
 */
export const summarize = (claims: Readonly<Record<string, unknown>>, now: number): string => {
  const lines = named.filter((name) => claims[name] !== undefined).map((name) => line(name, display(claims[name])))
  for (const [name, relative] of times) {
    if (claims[name] === undefined) continue
    const date = isoDate(claims[name])
    lines.push(
      line(
        name,
        date === undefined
          ? `${display(claims[name])} (not a time: ${name} is a number of seconds since 1970)`
          : `${date.iso} (${relative(date.at - now)})`
      )
    )
  }
  return lines.length === 0 ? "  (no issuer, subject, scope or time claims)" : lines.join("\n")
}
