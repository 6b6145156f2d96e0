/**
 * `text` without the slashes it starts or ends with, in a plain scan: the
 * pattern `/\/+$/` is quadratic on a long run of slashes followed by anything
 * else.
 *
 * @internal
 */
export const trimSlashes = (text: string, side: "start" | "end"): string => {
  let start = 0
  let end = text.length
  if (side === "start") while (start < end && text.charCodeAt(start) === 0x2f) start++
  else while (end > start && text.charCodeAt(end - 1) === 0x2f) end--
  return text.slice(start, end)
}
