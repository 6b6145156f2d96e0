/**
 * Server text made safe to put in a message: a server's `error_description`
 * or `issuer` ends up in logs and terminals, where a raw newline forges a log
 * line and an ANSI escape rewrites the screen.
 */

/**
 * The longest rendering of one piece of server text in a message, 200
 * characters.
 *
 * @internal
 */
export const defaultMax = 200

const named: Readonly<Record<number, string>> = { 0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r" }

// C0 and C1 controls, DEL, the line and paragraph separators, and the
// bidirectional marks and overrides ("Trojan Source"): each changes how the
// text around it is displayed.
const isUnsafe = (c: number): boolean =>
  c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x061c || c === 0x200e || c === 0x200f ||
  (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)

/**
 * Whether `value` holds a character that {@link text} would escape: one that
 * changes how the text around it is displayed.
 *
 * @internal
 */
export const hasControl = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) if (isUnsafe(value.charCodeAt(i))) return true
  return false
}

const escape = (c: number): string => named[c] ?? `\\u${c.toString(16).padStart(4, "0")}`

const isPair = (value: string, i: number): boolean => {
  const c = value.charCodeAt(i)
  const next = value.charCodeAt(i + 1)
  return c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff
}

/**
 * `value` with every control character rendered visibly (`\n`, `\u001b`) and
 * cut to at most `max` characters, an ellipsis marking the cut. Other
 * characters, quotes and backslashes included, are kept: applying it twice
 * gives the same text. One pass over at most `max` characters of the input.
 *
 * @internal
 */
export const text = (value: string, max: number = defaultMax): string => {
  let out = ""
  let i = 0
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i)
    // a surrogate pair is kept whole or not at all
    const units = isPair(value, i) ? 2 : 1
    const piece = isUnsafe(c) ? escape(c) : value.slice(i, i + units)
    // room is left for the ellipsis unless this is the last piece
    if (out.length + piece.length > (i + units < value.length ? max - 1 : max)) break
    out += piece
    i += units - 1
  }
  return i < value.length ? `${out}…` : out
}
