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
import * as challenge from "./internal/challenge.js"
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

const flag = (key: string) => Schema.optionalWith(Flag, { default: () => false, nullable: true }).pipe(Schema.fromKey(key))

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
  authorizationResponseIssParameterSupported: flag("authorization_response_iss_parameter_supported"),
  requirePushedAuthorizationRequests: flag("require_pushed_authorization_requests")
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

// The document is not read by the token response parser: it may be larger and is JSON only.
const documentDecoder = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "ignore" })
  return (text: string): Either.Either<A, tokenRequest.Problem> => {
    // bounded depth: decoding recurses into the document
    const parsed = json.parse(text, { maxValues })
    if (Either.isLeft(parsed)) return Either.left({ field: "body", reason: json.describeFailure(parsed.left) })
    const body = parsed.right
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return Either.left({ field: "body", reason: "is not a JSON object" })
    }
    return Either.mapLeft(decode(body), (error) => {
      // not Schema's formatters: they render the value received
      const problem = parseIssue.first(error.issue)
      return {
        field: problem.path.length === 0 ? "body" : String(problem.path[0]),
        reason: problem.message ?? "is invalid"
      }
    })
  }
}

const decodeDocument = documentDecoder(Metadata)

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
 * Protected resource metadata (RFC 9728 §2), decoded from the wire names:
 * the resource's identifier, the authorization servers that issue tokens
 * for it, and what it supports. Lists the document leaves out are empty,
 * flags `false`, other fields `None`; unknown fields are ignored. The DPoP
 * fields (RFC 9449 §5.1) are decoded for clients that send proofs. A field
 * of the wrong type fails with a message that never quotes the value.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { Schema } from "effect"
 *
 * const metadata = Schema.decodeUnknownSync(Discovery.ProtectedResourceMetadata)({
 *   resource: "https://api.example.com",
 *   authorization_servers: ["https://auth.example.com"]
 * })
 * metadata.authorizationServers // ["https://auth.example.com"]
 * ```
 */
export class ProtectedResourceMetadata
  extends Schema.Class<ProtectedResourceMetadata>("@grantflow/core/Discovery/ProtectedResourceMetadata")({
    resource: Text,
    authorizationServers: list("authorization_servers", []),
    jwksUri: endpoint("jwks_uri"),
    scopesSupported: list("scopes_supported", []),
    bearerMethodsSupported: list("bearer_methods_supported", []),
    resourceSigningAlgValuesSupported: list("resource_signing_alg_values_supported", []),
    resourceName: endpoint("resource_name"),
    resourceDocumentation: endpoint("resource_documentation"),
    resourcePolicyUri: endpoint("resource_policy_uri"),
    resourceTosUri: endpoint("resource_tos_uri"),
    tlsClientCertificateBoundAccessTokens: flag("tls_client_certificate_bound_access_tokens"),
    authorizationDetailsTypesSupported: list("authorization_details_types_supported", []),
    dpopSigningAlgValuesSupported: list("dpop_signing_alg_values_supported", []),
    dpopBoundAccessTokensRequired: flag("dpop_bound_access_tokens_required")
  })
{}

/**
 * One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1): the
 * scheme and the parameter names in lower case (`bearer`, `resource_metadata`),
 * the values unquoted; of a repeated parameter, the first.
 *
 * @since 0.1.0
 * @category models
 */
export interface Challenge {
  readonly scheme: string
  readonly params: ReadonlyMap<string, string>
  readonly token68: Option.Option<string>
}

/**
 * The challenges of a `WWW-Authenticate` header, in order. Hostile headers
 * cost one linear pass: only the first 8 KiB are read, at most 16
 * challenges and 64 parameters of each are kept. Lenient as servers need:
 * spaces around `=`, empty list items, quoted-string escapes; a parameter
 * that cannot be read is skipped up to the next comma, an unterminated
 * quoted string ends the header.
 *
 * @since 0.1.0
 * @category challenges
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 *
 * const [bearer] = Discovery.parseChallenges(
 *   `Bearer error="invalid_token", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"`
 * )
 * bearer?.params.get("resource_metadata") // "https://api.example.com/.well-known/oauth-protected-resource"
 * ```
 */
export const parseChallenges: (header: string) => ReadonlyArray<Challenge> = challenge.parse

/**
 * Where a protected resource publishes its metadata (RFC 9728 §3.1):
 * `/.well-known/oauth-protected-resource` inserted between the host and the
 * resource identifier's path (its trailing `/` removed) and query.
 *
 * @since 0.1.0
 * @category discovery
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 *
 * Discovery.resourceMetadataUrl(new URL("https://api.example.com/v1/"))
 * // "https://api.example.com/.well-known/oauth-protected-resource/v1"
 * ```
 */
