/**
 * The authorization server as a client sees it: the token endpoint's URL,
 * checked once, the client authentication, and the settings every request to
 * it shares (time-out, lifetimes, whether plain `http:` is allowed). Every
 * grant, revocation and the device flow take an `Endpoint`; build it from
 * options with {@link make} or from the issuer's metadata with
 * {@link fromMetadata}.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type * as ClientAuth from "./ClientAuth.js"
import type * as Dpop from "./Dpop.js"
import * as Discovery from "./Discovery.js"
import * as internal from "./internal/endpoint.js"
import type * as TokenError from "./TokenError.js"

/**
 * Marks an {@link Endpoint}.
 *
 * @since 0.1.0
 * @category type ids
 * @example
 * ```ts
 * import { ClientAuth, Endpoint } from "@grantflow/core"
 *
 * const endpoint = Endpoint.make({ tokenUrl: "https://auth.example.com/token", auth: ClientAuth.none("cli") })
 * Endpoint.TypeId in endpoint // true
 * ```
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The endpoints of an authorization server that a client sends credentials
 * or tokens to (`pushedAuthorization`: the pushed authorization request
 * endpoint of RFC 9126).
 *
 * @since 0.1.0
 * @category models
 */
export type Purpose = "token" | "revocation" | "introspection" | "deviceAuthorization" | "pushedAuthorization"

/**
 * Every endpoint grantflow asks: the {@link Purpose}s, the documents the
 * issuer publishes — its metadata (RFC 8414) and its key set (`jwks`,
 * RFC 7517), which a resource server reads to verify JWT access tokens —
 * its client registration endpoint (`registration`, RFC 7591) and a protected
 * resource's metadata (`resourceMetadata`, RFC 9728).
 * Errors name the endpoint that failed with it.
 *
 * @since 0.1.0
 * @category models
 */
export type Name = Purpose | "metadata" | "jwks" | "registration" | "resourceMetadata"

/**
 * An authorization server's endpoints for one client. Its URLs were checked
 * when it was made; a request to one that failed its check fails with that
 * `InvalidTokenRequest` before anything is sent (see {@link url}). It prints
 * its URLs' hosts and paths and the client authentication's method, never a
 * credential.
 *
 * - `auth`: the client authentication; `undefined` for the grants that carry
 *   their own (RFC 7523 §2.1);
 * - `timeout`: of each whole exchange, body included;
 * - `defaultLifetime`: of a token whose response has no `expires_in`;
 * - `maxLifetime`: a larger `expires_in` is clamped to it;
 * - `issuer`: set when the endpoint comes from the issuer's metadata;
 * - `requirePushedAuthorizationRequests`: the server accepts authorization
 *   requests only pushed to its pushed authorization request endpoint
 *   (RFC 9126 §5), so `AuthorizationCode.push` is the way to start one;
 * - `dpop`: the DPoP key that token requests prove possession of, if any.
 *
 * @since 0.1.0
 * @category models
 */
export interface Endpoint extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly auth: ClientAuth.ClientAuth | undefined
  readonly timeout: Duration.Duration
  readonly allowInsecure: boolean
  readonly defaultLifetime: Duration.Duration
  readonly maxLifetime: Duration.Duration
  readonly issuer: Option.Option<string>
  readonly requirePushedAuthorizationRequests: boolean
  readonly dpop: Dpop.DpopKey | undefined
  readonly requestBody: RequestBody
}

/**
 * How the token and revocation requests carry their parameters: `"form"`
 * (`application/x-www-form-urlencoded`, RFC 6749 §4.1.3) or `"json"` (one
 * JSON object of strings), for the providers that take JSON (Notion).
 *
 * @since 0.1.0
 * @category models
 */
export type RequestBody = "form" | "json"

