/**
 * Secret-free excerpts of token responses, for error messages.
 *
 * A token response carries credentials. Values are hidden by what they are
 * first: every string value of a parsed body is hidden wherever it would
 * appear in the excerpt, and so is every value in the text of a body that
 * could not be parsed. Names and shapes come second: the value of a field
 * whose name suggests a credential is never shown, and free text loses the
 * values after such names and every long run of token-like characters.
 * Everything is bounded: an excerpt reads at most the first kilobyte of a
 * text and a few fields of an object, and renders control characters
 * visibly.
 */
import * as printable from "./printable.js"

// Names whose values are credentials: `access_token`, `client_secret`,
// `device_code`, `code_verifier`… but not `token_type`.
const secretName = /(?:token|secret|password|assertion|code|verifier|key)$/i

const secretAssignment =
  /((?:access|refresh|id)_?token|client_?secret|password|assertion|code)(["']?\s*[:=]\s*["']?)[^"'&\s,;}]*/gi

// Opaque tokens, JWTs and base64 blobs; ordinary words and URLs are shorter or
// broken up by other characters.
const tokenLike = /[\w\-.~+/]{16,}=*/g

// An excerpt is a hint: reading only the start of a body bounds every step after it.
const scanLimit = 1024

const quote = 0x22
const backslash = 0x5c
const colon = 0x3a
const equals = 0x3d

const isSpace = (c: number): boolean => c <= 0x20

const delimiters = new Set(Array.from(`"'&,;:=<>{}[]()`, (c) => c.charCodeAt(0)))

const isDelimiter = (c: number): boolean => isSpace(c) || delimiters.has(c)

// The characters a form value ends at, in free text.
const valueEnds = new Set(Array.from(`&"'<>,;}]`, (c) => c.charCodeAt(0)))

const isNameChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e ||
  c === 0x7e || c === 0x2d

/**
 * The first {@link scanLimit} characters of `body`. A word cut in two at the
 * limit is dropped whole: its start could be a token too short to look like
 * one.
 */
const head = (body: string): { readonly text: string; readonly cut: boolean } => {
  if (body.length <= scanLimit) return { text: body, cut: false }
  let end = scanLimit
  while (end > 0 && !isDelimiter(body.charCodeAt(end))) end--
  return { text: body.slice(0, end), cut: true }
}

/**
 * `text` with every value replaced by `…`: JSON strings that are not
 * followed by a colon (an unterminated one included), and what follows the
 * `=` of a `name=value` pair. One pass.
 */
const hideValues = (text: string): string => {
  let out = ""
  let i = 0
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === quote) {
      let end = i + 1
      while (end < text.length && text.charCodeAt(end) !== quote) end += text.charCodeAt(end) === backslash ? 2 : 1
      const closed = end < text.length
      let next = closed ? end + 1 : text.length
      while (next < text.length && isSpace(text.charCodeAt(next))) next++
      const isKey = closed && text.charCodeAt(next) === colon
      out += isKey || end === i + 1 ? text.slice(i, end + 1) : closed ? `"…"` : `"…`
      i = closed ? end + 1 : text.length
    } else if (c === equals && i > 0 && isNameChar(text.charCodeAt(i - 1))) {
      let end = i + 1
      while (end < text.length && !isSpace(text.charCodeAt(end)) && !valueEnds.has(text.charCodeAt(end))) end++
      out += end > i + 1 ? "=…" : "="
      i = end
    } else {
      out += text[i]
      i++
    }
  }
  return out
}

const excerptOf = (body: string, max: number, hide: boolean): string => {
  const { cut, text } = head(body)
  const shown = (hide ? hideValues(text) : text)
    .replace(/\s+/g, " ")
    .trim()
    .replace(secretAssignment, "$1$2…")
    .replace(tokenLike, "…")
  return printable.text(cut ? `${shown}…` : shown, max)
}

/**
 * At most `max` characters from the start of a text, with whitespace
 * collapsed, control characters escaped, and the values after credential
 * names and anything token-like replaced by `…`: for bodies that are not
 * token responses (an API's error page).
 *
 * @internal
 */
export const text = (body: string, max = 80): string => excerptOf(body, max, false)

/**
 * {@link text} for the text of a token response that could not be parsed:
 * every JSON string value and every form value in it is hidden too, whatever
 * its name and length.
 *
 * @internal
 */