export const resourceMetadataUrl = (resource: URL): string =>
  `${resource.origin}/.well-known/oauth-protected-resource${trimSlashes(resource.pathname, "end")}${resource.search}`

/**
 * A protected resource cannot be discovered: the URL called or the
 * `resource_metadata` URL of its challenge is not absolute, uses plain
 * `http:` on a host that is not loopback (without `allowInsecure`), or has
 * credentials or a fragment; or the metadata's `resource` is not a usable
 * resource identifier. Nothing was sent to the authorization server.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 *
 * const error = new Discovery.InvalidResource({ reason: "the resource_metadata URL must use https:" })
 * error.retryable // false
 * ```
 */
export class InvalidResource extends TokenError.TaggedError("InvalidResource")<{
  readonly reason: string
}> {
  override get message(): string {
    return `the protected resource cannot be discovered: ${this.reason}`
  }
}

/**
 * The metadata's `resource` is not the resource the client asked about
 * (RFC 9728 §3.3): not exactly the identifier given to
 * {@link fetchResource}, or, for the URL of a request that was refused,
 * neither that URL nor a path prefix of it on the same origin. Its
 * authorization servers must not be used: the document may point a client
 * at a server that would receive its credentials for another resource.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 *
 * const error = new Discovery.ResourceMismatch({
 *   expected: "https://api.example.com/orders",
 *   received: "https://evil.example.com"
 * })
 * error.retryable // false
 * ```
 */
export class ResourceMismatch extends TokenError.TaggedError("ResourceMismatch")<{
  readonly expected: string
  readonly received: string
}> {
  override get message(): string {
    return `the protected resource metadata names the resource "${printable.text(this.received)}", which does not ` +
      `cover "${printable.text(this.expected)}"; its authorization servers were not used — the resource's metadata is ` +
      "wrong or not its own"
  }
}

/**
 * The protected resource's metadata lists no authorization server, or none
 * that the client's `authorizationServer` predicate accepts.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 *
 * const error = new Discovery.NoAuthorizationServer({ resource: "https://api.example.com", listed: [] })
 * error.retryable // false
 * ```
 */
export class NoAuthorizationServer extends TokenError.TaggedError("NoAuthorizationServer")<{
  readonly resource: string
  readonly listed: ReadonlyArray<string>
}> {
  override get message(): string {
    const listed = this.listed.length === 0
      ? "lists no authorization server"
      : `lists only ${this.listed.slice(0, 5).map((issuer) => `"${printable.text(issuer)}"`).join(", ")}` +
        `${this.listed.length > 5 ? ", …" : ""}, none of which was accepted`
    return `the metadata of the protected resource "${printable.text(this.resource)}" ${listed}; configure the ` +
      "authorization server by hand"
  }
}

/**
 * Every way reading a protected resource's metadata can fail: the URLs
 * cannot be used, the document could not be fetched (a
 * `TokenError.EndpointUnavailable` naming the `resourceMetadata` endpoint)
 * or is not usable (a `TokenError.MalformedResponse`), or it names another
 * resource.
 *
 * @since 0.1.0
 * @category models
 */
export type ResourceMetadataError =
  | InvalidResource
  | TokenError.EndpointUnavailable
  | TokenError.MalformedResponse
  | ResourceMismatch

/**
 * Every way discovering from a protected resource can fail: its metadata
 * (see {@link ResourceMetadataError}), no authorization server to use, or
 * the discovery of the authorization server (see {@link DiscoveryError}).
 *
 * @since 0.1.0
 * @category models
 */
export type ResourceDiscoveryError = ResourceMetadataError | NoAuthorizationServer | DiscoveryError

/**
 * What the client expects the metadata's `resource` to be: exactly a
 * resource identifier it knows (`{ resource }`), or one that covers a URL
 * it called (`{ url }`): the URL itself, or a path prefix of it, ending at
 * a `/`, on the same origin, without a query.
 *
 * @since 0.1.0
 * @category models
 */
export type ExpectedResource =
  | { readonly resource: string }
  | { readonly url: string | URL }

