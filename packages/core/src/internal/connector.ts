import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "../AccessToken.js"
import * as AuthorizationCode from "../AuthorizationCode.js"
import * as BearerAuth from "../BearerAuth.js"
import * as ClientAuth from "../ClientAuth.js"
import * as ConnectionPool from "../ConnectionPool.js"
import type * as Connector from "../Connector.js"
import type * as Endpoint from "../Endpoint.js"
import * as Grant from "../Grant.js"
import * as RefreshPolicy from "../RefreshPolicy.js"
import * as Revocation from "../Revocation.js"
import * as TokenError from "../TokenError.js"
import * as TokenProvider from "../TokenProvider.js"
import * as TokenResponse from "../TokenResponse.js"
import * as TokenStore from "../TokenStore.js"
import * as bearerAuth from "./bearerAuth.js"
import * as endpointInternal from "./endpoint.js"
import * as excerpt from "./excerpt.js"
import * as json from "./json.js"
import { trimSlashes } from "./text.js"
import * as tokenRequest from "./tokenRequest.js"
import * as tokenError from "./tokenError.js"

type AnyDefinition<C> = Connector.Definition<C, any, any>

/** @internal */
export class ConnectorConfigError extends tokenError.TaggedError("ConnectorConfigError")<{
  readonly connector: string
  readonly reason: string
}> {
  override get message(): string {
    return `the connector "${this.connector}" cannot be used: ${this.reason}`
  }
}

/** @internal */
export class BaseUrlDiscoveryError extends tokenError.TaggedError("BaseUrlDiscoveryError")<{
  readonly connector: string
  readonly reason: string
  readonly status?: number | undefined
}> {
  override get message(): string {
    return `the connector "${this.connector}" could not learn its API's base URL: ${this.reason}`
  }
}

/** @internal */
export const TestResult = Data.taggedEnum<Connector.TestResult>()

/** @internal */
export const define = <C, I, R = never>(definition: Connector.Definition<C, I, R>): Connector.Definition<C, I, R> =>
  definition

// ── how tokens are obtained and applied ─────────────────────────────────────

/** @internal */
export const bearer: Connector.Apply = { _tag: "Header", name: "authorization" }

/** @internal */
export const header = (name: string, options: { readonly prefix?: string | undefined } = {}): Connector.Apply => ({
  _tag: "Header",
  name: name.toLowerCase(),
  ...(options.prefix === undefined ? {} : { prefix: options.prefix })
})

/** @internal */
export const query = (name: string): Connector.Apply => ({ _tag: "Query", name })

/** @internal */
export const fetch = <R = never>(
  fetch: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>
): Connector.Auth<Exclude<R, HttpClient.HttpClient>> => ({
  make: Effect.succeed(fetch as Connector.Fetch<Exclude<R, HttpClient.HttpClient>>)
})

/** @internal */
export const flow = <R = never, R2 = never>(
  make: Effect.Effect<Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>, never, R2>
): Connector.Auth<Exclude<R, HttpClient.HttpClient> | R2> => ({
  make: make as Effect.Effect<Connector.Fetch<Exclude<R, HttpClient.HttpClient> | R2>, never, R2>
})

const configError = (definition: { readonly name: string }, reason: string) =>
  new ConnectorConfigError({ connector: definition.name, reason })

// ── configuration ───────────────────────────────────────────────────────────

const isRedactedType = (ast: SchemaAST.AST): boolean =>
  ast._tag === "Union"
    ? ast.types.some(isRedactedType)
    : Option.exists(SchemaAST.getTypeConstructorAnnotation(ast), (a) => (a as { _tag?: unknown })._tag === "effect/Redacted")

/** The top-level fields of a config Schema whose values are `Redacted`. */
const secretFields = (schema: Schema.Schema.Any): ReadonlySet<string> => {
  const ast = Schema.typeSchema(schema).ast
  if (ast._tag !== "TypeLiteral") return new Set()
  return new Set(ast.propertySignatures.filter((p) => isRedactedType(p.type)).map((p) => String(p.name)))
}

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (text, key) => typeof key === "number" ? `${text}[${key}]` : text === "" ? String(key) : `${text}.${String(key)}`,
    ""
  )

/** @internal */
export const decodeConfig = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  input: unknown
): Either.Either<C, ConnectorConfigError> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(definition.config, { errors: "all", onExcessProperty: "ignore" })(input),
    (error) => {
      const secrets = secretFields(definition.config)
      const issues = ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
        const path = formatPath(issue.path)
        // a secret's message may quote the value it rejected
        const message = issue._tag === "Missing"
          ? "is missing"
          : secrets.has(String(issue.path[0]))
          ? "is invalid (a secret: its value is not shown)"
          : issue.message
        return `${path === "" ? "the configuration" : path} ${message}`
      })
      return configError(definition, issues.join("; "))
    }
  )

