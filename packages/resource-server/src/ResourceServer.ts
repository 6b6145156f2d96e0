/**
 * Protecting your own HTTP endpoints with access tokens (RFC 6750).
 *
 * {@link middleware} wraps an `@effect/platform` `HttpApp` (a router, or one
 * route's handler): it extracts the bearer token of each request, verifies it
 * with the `TokenVerifier` of the context (a static shared token, JWT access
 * tokens, or introspection), and runs the handler with the
 * {@link Caller} service — the caller's subject, client id and scopes.
 * {@link requireScopes} asks for scopes inside a handler. For `HttpApi`
 * users, {@link Guard} is the same as an `HttpApiMiddleware`
 * security, built by {@link layerGuard}.
 *
 * Failures answer as RFC 6750 §3 says:
 *
 * - no token: 401, `WWW-Authenticate: Bearer realm="…"`, no error code;
 * - a malformed request (a bad `Authorization` header, two of them, one
 *   longer than {@link defaultMaxCredentialLength}, or a token sent two ways):
 *   400 `error="invalid_request"`;
 * - a token that does not verify: 401 `error="invalid_token"`;
 * - a valid token without the scopes: 403 `error="insufficient_scope"` with
 *   `scope="…"`;
 * - a verifier that cannot reach the authorization server: 503, fail closed.
 *
 * With the `resourceMetadata` option, every challenge also names the
 * resource's metadata document (RFC 9728 §5.1), which {@link metadataRouter}
 * serves: a client that knows only the API's URL finds its authorization
 * server from the first 401.
 *
 * DPoP (RFC 9449): when the `TokenVerifier` takes proofs (its `dpop`
 * option, see `DpopProof`), a token also comes as `Authorization: DPoP
 * <token>` with a `DPoP` proof of the key its `cnf.jkt` names; a DPoP-bound
 * token sent as a bearer token is refused (§7.2). A bad proof is a 401
 * `DPoP error="invalid_dpop_proof"` ({@link InvalidDpopProof}), a proof
 * without the server's nonce a 401 `use_dpop_nonce` with a `DPoP-Nonce`
 * header ({@link UseDpopNonce}), a token bound to another key (or not bound)
 * a 401 `DPoP error="invalid_token"`; challenges name the algorithms taken
 * (`algs`), and a 401 names both schemes when both are taken.
 *
 * The token value appears in no response, log line or span.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as DpopProof from "./DpopProof.js"
import * as bearerToken from "./internal/bearerToken.js"
import * as internal from "./internal/resourceServer.js"
import type * as TokenVerifier from "./TokenVerifier.js"

/**
 * The verified token of the current request, provided to the handlers behind
 * {@link middleware} (and {@link Guard}).
 *
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 * import { HttpServerResponse } from "@effect/platform"
 * import { Effect, Option } from "effect"
 *
 * const handler = Effect.gen(function*() {
 *   const token = yield* ResourceServer.Caller
 *   return yield* HttpServerResponse.json({ caller: Option.getOrNull(token.clientId) })
 * })
 * ```
 */
export const Caller: typeof internal.Caller = internal.Caller

/**
 * The tag type of {@link Caller}: a requirement of the handlers that
 * read it; its service is a `TokenVerifier.VerifiedToken`, whose
 * `dpopThumbprint` is the thumbprint of the key the caller proved it holds
 * when its token is DPoP-bound (none for a bearer token).
 *
 * @since 0.1.0
 * @category tags
 */
export type Caller = internal.Caller

/**
 * The request carries no bearer token: 401 with a bare challenge.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * ResourceServer.toResponse(new ResourceServer.MissingToken()).status // 401
 * ```
 */
export const MissingToken: typeof internal.MissingToken = internal.MissingToken

