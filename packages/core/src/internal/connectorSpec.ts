import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as Connector from "../Connector.js"
import type * as ConnectorSpec from "../ConnectorSpec.js"
import * as Endpoint from "../Endpoint.js"
import * as Grant from "../Grant.js"
import * as TokenError from "../TokenError.js"
import type * as TokenResponse from "../TokenResponse.js"
import * as connector from "./connector.js"
import * as json from "./json.js"
import * as printable from "./printable.js"
import * as Providers from "./providers.js"
import * as safePattern from "./safePattern.js"
import * as Template from "./template.js"
import * as tokenError from "./tokenError.js"

// ── the file's structure ────────────────────────────────────────────────────

/** Absent or of type `S`: never an explicit `null`, so errors name one expectation. */
const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

// Every schema of the file carries its own message: Schema's default ones
// quote the value they rejected ("Expected boolean, actual …"), and a value in
// the wrong place may be a secret.
const expecting = (expected: string) => ({ message: () => `must be ${expected}` })

const Str = Schema.String.annotations(expecting("a string"))
const Bool = Schema.Boolean.annotations(expecting("a boolean"))
const Num = Schema.Number.annotations(expecting("a number"))
const struct = <F extends Schema.Struct.Fields>(fields: F) => Schema.Struct(fields).annotations(expecting("an object"))
const arrayOf = <S extends Schema.Schema.Any>(item: S) => Schema.Array(item).annotations(expecting("an array"))
const recordOf = <S extends Schema.Schema.Any>(value: S) =>
  Schema.Record({ key: Str, value }).annotations(expecting("an object"))

// A refinement of string rather than a union of literals: one issue naming
// every accepted value instead of one issue per value.
const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Str.pipe(
    Schema.filter((s): s is L[number] => literals.includes(s), {
      message: () => `must be one of ${literals.map((l) => JSON.stringify(l)).join(", ")}`
    })
  )

const Text = Str.pipe(Schema.minLength(1, { message: () => "is empty" }))

const Name = Str.pipe(
  Schema.filter((s) => s !== "" && s.trim() === s, { message: () => "must be a non-empty name without surrounding spaces" })
)

const fieldName = /^[A-Z_]\w*$/i

const Status = Num.pipe(
  Schema.filter((n) => Number.isInteger(n) && n >= 100 && n <= 599, {
    message: () => "is not an HTTP status (a whole number from 100 to 599)"
  })
)

const Field = struct({
  label: optional(Str),
  description: optional(Str),
  secret: optional(Bool),
  public: optional(Bool),
  optional: optional(Bool),
  default: optional(Str),
  pattern: optional(Text)
})

const TokenRequest = struct({
  url: Text,
  method: optional(oneOf("POST")),
  client_auth: optional(oneOf("client_secret_post", "client_secret_basic")),
  data: recordOf(Str)
})

const RefreshOn = Schema.Union(
  arrayOf(Status),
  struct({
    statuses: optional(arrayOf(Status)),
    body_contains: optional(Schema.Union(Text, arrayOf(Text))),
    invalid_token_challenge: optional(Bool)
  })
).annotations(expecting("an array of statuses or an object"))

const Test = struct({
  method: optional(oneOf("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")),
  path: Text,
  // sent as JSON as it is written (a GraphQL query): no variables
  body: optional(Schema.Unknown),
  expect: optional(arrayOf(Status)),
  timeout_seconds: optional(Num.pipe(Schema.positive({ message: () => "is not a positive number" })))
})

// A file that starts from a catalog entry: what it may change of it.
const Extension = struct({
  extends: Text,
  name: optional(Name),
  description: optional(Str),
  scopes: optional(arrayOf(Text)),
  refresh_on: optional(RefreshOn),
  test: optional(Test)
})

const Spec = struct({
  name: Name,
  description: optional(Str),
  fields: optional(recordOf(Field)),
  base_url: Text,
  allow_insecure: optional(Bool),
  oauth: struct({
    authenticate_url: optional(Text),
    access_token: TokenRequest,
    refresh: optional(TokenRequest),
    without_code: optional(Bool),
    pkce: optional(Bool)
  }),
  apply: optional(struct({ header: optional(Text), prefix: optional(Str), query: optional(Text) })),
  refresh_on: optional(RefreshOn),
  token_response: optional(struct({
    access_token: optional(Text),
    token_type: optional(Text),
    expires_in: optional(Text),
    refresh_token: optional(Text),
    scope: optional(Text),
    expires_as: optional(oneOf("seconds", "milliseconds", "epoch_seconds", "epoch_milliseconds", "iso8601")),
    type: optional(Text)
  })),
  test: optional(Test)
})