/** @internal */
export const config = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  options: { readonly prefix?: string | undefined } = {}
): Config.Config<C> => {
  const ast = SchemaAST.encodedAST(definition.config.ast)
  if (ast._tag !== "TypeLiteral") {
    return Config.fail(`the config Schema of the connector "${definition.name}" is not a struct of fields`)
  }
  const prefix = options.prefix ?? definition.configPrefix
  // an empty prefix would read the bare names: any variable of the process
  if (prefix !== undefined && prefix.trim() === "") {
    return Config.fail(
      `the configuration prefix of the connector "${definition.name}" is empty: give one such as "HELPDESK" ` +
        "(HELPDESK_CLIENT_ID, …)"
    )
  }
  const fields = Config.all(
    Object.fromEntries(ast.propertySignatures.map((p) => {
      const name = String(p.name)
      return [name, p.isOptional ? Config.option(Config.string(name)) : Config.map(Config.string(name), Option.some)]
    }))
  )
  const present = Config.map(fields, (values) =>
    Object.fromEntries(
      Object.entries(values).flatMap(([name, value]) => Option.isSome(value) ? [[name, value.value]] : [])
    ))
  return Config.mapOrFail(
    prefix === undefined ? present : Config.nested(present, prefix),
    (input) => Either.mapLeft(decodeConfig(definition, input), (error) => ConfigError.InvalidData([], error.reason))
  )
}

/** The value of a field that must not be seen in URLs and headers, in the forms it takes there (lower case). */
interface PrivateValue {
  readonly field: string
  readonly secret: boolean
  readonly forms: ReadonlyArray<string>
}

// shorter values would match ordinary URL text by chance
const minimumPrivateLength = 4

/**
 * The values of the configuration that must not be seen in URLs and headers:
 * every `Redacted` one and, when the definition lists its `publicFields`,
 * every other string field's — unless a public field holds it too, which
 * publishes it anyway.
 */
const privateValues = <C>(definition: AnyDefinition<C>, config: C): ReadonlyArray<PrivateValue> => {
  if (!Predicate.isRecord(config)) return []
  const publicFields = definition.publicFields
  const isPublic = (field: string) => publicFields === undefined || publicFields.includes(field)
  const entries = Object.entries(config)
  const published = entries.flatMap(([field, value]) =>
    isPublic(field) && typeof value === "string" ? [value.toLowerCase()] : []
  )
  return entries.flatMap(([field, value]): ReadonlyArray<PrivateValue> => {
    const secret = Redacted.isRedacted(value)
    const text = secret ? String(Redacted.value(value)) : typeof value === "string" && !isPublic(field) ? value : ""
    if (text.length < minimumPrivateLength) return []
    const lower = text.toLowerCase()
    if (!secret && published.some((shown) => shown.includes(lower))) return []
    const encoded = encodeURIComponent(text).toLowerCase()
    return [{ field, secret, forms: [lower, encoded, encoded.replaceAll("%20", "+")] }]
  })
}

const privateValueIn = (values: ReadonlyArray<PrivateValue>, texts: ReadonlyArray<string>): PrivateValue | undefined => {
  const lower = texts.map((text) => text.toLowerCase())
  return values.find(({ forms }) => forms.some((form) => lower.some((text) => text.includes(form))))
}

const privateValueReason = (where: string, value: PrivateValue): string =>
  value.secret
    ? `${where} contains the value of a secret field (${value.field}), and it would get logged`
    : `${where} contains the value of the field ${value.field}, which is not public, and it would get logged; ` +
      "declare the field public (\"public\": true in a spec file, publicFields in a definition) if its value may be seen"

const checkBaseUrl = <C>(
  definition: AnyDefinition<C>,
  config: C,
  secrets: ReadonlyArray<PrivateValue>
): Either.Either<URL, ConnectorConfigError> => {
  const text = definition.baseUrl(config)
  const leaked = privateValueIn(secrets, [text])
  if (leaked !== undefined) {
    const reason = privateValueReason("the base URL", leaked)
    return Either.left(configError(definition, leaked.secret ? `${reason}; send it in a header` : reason))
  }
  return Either.mapLeft(
    endpointInternal.checkEndpointUrl(text, definition.allowInsecure === true, "base URL"),
    // the text holds no private value (checked above): quoted, it says what is missing (QuickBooks' REALM_ID)
    (error) => configError(definition, URL.canParse(text) ? error.reason : `${error.reason}: ${JSON.stringify(text.slice(0, 120))}`)
  )
}

/**
 * What a connection of a configuration is made of, checked: its base URL,
 * the headers of its API requests (neither holding a private value) and the
 * discovery of its base URL.
 */
const partsOf = <C>(definition: AnyDefinition<C>, config: C): Either.Either<
  {
    readonly baseUrl: URL
    readonly headers: Readonly<Record<string, string>>
    readonly discovered: Discovered | undefined
  },
  ConnectorConfigError
> => {
  const secrets = privateValues(definition, config)
  const headers = definition.headers?.(config) ?? {}
  const inHeaders = privateValueIn(secrets, Object.values(headers))
  if (inHeaders !== undefined) return Either.left(configError(definition, privateValueReason("the headers", inHeaders)))
  return Either.flatMap(
    checkBaseUrl(definition, config, secrets),
    (baseUrl) => Either.map(discoveryOf(definition, config, baseUrl), (discovered) => ({ baseUrl, headers, discovered }))
  )
}

