/**
 * A simulated OAuth 2.0 authorization server and the protected API it guards.
 *
 * One set of handlers (`app`, an `@effect/platform` `HttpApp`) serves
 *
 * - `POST /token`: the token endpoint (RFC 6749), with the
 *   `client_credentials`, `refresh_token` (rotation and reuse detection),
 *   `authorization_code` (PKCE), device code, JWT bearer and token exchange
 *   grants, and `client_secret_basic` / `client_secret_post` /
 *   `client_secret_jwt` / `private_key_jwt` / `none` client authentication;
 * - `POST /revoke` (RFC 7009) and `POST /introspect` (RFC 7662);
 * - `GET /.well-known/oauth-authorization-server` (RFC 8414), also at
 *   `/.well-known/openid-configuration`, and `GET /jwks` when access tokens
 *   are JWTs (RFC 9068);
 * - `GET|POST /authorize`: the authorization endpoint, with a consent page,
 *   and `POST /par`: its pushed authorization request endpoint (RFC 9126);
 * - `POST /device_authorization` and `GET|POST /device`: the device
 *   authorization grant (RFC 8628) and its user page;
 * - `POST /register`: dynamic client registration (RFC 7591), with the
 *   `registration` option;
 * - `GET|POST|PUT|DELETE /api/*`: a protected API that accepts the tokens the
 *   endpoint issued (RFC 6750), until they expire or are revoked; it is the
 *   resource `<issuer>/api`, whose metadata (RFC 9728) is at
 *   `GET /.well-known/oauth-protected-resource/api` and named in each of its
 *   challenges.
 *
 * The same `app` runs in memory through {@link layerClient} (an `HttpClient`
 * that never opens a socket) or on a real port through {@link serve}. All
 * state lives in `Ref`s and all time is read from Effect's `Clock`, so
 * `TestClock.adjust` expires tokens and drives injected latency. Every request
 * is written to a journal, and the next requests to an endpoint can be
 * scripted to fail with {@link Fault}s.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Context from "effect/Context"
import type * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Jose from "jose"
import * as internal from "./internal/authServer.js"
import * as fault from "./internal/fault.js"
import * as inMemoryClient from "./internal/inMemoryClient.js"

/**
 * How a client may authenticate at the token endpoint (RFC 6749 §2.3.1);
 * `none` is a public client that only names itself with `client_id`.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthMethod =
  | "client_secret_basic"
  | "client_secret_post"
  | "client_secret_jwt"
  | "private_key_jwt"
  | "none"

/**
 * The grant types the token endpoint knows (RFC 6749, RFC 8628, RFC 7523,
 * RFC 8693).
 *
 * @since 0.1.0
 * @category models
 */
export type GrantType =
  | "client_credentials"
  | "refresh_token"
  | "authorization_code"
  | "urn:ietf:params:oauth:grant-type:device_code"
  | "urn:ietf:params:oauth:grant-type:jwt-bearer"
  | "urn:ietf:params:oauth:grant-type:token-exchange"