/** Whether `path` is `prefix` or lies under it, segment by segment. */
const isUnder = (path: string, prefix: string): boolean => {
  const base = trimSlashes(prefix, "end")
  return base === "" || path === base || path.startsWith(`${base}/`)
}

const covers = (resource: URL, called: URL): boolean =>
  resource.origin === called.origin &&
  (resource.search === ""
    ? isUnder(called.pathname, resource.pathname)
    : resource.search === called.search && trimSlashes(resource.pathname, "end") === trimSlashes(called.pathname, "end"))

const calledUrl = (url: string | URL, allowInsecure: boolean): Either.Either<URL, InvalidResource> =>
  Either.mapLeft(endpointInternal.checkUrl(url, allowInsecure, "resource URL"), (reason) => new InvalidResource({ reason }))

/** The URL as a message may show it: without its query, which may carry an API key. */
const shown = (url: URL): string => `${url.origin}${url.pathname}`

/**
 * Checks a protected resource's metadata against the resource the client
 * expects (RFC 9728 §3.3; see {@link ExpectedResource}): its `resource`
 * must be a URL that passes `Endpoint.checkUrl` (`https:` unless loopback or
 * `allowInsecure`) and must match. Pure: every server quirk is a unit test.
 *
 * @since 0.1.0
 * @category discovery
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { Either, Schema } from "effect"
 *
 * const metadata = Schema.decodeUnknownSync(Discovery.ProtectedResourceMetadata)({
 *   resource: "https://api.example.com/v1",
 *   authorization_servers: ["https://auth.example.com"]
 * })
 * Either.isRight(Discovery.checkResourceMetadata(metadata, { url: "https://api.example.com/v1/orders" })) // true
 * Either.isLeft(Discovery.checkResourceMetadata(metadata, { resource: "https://api.example.com" })) // true
 * ```
 */
export const checkResourceMetadata = (
  metadata: ProtectedResourceMetadata,
  expected: ExpectedResource,
  options: { readonly allowInsecure?: boolean | undefined } = {}
): Either.Either<ProtectedResourceMetadata, InvalidResource | ResourceMismatch> => {
  const allowInsecure = options.allowInsecure === true
  const resource = Either.mapLeft(
    endpointInternal.checkUrl(metadata.resource, allowInsecure, "resource named by the metadata"),
    (reason) => new InvalidResource({ reason })
  )
  if (Either.isLeft(resource)) return Either.left(resource.left)
  if ("resource" in expected) {
    return metadata.resource === expected.resource
      ? Either.right(metadata)
      : Either.left(new ResourceMismatch({ expected: expected.resource, received: metadata.resource }))
  }
  return Either.flatMap(calledUrl(expected.url, allowInsecure), (called) =>
    covers(resource.right, called)
      ? Either.right(metadata)
      : Either.left(new ResourceMismatch({ expected: shown(called), received: metadata.resource })))
}

const decodeResourceDocument = documentDecoder(ProtectedResourceMetadata)

/** Where a protected resource's metadata document is read: fetched, or from a cache. */
type Lookup<R> = (
  url: string
) => Effect.Effect<ProtectedResourceMetadata, TokenError.EndpointUnavailable | TokenError.MalformedResponse, R>

/** One metadata document, read and decoded; its `resource` not yet checked. */
const getResourceDocument = (url: string, timeout: Duration.DurationInput) =>
  tokenRequest.get({ endpoint: "resourceMetadata", url, timeout: Duration.decode(timeout) }).pipe(
    Effect.flatMap((answer) => tokenRequest.interpretDocument(answer, "resourceMetadata", decodeResourceDocument))
  )

/**
 * Fetches a protected resource's metadata from its well-known URL (see
 * {@link resourceMetadataUrl}); its `resource` must equal `resource`
 * exactly (RFC 9728 §3.3). The resource identifier must use `https:`
 * unless it is loopback or `allowInsecure` is set. Each run fetches; share
 * the result with the {@link Discovery} service.
 *
 * @since 0.1.0
 * @category discovery
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const issuers = Discovery.fetchResource("https://api.example.com").pipe(
 *   Effect.map((metadata) => metadata.authorizationServers),
 *   Effect.provide(FetchHttpClient.layer)
 * )
 * ```
 */
export const fetchResource = (
  resource: string,
  options: FetchOptions = {}
): Effect.Effect<ProtectedResourceMetadata, ResourceMetadataError, HttpClient.HttpClient> =>
  resourceFrom(
    resource,
    options,
    (url) => getResourceDocument(url, options.timeout ?? endpointInternal.defaultTimeout),
    () => Effect.void
  )