/**
 * A fetch whose token requests are refused, before anything is sent, when
 * their URL or a header holds a private value of the configuration: it fails
 * with `InvalidTokenRequest`, whatever the fetch makes of the refused request.
 */
const withoutPrivateValues = <C, A, E, R>(
  definition: AnyDefinition<C>,
  config: C,
  fetch: Effect.Effect<A, E, R>
): Effect.Effect<A, E | TokenError.InvalidTokenRequest, R | HttpClient.HttpClient> => {
  const values = privateValues(definition, config)
  if (values.length === 0) return fetch
  return Effect.suspend(() => {
    let refused: string | undefined
    const check = (request: HttpClientRequest.HttpClientRequest) => {
      const leaked = privateValueIn(values, [request.url, UrlParams.toString(request.urlParams)]) ??
        privateValueIn(values, Object.values(request.headers))
      if (leaked === undefined) return Effect.succeed(request)
      // the URL itself is not shown: it holds the value
      refused = privateValueReason("a token request", leaked)
      return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", description: refused }))
    }
    return fetch.pipe(
      Effect.updateService(HttpClient.HttpClient, (client) => HttpClient.mapRequestEffect(client, check)),
      Effect.catchAll((error) =>
        Effect.fail(refused === undefined ? error : new TokenError.InvalidTokenRequest({ reason: refused }))
      )
    )
  })
}

// ── tokens ──────────────────────────────────────────────────────────────────

const withoutHeaders = (headers: Headers.Headers, names: ReadonlyArray<string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)))

const rebuilt = (
  response: HttpClientResponse.HttpClientResponse,
  body: string | null,
  headers: Record<string, string>
): HttpClientResponse.HttpClientResponse =>
  HttpClientResponse.fromWeb(response.request, new Response(body, { status: response.status, headers }))

const reshape = (shape: TokenResponse.Shape) => (response: HttpClientResponse.HttpClientResponse) => {
  const success = response.status >= 200 && response.status < 300
  // a refusal is read for the provider's error code only (HubSpot's 400 with its category)
  if (!success && shape.errors === undefined) return Effect.succeed(response)
  return Effect.gen(function*() {
    const body = yield* tokenRequest.readBody(response, tokenRequest.maxBodyBytes)
    const headers = withoutHeaders(response.headers, ["content-length"])
    if (Option.isNone(body)) {
      // still too large for the grant that reads it
      return rebuilt(response, null, { ...headers, "content-length": String(tokenRequest.maxBodyBytes + 1) })
    }
    const parsed = TokenResponse.parseBody(response.headers["content-type"], body.value, response.status)
    if (Either.isLeft(parsed)) return rebuilt(response, body.value, headers)
    const normalized = TokenResponse.normalize(
      parsed.right,
      success ? shape : { error: shape.error, errors: shape.errors },
      yield* Clock.currentTimeMillis
    )
    return rebuilt(response, JSON.stringify(normalized), {
      ...withoutHeaders(response.headers, ["content-length", "content-type"]),
      "content-type": "application/json"
    })
  })
}

/** @internal */
export const withTokenResponse = <A, E, R>(
  fetch: Effect.Effect<A, E, R>,
  shape: TokenResponse.Shape
): Effect.Effect<A, E, R | HttpClient.HttpClient> =>
  Effect.updateService(
    fetch,
    HttpClient.HttpClient,
    (client) => HttpClient.transformResponse(client, Effect.flatMap(reshape(shape)))
  )

/** @internal */
export const refreshTokenFlow = (
  endpoint: Endpoint.Endpoint,
  options: Omit<Grant.RefreshTokenFlowOptions, "initial" | "onRotate">,
  session: Connector.Session
): Connector.Auth => ({
  make: Effect.suspend(() => {
    const initial = session.refreshToken ??
      Option.getOrUndefined(session.token === undefined ? Option.none() : session.token.refreshToken)
    if (initial === undefined) {
      return Effect.succeed(Effect.fail(
        new TokenError.InvalidTokenRequest({
          reason: "the connection has no refresh token: connect the account first (Connector.authorize, then " +
            "Connector.exchange), or pass the stored refresh token in the session"
        })
      ))
    }
    return Grant.refreshTokenFlow(endpoint, { ...options, initial, onRotate: session.onRotate })
  })
})

/** @internal */
export const clientAuth = (
  method: "client_secret_basic" | "client_secret_post",
  clientId: string,
  clientSecret: Redacted.Redacted<string> | undefined
): ClientAuth.ClientAuth =>
  clientSecret === undefined
    ? ClientAuth.none(clientId)
    : method === "client_secret_basic"
    ? ClientAuth.clientSecretBasic(clientId, clientSecret)
    : ClientAuth.clientSecretPost(clientId, clientSecret)

// ── the base URL learnt from the provider ───────────────────────────────────

