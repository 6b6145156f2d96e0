/**
 * The authorization code flow (RFC 6749 §4.1) from the client's side, with
 * PKCE (RFC 7636) and the `iss` check of RFC 9207:
 *
 * 1. {@link start} builds the URL to send the user to, and a {@link Pending}
 *    to keep until the user comes back (its `state`, PKCE verifier, nonce);
 *    {@link push} does the same with a pushed authorization request
 *    (RFC 9126), which servers may require;
 * 2. {@link callback} checks what arrives on the redirect URI against it —
 *    a pure function;
 * 3. {@link exchange} trades the code for the first token, once.
 *
 * The first token's refresh token then starts a `Grant.refreshTokenFlow`,
 * which a `TokenProvider` keeps fresh.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Dpop from "./Dpop.js"
import type * as Endpoint from "./Endpoint.js"
import type * as Grant from "./Grant.js"
import * as authorizationCode from "./internal/authorizationCode.js"
import * as dpop from "./internal/dpop.js"
import * as endpoint from "./internal/endpoint.js"
import * as pkce from "./internal/pkce.js"
import * as tokenRequest from "./internal/tokenRequest.js"
import * as TokenError from "./TokenError.js"

/**
 * How the PKCE code challenge is derived from the verifier: `S256`
 * (SHA-256, the one to use) or `plain` (the verifier itself, only for servers
 * that support nothing else).
 *
 * @since 0.1.0
 * @category models
 */
export type PkceMethod = "S256" | "plain"

/**
 * A new PKCE code verifier: `length` characters (43 to 128, default 64) drawn
 * uniformly from the unreserved set `A-Z a-z 0-9 - . _ ~` with
 * `crypto.getRandomValues` (RFC 7636 §4.1). A length outside 43–128 is a
 * defect.
 *
 * @since 0.1.0
 * @category pkce
 * @example
 * ```ts
 * import { AuthorizationCode } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.map(AuthorizationCode.generateVerifier(), (verifier) => Redacted.value(verifier).length) // 64
 * ```
 */
export const generateVerifier = (length: number = pkce.defaultVerifierLength): Effect.Effect<Redacted.Redacted<string>> =>
  Effect.sync(() => pkce.unsafeVerifier(length))

/**
 * The code challenge of a verifier (RFC 7636 §4.2): for `S256` (the default)
 * the unpadded base64url of its SHA-256 digest, computed with WebCrypto; for
 * `plain` the verifier itself.
 *
 * @since 0.1.0
 * @category pkce
 * @example
 * ```ts
 * import { AuthorizationCode } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * // RFC 7636 Appendix B
 * const challenge = AuthorizationCode.challenge(Redacted.make("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
 * // Effect.succeed("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
 * ```
 */
export const challenge = (verifier: Redacted.Redacted<string>, method: PkceMethod = "S256"): Effect.Effect<string> =>
  pkce.challenge(verifier, method)

/**
 * Options of {@link start}:
 *
 * - `authorizeUrl`: the authorization endpoint; `https:` unless its host is
 *   loopback or `allowInsecure` is `true`. Its own query is kept;
 * - `clientId`, `redirectUri`: as registered with the server;
 * - `scopes`: sent space-separated as `scope` (omitted when empty);
 * - `state`: the `state` to send (default: 256 random bits, base64url);
 * - `nonce`: `true` to send a random OpenID Connect `nonce`;
 * - `pkce`: the challenge method, `S256` by default; `false` sends none;
 * - `resource`: one or more `resource` parameters (RFC 8707 §2.1), the
 *   resource servers the tokens are for; {@link exchange} sends them again
 *   with the code;
 * - `extraParams`: other parameters, e.g. `access_type: "offline"` and
 *   `prompt: "consent"` for a Google refresh token. They cannot set a
 *   parameter that `start` sets;
 * - `dpop`: the DPoP key the code will be exchanged with (the endpoint's
 *   `dpop`, RFC 9449): its thumbprint is sent as `dpop_jkt` (§10), and the
 *   server binds the code to it, so that a code stolen on its way back is
 *   worth nothing without the key. {@link push} sends the endpoint's key
 *   unless told another.
 *
 * @since 0.1.0
 * @category models
 */
