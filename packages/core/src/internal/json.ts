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
 * Why a text or value is not accepted. No variant carries the text: it may
 * hold a secret.
 *
 * @internal
 */
export type Failure =
  | { readonly _tag: "Syntax" }
  | { readonly _tag: "TooDeep"; readonly maxDepth: number }
  | { readonly _tag: "TooLarge"; readonly maxLength: number }
  | { readonly _tag: "TooMany"; readonly maxValues: number }

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
    case "TooMany":
      return `holds more than ${failure.maxValues} values`
  }
}

/**
 * The bounds of a document: nesting depth (default {@link defaultMaxDepth})
 * and, when given, how many values it may hold. `JSON.parse` of a megabyte of
 * `[{},{},…]`, and every walk over its result, costs several times a scan of
 * the text: a document with more values than any real one is refused first.
 *
 * @internal
 */
export interface Bounds {
  readonly maxDepth?: number | undefined
  readonly maxValues?: number | undefined
}

const openBrace = 0x7b
const openBracket = 0x5b
const closeBrace = 0x7d
const closeBracket = 0x5d
const comma = 0x2c
const quote = 0x22
const backslash = 0x5c

/**
 * Whether a JSON text is out of `bounds`, in one pass and without parsing:
 * brackets and commas inside strings do not count; values are counted by
 * their commas and opening brackets. Decides correctly for valid JSON; for
 * invalid JSON its answer does not matter, since parsing fails.
 *
 * @internal
 */
export const textFailure = (text: string, bounds: Bounds = {}): Failure | undefined => {
  const maxDepth = bounds.maxDepth ?? defaultMaxDepth
  const maxValues = bounds.maxValues ?? Infinity
  let depth = 0
  let values = 1
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === backslash) i++
      else if (c === quote) inString = false
    } else if (c === quote) {
      inString = true
    } else if (c === openBrace || c === openBracket) {
      if (++depth > maxDepth) return { _tag: "TooDeep", maxDepth }
      if (++values > maxValues) return { _tag: "TooMany", maxValues }
    } else if (c === closeBrace || c === closeBracket) {
      depth--
    } else if (c === comma && ++values > maxValues) {
      return { _tag: "TooMany", maxValues }
    }
  }
  return undefined
}

/**
 * Whether an already-parsed value is out of `bounds` (arrays and objects
 * nesting, values at any depth, itself included). Iterative, cycle-safe, and
 * it stops at the first bound passed, so a hostile value can neither overflow
 * the stack nor cost more than `maxValues` steps here.
 *
 * @internal
 */
export const valueFailure = (value: unknown, bounds: Bounds = {}): Failure | undefined => {
  const maxDepth = bounds.maxDepth ?? defaultMaxDepth
  const maxValues = bounds.maxValues ?? Infinity
  let values = 1
  const stack: Array<readonly [unknown, number]> = [[value, 0]]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== "object" || current === null || seen.has(current)) continue
    if (depth >= maxDepth) return { _tag: "TooDeep", maxDepth }
    seen.add(current)
    if (Array.isArray(current)) {
      values += current.length
      if (values > maxValues) return { _tag: "TooMany", maxValues }
      for (const child of current) stack.push([child, depth + 1])
    } else {
      // key by key: `Object.values` of a huge object costs more than parsing it did
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue
        if (++values > maxValues) return { _tag: "TooMany", maxValues }
        stack.push([(current as Record<string, unknown>)[key], depth + 1])
      }
    }
  }
  return undefined
}

/**
 * Parses JSON text of at most `maxLength` characters (default: no bound here;
 * the caller has capped the bytes it read) within `bounds`, checked before
 * parsing. The parser's own error is dropped: its message quotes the text.
 *
 * @internal
 */
export const parse = (
  text: string,
  options: Bounds & { readonly maxLength?: number | undefined } = {}
): Either.Either<unknown, Failure> => {
  if (options.maxLength !== undefined && text.length > options.maxLength) {
    return Either.left({ _tag: "TooLarge", maxLength: options.maxLength })
  }
  const failure = textFailure(text, options)
  if (failure !== undefined) return Either.left(failure)
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch {
    return Either.left({ _tag: "Syntax" })
  }
}
