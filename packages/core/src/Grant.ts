/**
 * Grants: how an access token is obtained from a token endpoint.
 *
 * A grant at an `Endpoint` (the token URL, the client authentication and
 * the settings every request shares) is a *token source*: a
 * {@link TokenSource}, which sends one token request each time it runs. Give
 * it to `TokenProvider.layer` to cache and refresh the token.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AccessToken from "./AccessToken.js"
import * as ClientAuth from "./ClientAuth.js"
import * as Endpoint from "./Endpoint.js"
import * as assertionInternal from "./internal/assertion.js"
import * as deviceCodeInternal from "./internal/deviceCode.js"
import * as dpopInternal from "./internal/dpop.js"
import * as oauthError from "./internal/oauthError.js"
import * as internal from "./internal/tokenRequest.js"
import * as tokenStore from "./internal/tokenStore.js"
import * as TokenError from "./TokenError.js"

/**
 * An effect that obtains a token: each run asks the authorization server for
 * one (Go's `TokenSource`). Every grant is one; `TokenProvider`,
 * `TokenStore.shared` and `Connector.fetch` take one.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const source: Grant.TokenSource = Grant.clientCredentials(
 *   Endpoint.make({
 *     tokenUrl: "https://auth.example.com/oauth/token",
 *     auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 *   })
 * )
 * ```
 */
export type TokenSource<E = TokenError.TokenError, R = HttpClient.HttpClient> = Effect.Effect<
  AccessToken.AccessToken,
  E,
  R
>

/**
 * Options of the client credentials grant:
 *
 * - `scopes`: sent space-separated as `scope` (omitted when empty);
 * - `audience`: the `audience` parameter that Auth0, Okta and others expect;
 * - `resource`: one or more `resource` parameters (RFC 8707);
 * - `extraParams`: any other form parameters. They cannot set `grant_type`,
 *   the client authentication parameters, or a parameter that the options
 *   above already set.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientCredentialsOptions {
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly audience?: string | undefined
  readonly resource?: string | ReadonlyArray<string> | undefined
  readonly extraParams?: Readonly<Record<string, string>> | undefined
}

const { many, resourceParams: resources } = internal

/**
 * The client credentials grant (RFC 6749 §4.4): the client obtains a token
 * for itself, with the endpoint's client authentication. Each run sends one
 * token request.
 *
 * @since 0.1.0
 * @category grants
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant } from "@grantflow/core"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Redacted } from "effect"
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 * })
 * const fetchToken = Grant.clientCredentials(endpoint, {
 *   scopes: ["orders.read"],
 *   audience: "https://api.example.com"
 * })
 *
 * const token = fetchToken.pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const clientCredentials = (
  endpoint: Endpoint.Endpoint,
  options: ClientCredentialsOptions = {}
): TokenSource => {
  const scopes = (options.scopes ?? []).filter((scope) => scope !== "")
  const params = [
    ...(scopes.length > 0 ? [["scope", scopes.join(" ")] as const] : []),
    ...(options.audience !== undefined ? [["audience", options.audience] as const] : []),
    ...resources(options.resource)
  ]
  const extra = internal.checkExtraParams(options.extraParams, params.map(([key]) => key))
  if (Either.isLeft(extra)) return Effect.fail(extra.left)
  return internal.execute({ endpoint, grantType: "client_credentials", params: [...params, ...extra.right] })
}

/**
 * Options of {@link clientCredentialsConfig}: a `prefix` for the
 * configuration names (`CRM` reads `CRM_TOKEN_URL` from the environment),
 * and the endpoint settings and grant options that are set in code rather
 * than configured.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientCredentialsConfigOptions
  extends Omit<Endpoint.Settings, "auth">, Omit<ClientCredentialsOptions, "scopes">
{
  readonly prefix?: string | undefined
}

const splitScopes = (text: string): ReadonlyArray<string> => text.split(/[\s,]+/).filter((scope) => scope !== "")

/**
 * The client credentials grant, configured from Effect `Config`
 * (environment variables by default):
 *
 * - `TOKEN_URL`: the token endpoint (checked as in `Endpoint.make`, so an
 *   unsafe URL fails when the configuration is read);
 * - `CLIENT_ID`, `CLIENT_SECRET` (read with `Config.redacted`);
 * - `SCOPES` (optional): separated by spaces or commas;
 * - `AUTH_METHOD` (optional): `client_secret_basic` (the default) or
 *   `client_secret_post`.
 *
 * It yields the fetch itself, which is what `TokenProvider.layerConfig`
 * takes.
 *
 * @since 0.1.0
 * @category grants
 * @example
 * ```ts
 * import { Grant, TokenProvider } from "@grantflow/core"
 *
 * // reads CRM_TOKEN_URL, CRM_CLIENT_ID, CRM_CLIENT_SECRET, CRM_SCOPES, CRM_AUTH_METHOD
 * const TokenLive = TokenProvider.layerConfig(
 *   Grant.clientCredentialsConfig({ prefix: "CRM", audience: "https://crm.example.com" })
 * )
 * ```
 */
