/**
 * Secret-free excerpts of token responses, for error messages.
 *
 * A token response carries credentials, so an excerpt never shows the value of
 * a field whose name suggests one, and removes from free text both the values
 * after such names and every long run of token-like characters.
 */

// Names whose values are credentials: `access_token`, `client_secret`,
// `device_code`, `code_verifier`… but not `token_type`.
const secretName = /(?:token|secret|password|assertion|code|verifier|key)$/i

const secretAssignment =
  /((?:access|refresh|id)_?token|client_?secret|password|assertion|code)(["']?\s*[:=]\s*["']?)[^"'&\s,;}]*/gi

// Opaque tokens, JWTs and base64 blobs; ordinary words and URLs are shorter or
// broken up by other characters.
const tokenLike = /[\w\-.~+/]{16,}=*/g

const truncate = (text: string, max: number): string => text.length <= max ? text : `${text.slice(0, max - 1)}…`

/**
 * The first `max` characters of a body that could not be read as a token
 * response, with whitespace collapsed and anything token-like replaced by `…`.
 *
 * @internal
 */
export const text = (body: string, max = 80): string =>
  truncate(
    body.replace(/\s+/g, " ").trim().replace(secretAssignment, "$1$2…").replace(tokenLike, "…"),
    max
  )

/**
 * Whether the value of a response field may be shown in an error message.
 *
 * @internal
 */
export const isShowable = (field: string): boolean => !secretName.test(field)

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return typeof value
  }
}

/**
 * The keys of a response object and, when it is not a secret, the value of the
 * field that failed: enough to recognise the server's quirk, nothing to steal.
 *
 * @internal
 */
export const fields = (body: Readonly<Record<string, unknown>>, field: string): string => {
  const keys = Object.keys(body)
  const listed = keys.length === 0 ? "no fields" : `fields: ${keys.map((key) => text(key, 40)).join(", ")}`
  if (!isShowable(field) || !(field in body)) return truncate(listed, 160)
  const value = body[field]
  const shown = text(show(value), 40)
  return truncate(`${field}: ${shown}; ${listed}`, 160)
}