/**
 * A client registered with the server. `authMethods` defaults to both
 * secret methods (unless the client has `jwks` and no secret), plus
 * `private_key_jwt` when it has `jwks`; `client_secret_jwt` is never a
 * default. When `scopes` is non-empty, a token request may ask only for
 * a subset of them and gets all of them when it asks for none; when it is
 * empty or absent, any requested scope is granted.
 *
 * - `public: true`: a public client (RFC 6749 §2.1): it has no secret,
 *   authenticates with `none` and must use PKCE;
 * - `grants`: the grant types it may use, otherwise `unauthorized_client`
 *   (default `["client_credentials"]`, or for a public client
 *   `authorization_code`, `refresh_token` and the device code grant). A
 *   refresh token is issued only to a client that may use `refresh_token`;
 * - `redirectUris`: where `/authorize` may send it back, compared exactly;
 * - `jwks`: the public keys that verify its `private_key_jwt` assertions
 *   (RFC 7523 §2.2); `client_secret_jwt` assertions are HMACs with
 *   `clientSecret`. An assertion's `aud` may be the issuer, the token
 *   endpoint or the endpoint it is sent to. An assertion whose header names
 *   a certificate thumbprint (`x5t#S256`) is verified only with the key
 *   registered with that `x5t#S256`, as servers that find a client's key by
 *   its certificate do.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientOptions {
  readonly clientId: string
  readonly clientSecret?: string | undefined
  readonly authMethods?: ReadonlyArray<AuthMethod> | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly public?: boolean | undefined
  readonly grants?: ReadonlyArray<GrantType> | undefined
  readonly redirectUris?: ReadonlyArray<string> | undefined
  readonly jwks?: Jose.JSONWebKeySet | undefined
}

/**
 * Options of a simulated server: its registered clients, the lifetime of the
 * tokens it issues (default 1 hour) and its issuer URL (default
 * `http://127.0.0.1`), the base URL that relative requests of the in-memory
 * client are sent to.
 *
 * `issueTimeRounding` (default none): the server rounds the issue time of each
 * access token down to a multiple of it, as servers that keep `iat` in whole
 * seconds do with `"1 second"`, and the token expires `tokenLifetime` after
 * that: it really lives up to that much less than `expires_in` says (a
 * 3-second token issued at 2.7 s expires at 5 s). Its issue and expiry in
 * `tokens`, and its `iat` and `exp` as a JWT, are the rounded ones.
 *
 * Refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2):
 *
 * - `refreshRotation` (default `true`): each refresh answers with a new
 *   refresh token and retires the one presented; when `false`, the refresh
 *   token stays valid and responses carry none;
 * - `refreshGrace`: how long after a rotation the retired token is still
 *   accepted, `refreshGraceReuses` times (default 1), for clients that
 *   refresh concurrently; it gets the current refresh token back. Any other
 *   reuse of a retired token revokes its whole family, access tokens included;
 * - `refreshTokenLifetime`: of each refresh token (default: no expiry);
 * - `refreshTokenForClientCredentials` (default `false`): whether the client
 *   credentials grant issues refresh tokens too.
 *
 * Authorization code (RFC 6749 §4.1, RFC 7636): `autoApprove` (default
 * `false`) skips the consent page; codes live `codeLifetime` (default 60
 * seconds). Pushed authorization requests (RFC 9126): `/par` takes the
 * request from an authenticated client and answers a `request_uri` that
 * `/authorize` accepts once, within `pushedRequestLifetime` (default 60
 * seconds); with `requirePushedAuthorizationRequests` (default `false`,
 * advertised in the metadata) `/authorize` takes no other request.
 *
 * Device authorization (RFC 8628): codes live `deviceCodeLifetime` (default
 * 10 minutes) and are polled every `deviceInterval` (default 5 seconds).
 *
 * Extension grants: `jwtBearerAssertions` are the accepted `assertion`s of
 * the JWT bearer grant (RFC 7523), `tokenExchangeSubjects` the accepted
 * `subject_token`s of token exchange (RFC 8693), each a list or a predicate;
 * by default none is accepted. Signatures are not checked.
 *
 * Access tokens (RFC 9068): `accessTokenFormat` `"opaque"` (default) or
 * `"jwt"`, signed with a key pair generated when the server starts
 * (`signingAlgorithm`, default `RS256`) whose public key is served at
 * `/jwks`; `audience` is their `aud` (default `<issuer>/api`).
 *
 * Resource indicators (RFC 8707): `resources` are the resource URIs the
 * server knows (default: `[audience]`). A token requested with `resource`
 * has it as its `aud` (in the JWT and at introspection; several `resource`
 * parameters make an array); an unknown one is refused with
 * `invalid_target` at `/authorize`, `/par`, `/device_authorization` and
 * `/token`.
 *
 * Dynamic client registration (RFC 7591): with `registration`, `/register`
 * registers clients at run time and is advertised as `registration_endpoint`
 * (see {@link RegistrationOptions}).
 *
 * DPoP (RFC 9449): with `dpop`, a token request with a valid `DPoP` proof
 * gets a DPoP-bound access token (see {@link DpopOptions}); it is advertised
 * as `dpop_signing_alg_values_supported`.
 *
 * Protected API: `apiScopes` maps a route (`"/api/admin"`, covering the paths
 * under it; the longest route wins) to the scopes a token needs there, else
 * `403 insufficient_scope`, and {@link ProviderQuirks} change how it answers
 * an unusable token. `tokenResponseShape` answers every successful
 * token response in another shape: it gets the RFC 6749 body and the current
 * time (epoch milliseconds) and returns the body to send, e.g.
 * `(token, now) => ({ data: { token: token.access_token, expires_at: … } })`.
 * `tokenErrorShape` does the same for the token endpoint's errors (see
 * {@link ShapedError}); it also gets the request's `grant_type`, as providers
 * name an error after the grant (`invalid_code`, `invalid_refresh_token`).
 * `apiTokenHeader` is a header the API also takes the bare token from, as
 * Shopify's `X-Shopify-Access-Token`; `apiRequiredHeaders` are headers every
 * API request must carry, each with the answer to a request without it (a
 * version header: Notion answers `400 missing_version`).
 *
 * Providers' token endpoints: `tokenRequestBody: "json"` takes the token
 * request as a JSON object instead of a form (and refuses a form);
 * `tokenResponseFormat: "formUnlessJsonAccepted"` answers a form-encoded body
 * unless the request's `Accept` names `application/json`;
 * `offlineAccess` issues a refresh token with a code only when the
 * authorization request asked for it (see {@link OfflineAccess}); `routes`
 * serve the endpoints at the provider's paths too (see {@link Route}).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends ProviderQuirks {
  readonly clients: ReadonlyArray<ClientOptions>
  readonly tokenLifetime?: Duration.DurationInput | undefined
  readonly issueTimeRounding?: Duration.DurationInput | undefined
  readonly issuer?: string | undefined
  readonly refreshRotation?: boolean | undefined
  readonly refreshGrace?: Duration.DurationInput | undefined
  readonly refreshGraceReuses?: number | undefined
  readonly refreshTokenLifetime?: Duration.DurationInput | undefined
  readonly refreshTokenForClientCredentials?: boolean | undefined
  readonly autoApprove?: boolean | undefined
  readonly codeLifetime?: Duration.DurationInput | undefined
  readonly requirePushedAuthorizationRequests?: boolean | undefined
  readonly pushedRequestLifetime?: Duration.DurationInput | undefined
  readonly deviceCodeLifetime?: Duration.DurationInput | undefined
  readonly deviceInterval?: Duration.DurationInput | undefined
  readonly jwtBearerAssertions?: ReadonlyArray<string> | ((assertion: string) => boolean) | undefined
  readonly tokenExchangeSubjects?:
    | ReadonlyArray<string>
    | ((subjectToken: string, subjectTokenType: string) => boolean)
    | undefined
  readonly accessTokenFormat?: "opaque" | "jwt" | undefined
  readonly signingAlgorithm?: SigningAlgorithm | undefined
  readonly audience?: string | undefined
  readonly resources?: ReadonlyArray<string> | undefined
  readonly registration?: RegistrationOptions | undefined
  readonly dpop?: DpopOptions | undefined
  readonly apiScopes?: Readonly<Record<string, ReadonlyArray<string>>> | undefined
  readonly tokenResponseShape?:
    | ((token: Readonly<Record<string, unknown>>, now: number) => unknown)
    | undefined
  readonly tokenErrorShape?:
    | ((error: TokenErrorBody, status: number, grantType: string | undefined) => ShapedError)
    | undefined
  readonly apiTokenHeader?: string | undefined
  readonly apiRequiredHeaders?: Readonly<Record<string, { readonly status: number; readonly body: unknown }>> | undefined
  readonly tokenRequestBody?: "form" | "json" | undefined
  readonly tokenResponseFormat?: "json" | "formUnlessJsonAccepted" | undefined
  readonly offlineAccess?: OfflineAccess | undefined
  readonly routes?: Readonly<Record<string, Route>> | undefined
}

/**
 * An error of the token endpoint as the server would send it (RFC 6749
 * §5.2), handed to `tokenErrorShape` to be answered in a provider's shape.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenErrorBody {
  readonly error: string
  readonly error_description?: string | undefined
}

/**
 * What `tokenErrorShape` answers instead of an RFC 6749 error: a status (a
 * provider may answer errors with 200) and a JSON body.
 *
 * @since 0.1.0
 * @category models
 */