type Spec = ConnectorSpec.Spec

type Request = ConnectorSpec.Spec.TokenRequest

// ── what the file means ─────────────────────────────────────────────────────

/** @internal */
export interface Issue {
  readonly path: ReadonlyArray<string>
  readonly message: string
}

// Keys whose values are credentials: they must come from a secret variable.
const secretKey = /secret|password|passwd|token|assertion|api_?key|verifier|^code$/i

const builtIns = {
  redirectUrl: "redirect_url",
  code: "code",
  refreshToken: "oauth.refresh_token"
} as const

// What grantflow sends in each request itself; other keys cannot be honoured there.
const codeExchangeKeys = ["grant_type", "code", "redirect_uri", "client_id", "client_secret"]
const refreshKeys = ["grant_type", "refresh_token", "scope", "client_id", "client_secret"]
// Set by `AuthorizationCode.start`: the file cannot set them in the authenticate URL.
const authorizeReserved = ["state", "nonce", "code_challenge", "code_challenge_method"]

interface Context {
  readonly fields: Readonly<Record<string, ConnectorSpec.Spec.Field>>
  readonly fieldNames: ReadonlySet<string>
  /** The first few field names, for messages. */
  readonly someFieldNames: ReadonlyArray<string>
  /** The first {@link maxIssues} issues found, and how many more. */
  readonly issues: Array<Issue>
  omitted: number
}

/**
 * The most issues kept and listed: a hostile file can have a problem every
 * few bytes.
 *
 * @internal
 */
export const maxIssues = 20

const report = (context: Context, issue: Issue): void => {
  if (context.issues.length < maxIssues) context.issues.push(issue)
  else context.omitted++
}

const isSecretVariable = (context: Context, name: string): boolean =>
  name === builtIns.code || name === builtIns.refreshToken || context.fields[name]?.secret === true

// A name from the file goes into a message cut short: a hostile file makes them long.
const maxNameLength = 64

/** A name from the file (a variable, a parameter) as a message shows it: escaped and cut short. */
const shown = (name: string): string => printable.text(name, maxNameLength)

// Listing every known variable in every issue made messages grow with the square of the file.
const maxListed = 10

/** The variables known at a place, the first few of them: the fields, then `extra`. */
const listed = (context: Context, extra: ReadonlyArray<string>): string => {
  const total = context.fieldNames.size + extra.length
  if (total === 0) return "none"
  const names = [...context.someFieldNames, ...extra].slice(0, maxListed)
  return names.map((name) => `{{ ${shown(name)} }}`).join(", ") +
    (total > names.length ? ` and ${total - names.length} more` : "")
}

/**
 * Parses the template at `path`, checks that it uses only the variables
 * allowed there (declared fields plus `extra`), and — in a URL — none that is
 * secret and no secret-looking query parameter.
 */
const checkTemplate = (
  context: Context,
  path: ReadonlyArray<string>,
  source: string,
  options: { readonly extra?: ReadonlyArray<string>; readonly url?: boolean } = {}
): Template.Template | undefined => {
  const parsed = Template.parse(source)
  if (Either.isLeft(parsed)) {
    report(context, { path, message: parsed.left })
    return undefined
  }
  const extra = options.extra ?? []
  for (const name of Template.variables(parsed.right)) {
    if (!context.fieldNames.has(name) && !extra.includes(name)) {
      report(context, {
        path,
        message: `uses the unknown variable {{ ${shown(name)} }}; known here: ${listed(context, extra)}`
      })
    } else if (options.url === true && isSecretVariable(context, name)) {
      report(context, {
        path,
        message: `puts the secret {{ ${shown(name)} }} into a URL, and URLs get logged; send it in the request body`
      })
    } else if (options.url === true && context.fieldNames.has(name) && context.fields[name]!.public !== true) {
      report(context, {
        path,
        message: `puts the field {{ ${shown(name)} }} into a URL, and URLs get logged; declare it with "public": true ` +
          "if its value may be seen"
      })
    }
  }
  if (options.url === true) {
    const query = source.split("?").slice(1).join("?")
    for (const pair of query === "" ? [] : query.split("&")) {
      const key = pair.split("=")[0] ?? ""
      if (secretKey.test(key)) {
        report(context, { path, message: `puts the parameter "${shown(key)}" into a URL, and URLs get logged` })
      }
    }
  }
  return parsed.right
}