export const clientCredentialsConfig = (
  options: ClientCredentialsConfigOptions = {}
): Config.Config<TokenSource> => {
  const { allowInsecure, audience, defaultLifetime, extraParams, maxLifetime, prefix, resource, timeout } = options
  const tokenUrl = Config.mapOrFail(
    Config.string("TOKEN_URL"),
    (url) =>
      Either.mapLeft(
        Endpoint.url(Endpoint.make({ tokenUrl: url, allowInsecure }), "token"),
        (error) => ConfigError.InvalidData([], error.reason)
      )
  )
  const config = Config.all({
    tokenUrl,
    clientId: Config.string("CLIENT_ID"),
    clientSecret: Config.redacted("CLIENT_SECRET"),
    scopes: Config.string("SCOPES").pipe(Config.map(splitScopes), Config.withDefault([])),
    authMethod: Config.literal("client_secret_basic", "client_secret_post")("AUTH_METHOD").pipe(
      Config.withDefault("client_secret_basic" as const)
    )
  })
  return Config.map(
    prefix === undefined ? config : Config.nested(config, prefix),
    ({ authMethod, clientId, clientSecret, scopes, tokenUrl }) =>
      clientCredentials(
        Endpoint.make({
          tokenUrl,
          auth: authMethod === "client_secret_post"
            ? ClientAuth.clientSecretPost(clientId, clientSecret)
            : ClientAuth.clientSecretBasic(clientId, clientSecret),
          allowInsecure,
          timeout,
          defaultLifetime,
          maxLifetime
        }),
        { scopes, audience, resource, extraParams }
      )
  )
}

/**
 * Options of the refresh token grant: the `refreshToken` to send,
 * `scopes`, sent space-separated as `scope` to ask
 * for a narrower token (omitted when empty: the scopes originally granted),
 * and `resource`, one or more `resource` parameters (RFC 8707 §2.2) naming
 * the resource servers the new access token is for.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshTokenOptions {
  readonly refreshToken: Redacted.Redacted<string>
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly resource?: string | ReadonlyArray<string> | undefined
}

/**
 * The refresh token grant (RFC 6749 §6): one token request that trades a
 * refresh token for a new access token. Each run sends one request.
 *
 * The token's `refreshToken` is always the one to use next: the new one when
 * the server rotated it, otherwise the one that was sent. An `invalid_grant`
 * answer is a {@link TokenError.ReauthorizationRequired}. With a DPoP key
 * the request carries a proof of it: the endpoint's, or — when the refresh
 * runs in a `TokenStore.shared` fetch — the key stored with the token
 * refreshed, which the refresh token is bound to.
 *
 * To keep a token fresh, and a rotated refresh token saved, use
 * {@link refreshTokenFlow}.
 *
 * @since 0.1.0
 * @category grants
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   auth: ClientAuth.clientSecretPost("my-client", Redacted.make("s3cret"))
 * })
 * const fetchToken = Grant.refreshToken(endpoint, { refreshToken: Redacted.make("stored-refresh-token") })
 * ```
 */
export const refreshToken = (endpoint: Endpoint.Endpoint, options: RefreshTokenOptions): TokenSource => {
  const scopes = (options.scopes ?? []).filter((scope) => scope !== "")
  return FiberRef.get(dpopInternal.currentRefreshKey).pipe(
    Effect.flatMap((dpop) =>
      internal.execute({
        endpoint,
        grantType: "refresh_token",
        params: [
          ["refresh_token", options.refreshToken],
          ...(scopes.length > 0 ? [["scope", scopes.join(" ")] as const] : []),
          ...resources(options.resource)
        ],
        dpop
      })
    ),
    Effect.map((token) =>
      Option.isSome(token.refreshToken)
        ? token
        : new AccessToken.AccessToken({ ...token, refreshToken: Option.some(options.refreshToken) })
    ),
    Effect.catchTag("OAuthError", (error) =>
      Effect.fail(
        error.error === "invalid_grant" ? new TokenError.ReauthorizationRequired({ cause: error }) : error
      ))
  )
}

