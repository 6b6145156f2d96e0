/**
 * Authorization server metadata (RFC 8414, OpenID Connect Discovery 1.0):
 * where a server's endpoints are and what it supports, read from its
 * `/.well-known/` document instead of configured by hand.
 *
 * {@link fetch} reads and checks one document; the {@link Discovery} service
 * caches documents per issuer so that many grants share one fetch;
 * {@link chooseClientAuth} picks a client authentication method the server
 * supports, from the metadata alone.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Cache from "effect/Cache"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as ClientAuth from "./ClientAuth.js"
import * as assertion from "./internal/assertion.js"
import * as endpointInternal from "./internal/endpoint.js"
import * as json from "./internal/json.js"
import * as parseIssue from "./internal/parseIssue.js"
import * as printable from "./internal/printable.js"
import { trimSlashes } from "./internal/text.js"
import * as tokenRequest from "./internal/tokenRequest.js"
import * as TokenError from "./TokenError.js"

// Fixed messages: Schema's own quote the value received, which is the
// server's text, of any size.
const Text = Schema.String.annotations({ message: () => ({ message: "is not a string", override: true }) })

// A declaration, not `Schema.Array`: one loop instead of a schema step per element.
const Texts = Schema.declare(
  (value): value is ReadonlyArray<string> => Array.isArray(value) && value.every(Predicate.isString),
  { message: () => ({ message: "is not an array of strings", override: true }) }
)

const Flag = Schema.Boolean.annotations({ message: () => ({ message: "is not a boolean", override: true }) })

const endpoint = (key: string) =>
  Schema.optionalWith(Text, { as: "Option", nullable: true }).pipe(Schema.fromKey(key))

const list = (key: string, fallback: ReadonlyArray<string>) =>
  Schema.optionalWith(Texts, { default: () => fallback, nullable: true }).pipe(Schema.fromKey(key))

/**
 * Authorization server metadata (RFC 8414 §2, with RFC 7009's revocation,
 * RFC 8628's device authorization, RFC 9126's pushed authorization requests
 * and RFC 9207's `iss` parameter, and OpenID
 * Connect's `userinfo_endpoint`), decoded from the wire names. Endpoints the
 * document leaves out are `None`; lists the document leaves out take the
 * defaults RFC 8414 states (`grant_types_supported`:
 * `authorization_code`, `implicit`; the auth methods: `client_secret_basic`;
 * `code_challenge_methods_supported`: none, i.e. no PKCE). Unknown fields are
 * ignored. A field of the wrong type fails with a message that names the
 * expected type and never quotes the value.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { Schema } from "effect"
 *
 * const metadata = Schema.decodeUnknownSync(Discovery.Metadata)({
 *   issuer: "https://auth.example.com",
 *   token_endpoint: "https://auth.example.com/oauth/token"
 * })
 * metadata.tokenEndpointAuthMethodsSupported // ["client_secret_basic"]
 * ```
 */
export class Metadata extends Schema.Class<Metadata>("@grantflow/core/Discovery/Metadata")({
  issuer: Text,
  authorizationEndpoint: endpoint("authorization_endpoint"),
  tokenEndpoint: endpoint("token_endpoint"),
  jwksUri: endpoint("jwks_uri"),
  registrationEndpoint: endpoint("registration_endpoint"),
  userinfoEndpoint: endpoint("userinfo_endpoint"),
  revocationEndpoint: endpoint("revocation_endpoint"),
  introspectionEndpoint: endpoint("introspection_endpoint"),
  deviceAuthorizationEndpoint: endpoint("device_authorization_endpoint"),
  pushedAuthorizationRequestEndpoint: endpoint("pushed_authorization_request_endpoint"),
  scopesSupported: list("scopes_supported", []),
  responseTypesSupported: list("response_types_supported", []),
  grantTypesSupported: list("grant_types_supported", ["authorization_code", "implicit"]),
  tokenEndpointAuthMethodsSupported: list("token_endpoint_auth_methods_supported", ["client_secret_basic"]),
  tokenEndpointAuthSigningAlgValuesSupported: list("token_endpoint_auth_signing_alg_values_supported", []),
  revocationEndpointAuthMethodsSupported: list("revocation_endpoint_auth_methods_supported", ["client_secret_basic"]),
  codeChallengeMethodsSupported: list("code_challenge_methods_supported", []),
  authorizationResponseIssParameterSupported: Schema.optionalWith(Flag, { default: () => false, nullable: true })
    .pipe(Schema.fromKey("authorization_response_iss_parameter_supported")),
  requirePushedAuthorizationRequests: Schema.optionalWith(Flag, { default: () => false, nullable: true })
    .pipe(Schema.fromKey("require_pushed_authorization_requests"))
}) {}

