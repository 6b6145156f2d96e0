/**
 * Token endpoint responses (RFC 6749 §5.1 and §5.2), decoded apart from the
 * transport: a body and a status in, an {@link AccessToken.AccessToken} or a
 * {@link TokenError.TokenError} out.
 *
 * Real servers bend the RFC in known ways — `expires_in` as a string or
 * missing, `token_type` in any case, a 200 response carrying an `error`, form
 * encoding instead of JSON — and this module accepts what is usable and
 * rejects, with a secret-free explanation, what is not.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import * as AccessToken from "./AccessToken.js"
import type * as Endpoint from "./Endpoint.js"
import * as excerpt from "./internal/excerpt.js"
import * as json from "./internal/json.js"
import * as oauthError from "./internal/oauthError.js"
import * as parseIssue from "./internal/parseIssue.js"
import * as printable from "./internal/printable.js"
import * as TokenError from "./TokenError.js"

/**
 * The lifetime given to a token whose response has no usable `expires_in`
 * (missing, `null` or `0`): 5 minutes, short enough that a token that really
 * lives shorter is not served long after it died.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { TokenResponse } from "@grantflow/core"
 * import { Duration } from "effect"
 *
 * Duration.toMinutes(TokenResponse.defaultLifetime) // 5
 * ```
 */
export const defaultLifetime: Duration.Duration = Duration.minutes(5)

/**
 * The longest lifetime a token is believed to have, 365 days; a larger
 * `expires_in` is clamped to it.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { TokenResponse } from "@grantflow/core"
 * import { Duration } from "effect"
 *
 * Duration.toDays(TokenResponse.defaultMaxLifetime) // 365
 * ```
 */
export const defaultMaxLifetime: Duration.Duration = Duration.days(365)

/**
 * The shortest lifetime a token is believed to have, 1 second: a positive
 * `expires_in` below it (`0.0004`), or an absolute expiry already past, is
 * read as 1 second. Taken at its word, such a lifetime would make every API
 * call wait for a new token; one second bounds the token requests to about
 * one a second, and a token that really died sooner is refused by the API and
 * replaced as usual. (`0` is not floored: it means "no lifetime stated", and
 * the default lifetime applies.)
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { TokenResponse } from "@grantflow/core"
 * import { Duration } from "effect"
 *
 * Duration.toMillis(TokenResponse.minLifetime) // 1000
 * ```
 */
export const minLifetime: Duration.Duration = Duration.seconds(1)

/**
 * The longest `access_token` or `refresh_token` accepted, 16 KiB: a JWT with
 * many claims is a few kilobytes, and a longer value does not fit in the
 * request headers of most servers anyway.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { TokenResponse } from "@grantflow/core"
 *
 * TokenResponse.maxTokenLength // 16384
 * ```
 */
export const maxTokenLength = 16 * 1024

// The other fields' caps: every string is measured before it is matched.
const maxTokenTypeLength = 128
const maxSecondsLength = 32
const maxScopeLength = 16 * 1024

// A token response has a dozen fields; a body with more values than this is
// refused before anything walks over them.
const maxValues = 10_000

// Decoding failures carry fixed, secret-free messages: the default ones quote
// the value received, which for `access_token` would be the token itself.
const innerMessage = (issue: ParseResult.ParseIssue): string | undefined =>
  issue._tag === "Transformation" && issue.issue._tag === "Type" ? issue.issue.message : undefined

const fieldMessage = (fallback: string) => (issue: ParseResult.ParseIssue) => ({
  message: innerMessage(issue) ?? fallback,
  override: true
})

const tooLong = (max: number) => `is longer than ${max} characters`

// RFC 6749 Appendix A: VSCHAR = %x20-7E.
const isVisible = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) return false
  }
  return true
}

// RFC 6749 Appendix A: name-char = "-" / "." / "_" / DIGIT / ALPHA.
const isTypeName = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d ||
      c === 0x2e || c === 0x5f
    if (!ok) return false
  }
  return true
}

const notVisible = "contains a character other than printable ASCII (RFC 6749 Appendix A: VSCHAR)"

/**
 * A string field, trimmed, at most `max` characters, each allowed: checked in
 * that order, so that no scan ever runs on a long value.
 */