/**
 * A request without a bearer token: see the {@link MissingToken} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type MissingToken = internal.MissingToken

/**
 * The request is malformed (RFC 6750 §3.1 `invalid_request`): a bad
 * `Authorization` header, more than one, one longer than
 * {@link defaultMaxCredentialLength}, or a token sent in more than one way.
 * 400.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * const error = new ResourceServer.InvalidRequest({ description: "The bearer token in the Authorization header is malformed" })
 * ```
 */
export const InvalidRequest: typeof internal.InvalidRequest = internal.InvalidRequest

/**
 * A malformed request: see the {@link InvalidRequest} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type InvalidRequest = internal.InvalidRequest

/**
 * The token is expired, revoked, forged or not meant for this resource
 * (RFC 6750 §3.1 `invalid_token`): 401. The verifier's reason is in the
 * description; the details stay in the server's logs.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * const error = new ResourceServer.InvalidToken({ description: "The access token expired" })
 * ```
 */
export const InvalidToken: typeof internal.InvalidToken = internal.InvalidToken

/**
 * A token that does not verify: see the {@link InvalidToken} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type InvalidToken = internal.InvalidToken

/**
 * The request's DPoP proof does not pass (RFC 9449 §4.3, §7.1
 * `invalid_dpop_proof`): missing, two `DPoP` headers, malformed, signed
 * with an algorithm not taken or by a key that is not public, for another
 * method or URL, out of its time window, replayed, or not for this token.
 * 401 with a `DPoP` challenge; `description` says which check failed.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * ResourceServer.toResponse(new ResourceServer.InvalidDpopProof({ description: "The DPoP proof was already used" })).status
 * // 401
 * ```
 */
export const InvalidDpopProof: typeof internal.InvalidDpopProof = internal.InvalidDpopProof

/**
 * A refused DPoP proof: see the {@link InvalidDpopProof} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type InvalidDpopProof = internal.InvalidDpopProof

/**
 * The request's DPoP proof lacks the server's current nonce (RFC 9449 §9
 * `use_dpop_nonce`): 401 with a `DPoP` challenge and the `nonce` to use in
 * a `DPoP-Nonce` header. A client (`BearerAuth` with a DPoP key) signs a new
 * proof with it and sends the request once more.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * ResourceServer.toResponse(new ResourceServer.UseDpopNonce({ nonce: "n-1" })).headers["dpop-nonce"] // "n-1"
 * ```
 */
export const UseDpopNonce: typeof internal.UseDpopNonce = internal.UseDpopNonce

/**
 * A proof without the current nonce: see the {@link UseDpopNonce}
 * constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type UseDpopNonce = internal.UseDpopNonce

/**
 * The token is valid but lacks a scope the resource requires (RFC 6750
 * §3.1 `insufficient_scope`): 403. `scope` lists the required scopes,
 * space-separated.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * ResourceServer.toResponse(new ResourceServer.InsufficientScope({ scope: "orders.write" })).status // 403
 * ```
 */
export const InsufficientScope: typeof internal.InsufficientScope = internal.InsufficientScope

/**
 * A token without the required scopes: see the {@link InsufficientScope}
 * constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type InsufficientScope = internal.InsufficientScope

/**
 * The token could not be verified because the authorization server could
 * not be asked (introspection or JWKS down, or misconfigured): 503. The
 * request fails closed; the cause is logged as a warning.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * ResourceServer.toResponse(new ResourceServer.TemporarilyUnavailable()).status // 503
 * ```
 */
export const TemporarilyUnavailable: typeof internal.TemporarilyUnavailable = internal.TemporarilyUnavailable

/**
 * A token that could not be verified now: see the
 * {@link TemporarilyUnavailable} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type TemporarilyUnavailable = internal.TemporarilyUnavailable

/**
 * Every way the resource server refuses a request.
 *
 * @since 0.1.0
 * @category models
 */
export type Refusal =
  | MissingToken
  | InvalidRequest
  | InvalidToken
  | InvalidDpopProof
  | UseDpopNonce
  | InsufficientScope
  | TemporarilyUnavailable