export interface StartOptions {
  readonly authorizeUrl: string | URL
  readonly clientId: string
  readonly redirectUri: string
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly state?: string | undefined
  readonly nonce?: boolean | undefined
  readonly pkce?: PkceMethod | false | undefined
  readonly resource?: string | ReadonlyArray<string> | undefined
  readonly extraParams?: Readonly<Record<string, string>> | undefined
  readonly allowInsecure?: boolean | undefined
  readonly dpop?: Dpop.DpopKey | undefined
}

/**
 * An authorization in progress: what {@link callback} and {@link exchange}
 * need once the user comes back. Keep it server-side (a session), never in
 * the browser: the verifier is what makes a stolen code useless.
 *
 * @since 0.1.0
 * @category models
 */
export class Pending extends Data.Class<{
  readonly clientId: string
  readonly redirectUri: string
  /** The `state` sent, which the callback must carry back. */
  readonly state: string
  /** The PKCE code verifier, when a challenge was sent. */
  readonly verifier: Option.Option<Redacted.Redacted<string>>
  /** The OpenID Connect `nonce` sent, which the ID token must carry. */
  readonly nonce: Option.Option<string>
  /** The resource indicators sent (RFC 8707), which the code exchange sends again. */
  readonly resource?: ReadonlyArray<string> | undefined
}> {}

/**
 * What {@link start} returns: the URL to send the user to, and the
 * {@link Pending} authorization to keep until they come back.
 *
 * @since 0.1.0
 * @category models
 */
export interface Started {
  readonly url: URL
  readonly pending: Pending
}

/**
 * {@link start} refused its options: an unusable authorization URL or
 * redirect URI, or a parameter set twice.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { AuthorizationCode } from "@grantflow/core"
 *
 * const error = new AuthorizationCode.InvalidAuthorizationRequest({ reason: "the redirect URI is not an absolute URI" })
 * error.message // "the authorization request was not built: the redirect URI is not an absolute URI"
 * ```
 */
export class InvalidAuthorizationRequest extends TokenError.TaggedError("InvalidAuthorizationRequest")<{
  readonly reason: string
}> {
  override get message(): string {
    return `the authorization request was not built: ${this.reason}`
  }
}

// Set by `start`; an extra parameter that repeats one would be ambiguous (RFC 6749 §3.1).
const reservedParams: ReadonlySet<string> = new Set([
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "resource",
  "dpop_jkt"
])