const checked = (
  ast: AST.AST,
  value: string,
  max: number,
  allowed: (text: string) => boolean,
  notAllowed: string
): Either.Either<string, ParseResult.ParseIssue> => {
  const text = value.trim()
  if (text.length > max) return ParseResult.fail(new ParseResult.Type(ast, value, tooLong(max)))
  if (!allowed(text)) return ParseResult.fail(new ParseResult.Type(ast, value, notAllowed))
  return ParseResult.succeed(text)
}

const checkedText = (max: number, allowed: (text: string) => boolean, notAllowed: string) =>
  Schema.transformOrFail(Schema.String, Schema.String, {
    strict: true,
    decode: (value, _, ast) => checked(ast, value, max, allowed, notAllowed),
    encode: ParseResult.succeed
  }).annotations({ message: fieldMessage("is not a string") })

const AccessTokenValue = Schema.transformOrFail(Schema.String, Schema.RedactedFromSelf(Schema.String), {
  strict: true,
  decode: (value, _, ast) =>
    Either.flatMap(
      checked(ast, value, maxTokenLength, isVisible, notVisible),
      (token) =>
        token === "" ? ParseResult.fail(new ParseResult.Type(ast, "", "is empty")) : ParseResult.succeed(Redacted.make(token))
    ),
  encode: (token) => ParseResult.succeed(Redacted.value(token))
}).annotations({ message: fieldMessage("is not a string") })

const TokenType = checkedText(
  maxTokenTypeLength,
  isTypeName,
  "contains a character other than letters, digits, \"-\", \".\" and \"_\" (RFC 6749 Appendix A)"
)

const RefreshTokenValue = checkedText(maxTokenLength, isVisible, notVisible)

// A decimal number, unsigned or signed, with an optional fraction and
// exponent: each part is delimited by the next, so no input backtracks.
const numeric = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i

const Seconds = Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.Number, {
  strict: true,
  decode: (value, _, ast) => {
    const text = typeof value === "string" ? value.trim() : undefined
    // A blank string is read like `null`: the server has no lifetime to state.
    if (text === "") return ParseResult.succeed(0)
    if (text !== undefined && text.length > maxSecondsLength) {
      return ParseResult.fail(new ParseResult.Type(ast, value, tooLong(maxSecondsLength)))
    }
    if (text !== undefined && !numeric.test(text)) {
      return ParseResult.fail(new ParseResult.Type(ast, value, "is not a number of seconds"))
    }
    const seconds = Number(text ?? value)
    if (Number.isNaN(seconds)) return ParseResult.fail(new ParseResult.Type(ast, value, "is not a number of seconds"))
    if (seconds < 0) return ParseResult.fail(new ParseResult.Type(ast, value, "is negative"))
    return ParseResult.succeed(seconds)
  },
  encode: ParseResult.succeed
}).annotations({ message: fieldMessage("is not a number of seconds") })

// The length of a scope string, or of an array of strings joined; `undefined`
// for anything else. One pass that stops at the cap.
const scopeLength = (value: unknown): number | undefined => {
  if (typeof value === "string") return value.length
  if (!Array.isArray(value)) return undefined
  let length = 0
  for (const scope of value) {
    if (typeof scope !== "string") return undefined
    length += scope.length + 1
    if (length > maxScopeLength) break
  }
  return length
}

// Checked by hand rather than as a union of schemas: a schema walks every
// element of an array, however long, before the cap could apply.
const ScopeValue = Schema.transformOrFail(Schema.Unknown, Schema.Array(Schema.String), {
  strict: true,
  decode: (value, _, ast) => {
    const length = scopeLength(value)
    if (length === undefined) return ParseResult.fail(new ParseResult.Type(ast, value, "is not a space-separated string"))
    if (length > maxScopeLength) return ParseResult.fail(new ParseResult.Type(ast, value, tooLong(maxScopeLength)))
    const scopes = typeof value === "string" ? value.split(/\s+/) : value as ReadonlyArray<string>
    return ParseResult.succeed(scopes.filter((scope) => scope !== ""))
  },
  encode: (scopes) => ParseResult.succeed(scopes.join(" "))
}).annotations({ message: fieldMessage("is not a space-separated string") })