/** A value that must be exactly one secret variable: a literal secret in the file is refused. */
const checkSecretValue = (context: Context, path: ReadonlyArray<string>, template: Template.Template) => {
  const name = Template.single(template)
  if (name === undefined) {
    report(context, {
      path,
      message: "looks like a secret written into the file; declare a field with \"secret\": true and write " +
        "{{ NAME }} here: its value comes from the environment"
    })
  } else if (!isSecretVariable(context, name)) {
    report(context, { path, message: `must come from a secret field, and {{ ${shown(name)} }} is not one` })
  }
}

const expectExactly = (
  context: Context,
  path: ReadonlyArray<string>,
  source: string | undefined,
  variable: string,
  why: string
) => {
  if (source === undefined) return
  const parsed = Template.parse(source)
  if (Either.isRight(parsed) && Template.single(parsed.right) === variable) return
  report(context, { path, message: `must be exactly {{ ${variable} }}: ${why}` })
}

const checkRequest = (
  context: Context,
  path: ReadonlyArray<string>,
  request: Request,
  grant: "client_credentials" | "authorization_code" | "refresh_token",
  options: { readonly withoutCode: boolean }
) => {
  checkTemplate(context, [...path, "url"], request.url, { url: true })
  const data = request.data
  const at = (key: string) => [...path, "data", key]
  if (data["grant_type"] !== grant) {
    report(context, { path: at("grant_type"), message: `must be "${grant}" here` })
  }
  if (data["client_id"] === undefined) {
    report(context, { path: at("client_id"), message: "is missing: the client id goes here" })
  }
  if (request.client_auth !== undefined && data["client_secret"] === undefined) {
    report(context, {
      path: [...path, "client_auth"],
      message: "needs a client_secret in data: a client without a secret sends its client_id only"
    })
  }
  const allowed = grant === "authorization_code" ? codeExchangeKeys : grant === "refresh_token" ? refreshKeys : undefined
  const extra = grant === "authorization_code" ? [builtIns.redirectUrl, builtIns.code] : grant === "refresh_token"
    ? [builtIns.refreshToken]
    : []
  for (const [key, value] of Object.entries(data)) {
    if (allowed !== undefined && !allowed.includes(key)) {
      report(context, {
        path: at(key),
        message: `is not sent in this request: grantflow sends ${allowed.join(", ")} (and a PKCE verifier)`
      })
      continue
    }
    const template = checkTemplate(context, at(key), value, { extra })
    if (template === undefined || key === "grant_type") continue
    if (key === "code" || key === "redirect_uri" || key === "refresh_token") continue
    if (secretKey.test(key)) checkSecretValue(context, at(key), template)
  }
  if (grant === "authorization_code") {
    if (options.withoutCode && data["code"] !== undefined) {
      report(context, { path: at("code"), message: "must be left out when without_code is true" })
    }
    if (!options.withoutCode) {
      if (data["code"] === undefined) report(context, { path: at("code"), message: "is missing: write {{ code }}" })
      expectExactly(context, at("code"), data["code"], builtIns.code, "the code comes from the callback")
    }
    expectExactly(
      context,
      at("redirect_uri"),
      data["redirect_uri"],
      builtIns.redirectUrl,
      "the exchange sends the redirect URI the authorization was started with"
    )
  }
  if (grant === "refresh_token") {
    if (data["refresh_token"] === undefined) {
      report(context, { path: at("refresh_token"), message: "is missing: write {{ oauth.refresh_token }}" })
    }
    expectExactly(
      context,
      at("refresh_token"),
      data["refresh_token"],
      builtIns.refreshToken,
      "grantflow keeps the current refresh token and rotates it"
    )
  }
}

// `application/x-www-form-urlencoded` decoding, leaving a malformed escape as it is
const decodeQuery = (text: string): string => {
  const spaced = text.replace(/\+/g, " ")
  return Either.getOrElse(Either.try(() => decodeURIComponent(spaced)), () => spaced)
}

/** The query parameters of a URL template, decoded; templates contain no `?`, `&` or `=`. */
const queryOf = (source: string): ReadonlyArray<readonly [string, string]> => {
  const query = source.split("?").slice(1).join("?")
  return query === "" ? [] : query.split("&").map((pair) => {
    const [key = "", ...rest] = pair.split("=")
    return [decodeQuery(key), decodeQuery(rest.join("="))] as const
  })
}

