import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import { pipe } from "effect/Function"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Jose from "jose"
import type * as AuthServer from "../AuthServer.js"
import type * as ProviderTwin from "../ProviderTwin.js"
import * as ProviderTwinInternal from "./providerTwin.js"

const DurationFromConfig = Schema.transformOrFail(
  Schema.Union(Schema.Number, Schema.String),
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (input, _options, ast) => {
      const duration = typeof input === "number"
        ? (input >= 0 && Number.isFinite(input) ? Option.some(Duration.seconds(input)) : Option.none())
        : Duration.decodeUnknown(input)
      return Option.match(duration, {
        onNone: () =>
          ParseResult.fail(
            new ParseResult.Type(ast, input, `expected seconds (a number ≥ 0) or a duration such as "10 minutes"`)
          ),
        onSome: ParseResult.succeed
      })
    },
    encode: (duration) => ParseResult.succeed(Duration.toSeconds(duration))
  }
)

/** Absent or of type `S`: never an explicit `undefined`, so errors name one expectation. */
const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

// A refinement of string rather than a union of literals: one issue naming
// every accepted value instead of one issue per value.
const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Schema.String.pipe(
    Schema.filter((s): s is L[number] => literals.includes(s), {
      message: (issue) =>
        `expected one of ${literals.map((l) => JSON.stringify(l)).join(", ")}, got ${JSON.stringify(issue.actual)}`
    })
  )

const Url = Schema.String.pipe(
  Schema.filter((s) => URL.canParse(s) || `expected an absolute URL, got ${JSON.stringify(s)}`)
)

// The key material itself is checked by jose when the server imports it.
const Jwk = Schema.declare(
  (u): u is Jose.JWK => typeof u === "object" && u !== null && typeof (u as { kty?: unknown }).kty === "string",
  { message: () => "expected a JSON Web Key with a \"kty\"" }
)

const GrantType = oneOf(
  "client_credentials",
  "refresh_token",
  "authorization_code",
  "urn:ietf:params:oauth:grant-type:device_code",
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
  "urn:ietf:params:oauth:grant-type:token-exchange"
)

const Client = Schema.Struct({
  clientId: Schema.NonEmptyTrimmedString,
  clientSecret: optional(Schema.String),
  authMethods: optional(
    Schema.Array(oneOf("client_secret_basic", "client_secret_post", "none", "client_secret_jwt", "private_key_jwt"))
  ),
  scopes: optional(Schema.Array(Schema.String)),
  public: optional(Schema.Boolean),
  grants: optional(Schema.Array(GrantType)),
  redirectUris: optional(Schema.Array(Url)),
  /** The client's public keys, for private_key_jwt. */
  jwks: optional(Schema.Struct({ keys: Schema.mutable(Schema.Array(Jwk)) }))
})

const TwinId = oneOf(...ProviderTwinInternal.ids)

const TwinParams = optional(Schema.Record({ key: Schema.String, value: Schema.String }))

/**
 * A provider's twin: its id, or its id and the values of its path parameters
 * (Entra's `TENANT`). The id is checked once the shorthand is expanded, so
 * that an unknown one is one issue that lists the known ids.
 */
const Twin = Schema.transform(
  Schema.Union(Schema.String, Schema.Struct({ id: Schema.String, params: TwinParams })),
  Schema.Struct({ id: TwinId, params: TwinParams }),
  { strict: true, decode: (twin) => typeof twin === "string" ? { id: twin } : twin, encode: (twin) => twin }
)

/** @internal */
export const ServerConfig = Schema.Struct({
  clients: Schema.Array(Client),
  twin: optional(Twin),
  tokenLifetime: optional(DurationFromConfig),
  issueTimeRounding: optional(DurationFromConfig),
  issuer: optional(Url),
  refreshRotation: optional(Schema.Boolean),
  refreshGrace: optional(DurationFromConfig),
  refreshGraceReuses: optional(
    Schema.Int.pipe(Schema.nonNegative()).annotations({ message: () => "expected a whole number ≥ 0" })
  ),
  refreshTokenLifetime: optional(DurationFromConfig),
  refreshTokenForClientCredentials: optional(Schema.Boolean),
  autoApprove: optional(Schema.Boolean),
  codeLifetime: optional(DurationFromConfig),
  requirePushedAuthorizationRequests: optional(Schema.Boolean),
  pushedRequestLifetime: optional(DurationFromConfig),
  deviceCodeLifetime: optional(DurationFromConfig),
  deviceInterval: optional(DurationFromConfig),
  jwtBearerAssertions: optional(Schema.Array(Schema.String)),
  tokenExchangeSubjects: optional(Schema.Array(Schema.String)),
  accessTokenFormat: optional(oneOf("opaque", "jwt")),
  signingAlgorithm: optional(oneOf("RS256", "ES256")),
  audience: optional(Schema.String),
  resources: optional(Schema.Array(Url)),
  registration: optional(Schema.Struct({
    initialAccessToken: optional(Schema.NonEmptyTrimmedString),
    secretLifetime: optional(DurationFromConfig)
  })),
  dpop: optional(Schema.Struct({
    required: optional(Schema.Boolean),
    nonce: optional(Schema.Union(Schema.Boolean, Schema.Struct({ rotateEvery: optional(DurationFromConfig) }))),
    proofWindow: optional(DurationFromConfig)
  })),
  apiScopes: optional(Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) })),
  expiredTokenStatus: optional(Schema.Literal(401, 403)),
  errorBodyOnInvalidToken: optional(Schema.Struct({ status: Schema.Int, body: Schema.Unknown }))
}).annotations({ identifier: "ServerConfig" })

