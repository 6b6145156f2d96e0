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

/**
 * The route of a request path as `HttpRouter` matches it: without query
 * string (`?`, `;` or `#`), percent-decoded, duplicate and trailing slashes
 * removed, in lower case. The recorder of a scenario classifies requests by
 * the same key, so both see one route.
 *
 * @internal
 */
export const routeKey = (url: string): string => {
  const end = url.search(/[?;#]/)
  let path = end === -1 ? url : url.slice(0, end)
  if (path.includes("%")) {
    try {
      path = decodeURI(path)
    } catch {
      return ""
    }
  }
  path = path.replace(/\/{2,}/g, "/")
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1)
  return path.toLowerCase()
}

/**
 * The token of an `Authorization: Bearer <token>` header value, or
 * `undefined`: one linear match (the two classes are disjoint).
 *
 * @internal
 */
export const bearerCredential = (authorization: string | undefined): string | undefined =>
  /^bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1]