/**
 * The schema of {@link Refusal}, e.g. for `HttpApi` error lists.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 * import { Schema } from "effect"
 *
 * const body = Schema.encodeSync(ResourceServer.Refusal)(new ResourceServer.InsufficientScope({ scope: "orders.write" }))
 * // { _tag: "InsufficientScope", scope: "orders.write" }
 * ```
 */
export const Refusal: typeof internal.Refusal = internal.Refusal

/**
 * The longest `Authorization` header value, and the longest `access_token`
 * parameter, the resource server reads: 8 KiB (8192 characters). A longer one
 * is refused with 400 `invalid_request` before it is parsed, so that no
 * request costs more than a short scan. Raise it with the
 * `maxCredentialLength` option if your issuer's tokens are longer.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * ResourceServer.defaultMaxCredentialLength // 8192
 * ```
 */
export const defaultMaxCredentialLength: number = bearerToken.defaultMaxLength

/**
 * Options of the resource server:
 *
 * - `realm`: of the `WWW-Authenticate` challenges (default `"api"`);
 * - `scopes`: required of every request (default none; see also
 *   {@link requireScopes});
 * - `allowForm`, `allowQuery`: also accept the token as the `access_token`
 *   parameter of a form body (RFC 6750 §2.2) or of the query (§2.3). Both
 *   are off: a token in a URL ends up in logs and histories;
 * - `maxCredentialLength`: the longest `Authorization` header value or
 *   `access_token` parameter read (default
 *   {@link defaultMaxCredentialLength}, 8 KiB); a longer one is a 400;
 * - `resourceMetadata`: the URL of the resource's metadata document (see
 *   {@link metadataUrl}), named as `resource_metadata="…"` in every
 *   challenge (RFC 9728 §5.1);
 * - `publicUrl`: the URL clients call this server at, which a DPoP proof's
 *   `htu` names (RFC 9449 §4.3): a base URL (`"https://api.example.com"`,
 *   or with a path prefix a proxy cuts off) that the request's path is
 *   appended to, or a function of the request. Without it, the URL is the
 *   request's own: its `Host` header and, for `https:`,
 *   `X-Forwarded-Proto: https` — both written by the client or a proxy, so
 *   set it behind a proxy and in production. A base that is not an absolute
 *   URL is a defect.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly realm?: string | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly allowForm?: boolean | undefined
  readonly allowQuery?: boolean | undefined
  readonly maxCredentialLength?: number | undefined
  readonly resourceMetadata?: string | URL | undefined
  readonly publicUrl?: string | URL | ((request: HttpServerRequest.HttpServerRequest) => string | URL) | undefined
}

/**
 * What {@link toResponse} puts in challenges: the `realm` and
 * `resourceMetadata` of {@link Options}, and `dpop`, the DPoP side of the
 * verifier (the service's `dpop`) when it takes DPoP-bound tokens: its
 * algorithms go in DPoP challenges' `algs`, and the schemes it takes are
 * the ones challenged.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChallengeOptions extends Pick<Options, "realm" | "resourceMetadata"> {
  readonly dpop?: Pick<DpopProof.Verifier, "algorithms" | "required"> | undefined
}


/**
 * The RFC 6750 §3 (and RFC 9449 §7.1) answer to a refused request: its
 * status, its `WWW-Authenticate` challenges (none for a 503; in the scheme
 * the request used, and for a 401 the other schemes taken too), a
 * `DPoP-Nonce` header for {@link UseDpopNonce}, and a JSON body with the
 * error's fields (`_tag`, `error_description`, `scope`, `scheme`), never
 * the token.
 *
 * @since 0.1.0
 * @category conversions
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * const response = ResourceServer.toResponse(new ResourceServer.InvalidToken({ description: "The access token expired" }), {
 *   realm: "orders"
 * })
 * response.headers["www-authenticate"]
 * // Bearer realm="orders", error="invalid_token", error_description="The access token expired"
 * ```
 */