export interface ShapedError {
  readonly status: number
  readonly body: unknown
}

/**
 * When the authorization code grant issues a refresh token: only if the
 * authorization request carried `param` with `value` (for `scope`, as one of
 * its scopes), as providers that want `access_type=offline`,
 * `token_access_type=offline` or the `offline_access` scope do.
 *
 * @since 0.1.0
 * @category models
 */
export interface OfflineAccess {
  readonly param: string
  readonly value: string
}

/**
 * Another path for one of the server's endpoints, as a provider names it
 * (`/login/oauth/access_token` for the token endpoint): `token`, `authorize`,
 * `revoke`, `introspect`, or `api` — a protected resource whose answer to a
 * valid token also carries the fields of `body` (a provider's "who am I"),
 * or is `body` itself when it is an array (a list, as Atlassian's accessible
 * resources), and that refuses a request without one of its
 * `requiredHeaders` (besides `apiRequiredHeaders`) with that header's
 * answer, as an API that wants the customer's organisation named on some
 * routes only (Xero's `xero-tenant-id`). An `api` route with a `scheme` also
 * takes the token in that authorization scheme (`Authorization: OAuth
 * <token>` for `"OAuth"`, as Mailchimp's metadata endpoint wants it). Routes
 * are matched on the path alone, whatever the host.
 *
 * A `revoke` route with a `token` is a provider's own revocation API
 * instead of RFC 7009's: the token comes as the request's bearer credential
 * (`"bearer"`: it must be live) or as the member `json` of a JSON body;
 * `method` (default `POST`); `clientAuth`: the client must authenticate (HTTP
 * Basic) and may revoke only its own tokens; `answer`: the success's status
 * and JSON body (default 200, empty); `refusal`: the answer to an unknown,
 * expired or revoked token or another client's (default the server's
 * `errorBodyOnInvalidToken`, else `401 invalid_token`). Revoking an access
 * token there ends its whole grant, refresh token included.
 *
 * An `assertion` route is a token endpoint of an app's own (a GitHub App's
 * installation token): the app sends a JWT it signed as the bearer
 * credential of a `POST`; `iss` names the client, whose `jwks` must verify
 * its RS256 signature; `exp` must be in the future and at most `maxLifetime`
 * (default 10 minutes) ahead, `iat` not in the future, both on the `Clock`.
 * It answers an access token (shaped by `tokenResponseShape`) with `status`
 * (default 200), and refuses with `401 invalid_grant` (shaped by
 * `tokenErrorShape`), journaled as the `jwt-bearer` grant.
 *
 * @since 0.1.0
 * @category models
 */