const parseUrl = (url: string | URL): URL | undefined => {
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

const checkStart = (options: StartOptions): Either.Either<URL, InvalidAuthorizationRequest> => {
  const invalid = (reason: string) => Either.left(new InvalidAuthorizationRequest({ reason }))
  const checked = endpoint.checkUrl(options.authorizeUrl, options.allowInsecure === true, "authorization URL")
  if (Either.isLeft(checked)) return invalid(checked.left)
  const url = checked.right
  const redirect = parseUrl(options.redirectUri)
  if (redirect === undefined) return invalid("the redirect URI is not an absolute URI (RFC 6749 §3.1.2)")
  if (redirect.hash !== "") return invalid("the redirect URI must not contain a fragment (RFC 6749 §3.1.2)")
  if (options.clientId === "") return invalid("the client id is empty")
  if (options.state === "") return invalid("the state is empty; leave it out to get a random one")
  const clash = [...reservedParams, ...Object.keys(options.extraParams ?? {})].find((key) => url.searchParams.has(key))
  if (clash !== undefined) return invalid(`the authorization URL's query already has "${clash}"`)
  const reserved = Object.keys(options.extraParams ?? {}).find((key) => reservedParams.has(key))
  if (reserved !== undefined) return invalid(`extraParams cannot set "${reserved}": start sets it`)
  return Either.right(url)
}

/** The checked authorization URL, the parameters of the request in order, and the pending authorization. */
interface Built {
  readonly url: URL
  readonly params: ReadonlyArray<readonly [string, string]>
  readonly pending: Pending
}

const build = (options: StartOptions): Effect.Effect<Built, InvalidAuthorizationRequest> =>
  Effect.gen(function*() {
    const url = yield* Effect.suspend(() => checkStart(options))
    const state = options.state ?? pkce.unsafeRandomToken()
    const method = options.pkce ?? "S256"
    const verifier = method === false ? Option.none() : Option.some(pkce.unsafeVerifier(pkce.defaultVerifierLength))
    const nonce = options.nonce === true ? Option.some(pkce.unsafeRandomToken()) : Option.none()
    const scopes = (options.scopes ?? []).filter((scope) => scope !== "")
    const params: Array<readonly [string, string]> = [
      ["response_type", "code"],
      ["client_id", options.clientId],
      ["redirect_uri", options.redirectUri]
    ]
    if (scopes.length > 0) params.push(["scope", scopes.join(" ")])
    params.push(["state", state])
    if (method !== false && Option.isSome(verifier)) {
      params.push(["code_challenge", yield* pkce.challenge(verifier.value, method)], ["code_challenge_method", method])
    }
    if (Option.isSome(nonce)) params.push(["nonce", nonce.value])
    const resource = tokenRequest.resourceParams(options.resource)
    params.push(...resource)
    if (options.dpop !== undefined) params.push(["dpop_jkt", yield* dpop.thumbprint(options.dpop)])
    params.push(...Object.entries(options.extraParams ?? {}))
    return {
      url,
      params,
      pending: new Pending({
        clientId: options.clientId,
        redirectUri: options.redirectUri,
        state,
        verifier,
        nonce,
        ...(resource.length > 0 ? { resource: resource.map(([, value]) => value) } : {})
      })
    }
  })

/**
 * Starts an authorization (RFC 6749 §4.1.1): the URL to send the user to,
 * with `response_type=code`, the client id, the redirect URI, the scopes, a
 * `state`, an S256 PKCE challenge unless told otherwise, a `nonce` when
 * asked and the `dpop_jkt` of a `dpop` key; and the {@link Pending}
 * authorization to keep for the callback.
 * A server whose metadata says `require_pushed_authorization_requests`
 * refuses such a URL: start with {@link push} there.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { AuthorizationCode } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const { url, pending } = yield* AuthorizationCode.start({
 *     authorizeUrl: "https://accounts.example.com/o/oauth2/auth",
 *     clientId: "my-client",
 *     redirectUri: "https://app.example.com/callback",
 *     scopes: ["openid", "calendar.readonly"],
 *     extraParams: { access_type: "offline", prompt: "consent" }
 *   })
 *   // redirect the user to `url`; keep `pending` in the session
 *   return url.href
 * })
 * ```
 */
export const start = (options: StartOptions): Effect.Effect<Started, InvalidAuthorizationRequest> =>
  Effect.map(build(options), ({ params, pending, url }) => {
    for (const [key, value] of params) url.searchParams.append(key, value)
    return { url, pending }
  })

/**
 * What {@link push} returns: the URL to send the user to — the
 * authorization endpoint with only `client_id` and `request_uri` — the
 * {@link Pending} authorization, and the pushed request's `request_uri` and
 * lifetime: the user must reach the authorization endpoint within
 * `expiresIn`, and the `request_uri` serves once.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pushed extends Started {
  readonly requestUri: string
  readonly expiresIn: Duration.Duration
}

/**
 * Starts an authorization with a pushed authorization request (RFC 9126):
 * the parameters {@link start} would put in the URL — client id, redirect
 * URI, scopes, `state`, PKCE challenge, `nonce`, `resource`, extra
 * parameters — are
 * POSTed to the endpoint's pushed authorization request endpoint
 * (`pushedAuthorizationUrl`, or `pushed_authorization_request_endpoint`
 * from the metadata) with the endpoint's client authentication, as at the
 * token endpoint. The user is then sent to the authorization endpoint with
 * only `client_id` and the `request_uri` the server answered, so nothing of
 * the request can be read or changed in the browser. The callback is checked
 * with {@link callback} and the code exchanged with {@link exchange}, as
 * after {@link start}. With a DPoP key on the endpoint (or in `options`),
 * the request names it with `dpop_jkt` (RFC 9449 §10).
 *
 * Use it whenever the server offers it, and always when its metadata says
 * `require_pushed_authorization_requests` (the endpoint's
 * `requirePushedAuthorizationRequests`): such a server refuses an
 * authorization request in the URL. An endpoint without a pushed
 * authorization request URL fails with `TokenError.InvalidTokenRequest`
 * before anything is sent; the server's refusal is a `TokenError.OAuthError`
 * naming the `pushedAuthorization` endpoint. The endpoint's client
 * authentication must be for `clientId`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { AuthorizationCode, ClientAuth, Endpoint } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const endpoint = yield* Endpoint.discover("https://accounts.example.com", {
 *     auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 *   })
 *   const { pending, url } = yield* AuthorizationCode.push(endpoint, {
 *     authorizeUrl: "https://accounts.example.com/authorize",
 *     clientId: "my-client",
 *     redirectUri: "https://app.example.com/callback",
 *     scopes: ["openid", "orders.read"]
 *   })
 *   // redirect the user to `url` (…/authorize?client_id=my-client&request_uri=urn:…); keep `pending`
 *   return url.href
 * })
 * ```
 */
export const push = (
  endpoint: Endpoint.Endpoint,
  options: StartOptions
): Effect.Effect<Pushed, InvalidAuthorizationRequest | TokenError.TokenError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    if (endpoint.auth?.clientId !== options.clientId) {
      return yield* new TokenError.InvalidTokenRequest({
        reason: "the endpoint's client authentication is not for the client id of the authorization request" +
          " (a public client authenticates with ClientAuth.none(clientId))"
      })
    }
    const { params, pending, url } = yield* build({
      ...options,
      allowInsecure: options.allowInsecure === true || endpoint.allowInsecure,
      dpop: options.dpop ?? endpoint.dpop
    })
    const pushed = yield* authorizationCode.push(endpoint, params.filter(([key]) => key !== "client_id"))
    url.searchParams.append("client_id", options.clientId)
    url.searchParams.append("request_uri", pushed.requestUri)
    return { url, pending, requestUri: pushed.requestUri, expiresIn: pushed.expiresIn }
  })

