/**
 * Regular expressions written in files (a connector spec's field `pattern`)
 * run on this process's CPU, so a file could hang it with a pattern that
 * backtracks catastrophically. Only a conservative subset is accepted: no
 * backreferences, no quantified group that holds a quantifier or an
 * alternation (the shapes of exponential backtracking), at most three
 * repetitions of which at most two unbounded (polynomial backtracking of low
 * degree, on values that are capped in length).
 */

/**
 * The longest pattern accepted from a file.
 *
 * @internal
 */
export const maxPatternLength = 256

/**
 * The most unbounded quantifiers (`*`, `+`, `{n,}`, or `{n,m}` with m over
 * {@link maxBoundedRepeat}) a pattern from a file may hold.
 *
 * @internal
 */
export const maxUnbounded = 2

/**
 * The largest bound of a `{n,m}` quantifier that still counts as bounded.
 *
 * @internal
 */
export const maxBoundedRepeat = 32

/**
 * The most repetitions, bounded or not, a pattern from a file may hold.
 *
 * @internal
 */
export const maxRepeats = 3

interface Group {
  quantified: boolean
  alternates: boolean
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9"

/**
 * Reads a `{n}`, `{n,}` or `{n,m}` quantifier at `at`: its length and whether
 * it is unbounded, or `undefined` when the brace is a literal.
 */
interface Quantifier {
  readonly length: number
  /** Whether it may match its atom more than once. */
  readonly repeats: boolean
  readonly unbounded: boolean
}

const braces = (source: string, at: number): Quantifier | undefined => {
  let i = at + 1
  const start = i
  while (isDigit(source[i])) i++
  if (i === start) return undefined
  if (source[i] === "}") {
    const count = Number(source.slice(start, i))
    return { length: i + 1 - at, repeats: count > 1, unbounded: count > maxBoundedRepeat }
  }
  if (source[i] !== ",") return undefined
  i++
  const upper = i
  while (isDigit(source[i])) i++
  if (source[i] !== "}") return undefined
  const most = i === upper ? Infinity : Number(source.slice(upper, i))
  return { length: i + 1 - at, repeats: most > 1, unbounded: most > maxBoundedRepeat }
}

/**
 * Why a pattern from a file is refused, or `undefined` when it is in the safe
 * subset. One pass over the source; the pattern must also compile, which the
 * caller checks.
 *
 * @internal
 */
export const problem = (source: string): string | undefined => {
  if (source.length > maxPatternLength) return `is longer than ${maxPatternLength} characters`
  const groups: Array<Group> = [{ quantified: false, alternates: false }]
  // what the next quantifier would apply to: a closed group's contents, or a single atom
  let previous: Group | "atom" | undefined
  let unbounded = 0
  let repeats = 0
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!
    const top = groups[groups.length - 1]!
    let quantifier: Quantifier | undefined
    if (c === "*" || c === "+") quantifier = { length: 1, repeats: true, unbounded: true }
    else if (c === "?") quantifier = { length: 1, repeats: false, unbounded: false }
    else if (c === "{") quantifier = braces(source, i)
    if (quantifier !== undefined && previous !== undefined) {
      if (quantifier.repeats && previous !== "atom" && (previous.quantified || previous.alternates)) {
        return "repeats a group that holds a repetition or an alternation (it may backtrack exponentially)"
      }
      if (quantifier.repeats && ++repeats > maxRepeats) {
        return `has more than ${maxRepeats} repetitions (it may backtrack polynomially)`
      }
      if (quantifier.unbounded && ++unbounded > maxUnbounded) {
        return `has more than ${maxUnbounded} unbounded repetitions (it may backtrack polynomially)`
      }
      top.quantified = true
      i += quantifier.length - 1
      // a lazy or possessive marker belongs to this quantifier
      if (source[i + 1] === "?") i++
      previous = undefined
      continue
    }
    switch (c) {
      case "\\": {
        const next = source[i + 1]
        if ((next !== undefined && next >= "1" && next <= "9") || next === "k") {
          return "uses a backreference"
        }
        i++
        previous = "atom"
        break
      }
      case "[": {
        // a class is one atom: skip to its unescaped end
        i++
        if (source[i] === "^") i++
        if (source[i] === "]") i++
        while (i < source.length && source[i] !== "]") i += source[i] === "\\" ? 2 : 1
        previous = "atom"
        break
      }
      case "(": {
        groups.push({ quantified: false, alternates: false })
        // `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`: the marker is not a quantifier
        if (source[i + 1] === "?") {
          i++
          if (source[i + 1] === "<" && source[i + 2] !== "=" && source[i + 2] !== "!") {
            const end = source.indexOf(">", i)
            i = end === -1 ? source.length : end
          } else {
            i++
          }
        }
        previous = undefined
        break
      }
      case ")": {
        const closed = groups.length > 1 ? groups.pop()! : top
        const parent = groups[groups.length - 1]!
        parent.quantified ||= closed.quantified
        parent.alternates ||= closed.alternates
        previous = closed
        break
      }
      case "|":
        top.alternates = true
        previous = undefined
        break
      case "^":
      case "$":
        previous = undefined
        break
      default:
        previous = "atom"
    }
  }
  return undefined
}