export type Route =
  | { readonly endpoint: "token" | "authorize" | "revoke" | "introspect" }
  | {
    readonly endpoint: "api"
    readonly body?: Readonly<Record<string, unknown>> | ReadonlyArray<unknown> | undefined
    readonly requiredHeaders?: Readonly<Record<string, { readonly status: number; readonly body: unknown }>> | undefined
    readonly scheme?: string | undefined
  }
  | {
    readonly endpoint: "revoke"
    readonly token: "bearer" | { readonly json: string }
    readonly method?: "POST" | "DELETE" | undefined
    readonly clientAuth?: boolean | undefined
    readonly answer?: { readonly status: number; readonly body?: unknown } | undefined
    readonly refusal?: { readonly status: number; readonly body: unknown } | undefined
  }
  | {
    readonly endpoint: "assertion"
    readonly maxLifetime?: Duration.DurationInput | undefined
    readonly status?: number | undefined
  }

/**
 * The registration endpoint (RFC 7591) of the simulated server:
 *
 * - `initialAccessToken`: when set, a registration must carry it as a bearer
 *   token (RFC 7591 §3), else it is refused with `invalid_token`; without
 *   it, registration is open;
 * - `secretLifetime`: how long a registered client's secret lives
 *   (`client_secret_expires_at`, from `Clock`); once expired, the client's
 *   authentication fails with `invalid_client`. Default: it never expires.
 *
 * Registered clients get a generated `client_id` and, unless they register
 * `token_endpoint_auth_method: "none"`, a `client_secret`. The journal
 * records each registration with the new client id, never the secret.
 *
 * @since 0.1.0
 * @category models
 */
export interface RegistrationOptions {
  readonly initialAccessToken?: string | undefined
  readonly secretLifetime?: Duration.DurationInput | undefined
}

/**
 * DPoP, sender-constrained tokens (RFC 9449), at the token endpoint and the
 * protected API:
 *
 * - a token request with a valid `DPoP` proof (one header, `typ` `dpop+jwt`,
 *   `alg` ES256, EdDSA, RS256 or PS256, a public `jwk` that verifies it,
 *   `htm` and `htu` of the request (under the issuer, or the origin of its
 *   `Host` header), `iat` within `proofWindow` of the `Clock`
 *   (default 60 seconds either way), a `jti` not seen before) gets an access
 *   token bound to the key's RFC 7638 thumbprint: `token_type: "DPoP"`,
 *   `cnf.jkt` in a JWT access token and at introspection. A public client's
 *   refresh token is bound too (§5): refreshing it needs a proof of the same
 *   key (`invalid_grant` for another key, `invalid_dpop_proof` for none). An
 *   invalid proof is refused with `400 invalid_dpop_proof`;
 * - an authorization request (at `/authorize` or pushed to `/par`) may name
 *   the key its code is to be exchanged with, `dpop_jkt` (§10): a JWK
 *   SHA-256 thumbprint, 43 base64url characters, else `invalid_request`. The
 *   code is then exchanged only with a proof of that key (`invalid_grant`
 *   for another key or none);
 * - `required`: a token request without a proof is refused too (default:
 *   such a request gets a bearer token);
 * - `nonce`: proofs must carry the server's current nonce (§8, §9); a request
 *   without it is refused with `use_dpop_nonce` and the nonce in a
 *   `DPoP-Nonce` header. The nonce changes every `rotateEvery` of the `Clock`
 *   (default 5 minutes);
 * - the API takes a bound token as `Authorization: DPoP <token>` with a proof
 *   whose `ath` hashes it and whose key is the token's; a bound token sent
 *   as a bearer token, or a missing or invalid proof, gets a `401` with a
 *   `WWW-Authenticate: DPoP` challenge. Unbound tokens are bearer tokens as
 *   before.
 *
 * The journal records the outcome (`dpop`) and the key thumbprint
 * (`dpopJkt`) of every proof, never the proof itself.
 *
 * @example
 * ```ts
 * import * as AuthServer from "@grantflow/testing/AuthServer"
 *
 * const options: AuthServer.Options = {
 *   clients: [{ clientId: "cli", public: true }],
 *   dpop: { required: true, nonce: { rotateEvery: "1 minute" } }
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DpopOptions {
  readonly required?: boolean | undefined
  readonly nonce?: boolean | { readonly rotateEvery?: Duration.DurationInput | undefined } | undefined
  readonly proofWindow?: Duration.DurationInput | undefined
}

/**
 * What the server made of a request's DPoP proof: `"valid"` (accepted and,
 * at the API, the key the token is bound to), `"invalid"` (refused:
 * malformed, wrong request, stale, replayed), `"nonce"` (refused for a
 * missing or stale nonce), `"missing"` (a proof was needed and none came),
 * `"mismatch"` (a valid proof of another key than the token's binding).
 *
 * @since 0.1.0
 * @category models
 */