/**
 * A callback that passed every check: the code (`None` only with
 * `withoutCode`), the `state`, and the `iss` the server sent, if any.
 *
 * @since 0.1.0
 * @category models
 */
export class CallbackResult extends Data.Class<{
  readonly code: Option.Option<Redacted.Redacted<string>>
  readonly state: string
  readonly issuer: Option.Option<string>
}> {}

/**
 * The `error` codes an authorization response may carry: those of RFC 6749
 * §4.1.2.1 and OpenID Connect Core §3.1.2.6. A message or a page names a
 * code only when it is one of these: the callback arrives in a URL anyone can
 * craft, and nothing it carries is repeated to a user or a log.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { AuthorizationCode } from "@grantflow/core"
 *
 * AuthorizationCode.registeredErrors.has("access_denied") // true
 * ```
 */
export const registeredErrors: ReadonlySet<string> = new Set([
  "invalid_request",
  "unauthorized_client",
  "access_denied",
  "unsupported_response_type",
  "invalid_scope",
  "server_error",
  "temporarily_unavailable",
  "interaction_required",
  "login_required",
  "account_selection_required",
  "consent_required",
  "invalid_request_uri",
  "invalid_request_object",
  "request_not_supported",
  "request_uri_not_supported",
  "registration_not_supported",
  // RFC 8707 §2: a resource the server does not know or will not issue tokens for
  "invalid_target"
])