/** @internal */
export const discovery = <A, I>(options: {
  readonly path: string
  readonly apply?: Connector.Apply | undefined
  readonly hosts: ReadonlyArray<string>
  readonly schema: Schema.Schema<A, I>
  readonly baseUrl: (answer: A) => string | undefined
}): Connector.BaseUrlDiscovery => {
  const decode = Schema.decodeUnknownEither(options.schema, { errors: "all", onExcessProperty: "ignore" })
  return {
    path: options.path,
    apply: options.apply,
    hosts: options.hosts,
    read: (answer) =>
      Either.match(decode(answer), {
        // the paths of what is wrong, not the messages: they quote the server's values
        onLeft: (error) => {
          const paths = ParseResult.ArrayFormatter.formatErrorSync(error).slice(0, 5).map((issue) =>
            formatPath(issue.path) || "the answer"
          )
          return Either.left(`the answer is not of the expected shape (at ${paths.join(", ")})`)
        },
        onRight: (decoded) => {
          const url = options.baseUrl(decoded)
          return url === undefined ? Either.left("the answer names no base URL") : Either.right(url)
        }
      })
  }
}

// an answer that names a base URL is small
const maxDiscoveryBytes = 64 * 1024

// one DNS label, for a `*.` host pattern; bounded, so no backtracking to speak of
const dnsLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** Whether `host` is one of `patterns`: a name, or `*.` and a name for one label before it. */
const hostAllowed = (host: string, patterns: ReadonlyArray<string>): boolean =>
  patterns.some((given) => {
    const pattern = given.toLowerCase()
    if (!pattern.startsWith("*.")) return host === pattern
    const suffix = pattern.slice(1)
    return host.length > suffix.length && host.endsWith(suffix) &&
      dnsLabel.test(host.slice(0, host.length - suffix.length))
  })

/** The base URL an answer names, checked: https (or loopback), no credentials, query or fragment, an allowed host. */
const checkDiscovered = (
  found: Connector.BaseUrlDiscovery,
  allowInsecure: boolean,
  text: string
): Either.Either<URL, string> =>
  Either.flatMap(endpointInternal.checkUrl(text, allowInsecure, "base URL it names"), (url) => {
    if (url.search !== "") return Either.left("the base URL it names must not contain a query")
    return hostAllowed(url.hostname, found.hosts)
      ? Either.right(url)
      : Either.left(`the base URL it names is on a host the connector does not allow (${found.hosts.join(", ")})`)
  })

/**
 * The discovery of a definition for a configuration, its request's URL
 * checked as the base URL is.
 */
const discoveryOf = <C>(
  definition: AnyDefinition<C>,
  config: C,
  baseUrl: URL
): Either.Either<{ readonly url: string; readonly found: Connector.BaseUrlDiscovery } | undefined, ConnectorConfigError> => {
  if (definition.discovery === undefined) return Either.right(undefined)
  const found = definition.discovery(config)
  if (found.hosts.length === 0) {
    return Either.left(configError(definition, "its base URL discovery allows no host: list the hosts its answer may name"))
  }
  if (absoluteUrl.test(found.path) || found.path.startsWith("//")) {
    return Either.left(configError(definition, "the path of its base URL discovery must be relative to its base URL"))
  }
  return Either.right({ url: joinUrl(baseUrl, found.path), found })
}

// ── the client ──────────────────────────────────────────────────────────────

const applyToken = (apply: Connector.Apply): bearerAuth.Apply => {
  if (apply._tag === "Query") {
    return (request, token) => HttpClientRequest.setUrlParam(request, apply.name, Redacted.value(token.token))
  }
  if (apply.name === "authorization" && apply.prefix === undefined) return bearerAuth.withToken
  return (request, token) => {
    const value = Redacted.value(token.token)
    const prefix = apply.prefix ?? (apply.name === "authorization" ? token.type : "")
    return HttpClientRequest.setHeader(request, apply.name, prefix === "" ? value : `${prefix} ${value}`)
  }
}

/**
 * A client that records no span for its requests: the platform's span records
 * the full URL, which for a token placed in the query holds the token. (What
 * leaves the client is made credential-free by BearerAuth itself.)
 */