const Wire = Schema.Struct({
  access_token: AccessTokenValue,
  token_type: Schema.optional(Schema.NullOr(TokenType)),
  expires_in: Schema.optional(Schema.NullOr(Seconds)),
  // Some servers send an array; it is unambiguous, so it is accepted.
  scope: Schema.optional(Schema.NullOr(ScopeValue)),
  refresh_token: Schema.optional(Schema.NullOr(RefreshTokenValue))
})

/**
 * A successful token response (RFC 6749 §5.1), decoded:
 *
 * - `access_token`: required, trimmed, not empty, printable ASCII only
 *   (RFC 6749's VSCHAR), at most {@link maxTokenLength} characters;
 *   `Redacted`;
 * - `token_type`: any case of `bearer` becomes `Bearer`, any case of `dpop`
 *   `DPoP` (RFC 9449 §5); missing, `null` or blank means `Bearer`; other
 *   types are kept as sent; letters, digits,
 *   `-`, `.` and `_` only (RFC 6749's name-char), at most 128 characters;
 * - `expires_in`: seconds as a number or a numeric string (at most 32
 *   characters); missing, `null`, blank or `0` becomes `Option.none()`;
 *   negative or non-numeric fails; a tiny lifetime is kept here and floored
 *   to {@link minLifetime} by {@link toAccessToken};
 * - `scope`: split on whitespace, at most 16 KiB; missing means `[]`;
 * - `refresh_token`: optional, `Redacted`; an empty string means absent;
 *   otherwise like `access_token`.
 *
 * Unknown fields (`id_token`, vendor extensions) are ignored. A failure names
 * the field and never quotes its value.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * ```ts
 * import { TokenResponse } from "@grantflow/core"
 * import { Schema } from "effect"
 *
 * const response = Schema.decodeUnknownSync(TokenResponse.Success)({
 *   access_token: "abc", token_type: "bearer", expires_in: "3600", scope: "read write"
 * })
 * response.tokenType // "Bearer"
 * response.scopes // ["read", "write"]
 * ```
 */
export const Success = Schema.transform(
  Wire,
  Schema.Struct({
    accessToken: Schema.RedactedFromSelf(Schema.String),
    tokenType: Schema.String,
    expiresIn: Schema.OptionFromSelf(Schema.Number),
    scopes: Schema.Array(Schema.String),
    refreshToken: Schema.OptionFromSelf(Schema.RedactedFromSelf(Schema.String))
  }),
  {
    strict: true,
    decode: (wire) => {
      const tokenType = wire.token_type ?? ""
      const refreshToken = wire.refresh_token ?? ""
      return {
        accessToken: wire.access_token,
        tokenType: tokenType === "" || tokenType.toLowerCase() === "bearer"
          ? "Bearer"
          : tokenType.toLowerCase() === "dpop"
          ? "DPoP"
          : tokenType,
        expiresIn: Option.filter(Option.fromNullable(wire.expires_in), (seconds) => seconds > 0),
        scopes: wire.scope ?? [],
        refreshToken: refreshToken === "" ? Option.none() : Option.some(Redacted.make(refreshToken))
      }
    },
    encode: (response) => ({
      access_token: response.accessToken,
      token_type: response.tokenType,
      expires_in: Option.getOrUndefined(response.expiresIn),
      scope: response.scopes,
      refresh_token: Option.getOrUndefined(Option.map(response.refreshToken, Redacted.value))
    })
  }
)

/**
 * The decoded form of {@link Success}.
 *
 * @since 0.1.0
 * @category models
 */
export type Success = typeof Success.Type

/**
 * How the expiry of a token is stated in a response that bends RFC 6749:
 *
 * - `seconds`: a lifetime in seconds, as the RFC says (the default);
 * - `milliseconds`: a lifetime in milliseconds;
 * - `epochSeconds`, `epochMilliseconds`: the instant the token expires, since
 *   1970 (`expires_at: 1767225600`);
 * - `iso8601`: the instant the token expires, as a date-time string
 *   (`"2026-01-01T00:00:00Z"`).
 *
 * @since 0.1.0
 * @category models
 */
export type ExpiresAs = "seconds" | "milliseconds" | "epochSeconds" | "epochMilliseconds" | "iso8601"

