/**
 * Bounds on how many values a document holds, checked before any work that
 * grows with that number: `JSON.parse` of a megabyte of `[{},{},…]` and the
 * walks over its result cost several times what a linear scan of the text
 * does. Each check stops at the bound, so its cost is that of the scan, or of
 * `max` values.
 */

const quote = 0x22
const backslash = 0x5c
const comma = 0x2c
const openBrace = 0x7b
const openBracket = 0x5b

// How many times the characters occur at all, up to `max`: `indexOf` runs
// far faster than a loop over the characters.
const occurrences = (text: string, characters: ReadonlyArray<string>, max: number): number => {
  let count = 0
  for (const character of characters) {
    for (let i = text.indexOf(character); i >= 0 && count < max; i = text.indexOf(character, i + 1)) count++
  }
  return count
}

/**
 * Whether a JSON text holds more than `max` values, counting the commas and
 * the opening brackets outside strings (one per value but the first). No
 * parsing; for invalid JSON the answer does not matter. Only a text with that
 * many of those characters anywhere is scanned character by character.
 *
 * @internal
 */
export const textExceeds = (text: string, max: number): boolean => {
  if (occurrences(text, [",", "{", "["], max) < max) return false
  let count = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === backslash) i++
      else if (c === quote) inString = false
    } else if (c === quote) {
      inString = true
    } else if ((c === comma || c === openBrace || c === openBracket) && ++count >= max) {
      return true
    }
  }
  return false
}

/**
 * Whether a form-encoded text holds more than `max` parameters.
 *
 * @internal
 */
export const formExceeds = (text: string, max: number): boolean => {
  let count = 1
  for (let i = text.indexOf("&"); i >= 0; i = text.indexOf("&", i + 1)) if (++count > max) return true
  return false
}

/**
 * Whether an already-parsed value holds more than `max` values, itself
 * included, at any depth. Iterative and cycle-safe (a value reached twice is
 * counted twice and read once); it reads at most `max` values before it
 * answers.
 *
 * @internal
 */
export const valueExceeds = (value: unknown, max: number): boolean => {
  // values are counted when found, so that no more than `max` are ever pushed
  let count = 1
  const stack: Array<unknown> = [value]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const current = stack.pop()
    if (typeof current !== "object" || current === null || seen.has(current)) continue
    seen.add(current)
    if (Array.isArray(current)) {
      count += current.length
      if (count > max) return true
      for (const child of current) stack.push(child)
    } else {
      // key by key: `Object.values` of a huge object costs more than parsing it did
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue
        if (++count > max) return true
        stack.push((current as Record<string, unknown>)[key])
      }
    }
  }
  return false
}