const untraced = (http: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transform(http, (effect) => Effect.locally(effect, HttpClient.currentTracerDisabledWhen, () => true))

const joinUrl = (base: URL, path: string): string =>
  path === "" ? base.href : `${trimSlashes(base.href, "end")}/${trimSlashes(path, "start")}`

const absoluteUrl = /^[a-z][a-z0-9+.-]*:/i

const resolve = (name: string, baseUrl: URL) => (request: HttpClientRequest.HttpClientRequest) => {
  if (!absoluteUrl.test(request.url)) return Effect.succeed(HttpClientRequest.setUrl(request, joinUrl(baseUrl, request.url)))
  const url = URL.canParse(request.url) ? new URL(request.url) : undefined
  if (url !== undefined && url.origin === baseUrl.origin) return Effect.succeed(request)
  return Effect.fail(
    new HttpClientError.RequestError({
      request,
      reason: "InvalidUrl",
      description: `the connector "${name}" sends its token only to its base URL's origin (${baseUrl.origin}); ` +
        "the request was not sent — use a path relative to the base URL"
    })
  )
}

/** A client that puts the connection's tokens on its requests as `apply` says. */
const authenticated = <E1, E2>(
  definition: AnyDefinition<any>,
  http: HttpClient.HttpClient,
  provider: TokenProvider.TokenProvider["Type"],
  failures: bearerAuth.Failures<E1, E2>,
  apply: Connector.Apply
) => {
  // Only around the API request itself: the token request keeps its span.
  const inner = apply._tag === "Query"
    ? untraced(http)
    : apply.name === "authorization"
    ? http
    // spans record request headers, but redact only the well-known credential headers
    : HttpClient.transform(
      http,
      (effect) => Effect.locallyWith(effect, Headers.currentRedactedNames, (names) => [...names, apply.name])
    )
  return bearerAuth.authenticate(inner, provider, definition.refreshOn, failures, applyToken(apply))
}

/** A discovery of the base URL, its request's URL resolved against the definition's base URL. */
interface Discovered {
  readonly url: string
  readonly found: Connector.BaseUrlDiscovery
}

/**
 * The base URL a connection learns with its first request (see
 * `Connector.BaseUrlDiscovery`): one discovery request at a time; the first
 * base URL learnt is kept, a failure is not.
 */
const learnBaseUrl = <E>(
  definition: AnyDefinition<any>,
  client: HttpClient.HttpClient.With<E>,
  { found, url }: Discovered
): Effect.Effect<URL, E | HttpClientError.HttpClientError | BaseUrlDiscoveryError> => {
  const fail = (reason: string, status?: number) =>
    Effect.fail(new BaseUrlDiscoveryError({ connector: definition.name, reason, status }))
  const learn = Effect.gen(function*() {
    const response = yield* client.execute(HttpClientRequest.get(url, { acceptJson: true }))
    const status = response.status
    if (status < 200 || status >= 300) return yield* fail(`the discovery request answered HTTP ${status}`, status)
    const body = yield* tokenRequest.readBody(response, maxDiscoveryBytes)
    if (Option.isNone(body)) return yield* fail(`the answer is larger than ${maxDiscoveryBytes / 1024} KiB`, status)
    const parsed = json.parse(body.value)
    if (Either.isLeft(parsed)) return yield* fail(`the answer cannot be read: ${json.describeFailure(parsed.left)}`, status)
    const named = found.read(parsed.right)
    if (Either.isLeft(named)) return yield* fail(named.left, status)
    const checked = checkDiscovered(found, definition.allowInsecure === true, named.right)
    return Either.isLeft(checked) ? yield* fail(checked.left, status) : checked.right
  })
  const semaphore = Effect.unsafeMakeSemaphore(1)
  let learnt: URL | undefined
  const known = Effect.suspend(() => learnt === undefined ? Effect.fail(undefined) : Effect.succeed(learnt))
  return Effect.orElse(
    known,
    () => semaphore.withPermits(1)(Effect.orElse(known, () => Effect.tap(learn, (base) => (learnt = base))))
  )
}

const decorate = <E1, E2, E3>(
  definition: AnyDefinition<any>,
  http: HttpClient.HttpClient,
  provider: TokenProvider.TokenProvider["Type"],
  baseUrl: URL,
  failures: bearerAuth.Failures<E1, E2>,
  headers: Readonly<Record<string, string>>,
  discovered: Discovered | undefined,
  discoveryFailed: (request: HttpClientRequest.HttpClientRequest, error: BaseUrlDiscoveryError) => E3
): HttpClient.HttpClient.With<HttpClientError.HttpClientError | E1 | E2 | E3> => {
  const apply = definition.apply ?? bearer
  const client = authenticated(definition, http, provider, failures, apply)
  const target = discovered === undefined
    ? undefined
    : learnBaseUrl(
      definition,
      // the API's own client, unless the discovery takes the token another way (Mailchimp's `OAuth` scheme)
      discovered.found.apply === undefined ? client : authenticated(definition, http, provider, failures, discovered.found.apply),
      discovered
    )
  const resolved = target === undefined
    ? HttpClient.mapRequestEffect(client, resolve(definition.name, baseUrl))
    : HttpClient.mapRequestEffect(client, (request) =>
      Effect.flatMap(
        Effect.catchIf(
          target,
          (error): error is BaseUrlDiscoveryError => error instanceof BaseUrlDiscoveryError,
          (error) => Effect.fail(discoveryFailed(request, error))
        ),
        (base) => resolve(definition.name, base)(request)
      ))
  return Object.keys(headers).length === 0 ? resolved : HttpClient.mapRequest(resolved, HttpClientRequest.setHeaders(headers))
}

/** The fetch of one configuration and session: the connector's auth, read with its token response shape. */
const fetchOf = <C, I, R>(definition: Connector.Definition<C, I, R>, config: C, session: Connector.Session) =>
  Effect.map(
    definition.auth(config, session).make,
    (made) => readFetch(definition, config, made)
  )

/** A fetch of the connector, read with its token response shape and refusing its private values. */
const readFetch = <C, I, R, A, E, R2>(
  definition: Connector.Definition<C, I, R>,
  config: C,
  fetch: Effect.Effect<A, E, R2>
) =>
  withoutPrivateValues(
    definition,
    config,
    definition.tokenResponse === undefined ? fetch : withTokenResponse(fetch, definition.tokenResponse)
  )

const open = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  config: C,
  session: Connector.Session,
  policy: RefreshPolicy.RefreshPolicy | undefined
) =>
  Effect.gen(function*() {
    const parts = yield* partsOf(definition, config)
    const fetch = yield* fetchOf(definition, config, session)
    const provider = yield* TokenProvider.make(fetch, { policy, name: definition.name, initial: session.token })
    const http = yield* HttpClient.HttpClient
    return { ...parts, provider, http }
  })