/**
 * The longest callback query {@link callback} reads, 8 KiB (8192
 * characters): an authorization response is a few hundred characters. A
 * longer one is an {@link InvalidCallback} (`TooLong`), refused before it is
 * parsed.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { AuthorizationCode } from "@grantflow/core"
 *
 * const fits = (url: URL) => url.search.length <= AuthorizationCode.maxCallbackLength
 * ```
 */
export const maxCallbackLength = 8192

/**
 * The authorization server sent the user back with an error (RFC 6749
 * §4.1.2.1), e.g. `access_denied` when the user declined. The fields hold
 * what the server sent; the message names the code only when it is one of
 * {@link registeredErrors}, and quotes neither the description nor the URI.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { AuthorizationCode } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const error = new AuthorizationCode.AuthorizationFailed({
 *   error: "access_denied",
 *   description: Option.some("The user denied access"),
 *   uri: Option.none()
 * })
 * error.message // says the user declined
 * ```
 */
export class AuthorizationFailed extends TokenError.TaggedError("AuthorizationFailed")<{
  /** The OAuth `error` code, e.g. `access_denied`. */
  readonly error: string
  /** The server's `error_description`, if any. */
  readonly description: Option.Option<string>
  /** The server's `error_uri`, if any. */
  readonly uri: Option.Option<string>
}> {
  override get message(): string {
    const code = registeredErrors.has(this.error) ? `"${this.error}"` : "an error code that is not a registered one"
    const details = Option.isSome(this.description) || Option.isSome(this.uri)
      ? " (the server's description is in the error's description and uri fields)"
      : ""
    const advice = this.error === "access_denied"
      ? "the user or the server declined; ask the user to try again"
      : this.error === "temporarily_unavailable" || this.error === "server_error"
      ? "the server had a problem; ask the user to try again later"
      : "check the authorization request (client id, redirect URI, scopes, resource)"
    return `the authorization failed with ${code}${details}; ${advice}`
  }
}

/**
 * Why a callback was rejected:
 *
 * - `StateMissing`, `StateMismatch`: it does not carry the `state` of the
 *   pending authorization: it may be forged (CSRF) or belong to another one;
 * - `IssuerMissing`, `IssuerMismatch`: the RFC 9207 `iss` is absent though
 *   required, or names another server (a mix-up attack);
 * - `CodeMissing`: there is neither a code nor an error;
 * - `DuplicateParameter`: a parameter appears more than once (RFC 6749 §3.1);
 * - `TooLong`: the query is longer than {@link maxCallbackLength}.
 *
 * @since 0.1.0
 * @category models
 */
export type InvalidCallbackReason =
  | "StateMissing"
  | "StateMismatch"
  | "IssuerMissing"
  | "IssuerMismatch"
  | "CodeMissing"
  | "DuplicateParameter"
  | "TooLong"

/**
 * A callback that must not be used: see {@link InvalidCallbackReason}.
 * `parameter` names the duplicated parameter (one of the response's own).
 * The message quotes nothing the callback carried.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { AuthorizationCode } from "@grantflow/core"
 *
 * const error = new AuthorizationCode.InvalidCallback({ reason: "StateMismatch" })
 * error.message // explains the state check
 * ```
 */
export class InvalidCallback extends TokenError.TaggedError("InvalidCallback")<{
  readonly reason: InvalidCallbackReason
  readonly parameter?: string | undefined
}> {
  override get message(): string {
    const restart = "; start the authorization again"
    switch (this.reason) {
      case "StateMissing":
        return "the callback has no state, so it cannot be matched to the authorization that was started" + restart
      case "StateMismatch":
        return "the callback's state is not the one sent: it belongs to another authorization or was forged" + restart
      case "IssuerMissing":
        return "the callback has no iss parameter, which this server always sends (RFC 9207)" + restart
      case "IssuerMismatch":
        return "the callback's iss names another authorization server than expected (RFC 9207 mix-up defence)" +
          restart
      case "CodeMissing":
        return "the callback has neither a code nor an error" + restart
      case "DuplicateParameter":
        return `the callback has the parameter "${this.parameter ?? ""}" more than once (RFC 6749 §3.1)` + restart
      case "TooLong":
        return `the callback's query is longer than ${maxCallbackLength} characters, far more than an ` +
          "authorization response needs" + restart
    }
  }
}