const checkAuthenticateUrl = (context: Context, spec: Spec, source: string) => {
  const path = ["oauth", "authenticate_url"]
  checkTemplate(context, path, source, { extra: [builtIns.redirectUrl], url: true })
  const params = queryOf(source)
  const get = (key: string) => params.find(([k]) => k === key)?.[1]
  const clientId = get("client_id")
  const expected = spec.oauth.access_token.data["client_id"]
  if (clientId === undefined) {
    report(context, { path, message: "has no client_id parameter" })
  } else if (expected !== undefined && clientId.trim() !== expected.trim()) {
    report(context, { path, message: "has a client_id other than oauth.access_token.data.client_id" })
  }
  const redirect = get("redirect_uri")
  const redirectTemplate = redirect === undefined ? undefined : Template.parse(redirect)
  if (
    redirectTemplate === undefined || Either.isLeft(redirectTemplate) ||
    Template.single(redirectTemplate.right) !== builtIns.redirectUrl
  ) {
    report(context, { path, message: "must have redirect_uri={{ redirect_url }}" })
  }
  const responseType = get("response_type")
  if (responseType !== undefined && responseType !== "code") {
    report(context, { path, message: "must ask for response_type=code (the authorization code flow)" })
  }
  for (const key of authorizeReserved) {
    if (get(key) !== undefined) {
      report(context, { path, message: `must not set ${key}: grantflow adds a fresh one to every authorization` })
    }
  }
}

const validate = (spec: Spec): { readonly issues: ReadonlyArray<Issue>; readonly omitted: number } => {
  const fields = spec.fields ?? {}
  const names = Object.keys(fields)
  const context: Context = {
    fields,
    fieldNames: new Set(names),
    someFieldNames: names.slice(0, maxListed),
    issues: [],
    omitted: 0
  }
  for (const [name, field] of Object.entries(context.fields)) {
    if (!fieldName.test(name)) {
      report(context, {
        path: ["fields", name],
        message: "is not a field name: letters, digits and _, not starting with a digit"
      })
    }
    if (Object.values(builtIns).includes(name as never)) {
      report(context, { path: ["fields", name], message: "is the name of a built-in variable" })
    }
    if (field.secret === true && field.public === true) {
      report(context, { path: ["fields", name, "public"], message: "cannot be true for a secret field" })
    }
    if (field.secret === true && field.default !== undefined) {
      report(context, {
        path: ["fields", name, "default"],
        message: "is a secret written into the file; a secret field's value comes from the environment"
      })
    }
    if (field.pattern !== undefined) {
      const unsafe = safePattern.problem(field.pattern)
      if (unsafe !== undefined) {
        report(context, {
          path: ["fields", name, "pattern"],
          message: `${unsafe}: a pattern from a file must be simple, see docs/connectors.md`
        })
      } else if (Either.isLeft(Either.try(() => new RegExp(field.pattern!)))) {
        report(context, { path: ["fields", name, "pattern"], message: "is not a valid regular expression" })
      }
    }
  }
  checkTemplate(context, ["base_url"], spec.base_url, { url: true })
  const { oauth } = spec
  const codeFlow = oauth.authenticate_url !== undefined
  if (codeFlow) {
    checkAuthenticateUrl(context, spec, oauth.authenticate_url!)
    checkRequest(context, ["oauth", "access_token"], oauth.access_token, "authorization_code", {
      withoutCode: oauth.without_code === true
    })
    if (oauth.refresh !== undefined) {
      checkRequest(context, ["oauth", "refresh"], oauth.refresh, "refresh_token", { withoutCode: false })
    }
  } else {
    checkRequest(context, ["oauth", "access_token"], oauth.access_token, "client_credentials", { withoutCode: false })
    const needsCode = (key: "refresh" | "without_code" | "pkce") => {
      if (oauth[key] !== undefined) {
        report(context, {
          path: ["oauth", key],
          message: "needs oauth.authenticate_url (the authorization code flow); without it the connector uses " +
            "client credentials and asks for a new token when it needs one"
        })
      }
    }
    needsCode("refresh")
    needsCode("without_code")
    needsCode("pkce")
  }
  const apply = spec.apply
  if (apply !== undefined) {
    if ((apply.header === undefined) === (apply.query === undefined)) {
      report(context, { path: ["apply"], message: "must have exactly one of header and query" })
    } else if (apply.query !== undefined && apply.prefix !== undefined) {
      report(context, { path: ["apply", "prefix"], message: "goes with header, not query" })
    }
  }
  if (spec.test !== undefined) {
    const path = spec.test.path
    if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith("//")) {
      report(context, { path: ["test", "path"], message: "must be a path relative to base_url" })
    } else if (path.includes("{{") || path.includes("}}")) {
      report(context, { path: ["test", "path"], message: "takes no variables: it is relative to base_url" })
    }
  }
  return context
}