export const toResponse: (
  error: Refusal,
  options?: ChallengeOptions
) => HttpServerResponse.HttpServerResponse = internal.toResponse

/**
 * Verifies the current request: extracts its access token, verifies it
 * with the context's `TokenVerifier` (and its DPoP proof, and the token's
 * binding to the proof's key, when the verifier takes proofs), and checks
 * `options.scopes`. The building block of {@link middleware}, for servers
 * that route by themselves. When a proof carried the previous nonce, the
 * answer gets the current one in a `DPoP-Nonce` header (a pre-response
 * handler, which `HttpServer.serve` runs).
 *
 * @since 0.1.0
 * @category verification
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 * import { Effect } from "effect"
 *
 * const caller = ResourceServer.verifyRequest({ scopes: ["orders.read"] }).pipe(
 *   Effect.map((token) => token.subject)
 * )
 * ```
 */
export const verifyRequest: (
  options?: Options
) => Effect.Effect<
  TokenVerifier.VerifiedToken,
  Refusal,
  TokenVerifier.TokenVerifier | HttpServerRequest.HttpServerRequest
> = internal.verifyRequest

/**
 * Protects an `HttpApp` (a whole router, or a single route's handler): each
 * request is verified (see {@link verifyRequest}); the app runs with the
 * {@link Caller} service; every refusal — the app's own
 * {@link InsufficientScope} failures included — is answered with
 * {@link toResponse}.
 *
 * @since 0.1.0
 * @category middleware
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const app = HttpRouter.empty.pipe(
 *   HttpRouter.get("/orders", Effect.as(ResourceServer.requireScopes("orders.read"), HttpServerResponse.text("[]"))),
 *   ResourceServer.middleware({ realm: "orders" })
 * )
 * // an HttpApp that needs a TokenVerifier.TokenVerifier
 * ```
 */
export const middleware: (
  options?: Options
) => <E, R>(
  app: HttpApp.Default<E, R>
) => HttpApp.Default<Exclude<E, Refusal>, TokenVerifier.TokenVerifier | Exclude<R, Caller>> =
  internal.middleware

/**
 * Requires scopes of the current request's token: succeeds with the token
 * when it holds all of them, else fails with {@link InsufficientScope}
 * (which {@link middleware} answers with a 403).
 *
 * @since 0.1.0
 * @category authorization
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 * import { HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const deleteOrder = Effect.gen(function*() {
 *   yield* ResourceServer.requireScopes("orders.write")
 *   return HttpServerResponse.empty({ status: 204 })
 * })
 * ```
 */
export const requireScopes: (
  ...scopes: ReadonlyArray<string>
) => Effect.Effect<TokenVerifier.VerifiedToken, InsufficientScope, Caller> = internal.requireScopes

/**
 * The resource server as an `HttpApiMiddleware` security (a bearer scheme in
 * the OpenAPI document) that provides {@link Caller}. Add it to an
 * `HttpApiGroup` or `HttpApi` with `.middleware(ResourceServer.Guard)`
 * and provide {@link layerGuard}. The request is parsed as RFC 6750
 * says, not by the platform's lenient bearer decoder. Endpoints that call
 * {@link requireScopes} add `ResourceServer.InsufficientScope` to their
 * errors.
 *
 * @since 0.1.0
 * @category HttpApi
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 * import { HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
 * import { Schema } from "effect"
 *
 * class Orders extends HttpApiGroup.make("orders")
 *   .add(HttpApiEndpoint.get("list", "/orders").addSuccess(Schema.Array(Schema.String)))
 *   .middleware(ResourceServer.Guard) {}
 * ```
 */
export const Guard: typeof internal.Guard = internal.Guard

/**
 * The tag type of {@link Guard}.
 *
 * @since 0.1.0
 * @category HttpApi
 */
export type Guard = internal.Guard

