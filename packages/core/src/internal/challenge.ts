import * as Option from "effect/Option"

/**
 * The longest part of a `WWW-Authenticate` header read, 8 KiB: an RFC 6750
 * or RFC 9728 challenge is a few hundred bytes, and the header comes from
 * the API.
 *
 * @internal
 */
export const maxHeaderLength = 8 * 1024

/** The most parameters kept of one challenge; later ones are ignored. */
const maxParams = 64

/** The most challenges kept of one header; later ones are ignored. */
const maxChallenges = 16

/**
 * One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1): its
 * scheme and parameter names in lower case, the parameters' values
 * unquoted, the first of a repeated parameter kept.
 *
 * @internal
 */
export interface Challenge {
  readonly scheme: string
  readonly params: ReadonlyMap<string, string>
  readonly token68: Option.Option<string>
}

interface Building {
  readonly scheme: string
  readonly params: Map<string, string>
  token68: Option.Option<string>
}

// RFC 9110 §5.6.2 tchar: ALPHA / DIGIT / "!#$%&'*+-.^_`|~"
const isTchar = (code: number): boolean =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) ||
  code === 33 || (code >= 35 && code <= 39) || code === 42 || code === 43 || code === 45 || code === 46 ||
  code === 94 || code === 95 || code === 96 || code === 124 || code === 126

// RFC 9110 §11.2 token68 characters before the padding: ALPHA / DIGIT / "-._~+/"
const isToken68Char = (code: number): boolean =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) ||
  code === 45 || code === 46 || code === 95 || code === 126 || code === 43 || code === 47

const scan = (text: string, from: number, accept: (code: number) => boolean): number => {
  let i = from
  while (i < text.length && accept(text.charCodeAt(i))) i++
  return i
}

const skipSpaces = (text: string, from: number): number => scan(text, from, (code) => code === 32 || code === 9)

/**
 * A quoted string starting at `from` (its opening quote): its value with the
 * escapes removed, and the index after its closing quote; `undefined` when it
 * never closes.
 */
const quoted = (text: string, from: number): readonly [string, number] | undefined => {
  let value = ""
  let i = from + 1
  let run = i
  while (i < text.length) {
    const char = text[i]
    if (char === "\"") return [value + text.slice(run, i), i + 1]
    if (char === "\\") {
      value += text.slice(run, i)
      run = i + 1 // the escaped character is kept, whatever it is
      i += 2
    } else i++
  }
  return undefined
}

/** The index of the next comma outside a quoted string, or the end: past an item that cannot be read. */
const skipItem = (text: string, from: number): number => {
  let i = from
  while (i < text.length && text[i] !== ",") {
    if (text[i] === "\"") {
      const string = quoted(text, i)
      if (string === undefined) return text.length
      i = string[1]
    } else i++
  }
  return i
}

/**
 * The challenges of a `WWW-Authenticate` header (RFC 9110 §11.6.1), read
 * from its first {@link maxHeaderLength} characters in one pass: each
 * character is looked at a bounded number of times. Lenient where servers
 * are: spaces around `=`, empty list items, a parameter that cannot be read
 * skipped up to the next comma; an unterminated quoted string ends the
 * header.
 *
 * @internal
 */
export const parse = (header: string): ReadonlyArray<Challenge> => {
  const text = header.slice(0, maxHeaderLength)
  const challenges: Array<Building> = []
  let current: Building | undefined
  // right after a scheme, before any comma: where a token68 may stand
  let afterScheme = false
  let i = 0
  while (i < text.length) {
    // separators: spaces, and commas, each of which ends what a scheme may be followed by
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === ",")) {
      if (text[i] === ",") afterScheme = false
      i++
    }
    if (i >= text.length) break
    const start = i
    i = scan(text, i, isTchar)
    if (i === start) {
      // neither a scheme nor a parameter name
      i = Math.max(skipItem(text, i), i + 1)
      afterScheme = false
      continue
    }
    const equals = skipSpaces(text, i)
    if (current !== undefined && text[equals] === "=") {
      const at = skipSpaces(text, equals + 1)
      const next = text[at]
      // `abc=` or `abc==` after a scheme is a token68 with its padding, not a parameter
      if (!(afterScheme && (next === undefined || next === "," || next === "="))) {
        let value: string
        let end: number
        if (next === "\"") {
          const string = quoted(text, at)
          if (string === undefined) break
          ;[value, end] = string
        } else {
          end = scan(text, at, isTchar)
          value = text.slice(at, end)
        }
        const name = text.slice(start, i).toLowerCase()
        if (!current.params.has(name) && current.params.size < maxParams) current.params.set(name, value)
        afterScheme = false
        const after = skipSpaces(text, end)
        i = after < text.length && text[after] !== "," ? skipItem(text, after) : after
        continue
      }
    }
    if (afterScheme && current !== undefined) {
      let end = scan(text, start, isToken68Char)
      end = scan(text, end, (code) => code === 61)
      if (end > start) current.token68 = Option.some(text.slice(start, end))
      afterScheme = false
      const after = skipSpaces(text, end)
      i = after < text.length && text[after] !== "," ? skipItem(text, after) : after
      continue
    }
    if (challenges.length === maxChallenges) break
    current = { scheme: text.slice(start, i).toLowerCase(), params: new Map(), token68: Option.none() }
    challenges.push(current)
    afterScheme = true
    i = equals
  }
  return challenges
}