/**
 * The file form's Schema: its structure, then what it means (templates,
 * secrets, grants), each problem an issue at its JSON path.
 *
 * @internal
 */
export const SpecSchema: Schema.Schema<Spec, typeof Spec.Encoded> = Spec.pipe(
  Schema.filter((spec) => {
    const { issues, omitted } = validate(spec)
    return [...issues, ...(omitted === 0 ? [] : [{ path: [], message: `has ${omitted} more problems` }])]
  }),
  Schema.annotations({ identifier: "ConnectorSpec" })
)

// Paths and messages hold names from the file: cut short, so that a message stays small.
/** @internal */
export const maxPathLength = 160
/** @internal */
export const maxMessageLength = 240

/**
 * A JSON path as issues show it, `oauth.refresh.data[0]`, each key and the
 * whole cut short.
 *
 * @internal
 */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  printable.text(
    path.reduce<string>((text, key) => {
      const name = typeof key === "number" ? `[${key}]` : shown(String(key))
      return typeof key === "number" ? `${text}${name}` : text === "" ? name : `${text}.${name}`
    }, ""),
    maxPathLength
  )

/** An issue as a {@link ConnectorSpecError} lists it. */
interface Reported {
  readonly path: string
  readonly message: string
}

const reported = (path: ReadonlyArray<PropertyKey>, message: string): Reported => ({
  path: formatPath(path),
  message: printable.text(message, maxMessageLength)
})

/** What a Schema expected, in words: never the value it got, which may be a secret. */
const expected = (ast: SchemaAST.AST): string => {
  const description = SchemaAST.getDescriptionAnnotation(ast)
  if (Option.isSome(description)) return description.value
  switch (ast._tag) {
    case "TypeLiteral":
      return "an object"
    case "TupleType":
      return "an array"
    case "Union":
      return ast.types.map(expected).join(" or ")
    case "Refinement":
      return expected(ast.from)
    case "Transformation":
      return expected(ast.to)
    default:
      return "of another type"
  }
}

/**
 * The message of a failed check. Schema's own messages quote the value they
 * rejected ("Expected boolean, actual …"): only this file's messages, set on
 * the checks it declares, are kept; any other says what was expected.
 */
const messageOf = (ast: SchemaAST.AST, issue: ParseResult.ParseIssue): string => {
  const annotation = SchemaAST.getMessageAnnotation(ast)
  const message = Option.isSome(annotation) ? annotation.value(issue) : undefined
  return typeof message === "string" ? message : `must be ${expected(ast)}`
}

const toArray = <A>(value: A | ReadonlyArray<A>): ReadonlyArray<A> =>
  Array.isArray(value) ? value as ReadonlyArray<A> : [value as A]

/**
 * The leaves of a decoding failure, at their paths: the first
 * {@link maxIssues} and how many more. Recursive: the input is at most
 * `json.defaultMaxDepth` deep.
 */
const collect = (
  issue: ParseResult.ParseIssue,
  path: ReadonlyArray<PropertyKey>,
  out: { readonly issues: Array<Reported>; omitted: number }
): void => {
  const leaf = (message: string) => {
    if (out.issues.length < maxIssues) out.issues.push(reported(path, message))
    else out.omitted++
  }
  switch (issue._tag) {
    case "Pointer":
      return collect(issue.issue, [...path, ...toArray(issue.path)], out)
    case "Composite": {
      const inner = toArray(issue.issues)
      if (issue.ast._tag === "Union") {
        // a member that got further than its type explains the failure; else the value is none of the types
        const deeper = inner.filter((member) => member._tag !== "Type")
        if (deeper.length === 0) return leaf(messageOf(issue.ast, issue))
        for (const member of deeper) collect(member, path, out)
        return
      }
      for (const member of inner) collect(member, path, out)
      return
    }
    case "Refinement":
    case "Transformation":
      return collect(issue.issue, path, out)
    case "Missing":
      return leaf("is missing")
    case "Unexpected":
      return leaf("is not a known key")
    case "Forbidden":
      return leaf("cannot be checked")
    case "Type":
      return leaf(issue.message ?? messageOf(issue.ast, issue))
  }
}