/**
 * Options of {@link refreshTokenFlow}: those of {@link refreshToken}, with
 *
 * - `initial`: the refresh token to start from (the stored one, or the one
 *   the authorization code exchange returned);
 * - `onRotate`: saves a rotated refresh token. It runs, and must succeed,
 *   before the access token of that response is handed out.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshTokenFlowOptions<E = never, R = never> extends Omit<RefreshTokenOptions, "refreshToken"> {
  readonly initial: Redacted.Redacted<string>
  readonly onRotate?: ((refreshToken: Redacted.Redacted<string>) => Effect.Effect<void, E, R>) | undefined
}

/**
 * A fetch for `TokenProvider.make` / `TokenProvider.layer` that keeps its
 * refresh token: each run sends the current refresh token (RFC 6749 §6). It
 * is `TokenStore.shared` over a store of its own that holds the one record of
 * this refresh token, and whose writes save a rotated refresh token with
 * `onRotate` — the protocol every shared fetch follows:
 *
 * - when the response carries a new refresh token, `onRotate` saves it, and
 *   only then does the new one become current and the access token get handed
 *   out. If saving fails, the run fails with
 *   {@link TokenError.RefreshTokenNotSaved} (its cause, a `TokenStoreError`,
 *   keeps `onRotate`'s error) and no access token is handed out; the new
 *   refresh token is kept in memory (the server has spent the old one, so
 *   sending it again would look like reuse and could revoke the whole
 *   chain), and the next run saves it before anything is sent, then hands out
 *   the access token that came with it;
 * - when it carries none, or the same one, the current one is kept;
 * - when the server answers `invalid_grant`, the run fails with
 *   {@link TokenError.ReauthorizationRequired} and the refresh token is
 *   discarded — if it is still the current one — so that every later run
 *   fails at once with the same error and sends nothing.
 *
 * Runs take the record's lease: a second run that starts while one is under
 * way waits for its token rather than sending the same refresh token again.
 * Run the fetch through one `TokenProvider`, whose single flight makes that
 * wait unnecessary.
 *
 * @since 0.1.0
 * @category grants
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * declare const save: (refreshToken: Redacted.Redacted<string>) => Effect.Effect<void, Error>
 *
 * const program = Effect.gen(function*() {
 *   const endpoint = Endpoint.make({
 *     tokenUrl: "https://auth.example.com/oauth/token",
 *     auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 *   })
 *   const fetch = yield* Grant.refreshTokenFlow(endpoint, {
 *     initial: Redacted.make("stored-refresh-token"),
 *     onRotate: save
 *   })
 *   const provider = yield* TokenProvider.make(fetch, { name: "calendar" })
 *   return yield* provider.get
 * })
 * ```
 */
export const refreshTokenFlow = <E = never, R = never>(
  endpoint: Endpoint.Endpoint,
  options: RefreshTokenFlowOptions<E, R>
): Effect.Effect<TokenSource, never, R> =>
  Effect.gen(function*() {
    const { initial, onRotate, ...grantOptions } = options
    const context = yield* Effect.context<R>()
    const store = yield* tokenStore.makeRotating(
      (next) => onRotate === undefined ? Effect.void : Effect.provide(onRotate(next), context),
      [[tokenStore.flowKey, tokenStore.refreshTokenRecord(initial)]]
    )
    return tokenStore.refreshTokenFlow(store, (used) => refreshToken(endpoint, { ...grantOptions, refreshToken: used }))
  })

/**
 * Fails with {@link TokenError.ReauthorizationRequired}: the `acquire` of a
 * user's connection, which only a login can start (`TokenStore.shared`,
 * `ConnectionPool.make`). Its cause is the `invalid_grant` refusal a server
 * would have sent, with `reason` as its description, shown in the message.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant, TokenStore } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * declare const key: TokenStore.Key
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 * })
 *
 * const fetch = TokenStore.shared({
 *   key,
 *   acquire: Grant.reauthorizationRequired("the user has not connected this account"),
 *   refresh: (refreshToken) => Grant.refreshToken(endpoint, { refreshToken })
 * })
 * ```
 */