/**
 * The ways a callback can fail.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizationError = AuthorizationFailed | InvalidCallback

/**
 * Options of {@link callback}:
 *
 * - `issuer`: the authorization server's issuer identifier. When set, an
 *   `iss` in the callback must equal it;
 * - `issuerRequired`: the server advertises
 *   `authorization_response_iss_parameter_supported`, so `iss` must be there
 *   (needs `issuer`);
 * - `withoutCode`: accept a callback without a code, for the integrations
 *   whose token endpoint is then called without one.
 *
 * @since 0.1.0
 * @category models
 */
export type CallbackOptions =
  & { readonly withoutCode?: boolean | undefined }
  & (
    | { readonly issuer: string; readonly issuerRequired?: boolean | undefined }
    | { readonly issuer?: undefined; readonly issuerRequired?: false | undefined }
  )

const callbackParams = ["state", "code", "error", "error_description", "error_uri", "iss"] as const

type CallbackParam = (typeof callbackParams)[number]

const tooLong = () => Either.left(new InvalidCallback({ reason: "TooLong" }))

const readParams = (
  received: URL | URLSearchParams | Readonly<Record<string, string>>
): Either.Either<Partial<Record<CallbackParam, string>>, InvalidCallback> => {
  // the URL's query is measured before it is parsed; the other forms as they are read
  if (received instanceof URL && received.search.length > maxCallbackLength + 1) return tooLong()
  const entries: Iterable<readonly [string, string]> = received instanceof URL
    ? received.searchParams
    : received instanceof URLSearchParams
    ? received
    : Object.entries(received)
  const params: Partial<Record<CallbackParam, string>> = {}
  let length = 0
  for (const [key, value] of entries) {
    // as in a query: `key=value`, `&` between
    length += key.length + value.length + 2
    if (length > maxCallbackLength + 1) return tooLong()
    // Unknown parameters are ignored: servers and proxies add their own.
    if (!(callbackParams as ReadonlyArray<string>).includes(key)) continue
    const name = key as CallbackParam
    if (params[name] !== undefined) return Either.left(new InvalidCallback({ reason: "DuplicateParameter", parameter: name }))
    params[name] = value
  }
  return Either.right(params)
}

const present = (value: string | undefined): Option.Option<string> =>
  value === undefined || value === "" ? Option.none() : Option.some(value)

/**
 * Checks what arrived on the redirect URI (RFC 6749 §4.1.2) against the
 * pending authorization — the query of a `URL`, a `URLSearchParams` (a
 * `form_post` body, say) or a record — in this order:
 *
 * 1. the query is at most {@link maxCallbackLength} characters long;
 * 2. no parameter of the response appears twice;
 * 3. `state` is present and is the one sent;
 * 4. `iss` (RFC 9207), when `issuer` is given: equal to it if present, and
 *    present if `issuerRequired`;
 * 5. an `error` becomes an {@link AuthorizationFailed};
 * 6. `code` is present, unless `withoutCode`.
 *
 * Unknown parameters are ignored (they may repeat). Linear in the length of
 * the query, and pure: nothing is sent. No error quotes what the callback
 * carried.
 *
 * @since 0.1.0
 * @category combinators
 * @example
 * ```ts
 * import { AuthorizationCode } from "@grantflow/core"
 * import { Either } from "effect"
 *
 * declare const pending: AuthorizationCode.Pending
 * declare const requestUrl: URL // https://app.example.com/callback?code=…&state=…&iss=…
 *
 * const result = AuthorizationCode.callback(pending, requestUrl, { issuer: "https://accounts.example.com" })
 * const problem = Either.isLeft(result) ? result.left.message : undefined // no code, no state in it
 * ```
 */