export type DpopResult = "valid" | "invalid" | "nonce" | "missing" | "mismatch"

/**
 * How the protected API departs from RFC 6750 when a token is unusable, as
 * some providers do:
 *
 * - `expiredTokenStatus` (default 401): the status of the `invalid_token`
 *   answer to an expired token; 403 for providers that answer so (revoked and
 *   unknown tokens still get 401);
 * - `errorBodyOnInvalidToken`: answer any unusable token with this status and
 *   JSON body, and no challenge, e.g.
 *   `{ status: 200, body: { ok: false, error: "invalid_auth" } }`.
 *
 * A client that only refreshes on 401 keeps sending such a token.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProviderQuirks {
  readonly expiredTokenStatus?: 401 | 403 | undefined
  readonly errorBodyOnInvalidToken?: { readonly status: number; readonly body: unknown } | undefined
}

/**
 * The algorithm of the keys that sign JWT access tokens.
 *
 * @since 0.1.0
 * @category models
 */
export type SigningAlgorithm = "RS256" | "ES256"

/**
 * A failure injected into an endpoint (by default the token endpoint):
 *
 * - `Status`: answer with `status`, a `Retry-After` header (whole seconds,
 *   rounded up) when `retryAfter` is set, and `body` as JSON when set (e.g. an
 *   OAuth error such as `{ error: "temporarily_unavailable" }`), else no body;
 * - `Latency`: wait `duration` (on Effect's `Clock`), then answer normally;
 * - `MalformedJson`: answer 200 with a JSON body cut short;
 * - `DropConnection`: close the connection without an answer (see
 *   {@link DropConnection});
 * - `ErrorBody`: answer 200 with an OAuth error body, `error` (default
 *   `server_error`) and `error_description`;
 * - `LostResponse`: handle the request in full (issue tokens, rotate the
 *   refresh token, revoke…), then lose the answer: a 502, or with
 *   `drop: true` a dropped connection;
 *
 * and into token responses only:
 *
 * - `BlankToken`: answer 200 with `access_token: ""`;
 * - `ExpiresIn`: issue the token, but send `expires_in` as a numeric string
 *   (`as: "string"`), not at all (`"missing"`), or as 2^31 seconds (`"huge"`,
 *   past 32-bit integers and timers); the token still expires on time;
 * - `MissingTokenType`: issue the token, but send no `token_type`.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault = Data.TaggedEnum<{
  Status: {
    readonly status: number
    readonly retryAfter?: Duration.DurationInput | undefined
    readonly body?: unknown
  }
  Latency: { readonly duration: Duration.DurationInput }
  MalformedJson: {}
  BlankToken: {}
  DropConnection: {}
  ErrorBody: { readonly error?: string | undefined; readonly description?: string | undefined }
  ExpiresIn: { readonly as: "string" | "missing" | "huge" }
  MissingTokenType: {}
  LostResponse: { readonly drop?: boolean | undefined }
}>

/**
 * The faults that make sense on any endpoint; the others shape token
 * responses.
 *
 * @since 0.1.0
 * @category models
 */
export type AnyEndpointFault = Exclude<Fault, { readonly _tag: "BlankToken" | "ExpiresIn" | "MissingTokenType" }>