/**
 * What every request to the authorization server shares, whichever way the
 * endpoint is built:
 *
 * - `auth`: the client authentication;
 * - `timeout`: for the whole exchange, body included (default 30 seconds);
 * - `allowInsecure`: permits plain `http:` on any host (loopback hosts —
 *   `127.0.0.0/8`, `[::1]`, `localhost` — are always allowed);
 * - `defaultLifetime`: of a token whose response has no `expires_in`
 *   (default 5 minutes);
 * - `maxLifetime`: a larger `expires_in` is clamped to it (default 365 days);
 * - `dpop`: a DPoP key (RFC 9449, see `Dpop.generateKey`): every token
 *   request carries a fresh proof signed with it, a `use_dpop_nonce` answer
 *   is retried once with the server's nonce, and the tokens issued are bound
 *   to the key (`token_type` `DPoP`) and carry it (`AccessToken`'s `dpop`).
 *   For tokens kept in a persistent `TokenStore`, generate it with
 *   `extractable: true`: the store keeps it with them;
 * - `requestBody`: `"form"` (the default) or `"json"`, how the token and
 *   revocation requests carry their parameters (see {@link RequestBody}).
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly auth?: ClientAuth.ClientAuth | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly allowInsecure?: boolean | undefined
  readonly defaultLifetime?: Duration.DurationInput | undefined
  readonly maxLifetime?: Duration.DurationInput | undefined
  readonly dpop?: Dpop.DpopKey | undefined
  readonly requestBody?: RequestBody | undefined
}

/**
 * Options of {@link make}: the token endpoint's URL, the other endpoints'
 * URLs when the client uses them, and the {@link Settings}. Every URL must use
 * `https:` (unless loopback or `allowInsecure`) and carry no credentials and
 * no fragment. Without a `tokenUrl` (a resource server that only
 * introspects, say), a grant at the endpoint fails with an
 * `InvalidTokenRequest` before anything is sent.
 * `requirePushedAuthorizationRequests` says that the server takes
 * authorization requests only through `pushedAuthorizationUrl` (RFC 9126 §5;
 * default `false`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Settings {
  readonly tokenUrl?: string | URL | undefined
  readonly revocationUrl?: string | URL | undefined
  readonly introspectionUrl?: string | URL | undefined
  readonly deviceAuthorizationUrl?: string | URL | undefined
  readonly pushedAuthorizationUrl?: string | URL | undefined
  readonly requirePushedAuthorizationRequests?: boolean | undefined
}

/**
 * An endpoint from options. The URLs are checked here, once; an invalid one
 * makes each request to it fail with an `InvalidTokenRequest` that says why.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const auth0 = Endpoint.make({
 *   tokenUrl: "https://example.eu.auth0.com/oauth/token",
 *   auth: ClientAuth.clientSecretPost("my-client", Redacted.make("s3cret")),
 *   timeout: "10 seconds"
 * })
 *
 * const fetchToken = Grant.clientCredentials(auth0, { audience: "https://api.example.com" })
 * ```
 */
export const make: (options: Options) => Endpoint = internal.make

/**
 * An endpoint from the issuer's metadata (RFC 8414): its token, revocation,
 * introspection, device authorization and pushed authorization request
 * endpoints, each checked as in {@link make}, and whether it requires pushed
 * authorization requests (RFC 9126 §5).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth, Discovery, Endpoint, Grant } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * const fetchToken = Effect.gen(function*() {
 *   const metadata = yield* Discovery.fetch("https://auth.example.com")
 *   const endpoint = Endpoint.fromMetadata(metadata, {
 *     auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 *   })
 *   return yield* Grant.clientCredentials(endpoint)
 * })
 * ```
 */
export const fromMetadata: (metadata: Discovery.Metadata, settings?: Settings) => Endpoint = internal.fromMetadata

/**
 * Reads the issuer's metadata with `Discovery.fetch` (same `timeout` and
 * `allowInsecure`) and builds the endpoint with {@link fromMetadata}.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const endpoint = yield* Endpoint.discover("https://auth.example.com", {
 *     auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 *   })
 *   return yield* TokenProvider.make(Grant.clientCredentials(endpoint, { scopes: ["orders.read"] }))
 * })
 * ```
 */
export const discover = (
  issuer: string,
  settings: Settings = {}
): Effect.Effect<Endpoint, Discovery.DiscoveryError, HttpClient.HttpClient> =>
  Effect.map(
    Discovery.fetch(issuer, { allowInsecure: settings.allowInsecure, timeout: settings.timeout }),
    (metadata) => fromMetadata(metadata, settings)
  )

/**
 * The checked URL of one of the endpoints, or why it cannot be used: it
 * failed its check, or the endpoint has none for that purpose.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { ClientAuth, Endpoint } from "@grantflow/core"
 * import { Either } from "effect"
 *
 * const endpoint = Endpoint.make({ tokenUrl: "http://auth.example.com/token", auth: ClientAuth.none("cli") })
 *
 * Either.isLeft(Endpoint.url(endpoint, "token")) // true: plain http: to a host that is not loopback
 * ```
 */
export const url: (self: Endpoint, purpose: Purpose) => Either.Either<URL, TokenError.InvalidTokenRequest> =
  internal.url

/**
 * The check every endpoint URL passes (see {@link make}), for URLs that are
 * not among an endpoint's purposes — a JWKS URL, say: it must be absolute,
 * use `https:` (plain `http:` only on a loopback host or with
 * `allowInsecure`), and carry no credentials and no fragment. The error's
 * reason names the URL by `name` and never quotes it: it may be a misplaced
 * secret.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Endpoint } from "@grantflow/core"
 * import { Either } from "effect"
 *
 * Either.isRight(Endpoint.checkUrl("https://auth.example.com/jwks", { name: "JWKS URL" })) // true
 * Either.isLeft(Endpoint.checkUrl("http://auth.example.com/jwks", { name: "JWKS URL" })) // true
 * ```
 */
export const checkUrl = (
  input: string | URL,
  options: { readonly name: string; readonly allowInsecure?: boolean | undefined }
): Either.Either<URL, TokenError.InvalidTokenRequest> =>
  internal.checkEndpointUrl(input, options.allowInsecure === true, options.name)