/**
 * Where a non-standard token response keeps what RFC 6749 §5.1 names, as
 * data. Each path is dotted from the top of the body (`"data.token"` reads
 * `{ "data": { "token": "…" } }`) and defaults to the RFC name at the top:
 *
 * - `accessToken`, `tokenType`, `expiresIn`, `refreshToken`, `scope`: the
 *   paths of the fields;
 * - `expiresAs`: how the expiry is stated (default `seconds`);
 * - `type`: a token type to use whatever the response says, e.g. `"Token"`
 *   for a server that sends none but expects `Authorization: Token …`.
 *
 * An error body (a top-level `error`) is read as usual; `errors` maps a
 * provider's own error codes to RFC 6749's (`{ invalid_refresh_token:
 * "invalid_grant" }`), so that its refusals get the same typed errors (a
 * refused refresh token asks for re-authorization). The provider's code is
 * kept in the description. `error` is the path of that code for a provider
 * whose error bodies carry it elsewhere (`"category"`); only the codes
 * `errors` names are read there.
 *
 * @since 0.1.0
 * @category models
 */
export interface Shape {
  readonly accessToken?: string | undefined
  readonly tokenType?: string | undefined
  readonly expiresIn?: string | undefined
  readonly refreshToken?: string | undefined
  readonly scope?: string | undefined
  readonly expiresAs?: ExpiresAs | undefined
  readonly type?: string | undefined
  readonly errors?: Readonly<Record<string, string>> | undefined
  readonly error?: string | undefined
}

/**
 * How to read a token response: its HTTP status, when the request was sent
 * (epoch milliseconds; it becomes `issuedAt`), the lifetime of a token without
 * `expires_in` (default {@link defaultLifetime}), the longest lifetime believed
 * (default {@link defaultMaxLifetime}), the server's `Retry-After`, which
 * error results carry, and the response's {@link Shape} when it is not the
 * RFC's (default: none; the body is read as RFC 6749 §5.1 says).
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions {
  readonly status: number
  readonly sentAt: number
  readonly defaultLifetime?: Duration.DurationInput | undefined
  readonly maxLifetime?: Duration.DurationInput | undefined
  readonly retryAfter?: Option.Option<Duration.Duration> | undefined
  readonly shape?: Shape | undefined
}

const rfcFields = {
  accessToken: "access_token",
  tokenType: "token_type",
  expiresIn: "expires_in",
  refreshToken: "refresh_token",
  scope: "scope"
} as const

const at = (body: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((value, key) => Predicate.isRecord(value) ? value[key] : undefined, body)

// A positive lifetime for an absolute expiry already past: a missing one would
// get the default 5 minutes. `toAccessToken` raises it to `minLifetime`.
const alreadyExpired = 0.001

const toSeconds = (value: unknown, as: ExpiresAs, now: number): unknown => {
  if (as === "seconds" || value === null || value === undefined) return value
  if (typeof value === "string" && value.trim() === "") return value
  const instant = as === "iso8601"
    ? typeof value === "string" ? Date.parse(value) : Number.NaN
    : typeof value === "number" || typeof value === "string" ? Number(value) : Number.NaN
  // not convertible: left as it is, so that decoding names the field
  if (!Number.isFinite(instant)) return value
  switch (as) {
    case "milliseconds":
      return instant / 1000
    case "epochSeconds":
      return Math.max(alreadyExpired, instant - now / 1000)
    case "epochMilliseconds":
    case "iso8601":
      return Math.max(alreadyExpired, (instant - now) / 1000)
  }
}

/**
 * Rewrites a token response of the given {@link Shape} into the RFC 6749
 * §5.1 form that {@link decode} reads: each field moved from its path to its
 * RFC name, the expiry turned into seconds from `now` (epoch milliseconds;
 * an expiry already past becomes one millisecond, which {@link toAccessToken}
 * raises to {@link minLifetime}), and the fixed `type` set.
 * Other fields stay as they are; a body that is not an object is returned
 * unchanged, and one that carries an `error` too, but for the error code the
 * shape's `errors` rename. A value that cannot be converted is left for
 * decoding to reject. Pure.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { TokenResponse } from "@grantflow/core"
 *
 * TokenResponse.normalize(
 *   { data: { token: "abc", ttl: 3_600_000 } },
 *   { accessToken: "data.token", expiresIn: "data.ttl", expiresAs: "milliseconds", type: "Token" },
 *   0
 * )
 * // { data: …, access_token: "abc", expires_in: 3600, token_type: "Token" }
 * ```
 */