/** @internal */
export class ServerConfigError extends Data.TaggedError("ServerConfigError")<{
  readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }>
}> {
  override get message(): string {
    return `invalid simulated server configuration: ${
      this.issues.map(({ message, path }) => `${path === "" ? "the document" : path} ${message}`).join("; ")
    }`
  }
}

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (text, key) => typeof key === "number" ? `${text}[${key}]` : text === "" ? String(key) : `${text}.${String(key)}`,
    ""
  )

// A configuration names its mistakes, not every copy of one: its message stays a line a terminal can show,
// whatever the document holds (Schema's messages quote the value they got).
const maxIssues = 8
const maxIssueLength = 400

const describe = (issue: ParseResult.ArrayFormatterIssue): string => {
  const text = issue._tag === "Missing"
    ? "is missing"
    : issue._tag === "Unexpected"
    ? "is not a known option"
    : issue.message
  return text.length > maxIssueLength ? `${text.slice(0, maxIssueLength)}…` : text
}

/** @internal */
export interface DecodeOptions {
  readonly twin?: ProviderTwin.Id | undefined
}

interface NamedTwin {
  readonly id: ProviderTwin.Id
  readonly params?: Readonly<Record<string, string>>
}

/**
 * The twin a document asks for, or the one of `options` (which the document
 * may repeat, but not contradict).
 */
const twinOf = (
  config: typeof ServerConfig.Type,
  options: DecodeOptions
): Either.Either<Option.Option<NamedTwin>, ServerConfigError> => {
  const named = Option.fromNullable(config.twin)
  if (options.twin === undefined) return Either.right(named)
  if (Option.isSome(named) && named.value.id !== options.twin) {
    return Either.left(
      new ServerConfigError({
        issues: [{
          path: "twin",
          message: `is ${JSON.stringify(named.value.id)}, not the twin asked for, ${JSON.stringify(options.twin)}`
        }]
      })
    )
  }
  return Either.right(Option.orElse(named, () => Option.some({ id: options.twin! })))
}

/** @internal */
export const decode = (input: unknown, options: DecodeOptions = {}): Either.Either<AuthServer.Options, ServerConfigError> =>
  pipe(
    Schema.decodeUnknownEither(ServerConfig, { errors: "all", onExcessProperty: "error" })(input),
    Either.mapLeft((error) => {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
      const more = issues.length - maxIssues
      return new ServerConfigError({
        issues: [
          ...issues.slice(0, maxIssues).map((issue) => ({ path: formatPath(issue.path), message: describe(issue) })),
          ...(more > 0 ? [{ path: "", message: `has ${more} more problems` }] : [])
        ]
      })
    }),
    Either.flatMap((config) =>
      Either.map(twinOf(config, options), (twin) => {
        const { twin: _twin, ...base } = config
        return Option.match(twin, {
          onNone: (): AuthServer.Options => base,
          onSome: (twin) => ProviderTwinInternal.standalone(twin.id, base, twin.params)
        })
      })
    )
  )

/**
 * How deep a configuration document may nest: its options are three or four
 * levels deep, an error body a few more. Deeper values are refused before
 * Schema — whose decoding and messages recurse — sees them.
 */
const maxDepth = 32

/** Whether a parsed JSON value nests deeper than `max` levels; iterative, so any depth is safe to ask about. */
const nestsDeeperThan = (value: unknown, max: number): boolean => {
  const pending: Array<readonly [unknown, number]> = [[value, 0]]
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!
    if (typeof next !== "object" || next === null) continue
    if (depth >= max) return true
    for (const child of Object.values(next)) pending.push([child, depth + 1])
  }
  return false
}

/** @internal */
export const parse = (text: string, options: DecodeOptions = {}): Either.Either<AuthServer.Options, ServerConfigError> =>
  Either.flatMap(
    Either.try({
      try: () => JSON.parse(text) as unknown,
      catch: (cause) =>
        new ServerConfigError({
          issues: [{ path: "", message: `is not JSON (${cause instanceof Error ? cause.message : String(cause)})` }]
        })
    }),
    (json) =>
      nestsDeeperThan(json, maxDepth)
        ? Either.left(new ServerConfigError({ issues: [{ path: "", message: `nests deeper than ${maxDepth} levels` }] }))
        : decode(json, options)
  )