/**
 * The layer of {@link Guard}, with the `TokenVerifier` of its
 * context. It also installs an `HttpApi` middleware that answers every
 * {@link Refusal} with its RFC 6750 challenge header.
 *
 * @since 0.1.0
 * @category HttpApi
 * @example
 * ```ts
 * import { ResourceServer, TokenVerifier } from "@grantflow/resource-server"
 * import { Layer, Redacted } from "effect"
 *
 * const GuardLive = ResourceServer.layerGuard({ realm: "orders" }).pipe(
 *   Layer.provide(TokenVerifier.layer(TokenVerifier.staticToken({ current: Redacted.make("s3cret") })))
 * )
 * ```
 */
export const layerGuard: (
  options?: Options
) => Layer.Layer<Guard, never, TokenVerifier.TokenVerifier> = internal.layerGuard

/**
 * What a protected resource says of itself (RFC 9728 §2):
 *
 * - `resource`: its identifier, an `https:` URL (the API's base URL, say)
 *   that clients also send as the `resource` indicator (RFC 8707);
 * - `authorizationServers`: the issuers of the tokens it accepts — the
 *   issuer of its `TokenVerifier`;
 * - `scopesSupported`: the scopes it asks for (left out when not given);
 * - `bearerMethodsSupported`: how it takes a token (default `["header"]`;
 *   add `"body"` or `"query"` with `allowForm` or `allowQuery`);
 * - `jwksUri`, `resourceName`, `resourceDocumentation`, and the DPoP fields
 *   (RFC 9449 §5.1): served when given.
 *
 * @since 0.1.0
 * @category models
 */
export interface MetadataOptions {
  readonly resource: string | URL
  readonly authorizationServers: ReadonlyArray<string>
  readonly scopesSupported?: ReadonlyArray<string> | undefined
  readonly bearerMethodsSupported?: ReadonlyArray<"header" | "body" | "query"> | undefined
  readonly jwksUri?: string | undefined
  readonly resourceName?: string | undefined
  readonly resourceDocumentation?: string | undefined
  readonly dpopSigningAlgValuesSupported?: ReadonlyArray<string> | undefined
  readonly dpopBoundAccessTokensRequired?: boolean | undefined
}

/**
 * The URL where a resource's metadata is published (RFC 9728 §3.1):
 * `/.well-known/oauth-protected-resource` between the host and the path of
 * the resource identifier. Give it to the `resourceMetadata` option. Throws
 * a `TypeError` when `resource` is not an absolute URL, a configuration
 * mistake.
 *
 * @since 0.1.0
 * @category metadata
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 *
 * ResourceServer.metadataUrl("https://api.example.com/orders")
 * // "https://api.example.com/.well-known/oauth-protected-resource/orders"
 * ```
 */
export const metadataUrl: (resource: string | URL) => string = internal.metadataUrl

/**
 * Serves the resource's metadata document (RFC 9728 §3.2) with `GET` at the
 * path of {@link metadataUrl}: a router to mount next to the protected one,
 * outside {@link middleware} (the document is public). Throws a `TypeError`
 * when `resource` is not an absolute URL, a configuration mistake.
 *
 * @since 0.1.0
 * @category metadata
 * @example
 * ```ts
 * import { ResourceServer } from "@grantflow/resource-server"
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 *
 * const resource = { resource: "https://api.example.com/orders", authorizationServers: ["https://auth.example.com"] }
 *
 * const orders = HttpRouter.empty.pipe(
 *   HttpRouter.get("/", HttpServerResponse.text("[]")),
 *   ResourceServer.middleware({ resourceMetadata: ResourceServer.metadataUrl(resource.resource) })
 * )
 * // the document at /.well-known/oauth-protected-resource/orders, the API under /orders
 * const app = ResourceServer.metadataRouter(resource).pipe(HttpRouter.mountApp("/orders", orders))
 * ```
 */
export const metadataRouter: (options: MetadataOptions) => HttpRouter.HttpRouter = internal.metadataRouter