export const normalize = (body: unknown, shape: Shape, now: number): unknown => {
  if (!Predicate.isRecord(body)) return body
  const error = errorCode(body, shape)
  if (error !== undefined && error !== null && error !== "") return renamedError(body, error, shape)
  const result: Record<string, unknown> = { ...body }
  for (const key of Object.keys(rfcFields) as ReadonlyArray<keyof typeof rfcFields>) {
    const name = rfcFields[key]
    const path = shape[key] ?? name
    const value = at(body, path)
    delete result[name]
    const converted = key === "expiresIn" ? toSeconds(value, shape.expiresAs ?? "seconds", now) : value
    if (converted !== undefined) result[name] = converted
  }
  if (shape.type !== undefined) result["token_type"] = shape.type
  return result
}

// The provider's error code: at the shape's path, where it is one of the codes the shape renames.
const errorCode = (body: Readonly<Record<string, unknown>>, shape: Shape): unknown => {
  if (shape.error === undefined) return body["error"]
  const code = at(body, shape.error)
  return typeof code === "string" && Object.hasOwn(shape.errors ?? {}, code) ? code : body["error"]
}

// A provider's error code as RFC 6749's, the provider's own kept in the description.
const renamedError = (body: Readonly<Record<string, unknown>>, error: unknown, shape: Shape): unknown => {
  const rfc = typeof error === "string" && Object.hasOwn(shape.errors ?? {}, error) ? shape.errors![error] : undefined
  if (rfc === undefined) return body
  const description = typeof body["error_description"] === "string" ? `: ${body["error_description"]}` : ""
  return { ...body, error: rfc, error_description: `${error as string}${description}` }
}

// The path a shaped response keeps an RFC field at, for error messages.
const shapedField = (field: string, shape: Shape | undefined): string => {
  if (shape === undefined) return field
  const key = (Object.keys(rfcFields) as ReadonlyArray<keyof typeof rfcFields>).find((k) => rfcFields[k] === field)
  return key === undefined ? field : shape[key] ?? field
}

const isSuccessStatus = (status: number): boolean => status >= 200 && status < 300

const decodeSuccess = Schema.decodeUnknownEither(Success, { errors: "first", onExcessProperty: "ignore" })

const malformed = (status: number, field: string, reason: string, excerpt: string, endpoint: Endpoint.Name = "token") =>
  new TokenError.MalformedResponse({ endpoint, status, field, reason, excerpt })

const unavailable = (status: number, retryAfter: Option.Option<Duration.Duration>, cause?: unknown) =>
  new TokenError.EndpointUnavailable({
    endpoint: "token",
    reason: "Status",
    status: Option.some(status),
    retryAfter,
    ...(cause === undefined ? {} : { cause })
  })

const tooManyValues = `holds more than ${maxValues} values`

const describe = (body: unknown): string =>
  body === null ? "null" : Array.isArray(body) ? "a JSON array" : `a JSON ${typeof body}`

/**
 * Turns a parsed token endpoint body into an access token or a typed error.
 *
 * - A body with an `error` field is an {@link TokenError.OAuthError}, whatever
 *   the status (some servers answer errors with 200).
 * - Otherwise a non-2xx status is a {@link TokenError.EndpointUnavailable}
 *   (`reason: "Status"`).
 * - Otherwise the body is decoded with {@link Success}; the token is issued at
 *   `sentAt` and expires `expires_in` later (at least {@link minLifetime}, or
 *   the default lifetime), clamped to the maximum lifetime. A body that does
 *   not decode, holds more than 10,000 values or nests arrays and objects
 *   deeper than 64 levels, is a
 *   {@link TokenError.MalformedResponse} naming the field, with an excerpt
 *   that lists the fields received and never shows a token: no string value
 *   of the body appears in it.
 * - With a `shape`, a successful body is first {@link normalize}d, and a
 *   malformed field is named by its path in the shape; an error's code is
 *   renamed as its `errors` say.
 *
 * It never throws, whatever `body` is (it may come from a user, not from
 * {@link parseBody}), and its work is bounded by the limits above.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { TokenResponse } from "@grantflow/core"
 * import { Either } from "effect"
 *
 * const result = TokenResponse.decode(
 *   { access_token: "abc", token_type: "bearer", expires_in: 3600 },
 *   { status: 200, sentAt: 1_000 }
 * )
 * if (Either.isRight(result)) result.right.expiresAt // 3_601_000
 * ```
 */