/**
 * The issuer cannot be discovered as given: it is not an absolute URL, it
 * uses plain `http:` on a host that is not loopback (without
 * `allowInsecure`), or it has a query, a fragment or credentials, which an
 * issuer identifier never has (RFC 8414 §2). Nothing was sent.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 *
 * const error = new Discovery.InvalidIssuer({ reason: "the issuer must use https:" })
 * error.retryable // false
 * ```
 */
export class InvalidIssuer extends TokenError.TaggedError("InvalidIssuer")<{
  readonly reason: string
}> {
  override get message(): string {
    return `the issuer cannot be discovered: ${this.reason}`
  }
}

/**
 * The document's `issuer` is not exactly the issuer that was asked for
 * (RFC 8414 §3.3, OpenID Connect Discovery §4.3). Its endpoints must not be
 * used: the document may come from another server impersonating this one
 * (or the issuer is configured with a different spelling, e.g. a trailing
 * `/`).
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 *
 * const error = new Discovery.IssuerMismatch({
 *   expected: "https://auth.example.com",
 *   received: "https://evil.example.com"
 * })
 * error.retryable // false
 * ```
 */
export class IssuerMismatch extends TokenError.TaggedError("IssuerMismatch")<{
  readonly expected: string
  readonly received: string
}> {
  override get message(): string {
    return `the metadata document names the issuer "${printable.text(this.received)}", not ` +
      `"${printable.text(this.expected)}"; its endpoints were not used — check the configured issuer (exact spelling, ` +
      "trailing slash included)"
  }
}

/**
 * Every way discovering an issuer can fail: the issuer cannot be discovered
 * as given, the document could not be fetched (a
 * `TokenError.EndpointUnavailable` naming the `metadata` endpoint; a 404
 * means the server publishes neither `/.well-known/` document), it is not
 * usable (a `TokenError.MalformedResponse`: not a JSON object, nested deeper
 * than 64 levels, more than 20,000 values, or a field of the wrong type,
 * never quoting the document), or it names another issuer.
 *
 * @since 0.1.0
 * @category models
 */
export type DiscoveryError =
  | InvalidIssuer
  | TokenError.EndpointUnavailable
  | TokenError.MalformedResponse
  | IssuerMismatch

/**
 * Options of {@link fetch}: `allowInsecure` permits plain `http:` on any host
 * (loopback hosts are always allowed), `timeout` bounds each document request
 * (default 30 seconds).
 *
 * @since 0.1.0
 * @category models
 */