const resourceFrom = <R>(
  resource: string,
  options: FetchOptions,
  lookup: Lookup<R>,
  drop: (url: string) => Effect.Effect<void>
): Effect.Effect<ProtectedResourceMetadata, ResourceMetadataError, R> =>
  Effect.flatMap(
    Effect.suspend(() =>
      Either.mapLeft(
        endpointInternal.checkUrl(resource, options.allowInsecure === true, "resource identifier"),
        (reason) => new InvalidResource({ reason })
      )
    ),
    (url) => {
      const document = resourceMetadataUrl(url)
      return Effect.flatMap(lookup(document), (metadata) =>
        // a document that fails its check is not kept
        Effect.tapError(checkResourceMetadata(metadata, { resource }, options), () => drop(document)))
    }
  )

/**
 * Options of {@link fromChallenge}: the {@link FetchOptions} of every
 * document, and `authorizationServer`, which picks among the resource's
 * authorization servers (the first it accepts; by default the first
 * listed).
 *
 * @since 0.1.0
 * @category models
 */
export interface ChallengeOptions extends FetchOptions {
  readonly authorizationServer?: ((issuer: string) => boolean) | undefined
}

/**
 * What {@link fromChallenge} found: the resource's metadata, the metadata
 * of the authorization server chosen, and the challenge that named the
 * resource's metadata, or else the response's first challenge (with its
 * `scope` and `error`, when the resource sent them).
 *
 * @since 0.1.0
 * @category models
 */
export interface Discovered {
  readonly resource: ProtectedResourceMetadata
  readonly authorizationServer: Metadata
  readonly challenge: Option.Option<Challenge>
}

/** The well-known URLs to try for a URL called: under its path, then at its origin's root. */
const wellKnownUrls = (called: URL): ReadonlyArray<string> => {
  const underPath = resourceMetadataUrl(new URL(`${called.origin}${called.pathname}`))
  const atRoot = resourceMetadataUrl(new URL(called.origin))
  return underPath === atRoot ? [atRoot] : [underPath, atRoot]
}

/** The first document found of `urls`, each tried when the one before is 404. */
const firstFound = <R>(
  urls: ReadonlyArray<string>,
  lookup: Lookup<R>
): Effect.Effect<ProtectedResourceMetadata, TokenError.EndpointUnavailable | TokenError.MalformedResponse, R> => {
  const [first, ...rest] = urls
  return Effect.catchIf(
    lookup(first!),
    (error) => rest.length > 0 && error._tag === "EndpointUnavailable" && Option.contains(error.status, 404),
    () => firstFound(rest, lookup)
  )
}

/** The challenge that names the resource's metadata, or else the first one, of a response's headers. */
const challengeOf = (headers: Readonly<Record<string, string | undefined>>): Option.Option<Challenge> => {
  const all = challenge.parse(headers["www-authenticate"] ?? "")
  return Option.fromNullable(all.find((one) => one.params.has("resource_metadata")) ?? all[0])
}

const hostOf = (url: string | URL): string => {
  try {
    return new URL(url).host
  } catch {
    return ""
  }
}

const discoverFrom = <R>(
  headers: Readonly<Record<string, string | undefined>>,
  url: string | URL,
  options: ChallengeOptions,
  lookup: Lookup<R>,
  drop: (url: string) => Effect.Effect<void>,
  issuer: (issuer: string) => Effect.Effect<Metadata, DiscoveryError, R>
): Effect.Effect<Discovered, ResourceDiscoveryError, R> =>
  Effect.gen(function*() {
    const allowInsecure = options.allowInsecure === true
    const called = yield* calledUrl(url, allowInsecure)
    const found = challengeOf(headers)
    const named = Option.flatMap(found, (one) => Option.fromNullable(one.params.get("resource_metadata")))
    const urls = Option.isSome(named)
      ? [
        (yield* Either.mapLeft(
          endpointInternal.checkUrl(named.value, allowInsecure, "resource_metadata URL of the challenge"),
          (reason) => new InvalidResource({ reason })
        )).href
      ]
      : wellKnownUrls(called)
    const document = yield* firstFound(urls, lookup)
    const resource = yield* Effect.tapError(
      checkResourceMetadata(document, { url: called }, options),
      // a document that fails its check is not kept
      () => Effect.forEach(urls, drop, { discard: true })
    )
    const accept = options.authorizationServer ?? (() => true)
    const chosen = resource.authorizationServers.find(accept)
    if (chosen === undefined) {
      return yield* new NoAuthorizationServer({ resource: resource.resource, listed: resource.authorizationServers })
    }
    const authorizationServer = yield* issuer(chosen)
    return { resource, authorizationServer, challenge: found }
  }).pipe(Effect.withSpan("grantflow.discovery.resource", { kind: "client", attributes: { "server.address": hostOf(url) } }))