export const reauthorizationRequired: (reason: string) => Effect.Effect<never, TokenError.ReauthorizationRequired> =
  oauthError.reauthorizationRequired

/**
 * What the device flow hands to `onUserCode` (RFC 8628 §3.2): the code the
 * user types, the page where they type it, that page with the code filled in
 * when the server offers one (for a QR code, say), and how long the code
 * lives.
 *
 * @since 0.1.0
 * @category models
 */
export interface UserCode {
  readonly userCode: string
  readonly verificationUri: string
  readonly verificationUriComplete?: string | undefined
  readonly expiresIn: Duration.Duration
}

/**
 * Options of {@link deviceCode}:
 *
 * - `scopes`: sent space-separated as `scope` (omitted when empty);
 * - `audience`: the `audience` parameter of the device authorization request,
 *   which Auth0 and others use to choose the API the token is for;
 * - `resource`: one or more `resource` parameters (RFC 8707), sent with the
 *   device authorization request and with each poll of the token endpoint;
 * - `extraParams`: any other parameters of the device authorization request
 *   (the token endpoint's polls carry only the device code). They cannot set
 *   the client authentication parameters or a parameter the options above
 *   already set;
 * - `onUserCode`: shows the user code to the user. Polling starts once it
 *   has succeeded; its failure ends the flow.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeviceCodeOptions<E = never, R = never> {
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly audience?: string | undefined
  readonly resource?: string | ReadonlyArray<string> | undefined
  readonly extraParams?: Readonly<Record<string, string>> | undefined
  readonly onUserCode: (info: UserCode) => Effect.Effect<void, E, R>
}

/**
 * The device authorization grant (RFC 8628), for devices without a browser
 * or keyboard, and command lines. Each run
 *
 * 1. requests a device code from the endpoint's device authorization URL
 *    (set with `Endpoint.make`'s `deviceAuthorizationUrl`, or discovered), with the scopes,
 *    the audience and the extra parameters (a failure is an `OAuthError`,
 *    `EndpointUnavailable` or `MalformedResponse` naming the
 *    `deviceAuthorization` endpoint — a user code or verification URI that
 *    holds a control character is malformed: they are shown to the user);
 * 2. hands the user code to `onUserCode`;
 * 3. polls the token endpoint, first one interval after the code was shown,
 *    at the server's `interval` (default 5 seconds; never less than 1
 *    second, whatever the server says, `0` included): on
 *    `authorization_pending` it goes on, on `slow_down` it waits 5 seconds
 *    longer from then on, and when the endpoint is briefly unavailable it
 *    doubles the wait;
 * 4. ends with the token, or with {@link TokenError.DeviceAccessDenied} when
 *    the user refuses, or {@link TokenError.DeviceCodeExpired} when the server
 *    answers `expired_token` or the code's own `expires_in` has elapsed.
 *
 * Time is read from `Clock`, so `TestClock` drives the whole flow. The device
 * code stays `Redacted`. Public clients authenticate with
 * `ClientAuth.none(clientId)`.
 *
 * @since 0.1.0
 * @category grants
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant } from "@grantflow/core"
 * import { Console } from "effect"
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   deviceAuthorizationUrl: "https://auth.example.com/oauth/device/code",
 *   auth: ClientAuth.none("my-cli")
 * })
 * const firstToken = Grant.deviceCode(endpoint, {
 *   scopes: ["openid", "offline_access"],
 *   audience: "https://api.example.com",
 *   onUserCode: ({ userCode, verificationUri }) => Console.log(`Open ${verificationUri} and enter ${userCode}`)
 * })
 * ```
 */
export const deviceCode = <E = never, R = never>(
  endpoint: Endpoint.Endpoint,
  options: DeviceCodeOptions<E, R>
): TokenSource<TokenError.TokenError | E, HttpClient.HttpClient | R> => deviceCodeInternal.run(endpoint, options)

/**
 * RFC 7523 §2.1: the `grant_type` of the JWT bearer grant.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { Grant } from "@grantflow/core"
 *
 * Grant.jwtBearerGrantType // "urn:ietf:params:oauth:grant-type:jwt-bearer"
 * ```
 */
export const jwtBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

