import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

/**
 * How a token is presented: as a bearer token (RFC 6750), or DPoP-bound
 * with the `DPoP` scheme (RFC 9449 §7.1).
 *
 * @internal
 */
export type Scheme = "Bearer" | "DPoP"

/**
 * What a request carries: no access token, one (and how), or something
 * malformed (`description` says what, without the value).
 *
 * @internal
 */
export type Presented =
  | { readonly _tag: "None" }
  | { readonly _tag: "Token"; readonly token: Redacted.Redacted<string>; readonly scheme: Scheme }
  | { readonly _tag: "Invalid"; readonly description: string; readonly scheme: Scheme }

const none: Presented = { _tag: "None" }
const invalid = (description: string, scheme: Scheme = "Bearer"): Presented => ({ _tag: "Invalid", description, scheme })

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const b64token = /^[\w\-.~+/]+=*$/

/**
 * The longest `Authorization` header value, or `access_token` parameter, read:
 * 8 KiB. Bearer tokens, JWTs included, are far shorter; anything longer is
 * refused before it is scanned.
 *
 * @internal
 */
export const defaultMaxLength = 8 * 1024

const space = 0x20
const tab = 0x09
const isWhitespace = (c: number) => c === space || c === tab

/**
 * Reads an `Authorization` header value of at most `maxLength` characters.
 * Another scheme (`Basic …`, or `DPoP …` unless `dpop`) is no access token
 * at all; `Bearer` (or `DPoP`) without a well-formed b64token (token68) is
 * malformed. The scheme is case-insensitive (RFC 9110 §11.1). Every step is
 * a single scan: the value is hostile.
 *
 * @internal
 */
export const parseHeader = (value: string, maxLength: number = defaultMaxLength, dpop = false): Presented => {
  if (value.length > maxLength) return invalid(`The Authorization header is longer than ${maxLength} characters`)
  // surrounding whitespace is not part of a field value (RFC 9110 §5.5)
  let start = 0
  let end = value.length
  while (start < end && isWhitespace(value.charCodeAt(start))) start++
  while (end > start && isWhitespace(value.charCodeAt(end - 1))) end--
  let schemeEnd = start
  while (schemeEnd < end && !isWhitespace(value.charCodeAt(schemeEnd))) schemeEnd++
  const name = value.slice(start, schemeEnd).toLowerCase()
  const scheme: Scheme | undefined = name === "bearer" ? "Bearer" : name === "dpop" && dpop ? "DPoP" : undefined
  if (scheme === undefined) return none
  let tokenStart = schemeEnd
  while (tokenStart < end && value.charCodeAt(tokenStart) === space) tokenStart++
  const token = value.slice(tokenStart, end)
  const kind = scheme === "Bearer" ? "bearer token" : "DPoP access token"
  if (token === "") return invalid(`The Authorization header carries no ${kind}`, scheme)
  if (tokenStart === schemeEnd || !b64token.test(token)) {
    return invalid(`The ${kind} in the Authorization header is malformed`, scheme)
  }
  return { _tag: "Token", token: Redacted.make(token), scheme }
}

/**
 * How many `name` header lines arrived (`name` in lower case). Node's HTTP
 * server keeps only the first `Authorization` line in its header record (and
 * joins other repeated lines with `, `), so a platform that exposes Node's
 * `headersDistinct` is asked; the fetch API joins repeated lines with `, `,
 * which no single bearer credential or DPoP proof contains, so those are
 * malformed anyway.
 *
 * @internal
 */
export const headerLines = (request: HttpServerRequest.HttpServerRequest, name: string): number => {
  const source = request.source as { readonly headersDistinct?: Readonly<Record<string, unknown>> } | undefined
  const lines = source?.headersDistinct?.[name]
  return Array.isArray(lines) ? lines.length : request.headers[name] === undefined ? 0 : 1
}

const formContentType = /^application\/x-www-form-urlencoded\s*(?:;|$)/i

/**
 * Where a request may carry its token: the `Authorization` header always,
 * the form body (RFC 6750 §2.2) and the `access_token` query parameter
 * (§2.3) only when enabled.
 *
 * @internal
 */
export interface Methods {
  readonly allowForm?: boolean | undefined
  readonly allowQuery?: boolean | undefined
  /** The bound of every credential read, default {@link defaultMaxLength}. */
  readonly maxCredentialLength?: number | undefined
  /** Whether the `DPoP` scheme is taken too. */
  readonly dpop?: boolean | undefined
}

/**
 * Extracts the bearer token of a request (RFC 6750 §2). A request that uses
 * more than one method, or repeats one, is malformed (§3.1
 * `invalid_request`).
 *
 * @internal
 */
export const extract = (
  request: HttpServerRequest.HttpServerRequest,
  methods: Methods
): Effect.Effect<Presented> =>
  Effect.gen(function*() {
    const maxLength = methods.maxCredentialLength ?? defaultMaxLength
    const found: Array<Presented> = []
    const lines = headerLines(request, "authorization")
    if (lines > 1) return invalid("The request carries more than one Authorization header")
    const header = request.headers.authorization
    if (header !== undefined) {
      const parsed = parseHeader(header, maxLength, methods.dpop === true)
      if (parsed._tag === "Invalid") return parsed
      if (parsed._tag === "Token") found.push(parsed)
    }
    if (methods.allowQuery === true) {
      const values = new URL(request.url, "http://localhost").searchParams.getAll("access_token")
      for (const value of values) found.push(fromParameter(value, maxLength))
    }
    const contentType = request.headers["content-type"] ?? ""
    if (methods.allowForm === true && request.method !== "GET" && formContentType.test(contentType)) {
      const params = yield* Effect.option(request.urlParamsBody)
      if (params._tag === "None") return invalid("The request body is not a readable form")
      for (const [key, value] of params.value) if (key === "access_token") found.push(fromParameter(value, maxLength))
    }
    const invalidParameter = found.find((presented) => presented._tag === "Invalid")
    if (invalidParameter !== undefined) return invalidParameter
    if (found.length > 1) return invalid("The request carries more than one access token")
    return found[0] ?? none
  })

const fromParameter = (value: string, maxLength: number): Presented =>
  value.length > maxLength
    ? invalid(`The access_token parameter is longer than ${maxLength} characters`)
    : b64token.test(value)
    ? { _tag: "Token", token: Redacted.make(value), scheme: "Bearer" }
    : invalid("The access_token parameter is malformed")

/**
 * A quoted-string (RFC 9110 §5.6.4) for a challenge parameter.
 *
 * @internal
 */
export const quote = (value: string): string => `"${value.replace(/["\\]/g, "\\$&")}"`
