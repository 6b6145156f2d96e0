/**
 * Verifying the access tokens that callers present to your own endpoints.
 *
 * A {@link TokenVerifier} turns a bearer token into a {@link VerifiedToken}
 * (who it was issued to, for which client, with which scopes) or a typed
 * error. Three ways are built in:
 *
 * - {@link staticToken}: a shared secret, compared in constant time, with a
 *   previous value still accepted while callers move to a new one;
 * - {@link jwt}: JWT access tokens (RFC 9068), verified with the issuer's
 *   keys (its JWKS, found through its metadata), an algorithm allowlist,
 *   `typ`, `iss`, `aud`, `exp` and `nbf`;
 * - {@link introspection}: opaque tokens checked at the issuer's
 *   introspection endpoint (RFC 7662), with a short cache.
 *
 * With the `dpop` option (see `DpopProof`), the JWT and introspection
 * verifiers also take DPoP-bound tokens (RFC 9449): `ResourceServer` checks
 * the request's proof and the token's `cnf.jkt`.
 *
 * Time is read from Effect's `Clock`, so `TestClock` drives every expiry. No
 * token value ever appears in an error, a log line or a span.
 * `ResourceServer` puts a verifier in front of HTTP handlers.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ClientAuth from "@grantflow/core/ClientAuth"
import * as Introspection from "@grantflow/core/Introspection"
import type * as TokenError from "@grantflow/core/TokenError"
import type * as TokenProvider from "@grantflow/core/TokenProvider"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type * as DpopProof from "./DpopProof.js"
import * as introspectionInternal from "./internal/introspection.js"
import * as jwsInternal from "./internal/jws.js"
import * as jwtInternal from "./internal/jwtAccessToken.js"
import * as staticInternal from "./internal/staticToken.js"
import * as internal from "./internal/tokenVerifier.js"

/**
 * What a verified token says: its subject (`sub`), the client it was issued
 * to (`client_id`), its scopes, issuer, audiences, expiry (`Clock` epoch
 * milliseconds), and every claim as received (the JWT payload or the
 * introspection answer; empty for a static token). It never holds the token
 * itself. Its `dpopThumbprint` is the RFC 7638 thumbprint of the DPoP key the
 * token is bound to (its `cnf.jkt`, RFC 9449 §6), if it is bound: behind
 * `ResourceServer`, the key of the request's proof.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 * import { Option } from "effect"
 *
 * const token = new TokenVerifier.VerifiedToken({
 *   subject: Option.some("user-42"),
 *   clientId: Option.some("orders-app"),
 *   scopes: ["orders.read"],
 *   issuer: Option.some("https://auth.example.com"),
 *   audience: ["https://orders.example.com"],
 *   expiresAt: Option.none(),
 *   claims: {}
 * })
 * TokenVerifier.hasScopes(token, ["orders.read"]) // true
 * ```
 */
export const VerifiedToken: typeof internal.VerifiedToken = internal.VerifiedToken

/**
 * A verified token: see the {@link VerifiedToken} constructor.
 *
 * @since 0.1.0
 * @category models
 */
export type VerifiedToken = internal.VerifiedToken

/**
 * Tells whether a verified token holds every one of `scopes`.
 *
 * @since 0.1.0
 * @category predicates
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 *
 * declare const token: TokenVerifier.VerifiedToken
 * const canWrite = TokenVerifier.hasScopes(token, ["orders.write"])
 * ```
 */
export const hasScopes: (token: VerifiedToken, scopes: ReadonlyArray<string>) => boolean = internal.hasScopes

