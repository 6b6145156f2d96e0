import * as Option from "effect/Option"

// A number of seconds needs far fewer characters; the cap comes before the pattern.
const maxLength = 32

const numeric = /^\d+(?:\.\d+)?$/

/**
 * A number of seconds as a server sends it: a JSON number, or a numeric
 * string (at most 32 characters, checked before the pattern); `NaN` for
 * anything else.
 *
 * @internal
 */
export const number = (value: unknown): number => {
  if (typeof value === "number") return value
  if (typeof value !== "string") return NaN
  const text = value.trim()
  return text.length <= maxLength && numeric.test(text) ? Number(text) : NaN
}

/**
 * A finite, positive number of seconds (see {@link number}), or `None`.
 *
 * @internal
 */
export const positive = (value: unknown): Option.Option<number> => {
  const n = number(value)
  return Number.isFinite(n) && n > 0 ? Option.some(n) : Option.none()
}