export const decode = (
  body: unknown,
  options: DecodeOptions
): Either.Either<AccessToken.AccessToken, TokenError.TokenError> => {
  const { status } = options
  const retryAfter = options.retryAfter ?? Option.none()
  if (!Predicate.isRecord(body)) {
    return Either.left(
      isSuccessStatus(status)
        ? malformed(status, "body", "is not a JSON object or form data", describe(body))
        : unavailable(status, retryAfter)
    )
  }
  if (json.valueFailure(body, { maxValues, maxDepth: Infinity }) !== undefined) {
    return Either.left(
      isSuccessStatus(status) ? malformed(status, "body", tooManyValues, "") : unavailable(status, retryAfter)
    )
  }
  const error = oauthError.read(
    "token",
    options.shape === undefined
      ? body
      : renamedError(body, errorCode(body, options.shape), options.shape) as Record<string, unknown>,
    status,
    retryAfter
  )
  if (error === "Unusable") {
    return Either.left(
      isSuccessStatus(status)
        ? malformed(status, "error", oauthError.unusableReason, excerpt.fields(body, "error"))
        : unavailable(status, retryAfter)
    )
  }
  if (error !== undefined) return Either.left(error)
  if (!isSuccessStatus(status)) return Either.left(unavailable(status, retryAfter))
  // Decoding recurses into the body: a deep one would overflow the stack.
  const tooDeep = json.valueFailure(body)
  if (tooDeep !== undefined) return Either.left(malformed(status, "body", json.describeFailure(tooDeep), ""))
  const { shape } = options
  // where a shaped response keeps its tokens: never shown, whatever the names
  const secretFields = shape === undefined ? [] : [shape.accessToken, shape.refreshToken].filter(Predicate.isString)
  return Either.match(decodeSuccess(shape === undefined ? body : normalize(body, shape, options.sentAt)), {
    // The ParseError is not kept as the cause: its issues hold the values
    // received, tokens included.
    onLeft: (parseError) => {
      const problem = parseIssue.first(parseError.issue)
      const field = problem.path.length > 0 ? shapedField(String(problem.path[0]), shape) : "body"
      return Either.left(
        malformed(status, field, problem.message ?? "is invalid", excerpt.fields(body, field, secretFields))
      )
    },
    onRight: (response) => Either.right(toAccessToken(response, options))
  })
}

/**
 * Builds the access token of a decoded response: issued at `sentAt`, expiring
 * after `expires_in` but not sooner than {@link minLifetime} (or after the
 * default lifetime), never later than the maximum lifetime.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { TokenResponse } from "@grantflow/core"
 * import { Option, Redacted } from "effect"
 *
 * const token = TokenResponse.toAccessToken(
 *   {
 *     accessToken: Redacted.make("abc"), tokenType: "Bearer", expiresIn: Option.none(),
 *     scopes: [], refreshToken: Option.none()
 *   },
 *   { sentAt: 0 }
 * )
 * token.expiresAt // 300_000: the default 5 minutes
 * ```
 */
export const toAccessToken = (
  response: Success,
  options: Pick<DecodeOptions, "sentAt" | "defaultLifetime" | "maxLifetime">
): AccessToken.AccessToken => {
  const maxMillis = Duration.toMillis(Duration.decode(options.maxLifetime ?? defaultMaxLifetime))
  const lifetime = Option.match(response.expiresIn, {
    onNone: () => Duration.toMillis(Duration.decode(options.defaultLifetime ?? defaultLifetime)),
    onSome: (seconds) => Math.max(Duration.toMillis(minLifetime), Math.round(seconds * 1000))
  })
  return new AccessToken.AccessToken({
    token: response.accessToken,
    type: response.tokenType,
    issuedAt: options.sentAt,
    expiresAt: options.sentAt + Math.max(0, Math.min(lifetime, maxMillis)),
    scopes: response.scopes,
    refreshToken: response.refreshToken
  })
}