/**
 * Discovers the authorization server of a protected resource from its
 * answer to a request (RFC 9728 §5): the `resource_metadata` URL of the
 * first challenge of `WWW-Authenticate` that has one, or else the
 * well-known URL under the path of `url` (the URL called), then at its
 * origin. The metadata must cover `url` (see {@link ExpectedResource}); the
 * first authorization server `authorizationServer` accepts is discovered
 * with {@link fetch}. Every URL must use `https:` unless loopback or
 * `allowInsecure`. Each run fetches; the {@link Discovery} service caches.
 *
 * @since 0.1.0
 * @category discovery
 * @example
 * ```ts
 * import { Discovery } from "@grantflow/core"
 * import { FetchHttpClient, HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const url = "https://api.example.com/v1/orders"
 * const tokenEndpoint = Effect.gen(function*() {
 *   const response = yield* HttpClient.get(url)
 *   const found = yield* Discovery.fromChallenge(response, url)
 *   return found.authorizationServer.tokenEndpoint
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const fromChallenge = (
  response: { readonly headers: Readonly<Record<string, string | undefined>> },
  url: string | URL,
  options: ChallengeOptions = {}
): Effect.Effect<Discovered, ResourceDiscoveryError, HttpClient.HttpClient> => {
  const timeout = options.timeout ?? endpointInternal.defaultTimeout
  return discoverFrom(
    response.headers,
    url,
    options,
    (document) => getResourceDocument(document, timeout),
    () => Effect.void,
    (issuer) => fetch(issuer, options)
  )
}

/**
 * The discovery service: metadata by issuer, and protected resources'
 * metadata by document URL, each fetched once and shared until its time to
 * live has passed. A failed discovery (an issuer or resource mismatch
 * included) is never cached: the next lookup fetches again.
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
  /** A protected resource's metadata, as {@link fetchResource} reads it, from the cache while it is fresh. */
  readonly resource: (resource: string) => Effect.Effect<ProtectedResourceMetadata, ResourceMetadataError>
  /** {@link fromChallenge}, with every document from the cache while it is fresh. */
  readonly fromChallenge: (
    response: { readonly headers: Readonly<Record<string, string | undefined>> },
    url: string | URL,
    options?: Pick<ChallengeOptions, "authorizationServer">
  ) => Effect.Effect<Discovered, ResourceDiscoveryError>
}>() {}

/**
 * Options of the {@link Discovery} service: how long a document is kept
 * (`ttl`), how many issuers at most (`capacity`, default 64, and as many
 * protected resource documents), and the {@link FetchOptions}.
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
    const timeToLive = (exit: Exit.Exit<unknown, unknown>) => Exit.isSuccess(exit) ? ttl : Duration.zero
    const capacity = options.capacity ?? 64
    const cache = yield* Cache.makeWith({
      capacity,
      lookup: (issuer: string) => fetch(issuer, options).pipe(Effect.provideService(HttpClient.HttpClient, client)),
      timeToLive
    })
    // resource documents by URL, their `resource` checked by each lookup against what it expects
    const documents = yield* Cache.makeWith({
      capacity,
      lookup: (url: string) =>
        getResourceDocument(url, options.timeout ?? endpointInternal.defaultTimeout).pipe(
          Effect.provideService(HttpClient.HttpClient, client)
        ),
      timeToLive
    })
    // the cache keeps a failure until the clock moves; dropping it at once means nothing failed is ever served
    const get = (issuer: string) => Effect.tapError(cache.get(issuer), () => cache.invalidate(issuer))
    const document = (url: string) => Effect.tapError(documents.get(url), () => documents.invalidate(url))
    const drop = (url: string) => documents.invalidate(url)
    return {
      get,
      invalidate: (issuer) => cache.invalidate(issuer),
      resource: (resource) => resourceFrom(resource, options, document, drop),
      fromChallenge: (response, url, choice = {}) =>
        discoverFrom(response.headers, url, { ...options, ...choice }, document, drop, get)
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