export interface FetchOptions {
  readonly allowInsecure?: boolean | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

const checkIssuer = (issuer: string, allowInsecure: boolean): Either.Either<URL, InvalidIssuer> =>
  Either.flatMap(
    Either.mapLeft(endpointInternal.checkUrl(issuer, allowInsecure, "issuer"), (reason) => new InvalidIssuer({ reason })),
    (url) =>
      url.search !== "" || url.hash !== ""
        ? Either.left(new InvalidIssuer({ reason: "an issuer has no query or fragment (RFC 8414 §2)" }))
        : Either.right(url)
  )

/**
 * The two places a document may be, in the order they are tried: RFC 8414
 * §3.1 inserts the well-known path between the host and the issuer's path;
 * OpenID Connect Discovery §4 appends it to the issuer.
 */
const documentUrls = (issuer: URL): readonly [string, string] => {
  const path = trimSlashes(issuer.pathname, "end")
  return [
    `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    `${issuer.origin}${path}/.well-known/openid-configuration`
  ]
}

// A large provider's document holds a few hundred values.
const maxValues = 20_000

const decodeMetadata = Schema.decodeUnknownEither(Metadata, { errors: "first", onExcessProperty: "ignore" })

// The document is not read by the token response parser: it may be larger and is JSON only.
const decodeDocument = (text: string): Either.Either<Metadata, tokenRequest.Problem> => {
  // bounded depth: decoding recurses into the document
  const parsed = json.parse(text, { maxValues })
  if (Either.isLeft(parsed)) return Either.left({ field: "body", reason: json.describeFailure(parsed.left) })
  const body = parsed.right
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return Either.left({ field: "body", reason: "is not a JSON object" })
  }
  return Either.mapLeft(decodeMetadata(body), (error) => {
    // not Schema's formatters: they render the value received
    const problem = parseIssue.first(error.issue)
    return {
      field: problem.path.length === 0 ? "body" : String(problem.path[0]),
      reason: problem.message ?? "is invalid"
    }
  })
}

const get = (url: string, timeout: Duration.DurationInput) =>
  tokenRequest.get({ endpoint: "metadata", url, timeout: Duration.decode(timeout) })

/**
 * Options of {@link fetchDocument}: `timeout` bounds the whole request, body
 * included (default 30 seconds); `maxBytes` bounds the body, counted after
 * any content decoding (default 1 MiB); `endpoint` is the document's
 * endpoint as errors name it: `"metadata"` (the default) or `"jwks"`.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import type { Discovery } from "@grantflow/core"
 *
 * const options: Discovery.DocumentOptions = { timeout: "5 seconds", maxBytes: 256 * 1024, endpoint: "jwks" }
 * ```
 */
export interface DocumentOptions {
  readonly timeout?: Duration.DurationInput | undefined
  readonly maxBytes?: number | undefined
  readonly endpoint?: "metadata" | "jwks" | undefined
}

/**
 * Fetches one document that an authorization server publishes — its
 * metadata, its JWKS — with a `GET` that asks for JSON, through the same
 * exchange as every other request to the server, and gives its text. The
 * body is read in full, even when it is not used, so that the connection is
 * free again. Each error names the `endpoint` option (`"metadata"` unless
 * told): a transport failure, a time-out or any status but 200 is an
 * `EndpointUnavailable` (with the server's `Retry-After`); a body larger
 * than `maxBytes`, dropped as soon as the bound is passed, a
 * `MalformedResponse`. Nothing is parsed: the URL is used as given, so check
 * it first (see `Endpoint.checkUrl`).
 *
 * @since 0.1.0
 * @category discovery
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const jwks = Discovery.fetchDocument("https://auth.example.com/jwks", { maxBytes: 256 * 1024, endpoint: "jwks" }).pipe(
 *   Effect.provide(FetchHttpClient.layer)
 * )
 * ```
 */
export const fetchDocument = (
  url: string,
  options: DocumentOptions = {}
): Effect.Effect<string, TokenError.EndpointUnavailable | TokenError.MalformedResponse, HttpClient.HttpClient> => {
  const endpoint = options.endpoint ?? "metadata"
  const maxBytes = options.maxBytes ?? tokenRequest.maxBodyBytes
  return tokenRequest.get({
    endpoint,
    url,
    timeout: Duration.decode(options.timeout ?? endpointInternal.defaultTimeout),
    maxBytes
  }).pipe(Effect.flatMap((answer) => tokenRequest.interpretDocument(answer, endpoint, Either.right, maxBytes)))
}

const parse = (answer: tokenRequest.Answer) => tokenRequest.interpretDocument(answer, "metadata", decodeDocument)

/**
 * Fetches an issuer's metadata: `/.well-known/oauth-authorization-server`
 * (RFC 8414), and `/.well-known/openid-configuration` when that is 404. The
 * document's `issuer` must equal `issuer` exactly, or the result is an
 * {@link IssuerMismatch}. The issuer must use `https:` unless it is loopback
 * or `allowInsecure` is set. Each run fetches; share the result with the
 * {@link Discovery} service.
 *
 * @since 0.1.0
 * @category discovery
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Option } from "effect"
 *
 * const tokenUrl = Discovery.fetch("https://auth.example.com").pipe(
 *   Effect.map((metadata) => Option.getOrThrow(metadata.tokenEndpoint)),
 *   Effect.provide(FetchHttpClient.layer)
 * )
 * ```
 */
export const fetch = (
  issuer: string,
  options: FetchOptions = {}
): Effect.Effect<Metadata, DiscoveryError, HttpClient.HttpClient> =>
  Effect.flatMap(Effect.suspend(() => checkIssuer(issuer, options.allowInsecure === true)), (url) => {
    const timeout = Duration.decode(options.timeout ?? endpointInternal.defaultTimeout)
    const [rfc8414, openid] = documentUrls(url)
    return get(rfc8414, timeout).pipe(
      Effect.flatMap((document) =>
        document.status === 404
          ? Effect.flatMap(get(openid, timeout), parse)
          : parse(document)
      ),
      Effect.filterOrFail(
        (metadata) => metadata.issuer === issuer,
        (metadata) => new IssuerMismatch({ expected: issuer, received: metadata.issuer })
      ),
      Effect.withSpan("grantflow.discovery", {
        kind: "client",
        attributes: { "server.address": url.host }
      })
    )
  })

/**
 * The discovery service: metadata by issuer, fetched once and shared until
 * its time to live has passed. A failed discovery (an issuer mismatch
 * included) is never cached: the next `get` fetches again.
 *
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const tokenEndpoint = Effect.gen(function*() {
 *   const discovery = yield* Discovery.Discovery
 *   const metadata = yield* discovery.get("https://auth.example.com")
 *   return metadata.tokenEndpoint
 * })
 * ```
 */
export class Discovery extends Context.Tag("@grantflow/core/Discovery")<Discovery, {
  /** The issuer's metadata, from the cache while it is fresh. */
  readonly get: (issuer: string) => Effect.Effect<Metadata, DiscoveryError>
  /** Forgets the issuer's metadata: the next `get` fetches it again. */
  readonly invalidate: (issuer: string) => Effect.Effect<void>
}>() {}

/**
 * Options of the {@link Discovery} service: how long a document is kept
 * (`ttl`), how many issuers at most (`capacity`, default 64), and the
 * {@link FetchOptions}.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheOptions extends FetchOptions {
  readonly ttl: Duration.DurationInput
  readonly capacity?: number | undefined
}

/**
 * Builds the {@link Discovery} service with the `HttpClient` of its context.
 * Concurrent `get`s of one issuer share a single fetch.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const discovery = yield* Discovery.make({ ttl: "1 hour" })
 *   return yield* discovery.get("https://auth.example.com")
 * })
 * ```
 */
export const make = (options: CacheOptions): Effect.Effect<Discovery["Type"], never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const ttl = Duration.decode(options.ttl)
    const cache = yield* Cache.makeWith({
      capacity: options.capacity ?? 64,
      lookup: (issuer: string) => fetch(issuer, options).pipe(Effect.provideService(HttpClient.HttpClient, client)),
      timeToLive: (exit) => Exit.isSuccess(exit) ? ttl : Duration.zero
    })
    return {
      // the cache keeps a failure until the clock moves; dropping it at once means nothing failed is ever served
      get: (issuer) => Effect.tapError(cache.get(issuer), () => cache.invalidate(issuer)),
      invalidate: (issuer) => cache.invalidate(issuer)
    }
  })

/**
 * A layer of the {@link Discovery} service.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * const DiscoveryLive = Discovery.layer({ ttl: "1 hour" }).pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 */
export const layer = (options: CacheOptions): Layer.Layer<Discovery, never, HttpClient.HttpClient> =>
  Layer.effect(Discovery, make(options))

/**
 * What a client has to authenticate with: its id, and a secret, a private
 * key (with its `alg` and `kid` when they are not in the key), both, or
 * neither (a public client).
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientCredentials {
  readonly clientId: string
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  readonly privateKey?: Redacted.Redacted<ClientAuth.PrivateKey> | undefined
  readonly alg?: ClientAuth.KeyAlgorithm | undefined
  readonly kid?: string | undefined
}

/**
 * No client authentication method fits both the server's list and what the
 * client has. Both lists are in the error; neither holds a secret.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 *
 * const error = new Discovery.NoSupportedAuthMethod({ supported: ["private_key_jwt"], usable: ["client_secret_basic"] })
 * ```
 */
export class NoSupportedAuthMethod extends TokenError.TaggedError("NoSupportedAuthMethod")<{
  readonly supported: ReadonlyArray<string>
  readonly usable: ReadonlyArray<string>
}> {
  override get message(): string {
    return `the server supports ${this.supported.join(", ") || "no method"} and the client can use ` +
      `${this.usable.join(", ") || "no method"}: none in common — give the client the credential the server expects`
  }
}

const secretAlgorithms: ReadonlyArray<ClientAuth.SecretAlgorithm> = ["HS256", "HS384", "HS512"]

/**
 * Picks the client authentication for an endpoint (`token`, the default, or
 * `revocation`) from the methods the metadata lists and the credentials the
 * client has; nothing is sent to find out. The order of preference is
 * `private_key_jwt` (with a key whose algorithm the server accepts),
 * `client_secret_basic`, `client_secret_post`, `client_secret_jwt` (with an
 * HMAC the server accepts), and `none` for a client without credentials.
 *
 * @since 0.1.0
 * @category discovery
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { Either, Redacted } from "effect"
 *
 * declare const metadata: Discovery.Metadata
 *
 * const auth = Discovery.chooseClientAuth(metadata, { clientId: "my-client", clientSecret: Redacted.make("s3cret") })
 * // Either.right(ClientSecretBasic { ... }) when the server lists client_secret_basic
 * ```
 */
export const chooseClientAuth = (
  metadata: Metadata,
  client: ClientCredentials,
  endpoint: "token" | "revocation" = "token"
): Either.Either<ClientAuth.ClientAuth, NoSupportedAuthMethod> => {
  const supported = endpoint === "token"
    ? metadata.tokenEndpointAuthMethodsSupported
    : metadata.revocationEndpointAuthMethodsSupported
  const algs = metadata.tokenEndpointAuthSigningAlgValuesSupported
  // an empty list means the server did not say: any algorithm may do
  const accepts = (alg: string) => algs.length === 0 || algs.includes(alg)
  const candidates: Array<readonly [string, () => Option.Option<ClientAuth.ClientAuth>]> = []
  const { clientId, clientSecret, privateKey } = client
  if (privateKey !== undefined) {
    const options = { alg: client.alg, kid: client.kid }
    candidates.push(["private_key_jwt", () => {
      const alg = client.alg ?? assertion.inferAlgorithm(Redacted.value(privateKey))
      return accepts(alg) ? Option.some(ClientAuth.privateKeyJwt(clientId, privateKey, options)) : Option.none()
    }])
  }
  if (clientSecret !== undefined) {
    candidates.push(
      ["client_secret_basic", () => Option.some(ClientAuth.clientSecretBasic(clientId, clientSecret))],
      ["client_secret_post", () => Option.some(ClientAuth.clientSecretPost(clientId, clientSecret))],
      ["client_secret_jwt", () =>
        Option.map(
          Option.fromNullable(secretAlgorithms.find(accepts)),
          (alg) => ClientAuth.clientSecretJwt(clientId, clientSecret, { alg })
        )]
    )
  }
  if (privateKey === undefined && clientSecret === undefined) {
    candidates.push(["none", () => Option.some(ClientAuth.none(clientId))])
  }
  for (const [method, make] of candidates) {
    if (!supported.includes(method)) continue
    const auth = make()
    if (Option.isSome(auth)) return Either.right(auth.value)
  }
  return Either.left(new NoSupportedAuthMethod({ supported, usable: candidates.map(([method]) => method) }))
}