/**
 * The endpoints whose requests can be scripted to meet a {@link Fault}.
 *
 * @since 0.1.0
 * @category models
 */
export type FaultEndpoint = "token" | "revoke" | "introspect" | "api" | "metadata" | "jwks" | "par"

/**
 * A fault that answers with an HTTP status, optionally a `Retry-After` header
 * and a JSON body.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const rateLimited = AuthServer.Status({ status: 429, retryAfter: "30 seconds" })
 * const unavailable = AuthServer.Status({ status: 503, body: { error: "temporarily_unavailable" } })
 * ```
 */
export const Status = fault.Fault.Status

/**
 * A fault that delays the answer by `duration`, measured on Effect's `Clock`
 * (so `TestClock.adjust` releases it).
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const slow = AuthServer.Latency({ duration: "5 seconds" })
 * ```
 */
export const Latency = fault.Fault.Latency

/**
 * A fault that answers 200 with a truncated JSON body.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const garbled = AuthServer.MalformedJson()
 * ```
 */
export const MalformedJson = fault.Fault.MalformedJson

/**
 * A fault that answers 200 with an empty `access_token`.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const blank = AuthServer.BlankToken()
 * ```
 */
export const BlankToken = fault.Fault.BlankToken

/**
 * A fault that closes the connection without an answer. The in-memory client
 * fails with a transport `RequestError`; a Node server destroys the socket.
 * Platform servers that expose no socket (not Node) answer it with a 500.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const reset = AuthServer.DropConnection()
 * ```
 */
export const DropConnection = fault.Fault.DropConnection

/**
 * A fault that answers 200 with an OAuth error body, as some providers do.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const sneaky = AuthServer.ErrorBody({ error: "invalid_grant", description: "Token revoked" })
 * const generic = AuthServer.ErrorBody() // { error: "server_error", … }
 * ```
 */
export const ErrorBody: (options?: {
  readonly error?: string | undefined
  readonly description?: string | undefined
}) => Data.TaggedEnum.Value<Fault, "ErrorBody"> = fault.ErrorBody

/**
 * A fault that issues the token but sends `expires_in` as a string, not at
 * all, or huge.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const asString = AuthServer.ExpiresIn({ as: "string" }) // "expires_in": "3600"
 * ```
 */
export const ExpiresIn = fault.Fault.ExpiresIn

/**
 * A fault that issues the token but leaves `token_type` out of the answer.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const untyped = AuthServer.MissingTokenType()
 * ```
 */
export const MissingTokenType = fault.Fault.MissingTokenType

/**
 * A fault that handles the request (the server's state changes: a refresh
 * token is rotated, a token revoked) and then loses the answer: the client
 * gets a 502, or with `drop: true` a dropped connection.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const rotatedButLost = AuthServer.LostResponse()
 * const rotatedThenReset = AuthServer.LostResponse({ drop: true })
 * ```
 */
export const LostResponse: (
  options?: { readonly drop?: boolean | undefined }
) => Data.TaggedEnum.Value<Fault, "LostResponse"> = fault.LostResponse

/**
 * The state of the bearer token of an API request, as the server knew it when
 * the request arrived.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenState = "valid" | "expired" | "revoked" | "unknown"

/**
 * One request the server received. `at` is the `Clock` time (epoch millis) at
 * which it arrived; entries are appended when the answer is ready, so
 * concurrent requests appear in the order they were answered. `tokenId` is
 * the short id (`"t1"`, `"t2"`, …) of the token issued or presented, never
 * its value; `fault` is the tag of the fault injected into that request.
 * `refreshTokenId` is the id (`"r1"`, …) of the refresh token a request
 * presented, `issuedRefreshTokenId` that of the refresh token its answer
 * carried. `tokenState` is set for every API request that carried a bearer
 * token. `pushedRequestId` is the id (`"p1"`, …) of the pushed authorization
 * request a `/par` request created or an `/authorize` request presented,
 * never its `request_uri`. `dpop` is what the server made of a `DPoP` proof
 * and `dpopJkt` the thumbprint of its key (see {@link DpopOptions}). `status` is what the client received: `0` when the connection was
 * dropped.
 *
 * @since 0.1.0
 * @category models
 */
export interface JournalEntry {
  readonly at: number
  readonly endpoint:
    | "token"
    | "api"
    | "authorize"
    | "par"
    | "device_authorization"
    | "device"
    | "revoke"
    | "introspect"
    | "metadata"
    | "jwks"
    | "register"
    | "resource_metadata"
    | "other"
  readonly method: string
  readonly path: string
  readonly grantType?: string
  readonly clientId?: string
  readonly tokenId?: string
  readonly refreshTokenId?: string
  readonly issuedRefreshTokenId?: string
  readonly tokenState?: TokenState
  readonly pushedRequestId?: string
  readonly dpop?: DpopResult
  readonly dpopJkt?: string
  readonly status: number
  readonly fault?: Fault["_tag"]
}