/**
 * Why a spec cannot be used: the first {@link maxIssues} problems, each at
 * its JSON path and quoting no value, and how many more there are.
 *
 * @internal
 */
export interface Failure {
  readonly issues: ReadonlyArray<Reported>
  readonly omitted: number
}

/** @internal */
export const decodeSpec = (input: unknown): Either.Either<Spec, Failure> => {
  // Schema's decoding and its messages recurse: a deep value overflows the stack
  const tooDeep = json.valueFailure(input)
  if (tooDeep !== undefined) return Either.left({ issues: [{ path: "", message: json.describeFailure(tooDeep) }], omitted: 0 })
  const structure = Schema.decodeUnknownEither(Spec, { errors: "all", onExcessProperty: "error" })(input)
  if (Either.isLeft(structure)) {
    const out = { issues: [] as Array<Reported>, omitted: 0 }
    collect(structure.left.issue, [], out)
    return Either.left(out)
  }
  const { issues, omitted } = validate(structure.right)
  return issues.length === 0
    ? Either.right(structure.right)
    : Either.left({ issues: issues.map((issue) => reported(issue.path, issue.message)), omitted })
}

/**
 * The longest spec text {@link parse} reads, in characters: 1 MiB. A spec
 * is a few kilobytes.
 *
 * @internal
 */
export const maxTextLength = 1_048_576

/** @internal */
export const parseText = (text: string): Either.Either<unknown, Failure> =>
  Either.mapLeft(json.parse(text, { maxLength: maxTextLength }), (failure) => ({
    issues: [{ path: "", message: json.describeFailure(failure) }],
    omitted: 0
  }))

// ── the definition ──────────────────────────────────────────────────────────

type Config = ConnectorSpec.Config

type Input = ConnectorSpec.Input

// The longest value a field with a `pattern` may have.
const maxPatternedValueLength = 256

const configSchema = (spec: Spec): Schema.Schema<Config, Input> => {
  const fields = Object.fromEntries(
    Object.entries(spec.fields ?? {}).map(([name, field]) => {
      const pattern = field.pattern
      const text = pattern === undefined
        ? Schema.String
        : Schema.String.pipe(
          // the pattern is of the safe subset, and values are short: matching stays cheap
          Schema.maxLength(maxPatternedValueLength, {
            message: () => `is longer than ${maxPatternedValueLength} characters`
          }),
          Schema.pattern(new RegExp(pattern), { message: () => `does not match ${shown(pattern)}` })
        )
      const value: Schema.Schema<any, string> = field.secret === true ? Schema.Redacted(text) : text
      const schema = field.default !== undefined
        ? Schema.optionalWith(value, { exact: true, default: () => field.default! })
        : field.optional === true
        ? Schema.optionalWith(value, { exact: true })
        : value
      return [name, schema] as const
    })
  )
  return Schema.Struct(fields) as unknown as Schema.Schema<Config, Input>
}

const lookup = (config: Config) => (name: string): string | Redacted.Redacted<string> => config[name] ?? ""

const plain = (value: string | Redacted.Redacted<string>): string =>
  Redacted.isRedacted(value) ? Redacted.value(value) : value

// Validated templates: parsing cannot fail any more.
const template = (source: string): Template.Template =>
  Either.getOrThrowWith(Template.parse(source), (reason) => new Error(`unchecked template ${reason}`))

const renderUrl = (config: Config, source: string): string =>
  plain(Template.render(template(source), lookup(config), Template.encodeInUrl))

const renderValue = (config: Config, source: string | undefined): string | Redacted.Redacted<string> | undefined =>
  source === undefined ? undefined : Template.render(template(source), lookup(config))

const words = (value: string | undefined): ReadonlyArray<string> =>
  (value ?? "").split(/\s+/).filter((word) => word !== "")

const requestAuth = (config: Config, request: Request) => {
  const secret = renderValue(config, request.data["client_secret"])
  return connector.clientAuth(
    request.client_auth ?? "client_secret_post",
    plain(renderValue(config, request.data["client_id"]) ?? ""),
    secret === undefined ? undefined : Redacted.isRedacted(secret) ? secret : Redacted.make(secret)
  )
}