const typedFailures: bearerAuth.Failures<TokenError.TokenError, BearerAuth.TokenRejected> = {
  noToken: (_request, error) => error,
  rejected: (request, response) => Effect.succeed(rejectedError(request, response))
}

const rejectedError = (request: HttpClientRequest.HttpClientRequest, response: HttpClientResponse.HttpClientResponse) =>
  new BearerAuth.TokenRejected({ method: request.method, url: bearerAuth.urlWithoutQuery(request), status: response.status })

const typedDiscoveryFailure = (_request: HttpClientRequest.HttpClientRequest, error: BaseUrlDiscoveryError) => error

// the plain HttpClient error type: the request could not be sent anywhere
const platformDiscoveryFailure = (request: HttpClientRequest.HttpClientRequest, error: BaseUrlDiscoveryError) =>
  new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: error, description: error.message })

const connectionOf = (
  definition: AnyDefinition<any>,
  http: HttpClient.HttpClient,
  provider: TokenProvider.TokenProvider["Type"],
  baseUrl: URL,
  headers: Readonly<Record<string, string>>,
  discovered: Discovered | undefined
): Connector.Connection => ({
  name: definition.name,
  baseUrl,
  provider,
  client: decorate(definition, http, provider, baseUrl, typedFailures, headers, discovered, typedDiscoveryFailure)
})

/** @internal */
export const connect = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  config: C,
  session: Connector.Session = {}
): Effect.Effect<Connector.Connection, ConnectorConfigError, Scope.Scope | HttpClient.HttpClient | R> =>
  Effect.map(
    open(definition, config, session, definition.policy),
    ({ baseUrl, discovered, headers, http, provider }) =>
      connectionOf(definition, http, provider, baseUrl, headers, discovered)
  )

/** @internal */
export const layer = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  config: C,
  session: Connector.Session = {}
): Layer.Layer<HttpClient.HttpClient, ConnectorConfigError, HttpClient.HttpClient | R> =>
  Layer.scoped(
    HttpClient.HttpClient,
    Effect.map(
      open(definition, config, session, definition.policy),
      ({ baseUrl, discovered, headers, http, provider }) =>
        decorate(
          definition,
          http,
          provider,
          baseUrl,
          bearerAuth.platformFailures(rejectedError),
          headers,
          discovered,
          platformDiscoveryFailure
        )
    )
  )

/** @internal */
export const layerConfig = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  options: { readonly prefix?: string | undefined; readonly session?: Connector.Session | undefined } = {}
): Layer.Layer<HttpClient.HttpClient, ConnectorConfigError | ConfigError.ConfigError, HttpClient.HttpClient | R> =>
  Layer.unwrapEffect(
    Effect.map(config(definition, options), (value) => layer(definition, value, options.session))
  )

// ── many connections ────────────────────────────────────────────────────────

const poolKey = (definition: { readonly name: string }, id: unknown): TokenStore.Key =>
  TokenStore.key({ issuer: `connector:${definition.name}`, clientId: "", grant: "connector", subject: String(id) })

/** @internal */
export const pool = <C, I, R, Id, E extends ConnectorConfigError | ConfigError.ConfigError, RC>(
  definition: Connector.Definition<C, I, R>,
  options: Connector.PoolOptions<Id, C, E, RC>
): Effect.Effect<
  Connector.Pool<Id, E>,
  never,
  Scope.Scope | TokenStore.TokenStore | HttpClient.HttpClient | R | RC