/**
 * Why a token was refused:
 *
 * - `Malformed`: not a token this verifier can read (not a JWS, bad JSON, a
 *   claim of the wrong type);
 * - `Algorithm`: signed with an algorithm outside the allowlist (`none` and
 *   the HMACs always are);
 * - `UnknownKey`: signed by a key the issuer does not publish (after the
 *   JWKS was fetched again, cool-down permitting);
 * - `Signature`: the signature does not verify: the token was altered;
 * - `Type`: its `typ` header is not `at+jwt` (RFC 9068 §4);
 * - `Expired`, `NotYetValid`: `exp` has passed, or `nbf` / `iat` lie in the
 *   future, beyond the clock tolerance;
 * - `Issuer`, `Audience`: issued by another issuer, or for another audience;
 * - `Inactive`: the introspection endpoint says it is not active (revoked,
 *   expired or unknown);
 * - `Mismatch`: not the shared static token.
 *
 * And for DPoP (RFC 9449, see `DpopProof`), the proof that came with the
 * token — an `invalid_dpop_proof` for the caller:
 *
 * - `DpopMissing`: the `DPoP` scheme without a `DPoP` header;
 * - `DpopMalformed`: more than one `DPoP` header, a longer one than the
 *   bound, not a compact JWS, or without `jti`, `htm`, `htu` or `iat`;
 * - `DpopType`, `DpopAlgorithm`, `DpopKey`, `DpopSignature`: its `typ` is
 *   not `dpop+jwt`, its `alg` not allowed, its `jwk` not a public key for it
 *   (or holds private members), or the signature does not verify;
 * - `DpopMethod`, `DpopUrl`: `htm` and `htu` name another request;
 * - `DpopTime`: `iat` too far from the `Clock`; `DpopReplay`: the proof was
 *   seen already; `DpopTokenHash`: `ath` is not the token's hash;
 * - `DpopNonce`: the proof lacks the server's current nonce (a
 *   `use_dpop_nonce` for the caller);
 *
 * and the binding of the token to the proof's key — an `invalid_token`:
 *
 * - `DpopKeyMismatch`: the token's `cnf.jkt` is not the thumbprint of the
 *   proof's key;
 * - `DpopBound`: a DPoP-bound token sent as a bearer token (RFC 9449 §7.2);
 * - `DpopUnbound`: a token that is not bound sent with the `DPoP` scheme;
 * - `DpopRequired`: a bearer token where only DPoP-bound ones are taken.
 *
 * @since 0.1.0
 * @category models
 */
export type FailureReason =
  | "Malformed"
  | "Algorithm"
  | "UnknownKey"
  | "Signature"
  | "Type"
  | "Expired"
  | "NotYetValid"
  | "Issuer"
  | "Audience"
  | "Inactive"
  | "Mismatch"
  | "DpopMissing"
  | "DpopMalformed"
  | "DpopType"
  | "DpopAlgorithm"
  | "DpopKey"
  | "DpopSignature"
  | "DpopMethod"
  | "DpopUrl"
  | "DpopNonce"
  | "DpopTime"
  | "DpopTokenHash"
  | "DpopReplay"
  | "DpopKeyMismatch"
  | "DpopBound"
  | "DpopUnbound"
  | "DpopRequired"

/**
 * The token is not valid here: a 401 `invalid_token` for the caller.
 * `reason` says why; `description` is what the caller may be told (it names
 * no configuration and no token); the `cause`, when there is one, is the
 * underlying JOSE error or introspection answer, for logs. It is built on
 * `TokenError.TaggedError` of `@grantflow/core`, so
 * `TokenError.isGrantflowError` recognises it; it is never retryable: the
 * same token is refused again.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import { TokenVerifier } from "@grantflow/resource-server"
 *
 * const error = new TokenVerifier.VerificationFailed({ reason: "Expired" })
 * error.description // "The access token expired"
 * TokenError.isGrantflowError(error) // true
 * error.retryable // false
 * ```
 */
export const VerificationFailed: typeof internal.VerificationFailed = internal.VerificationFailed

/**
 * A refused token: see the {@link VerificationFailed} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type VerificationFailed = internal.VerificationFailed

/**
 * Every way verifying a token can fail. A {@link VerificationFailed} refuses
 * the token (a 401 for the caller); every other error — `@grantflow/core`'s
 * own, the ones every client request fails with, each naming its `endpoint`
 * — means the token could not be verified, and requests fail closed (a 503,
 * never a 401):
 *
 * - `EndpointUnavailable`: the issuer's metadata (`metadata`), its key set
 *   (`jwks`) or its introspection endpoint (`introspection`) could not be
 *   reached, did not answer in time, or answered an error status (a 401 from
 *   the introspection endpoint means grantflow's own client credentials were
 *   refused);
 * - `MalformedResponse`: the answer is unusable — a JWKS that is not a key
 *   set, too large or with too many keys, an introspection answer without a
 *   boolean `active` — `field` and `reason` say what is wrong;
 * - `OAuthError`: the introspection endpoint answered with an OAuth error
 *   (`invalid_client`, say);
 * - `InvalidTokenRequest`: the verifier is configured in a way that cannot
 *   work (an unsafe URL, neither a URL nor an issuer, an issuer whose metadata
 *   names no `jwks_uri`…); nothing was sent.
 *
 * `TokenError.isGrantflowError` recognises each of them, and
 * `TokenError.isRetryable` tells which may succeed later.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { TokenError } from "@grantflow/core"
 * import type { TokenVerifier } from "@grantflow/resource-server"
 *
 * const refusesToken = (error: TokenVerifier.VerificationError) => error._tag === "VerificationFailed"
 * const mayRecover = (error: TokenVerifier.VerificationError) => TokenError.isRetryable(error)
 * ```
 */
