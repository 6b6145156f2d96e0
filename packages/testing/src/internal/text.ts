/**
 * `text` without the slashes it ends with, in one backwards scan: the pattern
 * `/\/+$/` is quadratic on a long run of slashes followed by anything else.
 *
 * @internal
 */
export const withoutTrailingSlashes = (text: string): string => {
  let end = text.length
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f) end--
  return text.slice(0, end)
}