> =>
  Effect.gen(function*() {
    const { config, key: keyOption, ...poolOptions } = options
    const context = yield* Effect.context<RC>()
    const http = yield* HttpClient.HttpClient
    const store = yield* TokenStore.TokenStore
    const key = keyOption ?? ((id: Id) => poolKey(definition, id))
    // Read on each use rather than kept: the pool holds nothing per connection
    // beyond its own record, so that 100,000 of them fit in one process.
    const configOf = (id: Id) => Effect.provide(config(id), context)
    // The auth is built for one token request and dropped: the pool keeps the
    // token and the store the refresh token, rotated ones included (written
    // before the access token is served, as with `TokenStore.shared`).
    const tokenFor = (id: Id, session: Connector.Session) =>
      configOf(id).pipe(
        Effect.mapError((error) =>
          new TokenError.InvalidTokenRequest({
            reason: `the configuration of the connection cannot be used: ${error.message}`,
            cause: error
          })
        ),
        Effect.flatMap((value) => Effect.flatten(fetchOf(definition, value, session)))
      )
    const none: Connector.Session = {}
    const connections = yield* ConnectionPool.make<Id, HttpClient.HttpClient | R>({
      ...poolOptions,
      name: poolOptions.name ?? definition.name,
      policy: poolOptions.policy ?? definition.policy,
      key,
      acquire: (id) => tokenFor(id, none),
      refresh: (id, refreshToken) => tokenFor(id, { refreshToken })
    })
    return {
      pool: connections,
      key,
      connection: (id) =>
        Effect.flatMap(configOf(id), (value) =>
          Effect.map(
            partsOf(definition, value),
            ({ baseUrl, discovered, headers }) =>
              connectionOf(definition, http, connections.provider(id), baseUrl, headers, discovered)
          )),
      save: (id, token) =>
        TokenStore.save(key(id), token).pipe(
          Effect.provideService(TokenStore.TokenStore, store),
          // the pool's record holds the previous chain's state — a refusal, or a rotated
          // refresh token not yet saved that would be written over this token
          Effect.zipRight(connections.evict(id))
        )
    } satisfies Connector.Pool<Id, E>
  })

// ── the connection test ─────────────────────────────────────────────────────

const defaultTestTimeout = Duration.seconds(30)

// A connection test quotes an unexpected answer of at most 4 KiB (excerpted); a larger one is not read whole.
const maxExcerptBytes = 4096

// the token endpoint said no to the client or the grant: no retry will change that
const refusalCodes: ReadonlySet<string> = new Set([
  "invalid_client",
  "unauthorized_client",
  "invalid_grant",
  "access_denied",
  "invalid_scope"
])

const fromTokenError = (error: TokenError.TokenError): Connector.TestResult => {
  const { BadCredentials, InvalidConfiguration, Unreachable, UnexpectedResponse } = TestResult
  switch (error._tag) {
    case "OAuthError":
      return refusalCodes.has(error.error)
        ? BadCredentials({ status: error.status, reason: error.message })
        : UnexpectedResponse({ status: error.status, reason: error.message })
    case "ReauthorizationRequired":
      return BadCredentials({ status: error.cause.status, reason: error.message })
    case "EndpointUnavailable": {
      if (Option.isNone(error.status)) return Unreachable({ reason: error.message })
      const status = error.status.value
      return status === 401 || status === 403
        ? BadCredentials({ status, reason: error.message })
        : UnexpectedResponse({ status, reason: error.message })
    }
    case "InvalidTokenRequest":
      return InvalidConfiguration({ reason: error.message })
    case "MalformedResponse":
      return UnexpectedResponse({ status: error.status, reason: error.message })
    default:
      return UnexpectedResponse({ reason: error.message })
  }
}

/** @internal */
export const connectionTest = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  config: C
): Connector.ConnectionTest | undefined =>
  typeof definition.test === "function" ? definition.test(config) : definition.test

/** @internal */
export const test = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  config: C,
  session: Connector.Session = {}
): Effect.Effect<Connector.TestResult, never, HttpClient.HttpClient | R> => {
  const { BadCredentials, InvalidConfiguration, Ok, Unreachable, UnexpectedResponse } = TestResult
  const check = connectionTest(definition, config)
  if (check === undefined) {
    return Effect.succeed(InvalidConfiguration({ reason: `the connector "${definition.name}" has no connection test` }))
  }
  const method = check.method ?? "GET"
  const expected = check.expect ?? [200]
  const label = `${method} ${check.path}`
  const timeout = Duration.decode(check.timeout ?? defaultTestTimeout)
  // a test answers once: a failing token endpoint is reported, not retried
  const policy: RefreshPolicy.RefreshPolicy = {
    ...(definition.policy ?? RefreshPolicy.defaultPolicy),
    retry: Schedule.stop
  }
  const run = Effect.gen(function*() {
    const { baseUrl, discovered, headers, http, provider } = yield* open(definition, config, session, policy)
    const client = decorate(definition, http, provider, baseUrl, typedFailures, headers, discovered, typedDiscoveryFailure)
    const request = HttpClientRequest.make(method)(check.path)
    const response = yield* client.execute(
      check.body === undefined ? request : HttpClientRequest.bodyUnsafeJson(request, check.body)
    )
    const answered = `${label} answered HTTP ${response.status}`
    if (expected.includes(response.status)) return Ok({ status: response.status, reason: answered })
    // an endpoint that answers a huge body is not read whole
    const body = excerpt.text(
      Option.getOrElse(yield* Effect.orElseSucceed(tokenRequest.readBody(response, maxExcerptBytes), Option.none), () => "")
    )
    const detail = `${answered}${body === "" ? "" : ` (${body})`}; expected ${expected.join(" or ")}`
    return response.status === 401 || response.status === 403
      ? BadCredentials({ status: response.status, reason: `${detail}: the API refused the token` })
      : UnexpectedResponse({ status: response.status, reason: detail })
  })
  return run.pipe(
    Effect.scoped,
    Effect.timeoutFail({ duration: timeout, onTimeout: () => "timeout" as const }),
    Effect.catchAll((error): Effect.Effect<Connector.TestResult> => {
      if (error === "timeout") {
        return Effect.succeed(Unreachable({ reason: `${label} did not complete within ${Duration.format(timeout)}` }))
      }
      switch (error._tag) {
        case "ConnectorConfigError":
          return Effect.succeed(InvalidConfiguration({ reason: error.reason }))
        case "TokenRejected":
          return Effect.succeed(BadCredentials({ status: error.status, reason: error.message }))
        case "BaseUrlDiscoveryError":
          return Effect.succeed(
            error.status === 401 || error.status === 403
              ? BadCredentials({ status: error.status, reason: error.message })
              : UnexpectedResponse({ status: error.status, reason: error.message })
          )
        case "RequestError":
          return Effect.succeed(
            error.reason === "Transport"
              ? Unreachable({ reason: `${label}: the API could not be reached` })
              : InvalidConfiguration({ reason: `${label}: the request could not be built (${error.reason})` })
          )
        case "ResponseError":
          return Effect.succeed(
            UnexpectedResponse({ status: error.response.status, reason: `${label}: the answer could not be read` })
          )
        default:
          return Effect.succeed(fromTokenError(error))
      }
    })
  )
}