export type VerificationError =
  | VerificationFailed
  | TokenError.EndpointUnavailable
  | TokenError.MalformedResponse
  | TokenError.OAuthError
  | TokenError.InvalidTokenRequest

/**
 * The token verifier service.
 *
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const verifier = yield* TokenVerifier.TokenVerifier
 *   const token = yield* verifier.verify(Redacted.make("eyJ…"))
 *   return token.subject
 * })
 * ```
 */
export const TokenVerifier: typeof internal.TokenVerifier = internal.TokenVerifier

/**
 * The token verifier service's tag type: `TokenVerifier["Type"]` is the
 * service, whose `verify` turns a bearer token into a {@link VerifiedToken}
 * or a {@link VerificationError}, and whose optional `dpop`, a
 * `DpopProof.Verifier`, checks DPoP proofs when the verifier takes
 * DPoP-bound tokens (the `dpop` option of {@link jwt} and
 * {@link introspection}).
 *
 * @since 0.1.0
 * @category tags
 */
export type TokenVerifier = internal.TokenVerifier

/**
 * Options of {@link staticToken}: the `current` shared token, the
 * `previous` one (accepted too, while callers move to `current`), and what a
 * request that presents either is granted: its `scopes` (default none) and a
 * `subject` (default none).
 *
 * @since 0.1.0
 * @category models
 */
export interface StaticTokenOptions {
  readonly current: Redacted.Redacted<string>
  readonly previous?: Redacted.Redacted<string> | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly subject?: string | undefined
}

/**
 * A verifier of one shared token (a webhook secret, say), with rotation:
 * both `current` and `previous` are accepted. The comparison takes the same
 * time whatever the presented token is (SHA-256 digests compared without an
 * early exit, against both values every time), so timing tells an attacker
 * nothing. An empty `current` is a defect.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 * import { Redacted } from "effect"
 *
 * const verifier = TokenVerifier.staticToken({
 *   current: Redacted.make("new-webhook-secret"),
 *   previous: Redacted.make("old-webhook-secret"),
 *   scopes: ["webhooks"]
 * })
 * ```
 */
export const staticToken: (options: StaticTokenOptions) => Effect.Effect<TokenVerifier["Type"]> = staticInternal.make

/**
 * Options of {@link staticTokenConfig}: a `prefix` for the configuration
 * names, and the `scopes` and `subject` granted.
 *
 * @since 0.1.0
 * @category models
 */
export interface StaticTokenConfigOptions {
  readonly prefix?: string | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly subject?: string | undefined
}

/**
 * A static token verifier read from Effect `Config` (environment variables
 * by default): `TOKEN` (required, not empty) and `PREVIOUS_TOKEN`
 * (optional), both with `Config.redacted`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 *
 * // reads WEBHOOK_TOKEN and WEBHOOK_PREVIOUS_TOKEN
 * const VerifierLive = TokenVerifier.layerConfig(TokenVerifier.staticTokenConfig({ prefix: "WEBHOOK" }))
 * ```
 */
export const staticTokenConfig: (
  options?: StaticTokenConfigOptions
) => Config.Config<Effect.Effect<TokenVerifier["Type"]>> = staticInternal.config

/**
 * The longest token the JWT and introspection verifiers read: 8 KiB (8192
 * characters), as `ResourceServer` bounds the `Authorization` header. A
 * longer token is refused as `Malformed` before it is decoded or sent
 * anywhere. Raise it with the verifiers' `maxTokenLength` option.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 *
 * TokenVerifier.defaultMaxTokenLength // 8192
 * ```
 */
export const defaultMaxTokenLength: number = jwtInternal.defaultMaxTokenLength

/**
 * The largest JWKS document the JWT verifier reads: 256 KiB (262 144 bytes,
 * counted as received). A larger one is a `TokenError.MalformedResponse` of
 * the `jwks` endpoint: the request fails closed. Raise it with
 * `maxJwksBytes`.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 *
 * TokenVerifier.defaultMaxJwksBytes // 262144
 * ```
 */