export const callback = (
  pending: Pending,
  received: URL | URLSearchParams | Readonly<Record<string, string>>,
  options: CallbackOptions = {}
): Either.Either<CallbackResult, AuthorizationError> =>
  Either.flatMap(readParams(received), (params): Either.Either<CallbackResult, AuthorizationError> => {
    const state = present(params.state)
    if (Option.isNone(state)) return Either.left(new InvalidCallback({ reason: "StateMissing" }))
    if (state.value !== pending.state) return Either.left(new InvalidCallback({ reason: "StateMismatch" }))
    const issuer = present(params.iss)
    if (options.issuer !== undefined) {
      if (Option.isSome(issuer) && issuer.value !== options.issuer) {
        return Either.left(new InvalidCallback({ reason: "IssuerMismatch" }))
      }
      if (Option.isNone(issuer) && options.issuerRequired === true) {
        return Either.left(new InvalidCallback({ reason: "IssuerMissing" }))
      }
    }
    const error = present(params.error)
    if (Option.isSome(error)) {
      return Either.left(
        new AuthorizationFailed({
          error: error.value,
          description: present(params.error_description),
          uri: present(params.error_uri)
        })
      )
    }
    const code = present(params.code)
    if (Option.isNone(code) && options.withoutCode !== true) {
      return Either.left(new InvalidCallback({ reason: "CodeMissing" }))
    }
    return Either.right(
      new CallbackResult({ code: Option.map(code, Redacted.make), state: state.value, issuer })
    )
  })

/**
 * Exchanges the code of a checked callback for the first token (RFC 6749
 * §4.1.3): the code, the pending authorization's redirect URI and PKCE
 * verifier, at the endpoint, whose client authentication's client id must be
 * the one the authorization was started with. Without a code (`withoutCode`)
 * the request is sent without one. `extraParams` are further parameters of
 * the request, for a provider that takes some (Shopify's `expiring: "1"` for
 * an expiring token); they cannot set the grant's own. This is grantflow's
 * one code exchange.
 *
 * A code can be used once. The returned effect sends its request the first
 * time it runs and never again: a later run fails with
 * `TokenError.InvalidTokenRequest` without sending anything. Its failures
 * are {@link TokenError.CodeExchangeFailed}, which is never retryable, so a
 * `TokenProvider` never repeats it; do not wrap it in a retry, start the
 * authorization again. A response without an access
 * token — even one with a refresh token — is one of them, and yields nothing
 * to store. The token's `refreshToken`, when the server issued one, is the
 * `initial` of a `Grant.refreshTokenFlow`.
 *
 * @since 0.1.0
 * @category grants
 * @example
 * ```ts
 * import { AuthorizationCode, ClientAuth, Endpoint } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * declare const pending: AuthorizationCode.Pending
 * declare const requestUrl: URL
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://accounts.example.com/o/oauth2/token",
 *   auth: ClientAuth.clientSecretPost("my-client", Redacted.make("s3cret"))
 * })
 *
 * const program = Effect.gen(function*() {
 *   const result = yield* AuthorizationCode.callback(pending, requestUrl)
 *   const token = yield* AuthorizationCode.exchange(endpoint, pending, result)
 *   return token.refreshToken // the initial refresh token of Grant.refreshTokenFlow
 * })
 * ```
 */
export const exchange = (
  endpoint: Endpoint.Endpoint,
  pending: Pending,
  result: CallbackResult,
  options: { readonly extraParams?: Readonly<Record<string, string>> | undefined } = {}
): Grant.TokenSource => {
  if (endpoint.auth?.clientId !== pending.clientId) {
    return Effect.fail(
      new TokenError.InvalidTokenRequest({
        reason: "the endpoint's client authentication is not for the client id the authorization was started with" +
          " (a public client authenticates with ClientAuth.none(clientId))"
      })
    )
  }
  if (result.state !== pending.state) {
    return Effect.fail(
      new TokenError.InvalidTokenRequest({ reason: "the callback result belongs to another pending authorization" })
    )
  }
  return authorizationCode.exchange({
    endpoint,
    code: result.code,
    redirectUri: pending.redirectUri,
    verifier: pending.verifier,
    resource: pending.resource,
    extraParams: options.extraParams
  })
}