const endpointOf = (spec: Spec, config: Config, request: Request): Endpoint.Endpoint =>
  Endpoint.make({
    tokenUrl: renderUrl(config, request.url),
    auth: requestAuth(config, request),
    allowInsecure: spec.allow_insecure
  })

const expiresAs = {
  seconds: "seconds",
  milliseconds: "milliseconds",
  epoch_seconds: "epochSeconds",
  epoch_milliseconds: "epochMilliseconds",
  iso8601: "iso8601"
} as const

const shapeOf = (spec: Spec): TokenResponse.Shape | undefined => {
  const shape = spec.token_response
  if (shape === undefined) return undefined
  return {
    accessToken: shape.access_token,
    tokenType: shape.token_type,
    expiresIn: shape.expires_in,
    refreshToken: shape.refresh_token,
    scope: shape.scope,
    expiresAs: shape.expires_as === undefined ? undefined : expiresAs[shape.expires_as],
    type: shape.type
  }
}

const applyOf = (spec: Spec): Connector.Apply | undefined => {
  const apply = spec.apply
  if (apply === undefined) return undefined
  return apply.query !== undefined ? Connector.query(apply.query) : Connector.header(apply.header!, { prefix: apply.prefix })
}

// A file names texts, not a pattern: any pattern searched in every response
// body could be made to backtrack for seconds on a large one.
const literalPattern = (texts: string | ReadonlyArray<string>): RegExp =>
  new RegExp((typeof texts === "string" ? [texts] : texts).map((text) => text.replace(/[$()*+.?[\\\]^{|}]/g, "\\$&")).join("|"))

const refreshOnOf = (spec: Pick<Spec, "refresh_on">) => {
  const rules = spec.refresh_on
  if (rules === undefined) return undefined
  if (Array.isArray(rules)) return { statuses: rules as ReadonlyArray<number> }
  const object = rules as Exclude<typeof rules, ReadonlyArray<number>>
  return {
    statuses: object.statuses,
    bodyPattern: object.body_contains === undefined ? undefined : literalPattern(object.body_contains),
    invalidTokenChallenge: object.invalid_token_challenge
  }
}

const clientCredentials = (spec: Spec, config: Config): Connector.Auth => {
  const request = spec.oauth.access_token
  const { audience, client_id: _id, client_secret: _secret, grant_type: _grant, resource, scope, ...rest } =
    request.data
  return Connector.fetch(Grant.clientCredentials(endpointOf(spec, config, request), {
    scopes: words(scope === undefined ? undefined : plain(renderValue(config, scope)!)),
    audience: audience === undefined ? undefined : plain(renderValue(config, audience)!),
    resource: resource === undefined ? undefined : plain(renderValue(config, resource)!),
    extraParams: Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, plain(renderValue(config, value)!)]))
  }))
}

const noRefresh = (): Connector.Auth =>
  Connector.fetch(Effect.fail(
    new TokenError.InvalidTokenRequest({
      reason: "the connector has no oauth.refresh request, so an expired token cannot be renewed: connect the account again"
    })
  ))

const authorizationOf = (spec: Spec, config: Config): Connector.Authorization => {
  const source = spec.oauth.authenticate_url!
  const request = spec.oauth.access_token
  const extraParams: Record<string, string> = {}
  let scopes: ReadonlyArray<string> = []
  for (const [key, value] of queryOf(source)) {
    if (key === "client_id" || key === "redirect_uri" || key === "response_type") continue
    const rendered = plain(Template.render(template(value), lookup(config)))
    if (key === "scope") scopes = words(rendered)
    else extraParams[key] = rendered
  }
  return {
    authorizeUrl: renderUrl(config, source.split("?")[0]!),
    scopes,
    extraParams,
    pkce: spec.oauth.pkce === false ? false : "S256",
    withoutCode: spec.oauth.without_code === true,
    endpoint: endpointOf(spec, config, request)
  }
}

/**
 * The prefix a file's fields are read under when the caller gives none:
 * `GRANTFLOW_` and the name in upper case, other characters as `_`. Never
 * from the file: a file that chose it could read any variable.
 *
 * @internal
 */
export const configPrefix = (name: string): string => `GRANTFLOW_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`

const testOf = (spec: Pick<Spec, "test">): Connector.ConnectionTest | undefined =>
  spec.test === undefined ? undefined : {
    path: spec.test.path,
    method: spec.test.method,
    ...(spec.test.body === undefined ? {} : { body: spec.test.body }),
    expect: spec.test.expect,
    timeout: spec.test.timeout_seconds === undefined ? undefined : `${spec.test.timeout_seconds} seconds`
  }