export const defaultMaxJwksBytes: number = jwtInternal.defaultMaxJwksBytes

/**
 * The longest introspection answer the introspection verifier reads: 64 Ki
 * characters (65 536) of JSON, nesting at most 64 levels, as
 * `Introspection.defaultMaxResponseLength` in `@grantflow/core`. A longer or
 * deeper one is a `TokenError.MalformedResponse` of the `introspection`
 * endpoint: the request fails closed. Raise it with `maxResponseLength`.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 *
 * TokenVerifier.defaultMaxIntrospectionLength // 65536
 * ```
 */
export const defaultMaxIntrospectionLength: number = Introspection.defaultMaxResponseLength

/**
 * The signature algorithms a JWT verifier may accept: asymmetric ones only,
 * so that a public key can never serve as an HMAC secret.
 *
 * @since 0.1.0
 * @category models
 */
export type Algorithm =
  | "RS256"
  | "RS384"
  | "RS512"
  | "PS256"
  | "PS384"
  | "PS512"
  | "ES256"
  | "ES384"
  | "ES512"
  | "EdDSA"

/**
 * What a JWT says, read without verifying anything: its protected `header`
 * and its `claims` (the payload). Never its signature.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>
  readonly claims: Readonly<Record<string, unknown>>
}

/**
 * Why a value is not a readable JWT: longer than the bound (`TooLong`), not
 * three dot-separated parts (`Parts`: `count` is 1 for an opaque token, 5
 * for an encrypted one, 6 for six or more), a part that is not base64url as
 * an encoder writes it (`Encoding`), or a header or payload that is not a
 * JSON object within the nesting bound (`NotJson`). No variant carries the
 * value: it may be a live token.
 *
 * @since 0.1.0
 * @category models
 */
export type DecodeFailure =
  | { readonly _tag: "TooLong"; readonly maxLength: number }
  | { readonly _tag: "Parts"; readonly count: number }
  | { readonly _tag: "Encoding"; readonly part: "header" | "payload" | "signature" }
  | { readonly _tag: "NotJson"; readonly part: "header" | "payload" }

/**
 * Reads a compact JWT's header and claims, as the {@link jwt} verifier reads
 * them before it checks anything, and checks nothing more: not the
 * signature, not the issuer, not the expiry. For display and debugging only —
 * a decoded token proves nothing; verify it with {@link jwt}. The value is
 * bounded by `maxTokenLength` (default {@link defaultMaxTokenLength}) before
 * anything is decoded, and read in linear time.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 * import { Either } from "effect"
 *
 * const decoded = TokenVerifier.decodeUnverified("not-a-jwt")
 * Either.isLeft(decoded) // true: an opaque token has no claims to read
 * ```
 */
export const decodeUnverified = (
  token: string,
  options: { readonly maxTokenLength?: number | undefined } = {}
): Either.Either<DecodedJwt, DecodeFailure> =>
  jwsInternal.decode(token, options.maxTokenLength ?? defaultMaxTokenLength)

/**
 * A reason for a {@link DecodeFailure}, to follow "the token": "is not a
 * JWT: its payload is not base64url". It never quotes the token.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 *
 * TokenVerifier.describeDecodeFailure({ _tag: "Encoding", part: "payload" })
 * // "is not a JWT: its payload is not base64url"
 * ```
 */
export const describeDecodeFailure: (failure: DecodeFailure) => string = jwsInternal.describeFailure

/**
 * What the two verifiers that ask the authorization server ({@link jwt} and
 * {@link introspection}) both take:
 *
 * - `clockTolerance`: leeway for `exp`, `nbf` (and `iat`) (default 30 seconds);
 * - `maxTokenLength`: longer tokens are `Malformed` before anything is
 *   decoded, sent or cached (default {@link defaultMaxTokenLength}, 8 KiB);
 * - `timeout` of each request to the authorization server (default 30
 *   seconds);
 * - `allowInsecure`: permits plain `http:` on a host that is not loopback,
 *   as in `Endpoint.make`;
 * - `dpop`: take DPoP-bound tokens (RFC 9449) with their proofs, checked as
 *   `DpopProof.Options` say; the token's `cnf.jkt` (in the JWT, or the
 *   introspection answer) names the key. Without it, the verifier takes
 *   bearer tokens only, and `ResourceServer` refuses DPoP-bound ones.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import type { TokenVerifier } from "@grantflow/resource-server"
 *
 * const remote: TokenVerifier.RemoteOptions = { clockTolerance: "10 seconds", timeout: "5 seconds" }
 * ```
 */