/**
 * What the server knows about a token it issued, without its value.
 * `issuedAt` and `expiresAt` are `Clock` epoch milliseconds; the token is
 * expired from `expiresAt` on.
 *
 * @since 0.1.0
 * @category models
 */
export interface IssuedToken {
  readonly id: string
  readonly clientId: string
  readonly scopes: ReadonlyArray<string>
  readonly issuedAt: number
  readonly expiresAt: number
  readonly revoked: boolean
}

/**
 * What {@link AuthServer.grant} issued: an access token (`issuedAt` and
 * `expiresAt` in `Clock` epoch milliseconds, `tokenId` its short id) and, when
 * the client may use the refresh token grant, a refresh token starting the
 * family `familyId`.
 *
 * @since 0.1.0
 * @category models
 */
export interface GrantedTokens {
  readonly accessToken: Redacted.Redacted<string>
  readonly tokenId: string
  readonly issuedAt: number
  readonly expiresAt: number
  readonly scopes: ReadonlyArray<string>
  readonly refreshToken: Redacted.Redacted<string> | undefined
  readonly familyId: string | undefined
}

/**
 * A refresh token family: the refresh tokens that descend, by rotation, from
 * one grant, without their values. `refreshTokenIds` lists them oldest first
 * (the last is the current one) and `generation` counts them;
 * `accessTokenIds` are the access tokens issued with them. A revoked family
 * accepts none of its refresh tokens, and its access tokens are revoked too.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshFamily {
  readonly id: string
  readonly clientId: string
  readonly grantType: GrantType
  readonly scopes: ReadonlyArray<string>
  readonly generation: number
  readonly refreshTokenIds: ReadonlyArray<string>
  readonly accessTokenIds: ReadonlyArray<string>
  readonly revoked: boolean
}

/**
 * An authorization code the server issued, without its value: to whom,
 * where it was sent, with which scopes, `nonce` and PKCE method, when it
 * expires (`Clock` epoch milliseconds) and whether it was redeemed.
 *
 * @since 0.1.0
 * @category models
 */
export interface IssuedCode {
  readonly id: string
  readonly clientId: string
  readonly redirectUri: string
  readonly scopes: ReadonlyArray<string>
  readonly nonce?: string
  readonly codeChallengeMethod?: "S256" | "plain"
  /** The DPoP key thumbprint the authorization request bound the code to (`dpop_jkt`, RFC 9449 §10). */
  readonly dpopJkt?: string
  readonly issuedAt: number
  readonly expiresAt: number
  readonly used: boolean
}

/**
 * The simulated server: its handlers, its journal and its controls.
 *
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* AuthServer.AuthServer
 *   yield* server.fail(AuthServer.Status({ status: 503 }), { times: 2 })
 *   return yield* server.journal
 * })
 * ```
 */