/**
 * An assertion for {@link jwtBearer} signed at each run with `key` (`alg`
 * and `kid` as in `ClientAuth.privateKeyJwt`): `iss` is `issuer`, `sub`
 * `subject` (when given), `aud` `audience` (default: the token URL), with
 * `iat` now and `exp` `lifetime` later (default 60 seconds) from `Clock`, a
 * fresh `jti`, and any other `claims` (e.g. the `scope` claim of Google's
 * service accounts). The registered claims cannot be overridden by `claims`.
 *
 * @since 0.1.0
 * @category models
 */
export interface JwtBearerAssertion {
  readonly key: Redacted.Redacted<ClientAuth.PrivateKey>
  readonly alg?: ClientAuth.KeyAlgorithm | undefined
  readonly kid?: string | undefined
  readonly issuer: string
  readonly subject?: string | undefined
  readonly audience?: string | ReadonlyArray<string> | undefined
  readonly claims?: Readonly<Record<string, unknown>> | undefined
  readonly lifetime?: Duration.DurationInput | undefined
}

/**
 * Options of {@link jwtBearer} (RFC 7523 §2.1 does not require client
 * authentication: the endpoint's `auth` may be left out):
 *
 * - `assertion`: a JWT obtained elsewhere, sent as it is, or a
 *   {@link JwtBearerAssertion} to sign at each run;
 * - `scopes`: sent space-separated as `scope` (omitted when empty);
 * - `resource`: one or more `resource` parameters (RFC 8707).
 *
 * @since 0.1.0
 * @category models
 */
export interface JwtBearerOptions {
  readonly assertion: Redacted.Redacted<string> | JwtBearerAssertion
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly resource?: string | ReadonlyArray<string> | undefined
}

/**
 * The JWT bearer grant (RFC 7523 §2.1): a JWT is the grant — a service
 * account's signed statement, or a token from another issuer that the
 * authorization server trusts. Each run sends one token request; a signed
 * {@link JwtBearerAssertion} is signed anew for it (fresh `jti`, `iat`,
 * `exp`), so a retry never repeats an assertion.
 *
 * @since 0.1.0
 * @category grants
 * @example
 * ```ts
 * import { Endpoint, Grant } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * declare const serviceAccountPem: string
 *
 * const fetchToken = Grant.jwtBearer(Endpoint.make({ tokenUrl: "https://oauth2.googleapis.com/token" }), {
 *   assertion: {
 *     key: Redacted.make(serviceAccountPem),
 *     issuer: "robot@project.iam.gserviceaccount.com",
 *     claims: { scope: "https://www.googleapis.com/auth/cloud-platform" },
 *     lifetime: "10 minutes"
 *   }
 * })
 * ```
 */
export const jwtBearer = (endpoint: Endpoint.Endpoint, options: JwtBearerOptions): TokenSource => {
  const scopes = (options.scopes ?? []).filter((scope) => scope !== "")
  const send = (assertion: Redacted.Redacted<string>) =>
    internal.execute({
      endpoint,
      grantType: jwtBearerGrantType,
      params: [
        ["assertion", assertion],
        ...(scopes.length > 0 ? [["scope", scopes.join(" ")] as const] : []),
        ...resources(options.resource)
      ]
    })
  const given = options.assertion
  if (Redacted.isRedacted(given)) return send(given)
  return Effect.flatMap(
    Endpoint.url(endpoint, "token"),
    (url) => {
      const key = Redacted.value(given.key)
      const claims = {
        ...given.claims,
        iss: given.issuer,
        ...(given.subject === undefined ? {} : { sub: given.subject }),
        aud: given.audience ?? url.href
      }
      const signer: assertionInternal.Signer = {
        _tag: "Key",
        key: given.key,
        alg: given.alg ?? assertionInternal.inferAlgorithm(key),
        kid: given.kid === undefined ? assertionInternal.jwkKid(key) : Option.some(given.kid)
      }
      return Effect.flatMap(
        assertionInternal.sign(signer, claims, given.lifetime ?? ClientAuth.defaultAssertionLifetime, "assertion"),
        send
      )
    }
  )
}

/**
 * RFC 7523 §2.1 and RFC 8693 §3: the registered token type identifiers, for
 * `subjectTokenType`, `actorTokenType` and `requestedTokenType`.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { Grant } from "@grantflow/core"
 *
 * Grant.tokenTypes.accessToken // "urn:ietf:params:oauth:token-type:access_token"
 * ```
 */