export interface RemoteOptions {
  readonly clockTolerance?: Duration.DurationInput | undefined
  readonly maxTokenLength?: number | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly allowInsecure?: boolean | undefined
  readonly dpop?: DpopProof.Options | undefined
}

/**
 * Options of {@link jwt}:
 *
 * - `issuer`: the expected `iss`, exactly; its metadata (RFC 8414, read with
 *   `Discovery.fetch`) gives the `jwks_uri` unless `jwksUri` is set;
 * - `audience`: the identifier(s) of this resource server; a token's `aud`
 *   must contain one (RFC 9068 §4);
 * - `algorithms`: the allowlist (default `RS256`, `RS384`, `RS512`, `PS256`,
 *   `PS384`, `PS512`, `ES256`, `ES384`, `ES512`, `EdDSA`);
 * - `clockTolerance`: leeway for `exp`, `nbf` and `iat` (default 30 seconds);
 * - `jwksCoolDown`: after a fetch, a token signed by an unknown key causes
 *   no new fetch for this long (default 30 seconds), so that made-up `kid`s
 *   cannot flood the issuer;
 * - `jwksFailureCoolDown`: after a fetch of the first keys failed, requests
 *   fail at once with the same error for this long
 *   (default 5 seconds) instead of each waiting for a fetch of its own;
 * - `jwksMaxAge`: keys older than this are fetched again before use
 *   (default 10 minutes; if that fails the old keys are kept);
 * - `maxTokenLength`: longer tokens are `Malformed` before anything is
 *   decoded (default {@link defaultMaxTokenLength}, 8 KiB); `maxJwksBytes`:
 *   a larger JWKS is a `Malformed` answer (default
 *   {@link defaultMaxJwksBytes}, 256 KiB);
 * - `requireAtJwtType`: reject tokens whose `typ` is not `at+jwt` (default
 *   `true`; set `false` for issuers that sign access tokens with `typ: JWT`);
 * - `timeout` of each fetch (default 30 seconds); `allowInsecure` permits
 *   plain `http:` on a host that is not loopback.
 *
 * @since 0.1.0
 * @category models
 */
export interface JwtOptions extends RemoteOptions {
  readonly issuer: string
  readonly audience: string | ReadonlyArray<string>
  readonly jwksUri?: string | undefined
  readonly algorithms?: ReadonlyArray<Algorithm> | undefined
  readonly jwksCoolDown?: Duration.DurationInput | undefined
  readonly jwksFailureCoolDown?: Duration.DurationInput | undefined
  readonly jwksMaxAge?: Duration.DurationInput | undefined
  readonly maxJwksBytes?: number | undefined
  readonly requireAtJwtType?: boolean | undefined
}

/**
 * A verifier of JWT access tokens (RFC 9068) signed by `issuer`. Its keys
 * are fetched on first use (one fetch however many requests wait: they all
 * share its outcome), kept, and fetched again when a token names a `kid` they
 * lack — once per cool-down. A failed first fetch is not repeated for
 * `jwksFailureCoolDown`: meanwhile requests fail at once, closed. The token,
 * its header and payload (base64url and JSON) and the JWKS are read with
 * bounds: a size cap and at most 64 levels of nesting. A token is accepted only if its header `alg` is in the
 * allowlist, its signature verifies with a published key of a matching type,
 * its `typ` is `at+jwt`, `iss` is the issuer, `aud` contains the audience,
 * `exp` is present and in the future, and neither `nbf` nor `iat` lies in the
 * future (each with `clockTolerance`). The scopes come from `scope` (or a
 * `scp` list).
 *
 * An algorithm outside the asymmetric ones is a defect.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 *
 * const verifier = TokenVerifier.jwt({
 *   issuer: "https://auth.example.com",
 *   audience: "https://orders.example.com"
 * })
 * ```
 */
export const jwt: (options: JwtOptions) => Effect.Effect<TokenVerifier["Type"], never, HttpClient.HttpClient> =
  jwtInternal.make

