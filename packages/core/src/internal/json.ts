/**
 * JSON from untrusted sources (servers, files), read with bounds.
 *
 * `JSON.parse` itself is linear, but what follows it is not safe on any
 * shape: recursive code (Schema's decoding and its messages, `JSON.stringify`
 * of an error) overflows the stack on a few kilobytes of `[[[[…`. Every
 * document is therefore checked for nesting depth before it is parsed, and an
 * already-parsed value before it is decoded.
 */
import * as Either from "effect/Either"

/**
 * The deepest nesting accepted, 64 levels: OAuth documents are two or three
 * levels deep; a connector spec perhaps six.
 *
 * @internal
 */
export const defaultMaxDepth = 64

/**
 * Why a text is not accepted as JSON. No variant carries the text: it may hold
 * a secret.
 *
 * @internal
 */
export type Failure =
  | { readonly _tag: "Syntax" }
  | { readonly _tag: "TooDeep"; readonly maxDepth: number }
  | { readonly _tag: "TooLarge"; readonly maxLength: number }

/**
 * A reason for a {@link Failure}, to follow the name of what was read
 * ("the body …", "the file …").
 *
 * @internal
 */
export const describeFailure = (failure: Failure): string => {
  switch (failure._tag) {
    case "Syntax":
      return "is not valid JSON"
    case "TooDeep":
      return `nests deeper than ${failure.maxDepth} levels`
    case "TooLarge":
      return `is longer than ${failure.maxLength} characters`
  }
}

const openBrace = 0x7b
const openBracket = 0x5b
const closeBrace = 0x7d
const closeBracket = 0x5d
const quote = 0x22
const backslash = 0x5c

/**
 * Whether a JSON text nests deeper than `maxDepth`, in one pass and without
 * parsing: brackets inside strings do not count. Decides correctly for valid
 * JSON; for invalid JSON its answer does not matter, since parsing fails.
 *
 * @internal
 */
export const textTooDeep = (text: string, maxDepth: number = defaultMaxDepth): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === backslash) i++
      else if (c === quote) inString = false
    } else if (c === quote) {
      inString = true
    } else if (c === openBrace || c === openBracket) {
      if (++depth > maxDepth) return true
    } else if (c === closeBrace || c === closeBracket) {
      depth--
    }
  }
  return false
}

/**
 * Whether an already-parsed value nests arrays and objects deeper than
 * `maxDepth`. Iterative, and it stops at the first level too deep, so a
 * hostile value cannot overflow the stack here either.
 *
 * @internal
 */
export const valueTooDeep = (value: unknown, maxDepth: number = defaultMaxDepth): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 0]]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== "object" || current === null || seen.has(current)) continue
    if (depth >= maxDepth) return true
    seen.add(current)
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, depth + 1])
  }
  return false
}

/**
 * Parses JSON text of at most `maxLength` characters (default: no bound here;
 * the caller has capped the bytes it read) nesting at most `maxDepth` levels.
 * The parser's own error is dropped: its message quotes the text.
 *
 * @internal
 */
export const parse = (
  text: string,
  options: { readonly maxDepth?: number | undefined; readonly maxLength?: number | undefined } = {}
): Either.Either<unknown, Failure> => {
  const maxDepth = options.maxDepth ?? defaultMaxDepth
  if (options.maxLength !== undefined && text.length > options.maxLength) {
    return Either.left({ _tag: "TooLarge", maxLength: options.maxLength })
  }
  if (textTooDeep(text, maxDepth)) return Either.left({ _tag: "TooDeep", maxDepth })
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch {
    return Either.left({ _tag: "Syntax" })
  }
}