/** @internal */
export const toDefinition = (spec: Spec): Connector.Definition<Config, Input> => {
  const codeFlow = spec.oauth.authenticate_url !== undefined
  const refresh = spec.oauth.refresh
  return {
    name: spec.name,
    config: configSchema(spec),
    publicFields: Object.entries(spec.fields ?? {}).flatMap(([name, field]) => field.public === true ? [name] : []),
    configPrefix: configPrefix(spec.name),
    baseUrl: (config) => renderUrl(config, spec.base_url),
    allowInsecure: spec.allow_insecure,
    auth: (config, session) =>
      !codeFlow
        ? clientCredentials(spec, config)
        : refresh === undefined
        ? noRefresh()
        : Connector.refreshTokenFlow(endpointOf(spec, config, refresh), {
          scopes: words(refresh.data["scope"] === undefined ? undefined : plain(renderValue(config, refresh.data["scope"])!))
        }, session),
    apply: applyOf(spec),
    refreshOn: refreshOnOf(spec),
    tokenResponse: shapeOf(spec),
    test: testOf(spec),
    authorization: codeFlow ? (config) => authorizationOf(spec, config) : undefined
  }
}

// ── the public functions ────────────────────────────────────────────────────

/** @internal */
export class ConnectorSpecError extends tokenError.TaggedError("ConnectorSpecError")<{
  readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }>
  readonly omitted?: number | undefined
}> {
  override get message(): string {
    const listed = this.issues.slice(0, maxIssues)
    const more = this.issues.length - listed.length + (this.omitted ?? 0)
    const issues = listed.map(({ message, path }) =>
      `${path === "" ? "the document" : printable.text(path, maxPathLength)} ${
        printable.text(message, maxMessageLength)
      }`
    )
    return `invalid connector spec: ${issues.join("; ")}${more === 0 ? "" : `; and ${more} more`}`
  }
}

const specError = (failure: Failure): ConnectorSpecError =>
  new ConnectorSpecError(failure.omitted === 0 ? { issues: failure.issues } : failure)

/**
 * A file that `extends` a catalog entry (`Providers`): the entry's definition,
 * its scopes, name, refresh rules or connection test replaced by the file's.
 * Its fields are the entry's, read under `GRANTFLOW_<NAME>`.
 */
const decodeExtension = (input: unknown): Either.Either<Connector.Definition<Config, Input>, ConnectorSpecError> => {
  const structure = Schema.decodeUnknownEither(Extension, { errors: "all", onExcessProperty: "error" })(input)
  if (Either.isLeft(structure)) {
    const out = { issues: [] as Array<Reported>, omitted: 0 }
    collect(structure.left.issue, [], out)
    return Either.left(specError(out))
  }
  const extension = structure.right
  const entry = Providers.entry(extension.extends)
  if (entry === undefined) {
    return Either.left(specError({
      issues: [reported(["extends"], `must name a catalog entry: ${Providers.ids.join(", ")}`)],
      omitted: 0
    }))
  }
  if (extension.scopes !== undefined && !entry.scoped) {
    return Either.left(specError({ issues: [reported(["scopes"], `cannot be set: ${entry.id} has no scopes`)], omitted: 0 }))
  }
  const base: Connector.Definition<Config, Input> = entry.define(
    extension.scopes === undefined ? {} : { scopes: extension.scopes }
  )
  const name = extension.name ?? base.name
  return Either.right({
    ...base,
    name,
    configPrefix: configPrefix(name),
    ...(extension.refresh_on === undefined ? {} : { refreshOn: refreshOnOf(extension) }),
    ...(extension.test === undefined ? {} : { test: testOf(extension) })
  })
}

/** @internal */
export const decode = (input: unknown): Either.Either<Connector.Definition<Config, Input>, ConnectorSpecError> =>
  Predicate.isRecord(input) && "extends" in input && json.valueFailure(input) === undefined
    ? decodeExtension(input)
    : Either.match(decodeSpec(input), {
      onLeft: (failure) => Either.left(specError(failure)),
      onRight: (spec) => Either.right(toDefinition(spec))
    })

/** @internal */
export const parse = (text: string): Either.Either<Connector.Definition<Config, Input>, ConnectorSpecError> =>
  Either.flatMap(Either.mapLeft(parseText(text), specError), decode)