export class AuthServer extends Context.Tag("@grantflow/testing/AuthServer")<AuthServer, {
  /** The base URL the in-memory client sends relative requests to. */
  readonly issuer: string
  /** The handlers of every endpoint, for any transport. */
  readonly app: HttpApp.Default
  /** Every request received so far, oldest first. */
  readonly journal: Effect.Effect<ReadonlyArray<JournalEntry>>
  readonly clearJournal: Effect.Effect<void>
  /**
   * Makes the next `times` (default 1) requests to `endpoint` (default
   * `"token"`) meet `fault`, after the faults already queued for it.
   */
  readonly fail: {
    (fault: Fault, options?: {
      readonly times?: number | undefined
      readonly endpoint?: "token" | undefined
    }): Effect.Effect<void>
    (fault: AnyEndpointFault, options: {
      readonly times?: number | undefined
      readonly endpoint: FaultEndpoint
    }): Effect.Effect<void>
  }
  /** Makes the API reject that token from now on; unknown values are ignored. */
  readonly revoke: (token: string | Redacted.Redacted<string>) => Effect.Effect<void>
  /** Makes the API reject the token of this id (`"t1"`, …) from now on; unknown ids are ignored. */
  readonly revokeById: (tokenId: string) => Effect.Effect<void>
  /** Makes the API reject every token issued so far. */
  readonly revokeAll: Effect.Effect<void>
  /** How many tokens the token endpoint has issued. */
  readonly issued: Effect.Effect<number>
  /** The tokens issued so far, oldest first. */
  readonly tokens: Effect.Effect<ReadonlyArray<IssuedToken>>
  /** Sets the lifetime of the tokens issued from now on. */
  readonly setTokenLifetime: (lifetime: Duration.DurationInput) => Effect.Effect<void>
  /**
   * Issues tokens to a registered client as a user's completed authorization
   * would, without a request (nothing is journaled): a connected account to
   * start a test from. `scopes` default to all the client may ask for;
   * `dpopJkt` binds the tokens to the DPoP key of that RFC 7638 thumbprint,
   * as a token request with its proof would (see {@link DpopOptions}). A
   * defect for an unknown client or scope.
   */
  readonly grant: (
    clientId: string,
    options?: {
      readonly scopes?: ReadonlyArray<string> | undefined
      readonly dpopJkt?: string | undefined
    }
  ) => Effect.Effect<GrantedTokens>
  /** The refresh token families so far, oldest first. */
  readonly families: Effect.Effect<ReadonlyArray<RefreshFamily>>
  /** Revokes a refresh token family and its access tokens; unknown ids are ignored. */
  readonly revokeFamily: (familyId: string) => Effect.Effect<void>
  /** The authorization codes issued so far, oldest first. */
  readonly codes: Effect.Effect<ReadonlyArray<IssuedCode>>
  /**
   * The user approves (`true`) or denies the device authorization of this
   * `user_code`, as on the `/device` page. Succeeds with `false` when no
   * pending, unexpired authorization has that code.
   */
  readonly decideDevice: (userCode: string, approve: boolean) => Effect.Effect<boolean>
  /** The keys that verify JWT access tokens, as `/jwks` serves them; none for opaque tokens. */
  readonly jwks: Effect.Effect<Jose.JSONWebKeySet>
  /**
   * Signs the tokens issued from now on with a new key, and succeeds with its
   * `kid`; the old keys stay in the JWKS until retired. A defect when the
   * server issues opaque tokens.
   */
  readonly rotateSigningKey: Effect.Effect<string>
  /**
   * Takes a key out of the JWKS. Succeeds with `false` for the current key
   * (which keeps signing) and for a key not published.
   */
  readonly retireSigningKey: (kid: string) => Effect.Effect<boolean>
}>() {}

/**
 * Builds a simulated server.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* AuthServer.make({
 *     clients: [{ clientId: "crm", clientSecret: "s3cret", scopes: ["crm.read"] }],
 *     tokenLifetime: "10 minutes"
 *   })
 *   return yield* server.issued
 * })
 * ```
 */
export const make: (options: Options) => Effect.Effect<AuthServer["Type"]> = internal.make

/**
 * A layer of the {@link AuthServer} service.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 * import { Layer } from "effect"
 *
 * // the server and an HttpClient that reaches it in memory
 * const TestLive = AuthServer.layerClient.pipe(
 *   Layer.provideMerge(AuthServer.layer({ clients: [{ clientId: "crm", clientSecret: "s3cret" }] }))
 * )
 * ```
 */
export const layer = (options: Options): Layer.Layer<AuthServer> => Layer.effect(AuthServer, make(options))

/**
 * An `HttpClient` that sends every request, whatever its host, through the
 * server's handlers in memory, in the calling fiber (so `TestClock` drives
 * it). A request with a relative URL (`/token`) goes to the issuer.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { HttpClient } from "@effect/platform"
 * import { AuthServer } from "@grantflow/testing"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* HttpClient.HttpClient
 *   const response = yield* client.get("https://api.example.com/api/me")
 *   return response.status // 401: no token
 * }).pipe(
 *   Effect.provide(AuthServer.layerClient.pipe(Layer.provide(AuthServer.layer({ clients: [] }))))
 * )
 * ```
 */
export const layerClient: Layer.Layer<HttpClient.HttpClient, never, AuthServer> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(AuthServer, (server) => inMemoryClient.make(server.app, server.issuer))
)

/**
 * Serves the server's handlers on the provided `HttpServer`, e.g. a Node
 * server on a loopback port.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { NodeHttpServer } from "@effect/platform-node"
 * import { AuthServer } from "@grantflow/testing"
 * import { Layer } from "effect"
 * import * as http from "node:http"
 *
 * const Live = AuthServer.serve.pipe(
 *   Layer.provide(AuthServer.layer({ clients: [{ clientId: "crm", clientSecret: "s3cret" }] })),
 *   Layer.provide(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" }))
 * )
 * ```
 */
export const serve: Layer.Layer<never, never, AuthServer | HttpServer.HttpServer> = Layer.unwrapEffect(
  Effect.map(AuthServer, (server) => HttpServer.serve(server.app))
)