// ── the authorization code flow ─────────────────────────────────────────────

const authorizationOf = <C, I, R>(definition: Connector.Definition<C, I, R>, config: C) =>
  definition.authorization === undefined
    ? Effect.fail(configError(definition, "it has no authorization code flow (its definition has no `authorization`)"))
    : Effect.suspend(() => {
      const authorization = definition.authorization!(config)
      const clientId = authorization.endpoint.auth?.clientId
      if (clientId === undefined) {
        return Effect.fail(configError(definition, "its authorization endpoint has no client authentication"))
      }
      const leaked = privateValueIn(privateValues(definition, config), [
        authorization.authorizeUrl,
        clientId,
        ...Object.entries(authorization.extraParams ?? {}).flat(),
        ...(authorization.scopes ?? [])
      ])
      return leaked === undefined
        ? Effect.succeed({ ...authorization, clientId })
        : Effect.fail(configError(definition, privateValueReason("the authorization URL", leaked)))
    })

/** @internal */
export const authorize = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  config: C,
  options: { readonly redirectUri: string; readonly state?: string | undefined }
): Effect.Effect<
  AuthorizationCode.Started,
  AuthorizationCode.InvalidAuthorizationRequest | ConnectorConfigError
> =>
  Effect.flatMap(authorizationOf(definition, config), (authorization) =>
    AuthorizationCode.start({
      authorizeUrl: authorization.authorizeUrl,
      clientId: authorization.clientId,
      redirectUri: options.redirectUri,
      scopes: authorization.scopes,
      state: options.state,
      pkce: authorization.pkce,
      extraParams: authorization.extraParams,
      allowInsecure: authorization.endpoint.allowInsecure
    }))

/** @internal */
export const exchange = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  config: C,
  pending: AuthorizationCode.Pending,
  received: URL | URLSearchParams | Readonly<Record<string, string>>
): Effect.Effect<
  AccessToken.AccessToken,
  AuthorizationCode.AuthorizationError | TokenError.TokenError | ConnectorConfigError,
  HttpClient.HttpClient
> =>
  Effect.gen(function*() {
    const authorization = yield* authorizationOf(definition, config)
    const result = yield* AuthorizationCode.callback(pending, received, { withoutCode: authorization.withoutCode })
    const fetch = AuthorizationCode.exchange(authorization.endpoint, pending, result, {
      extraParams: authorization.tokenParams
    })
    return yield* readFetch(definition, config, fetch)
  })

// ── revocation ──────────────────────────────────────────────────────────────

/** @internal */
export const revoke = <C, I, R>(
  definition: Connector.Definition<C, I, R>,
  config: C,
  token: AccessToken.AccessToken
): Effect.Effect<void, Revocation.RevocationError | ConnectorConfigError, HttpClient.HttpClient> =>
  Effect.suspend((): Effect.Effect<void, Revocation.RevocationError | ConnectorConfigError, HttpClient.HttpClient> => {
    if (definition.revoke !== undefined) {
      const request = definition.revoke(config)
      const value = request.revokes === "refresh_token"
        ? Option.getOrElse(token.refreshToken, () => token.token)
        : token.token
      return Revocation.send(request, value)
    }
    if (definition.authorization === undefined) {
      return Effect.fail(configError(
        definition,
        "it cannot revoke tokens: its definition has neither `revoke` nor an authorization endpoint with a revocation URL"
      ))
    }
    const endpoint = definition.authorization(config).endpoint
    // the refresh token when there is one: revoking it ends its access tokens too (RFC 7009 §2.1)
    return Option.match(token.refreshToken, {
      onSome: (refreshToken) => Revocation.revoke(endpoint, { token: refreshToken, tokenTypeHint: "refresh_token" }),
      onNone: () => Revocation.revoke(endpoint, { token: token.token, tokenTypeHint: "access_token" })
    })
  }).pipe(Effect.annotateLogs("grantflow.connector", definition.name))