export const tokenTypes = {
  accessToken: "urn:ietf:params:oauth:token-type:access_token",
  refreshToken: "urn:ietf:params:oauth:token-type:refresh_token",
  idToken: "urn:ietf:params:oauth:token-type:id_token",
  jwt: "urn:ietf:params:oauth:token-type:jwt",
  saml1: "urn:ietf:params:oauth:token-type:saml1",
  saml2: "urn:ietf:params:oauth:token-type:saml2"
} as const

/**
 * RFC 8693 §2.1: the `grant_type` of token exchange.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { Grant } from "@grantflow/core"
 *
 * Grant.tokenExchangeGrantType // "urn:ietf:params:oauth:grant-type:token-exchange"
 * ```
 */
export const tokenExchangeGrantType = "urn:ietf:params:oauth:grant-type:token-exchange"

/**
 * Options of {@link tokenExchange} (RFC 8693 §2.1; the endpoint's `auth` may
 * be left out):
 *
 * - `subjectToken` and its `subjectTokenType` (see {@link tokenTypes}): whom
 *   the new token is for;
 * - `actorToken` and `actorTokenType`, both or neither: who acts for them
 *   (delegation);
 * - `requestedTokenType`, `audience` and `resource` (one or more each),
 *   `scopes` (sent space-separated as `scope`).
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenExchangeOptions {
  readonly subjectToken: Redacted.Redacted<string>
  readonly subjectTokenType: string
  readonly actorToken?: Redacted.Redacted<string> | undefined
  readonly actorTokenType?: string | undefined
  readonly requestedTokenType?: string | undefined
  readonly audience?: string | ReadonlyArray<string> | undefined
  readonly resource?: string | ReadonlyArray<string> | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
}

/**
 * The result of a token exchange: the issued token, and the response's
 * `issued_token_type` (RFC 8693 §2.2.1; `None` when a server leaves it out).
 * When the issued token is not an access token, its `type` is usually
 * `N_A`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExchangedToken {
  readonly token: AccessToken.AccessToken
  readonly issuedTokenType: Option.Option<string>
}

/**
 * Token exchange (RFC 8693): trades a token — a user's access token, an ID
 * token, a workload's JWT — for another one, e.g. for a downstream API
 * (`audience`) or with narrower scopes. Each run sends one token request.
 *
 * To keep an exchanged token fresh, give its `token` to a `TokenProvider`:
 * `Effect.map(Grant.tokenExchange(endpoint, options), (exchanged) => exchanged.token)`.
 *
 * @since 0.1.0
 * @category grants
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Grant } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * declare const userToken: Redacted.Redacted<string>
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   auth: ClientAuth.clientSecretBasic("gateway", Redacted.make("s3cret"))
 * })
 * const downstream = Grant.tokenExchange(endpoint, {
 *   subjectToken: userToken,
 *   subjectTokenType: Grant.tokenTypes.accessToken,
 *   audience: "https://orders.example.com"
 * }).pipe(Effect.map((exchanged) => exchanged.token))
 * ```
 */
export const tokenExchange = (
  endpoint: Endpoint.Endpoint,
  options: TokenExchangeOptions
): Effect.Effect<ExchangedToken, TokenError.TokenError, HttpClient.HttpClient> => {
  if ((options.actorToken === undefined) !== (options.actorTokenType === undefined)) {
    return Effect.fail(
      new TokenError.InvalidTokenRequest({
        reason: "actorToken and actorTokenType go together: give both or neither (RFC 8693 §2.1)"
      })
    )
  }
  const scopes = (options.scopes ?? []).filter((scope) => scope !== "")
  const optional = (name: string, value: string | Redacted.Redacted<string> | undefined) =>
    value === undefined ? [] : [[name, value] as const]
  return internal.executeIssued({
    endpoint,
    grantType: tokenExchangeGrantType,
    params: [
      ["subject_token", options.subjectToken],
      ["subject_token_type", options.subjectTokenType],
      ...optional("actor_token", options.actorToken),
      ...optional("actor_token_type", options.actorTokenType),
      ...optional("requested_token_type", options.requestedTokenType),
      ...many(options.audience).map((audience) => ["audience", audience] as const),
      ...resources(options.resource),
      ...(scopes.length > 0 ? [["scope", scopes.join(" ")] as const] : [])
    ]
  }).pipe(
    Effect.map(({ fields, token }) => ({
      token,
      issuedTokenType: typeof fields["issued_token_type"] === "string" && fields["issued_token_type"] !== ""
        ? Option.some(fields["issued_token_type"])
        : Option.none()
    }))
  )
}