const mediaType = (contentType: string | undefined): string =>
  (contentType ?? "").split(";")[0]!.trim().toLowerCase()

const isJsonType = (type: string): boolean => type === "application/json" || type.endsWith("+json")

// The classes of the form scan, by ASCII code: a lookup per character keeps
// the scan of a megabyte as cheap as reading it.
const formName = 1
const formValue = 2
const formClasses = (() => {
  const classes = new Uint8Array(128)
  // printable ASCII but for the markup brackets: what a form value sent as it
  // should be (percent-encoded) is made of
  for (let c = 0x21; c < 0x7f; c++) if (c !== 0x3c && c !== 0x3e) classes[c] = formValue
  for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.~-") {
    classes[c.charCodeAt(0)] = formName | formValue
  }
  return classes
})()

/**
 * Whether `text` is `name=value&name=value…`, names of `[A-Za-z0-9_.~-]`,
 * values of printable ASCII without `<` and `>` (so that prose and markup are
 * not read as a form): one scan, no pattern.
 */
const looksLikeForm = (text: string): boolean => {
  // the index where the current pair's name starts, or -1 once its `=` is passed
  let nameStart = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const kind = c < 128 ? formClasses[c]! : 0
    if (nameStart >= 0) {
      if (c === 0x3d && i > nameStart) nameStart = -1
      else if ((kind & formName) === 0) return false
    } else if (c === 0x26) {
      nameStart = i + 1
    } else if ((kind & formValue) === 0) {
      return false
    }
  }
  return nameStart < 0
}

const parseForm = (text: string): Record<string, string> => Object.fromEntries(new URLSearchParams(text))

const formExceeds = (text: string, max: number): boolean => {
  let count = 1
  for (let i = text.indexOf("&"); i >= 0; i = text.indexOf("&", i + 1)) if (++count > max) return true
  return false
}

/**
 * Parses the text of a token endpoint response. JSON is the standard; form
 * encoding (`application/x-www-form-urlencoded`, as old GitHub sent) is read
 * too, and so is a form-encoded or JSON body under another content type
 * (`text/plain`, `text/html`). Anything else, an empty body included, is a
 * {@link TokenError.MalformedResponse} for the field `body`, with a short
 * excerpt from which every value and anything token-like has been removed. So
 * is JSON nesting deeper than 64 levels, and a body of more than 10,000
 * values or form parameters. Every step is linear in the length of the text,
 * which the caller has capped (1 MiB for a token endpoint). The error names
 * `endpoint` (default `token`): the other endpoints' answers are read alike.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { TokenResponse } from "@grantflow/core"
 *
 * TokenResponse.parseBody("application/x-www-form-urlencoded", "access_token=abc&token_type=bearer")
 * // Either.right({ access_token: "abc", token_type: "bearer" })
 * ```
 */
export const parseBody = (
  contentType: string | undefined,
  text: string,
  status = 200,
  endpoint: Endpoint.Name = "token"
): Either.Either<unknown, TokenError.MalformedResponse> => {
  const trimmed = text.trim()
  if (trimmed === "") return Either.left(malformed(status, "body", "is empty", "", endpoint))
  const type = mediaType(contentType)
  const fail = (reason: string) => Either.left(malformed(status, "body", reason, excerpt.body(trimmed), endpoint))
  const form = () => formExceeds(trimmed, maxValues) ? fail(tooManyValues) : Either.right(parseForm(trimmed))
  if (type === "application/x-www-form-urlencoded" && !trimmed.startsWith("{")) return form()
  // only a structure can hold many values; a form body's commas are no values
  const structured = trimmed.startsWith("{") || trimmed.startsWith("[")
  const parsed = json.parse(trimmed, { maxValues: structured ? maxValues : undefined })
  if (Either.isRight(parsed)) return Either.right(parsed.right)
  if (parsed.left._tag !== "Syntax" || isJsonType(type)) return fail(json.describeFailure(parsed.left))
  if (looksLikeForm(trimmed)) return form()
  // the content type is the server's text too
  return fail(`is neither JSON nor form data (content type: ${printable.text(type, 80) || "none"})`)
}