/**
 * Options of {@link introspection}:
 *
 * - `introspectionUrl`, or an `issuer` whose metadata names its
 *   `introspection_endpoint`; when `issuer` is set, an answer's `iss` must
 *   be it;
 * - `auth`: how grantflow authenticates at the endpoint: a client
 *   authentication (RFC 7662 §2.1's usual way), or a `TokenProvider` whose
 *   access token is sent as `Authorization: Bearer` (e.g. one around
 *   `Grant.clientCredentials`), invalidated and replaced once if the endpoint
 *   rejects it;
 * - `audience`: when set, an answer must carry an `aud` that contains one;
 * - `cacheTtl`: how long an active answer is reused (default 30 seconds,
 *   never past the token's `exp`); `negativeCacheTtl`: an inactive one
 *   (default 5 seconds); `cacheCapacity` (default 10 000 tokens; the least
 *   recently used answer makes room): with the two bounds below, the cache
 *   holds at most `cacheCapacity × (maxTokenLength + maxResponseLength)`
 *   characters, whatever tokens callers make up;
 * - `maxTokenLength`: longer tokens are `Malformed`, never sent nor cached
 *   (default {@link defaultMaxTokenLength}, 8 KiB); `maxResponseLength`: a
 *   longer answer is a `Malformed` one (default
 *   {@link defaultMaxIntrospectionLength}, 64 Ki characters);
 * - `clockTolerance` for `exp` and `nbf` (default 30 seconds), `timeout`
 *   (default 30 seconds), `allowInsecure` as in `Endpoint.make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface IntrospectionOptions extends RemoteOptions {
  readonly introspectionUrl?: string | undefined
  readonly issuer?: string | undefined
  readonly auth: ClientAuth.ClientAuth | TokenProvider.TokenProvider["Type"]
  readonly audience?: string | ReadonlyArray<string> | undefined
  readonly cacheTtl?: Duration.DurationInput | undefined
  readonly negativeCacheTtl?: Duration.DurationInput | undefined
  readonly cacheCapacity?: number | undefined
  readonly maxResponseLength?: number | undefined
}

/**
 * A verifier that asks the authorization server (RFC 7662): one form POST
 * of `token` with `token_type_hint=access_token`, authenticated as `auth`
 * says (`Introspection.introspect` of `@grantflow/core`). `active: false`
 * refuses the token; an active one is still checked against its `exp` and
 * `nbf`, the issuer and the audience. Answers are
 * cached by token (positive ones for `cacheTtl` but never past `exp`,
 * negative ones for `negativeCacheTtl`), in a cache of bounded size;
 * concurrent requests with one token share one introspection. The answer is
 * read with bounds: `maxResponseLength` and at most 64 levels of nesting.
 * An endpoint that cannot answer — an `EndpointUnavailable`, a
 * `MalformedResponse` or an `OAuthError` of the `introspection` endpoint —
 * is never cached: the request fails closed.
 *
 * Neither `introspectionUrl` nor `issuer` is a defect.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { TokenVerifier } from "@grantflow/resource-server"
 * import { Redacted } from "effect"
 *
 * const verifier = TokenVerifier.introspection({
 *   issuer: "https://auth.example.com",
 *   auth: ClientAuth.clientSecretBasic("orders-api", Redacted.make("s3cret"))
 * })
 * ```
 */
export const introspection: (
  options: IntrospectionOptions
) => Effect.Effect<TokenVerifier["Type"], never, HttpClient.HttpClient> = introspectionInternal.make

/**
 * A layer of the {@link TokenVerifier} service built by one of the
 * constructors.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * const VerifierLive = TokenVerifier.layer(
 *   TokenVerifier.jwt({ issuer: "https://auth.example.com", audience: "https://orders.example.com" })
 * ).pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 */
export const layer: <E, R>(
  make: Effect.Effect<TokenVerifier["Type"], E, R>
) => Layer.Layer<TokenVerifier, E, Exclude<R, Scope.Scope>> = internal.layer

/**
 * A layer of the {@link TokenVerifier} service whose constructor is read from
 * Effect `Config`, e.g. with {@link staticTokenConfig}.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { TokenVerifier } from "@grantflow/resource-server"
 *
 * const VerifierLive = TokenVerifier.layerConfig(TokenVerifier.staticTokenConfig({ prefix: "WEBHOOK" }))
 * ```
 */
export const layerConfig: <E, R>(
  config: Config.Config<Effect.Effect<TokenVerifier["Type"], E, R>>
) => Layer.Layer<TokenVerifier, E | ConfigError.ConfigError, Exclude<R, Scope.Scope>> = internal.layerConfig