export const body = (body: string, max = 80): string => excerptOf(body, max, true)

/**
 * Whether the value of a response field may be shown in an error message.
 *
 * @internal
 */
export const isShowable = (field: string): boolean => !secretName.test(field)

// A value of the failing field, at most this long, is shown; a longer one is
// described: cutting it could leave the start of a secret that no longer matches.
const shownLength = 40

const isPrimitive = (value: unknown): boolean =>
  value === null || (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol")

const describe = (value: unknown): string =>
  Array.isArray(value) ? `an array of ${value.length} items` : typeof value === "object" ? "an object" : `a ${typeof value}`

/**
 * The string values of `body`, at any depth, that are in `candidates`;
 * the top-level field `skip` is not read. Iterative and cycle-safe: the body
 * may come from a user, of any depth.
 */
const valuesAmong = (
  body: Readonly<Record<string, unknown>>,
  candidates: ReadonlySet<string>,
  skip: string | undefined
): ReadonlySet<string> => {
  const found = new Set<string>()
  if (candidates.size === 0) return found
  // a longer string cannot be a candidate, and looking it up would hash all of it
  let longest = 0
  for (const candidate of candidates) longest = Math.max(longest, candidate.length)
  const seen = new Set<object>([body])
  const stack: Array<unknown> = []
  for (const key of Object.keys(body)) if (key !== skip) stack.push(body[key])
  while (stack.length > 0) {
    const value = stack.pop()
    if (typeof value === "string") {
      if (value.length <= longest && candidates.has(value)) found.add(value)
    } else if (typeof value === "object" && value !== null && !seen.has(value)) {
      seen.add(value)
      for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push(child)
    }
  }
  return found
}

// Every occurrence of a hidden value, longest first from the left, becomes `…`.
const hide = (text: string, hidden: ReadonlySet<string>): string => {
  if (hidden.size === 0) return text
  let out = ""
  let i = 0
  while (i < text.length) {
    let j = text.length
    while (j > i && !hidden.has(text.slice(i, j))) j--
    if (j > i) {
      out += "…"
      i = j
    } else {
      out += text[i]
      i++
    }
  }
  return out
}

const substrings = (text: string): ReadonlyArray<string> => {
  const all: Array<string> = []
  for (let i = 0; i < text.length; i++) for (let j = i + 1; j <= text.length; j++) all.push(text.slice(i, j))
  return all
}

const listLimit = 160

/**
 * The keys of a response object and, when it is neither a credential by its
 * name nor one of `secretFields` (the paths where a shaped response keeps its
 * tokens), the value of the field that failed: enough to recognise the
 * server's quirk, nothing to steal. No string value found elsewhere in the
 * body, at any depth, is shown, neither in that value nor as a key; a long
 * string and an object or array are described, not shown.
 *
 * @internal
 */
export const fields = (
  body: Readonly<Record<string, unknown>>,
  field: string,
  secretFields: ReadonlyArray<string> = []
): string => {
  const keys: Array<string> = []
  let length = 0
  let more = false
  for (const key in body) {
    if (!Object.hasOwn(body, key)) continue
    if (length > listLimit) {
      more = true
      break
    }
    keys.push(key)
    length += Math.min(key.length, shownLength) + 2
  }
  const value = body[field]
  const showValue = isShowable(field) && !secretFields.includes(field) && Object.hasOwn(body, field)
  // a primitive is shown, cleaned of the other values; anything else is described
  const raw = showValue && isPrimitive(value) ? String(value) : undefined
  const shortRaw = raw !== undefined && raw.length <= shownLength ? raw : undefined
  const found = valuesAmong(
    body,
    new Set([...keys, ...(shortRaw === undefined ? [] : substrings(shortRaw))]),
    showValue ? field : undefined
  )
  const names = keys.map((key) => found.has(key) ? "…" : text(key, shownLength))
  const listed = keys.length === 0 ? "no fields" : `fields: ${names.join(", ")}${more ? ", …" : ""}`
  if (!showValue) return printable.text(listed, listLimit)
  const shown = raw === undefined
    ? describe(value)
    : shortRaw === undefined
    ? `a ${typeof value} of ${raw.length} characters`
    : typeof value === "string"
    ? JSON.stringify(hide(shortRaw, found))
    : hide(shortRaw, found)
  return printable.text(`${field}: ${text(shown, shownLength + 2)}; ${listed}`, listLimit)
}
