/**
 * Connectors: one integration declared in one place.
 *
 * A {@link Definition} says everything grantflow needs to call one
 * third-party API: the configuration a user fills in (a Schema whose secret
 * fields are `Redacted`), how a token is obtained (any grant and client
 * authentication, or a custom effect), how it is put on requests, when the
 * API's answer means "refresh the token", the API's base URL (which may depend
 * on the configuration, e.g. a customer subdomain), the token response's
 * quirks and a connection test. {@link layer} turns a definition and its
 * configuration into an authenticated `HttpClient` whose relative requests go
 * to the base URL; {@link test} runs the connection test and says, without
 * secrets, what is wrong.
 *
 * The same definition can come from a JSON file: see `ConnectorSpec`.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpMethod from "@effect/platform/HttpMethod"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.js"
import type * as AuthorizationCode from "./AuthorizationCode.js"
import type * as BearerAuth from "./BearerAuth.js"
import type * as ConnectionPool from "./ConnectionPool.js"
import type * as Endpoint from "./Endpoint.js"
import type * as Grant from "./Grant.js"
import * as internal from "./internal/connector.js"
import type * as RefreshPolicy from "./RefreshPolicy.js"
import type * as Revocation from "./Revocation.js"
import type * as TokenError from "./TokenError.js"
import type * as TokenProvider from "./TokenProvider.js"
import type * as TokenResponse from "./TokenResponse.js"
import type * as TokenStore from "./TokenStore.js"

/**
 * A fetch: one token request each time it runs, e.g.
 * `Grant.clientCredentials(...)`.
 *
 * @since 0.1.0
 * @category models
 */
export type Fetch<R = never> = Grant.TokenSource<TokenError.TokenError, HttpClient.HttpClient | R>

/**
 * How a connector obtains its tokens: an effect that builds the fetch once
 * per connection (a refresh token flow keeps its refresh token between runs).
 * Build it with {@link fetch}, {@link flow} or {@link refreshTokenFlow}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Auth<R = never> {
  readonly make: Effect.Effect<Fetch<R>, never, R>
}

/**
 * What a connection has beyond its configuration, for connectors whose user
 * authorized them (the authorization code flow):
 *
 * - `token`: a token already obtained — the one {@link exchange} returned, or
 *   one loaded from a store — served until it needs refreshing;
 * - `refreshToken`: the refresh token to start from, when it is not the
 *   `token`'s (the file form's `{{ oauth.refresh_token }}`);
 * - `onRotate`: saves a rotated refresh token before its access token is
 *   used (see `Grant.refreshTokenFlow`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Session {
  readonly token?: AccessToken.AccessToken | undefined
  readonly refreshToken?: Redacted.Redacted<string> | undefined
  readonly onRotate?: ((refreshToken: Redacted.Redacted<string>) => Effect.Effect<void, unknown>) | undefined
}

/**
 * Where the token goes on each request:
 *
 * - `Header`: in the header `name`, after `prefix` and a space. Without a
 *   prefix, the `Authorization` header gets the token's type (`Bearer …`),
 *   any other header the bare token. The header is redacted from spans;
 * - `Query`: as the query parameter `name`. URLs get logged: the platform's
 *   HTTP span is turned off for these requests and the parameter is taken
 *   out of the request that errors and responses carry, but proxies and the
 *   API's own logs still see it. Prefer a header when the API takes one.
 *
 * @since 0.1.0
 * @category models
 */
export type Apply =
  | { readonly _tag: "Header"; readonly name: string; readonly prefix?: string | undefined }
  | { readonly _tag: "Query"; readonly name: string }

/**
 * `Authorization: Bearer <token>` (or the token's own type): the default.
 *
 * @since 0.1.0
 * @category apply
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * Connector.bearer // { _tag: "Header", name: "authorization" }
 * ```
 */
export const bearer: Apply = internal.bearer

/**
 * The token in the header `name`, e.g. `header("X-Auth-Token")` or
 * `header("Authorization", { prefix: "Token" })`.
 *
 * @since 0.1.0
 * @category apply
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * const apply = Connector.header("Authorization", { prefix: "Zoho-oauthtoken" })
 * ```
 */
export const header: (name: string, options?: { readonly prefix?: string | undefined }) => Apply = internal.header

/**
 * The token as the query parameter `name`; see {@link Apply} for why a
 * header is better.
 *
 * @since 0.1.0
 * @category apply
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * const apply = Connector.query("access_token")
 * ```
 */
export const query: (name: string) => Apply = internal.query

/**
 * The connection test: a request to `path` (relative to the base URL; default
 * method `GET`) that must answer one of the `expect`ed statuses (default
 * `[200]`) within `timeout` (default 30 seconds). A `body` is sent as JSON
 * (`Content-Type: application/json`): an API whose "who am I" is a `POST`
 * with a query, as GraphQL APIs are
 * (`{ method: "POST", body: { query: "{ viewer { id } }" } }`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionTest {
  readonly path: string
  readonly method?: HttpMethod.HttpMethod | undefined
  readonly body?: unknown
  readonly expect?: ReadonlyArray<number> | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * How a connector learns its API's base URL from the provider, once a token
 * is had: one `GET` of `path` (relative to the definition's `baseUrl`) with
 * the connection's token — placed as `apply` says, else as the connector's
 * `apply` — whose answer `read` turns into the base URL, or into why it
 * cannot. Build it with {@link discovery}.
 *
 * The answer is the server's, so it is read as hostile: at most 64 KiB of
 * bounded JSON, its shape checked, and the base URL must be an `https:` URL
 * (loopback or `allowInsecure` excepted) without credentials, query or
 * fragment whose host is one of `hosts`: a name (`api.atlassian.com`) or
 * `*.` and a name for one DNS label before it (`*.api.mailchimp.com`, not
 * `a.b.api.mailchimp.com`), so that an answer cannot send the token to
 * another host.
 *
 * @since 0.1.0
 * @category models
 */
export interface BaseUrlDiscovery {
  readonly path: string
  readonly apply?: Apply | undefined
  readonly hosts: ReadonlyArray<string>
  readonly read: (answer: unknown) => Either.Either<string, string>
}

/**
 * A {@link BaseUrlDiscovery} whose answer is decoded with `schema` (members
 * it does not name are ignored) and turned into the base URL by `baseUrl`,
 * which answers `undefined` when the answer names none (no account, no site).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 * import { Schema } from "effect"
 *
 * // the API lives in the account's data center, which a metadata call names
 * const discovery = Connector.discovery({
 *   path: "/oauth2/metadata",
 *   apply: Connector.header("Authorization", { prefix: "OAuth" }),
 *   hosts: ["*.api.mailchimp.com"],
 *   schema: Schema.Struct({ api_endpoint: Schema.String }),
 *   baseUrl: (answer) => `${answer.api_endpoint}/3.0`
 * })
 * ```
 */
export const discovery: <A, I>(options: {
  readonly path: string
  readonly apply?: Apply | undefined
  readonly hosts: ReadonlyArray<string>
  readonly schema: Schema.Schema<A, I>
  readonly baseUrl: (answer: A) => string | undefined
}) => BaseUrlDiscovery = internal.discovery

/**
 * A connector could not learn its API's base URL (see
 * {@link BaseUrlDiscovery}): the discovery request was answered with an
 * error `status`, or an answer too large, not JSON, not of the expected
 * shape, naming no base URL, or naming one that is not `https:` or whose
 * host is not allowed. Nothing else was sent to the API. The reason never
 * quotes the answer.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * const error = new Connector.BaseUrlDiscoveryError({
 *   connector: "mailchimp",
 *   reason: "the base URL's host is not one the connector allows"
 * })
 * error.message
 * ```
 */
export const BaseUrlDiscoveryError: typeof internal.BaseUrlDiscoveryError = internal.BaseUrlDiscoveryError

/**
 * A base URL that could not be learnt: see the {@link BaseUrlDiscoveryError}
 * constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type BaseUrlDiscoveryError = internal.BaseUrlDiscoveryError

/**
 * What the authorization code flow of a connector needs: the authorization
 * endpoint and the parameters of the authorization request (`extraParams`
 * such as `access_type: "offline"`, `prompt: "consent"`), whether to send a
 * PKCE challenge (default `S256`), whether the callback may come without a
 * code (`withoutCode`), and the `endpoint` of the code exchange, whose client
 * authentication names the client id, with the further parameters of the
 * exchange's token request (`tokenParams`, such as Shopify's `expiring: "1"`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Authorization {
  readonly endpoint: Endpoint.Endpoint
  readonly authorizeUrl: string
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly extraParams?: Readonly<Record<string, string>> | undefined
  readonly pkce?: AuthorizationCode.PkceMethod | false | undefined
  readonly withoutCode?: boolean | undefined
  readonly tokenParams?: Readonly<Record<string, string>> | undefined
}

/**
 * A connector:
 *
 * - `name`: tags the token provider's logs, metrics and spans;
 * - `config`: the Schema of the configuration, secret fields as
 *   `Schema.Redacted(…)`. The value of every `Redacted` field is refused in
 *   the base URL, the token requests' URLs and headers and the authorization
 *   URL, since they get logged;
 * - `publicFields`: the fields whose values may be seen there. When given,
 *   every other string field's value is refused there too (a value that a
 *   public field also holds excepted); a `Redacted` field is never public.
 *   The file form lists its `"public": true` fields;
 * - `configPrefix`: the prefix {@link config} reads the fields under when it
 *   is given none; the file form's is `GRANTFLOW_<NAME>`;
 * - `auth`: how tokens are obtained, from the configuration and the
 *   {@link Session};
 * - `apply`: where the token goes (default {@link bearer});
 * - `refreshOn`: when an answer means the token was rejected, so that it is
 *   refreshed and the request sent once more: statuses, a body pattern, the
 *   `invalid_token` challenge (see `BearerAuth.Options`; default 401);
 * - `baseUrl`: the API's base URL, from the configuration; `https:` unless
 *   loopback or `allowInsecure`;
 * - `discovery`: for an API whose base URL depends on the account (a data
 *   center, a site id), how it is learnt with the connection's first token
 *   (see {@link BaseUrlDiscovery}): one request under `baseUrl`, whose
 *   answer is kept for the connection; relative requests then go to the
 *   discovered base URL;
 * - `headers`: headers every API request carries (an API version such as
 *   `Notion-Version`), from the configuration; a secret field's value is
 *   refused there, as in the base URL;
 * - `tokenResponse`: the token response's shape when it is not RFC 6749's
 *   (see `TokenResponse.Shape`);
 * - `policy`: the token provider's refresh policy;
 * - `test`: the connection test, or a function of the configuration giving
 *   it (a path that names a customer's id);
 * - `authorization`: the authorization code flow, for connectors a user
 *   connects with their account;
 * - `revoke`: how {@link revoke} revokes a connection's tokens, when the
 *   provider has its own revocation API instead of an RFC 7009 endpoint
 *   (see `Revocation.Request`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Definition<C, I = C, R = never> {
  readonly name: string
  readonly config: Schema.Schema<C, I>
  readonly publicFields?: ReadonlyArray<string> | undefined
  readonly configPrefix?: string | undefined
  readonly auth: (config: C, session: Session) => Auth<R>
  readonly apply?: Apply | undefined
  readonly refreshOn?: BearerAuth.Options | undefined
  readonly baseUrl: (config: C) => string
  readonly discovery?: ((config: C) => BaseUrlDiscovery) | undefined
  readonly headers?: ((config: C) => Readonly<Record<string, string>>) | undefined
  readonly allowInsecure?: boolean | undefined
  readonly tokenResponse?: TokenResponse.Shape | undefined
  readonly policy?: RefreshPolicy.RefreshPolicy | undefined
  readonly test?: ConnectionTest | ((config: C) => ConnectionTest) | undefined
  readonly authorization?: ((config: C) => Authorization) | undefined
  readonly revoke?: ((config: C) => Revocation.Request) | undefined
}

/**
 * Declares a connector; it only infers the types.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth, Connector, Endpoint, Grant } from "@grantflow/core"
 * import { Schema } from "effect"
 *
 * const Helpdesk = Connector.define({
 *   name: "helpdesk",
 *   config: Schema.Struct({
 *     SUBDOMAIN: Schema.String,
 *     CLIENT_ID: Schema.String,
 *     CLIENT_SECRET: Schema.Redacted(Schema.String)
 *   }),
 *   auth: (config) =>
 *     Connector.fetch(Grant.clientCredentials(Endpoint.make({
 *       tokenUrl: `https://${config.SUBDOMAIN}.helpdesk.example/oauth/token`,
 *       auth: ClientAuth.clientSecretBasic(config.CLIENT_ID, config.CLIENT_SECRET)
 *     }))),
 *   refreshOn: { statuses: [401, 403], bodyPattern: /token expired/i },
 *   baseUrl: (config) => `https://${config.SUBDOMAIN}.helpdesk.example/api/v5`,
 *   test: { path: "/me" }
 * })
 * ```
 */
export const define: <C, I, R = never>(definition: Definition<C, I, R>) => Definition<C, I, R> = internal.define

/**
 * Tokens from a fetch that needs nothing between runs: a grant
 * (`Grant.clientCredentials`, `Grant.jwtBearer`, …) or any custom effect
 * that yields an `AccessToken`.
 *
 * @since 0.1.0
 * @category auth
 * @example
 * ```ts
 * import { ClientAuth, Connector, Endpoint, Grant } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const auth = Connector.fetch(Grant.clientCredentials(Endpoint.make({
 *   tokenUrl: "https://auth.example.com/token",
 *   auth: ClientAuth.clientSecretPost("my-client", Redacted.make("s3cret"))
 * })))
 * ```
 */
export const fetch: <R = never>(
  fetch: Grant.TokenSource<TokenError.TokenError, R>
) => Auth<Exclude<R, HttpClient.HttpClient>> = internal.fetch

/**
 * Tokens from a fetch built by an effect, once per connection, e.g.
 * `Grant.refreshTokenFlow(...)`, whose fetch keeps the current refresh token.
 *
 * @since 0.1.0
 * @category auth
 * @example
 * ```ts
 * import { ClientAuth, Connector, Endpoint, Grant } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/token",
 *   auth: ClientAuth.clientSecretPost("my-client", Redacted.make("s3cret"))
 * })
 * const auth = Connector.flow(Grant.refreshTokenFlow(endpoint, { initial: Redacted.make("stored-refresh-token") }))
 * ```
 */
export const flow: <R = never, R2 = never>(
  make: Effect.Effect<Grant.TokenSource<TokenError.TokenError, R>, never, R2>
) => Auth<Exclude<R, HttpClient.HttpClient> | R2> = internal.flow

/**
 * Tokens from the session's refresh token (its `refreshToken`, else its
 * `token`'s), kept and rotated by `Grant.refreshTokenFlow` at the endpoint,
 * with the session's `onRotate`. Without a refresh token every run fails with
 * `TokenError.InvalidTokenRequest`: the account must be connected first.
 *
 * @since 0.1.0
 * @category auth
 * @example
 * ```ts
 * import { ClientAuth, Connector, Endpoint } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * declare const session: Connector.Session
 * const endpoint = Endpoint.make({
 *   tokenUrl: "https://auth.example.com/token",
 *   auth: ClientAuth.clientSecretPost("my-client", Redacted.make("s3cret"))
 * })
 * const auth = Connector.refreshTokenFlow(endpoint, { scopes: ["calendar.read"] }, session)
 * ```
 */
export const refreshTokenFlow: (
  endpoint: Endpoint.Endpoint,
  options: Omit<Grant.RefreshTokenFlowOptions, "initial" | "onRotate">,
  session: Session
) => Auth = internal.refreshTokenFlow

/**
 * The configuration or the base URL of a connector is unusable: a field is
 * missing or malformed, the base URL is not an absolute `https:` URL, or it
 * (or the authorization URL) contains the value of a secret field or of a
 * field that is not public. The reason never quotes a secret.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * const error = new Connector.ConnectorConfigError({ connector: "helpdesk", reason: "SUBDOMAIN is missing" })
 * error.message
 * ```
 */
export const ConnectorConfigError: typeof internal.ConnectorConfigError = internal.ConnectorConfigError

/**
 * An unusable configuration or base URL: see the {@link ConnectorConfigError}
 * constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type ConnectorConfigError = internal.ConnectorConfigError

/**
 * Decodes a configuration with the connector's Schema. Failures name the
 * field and never quote the value of a secret one.
 *
 * @since 0.1.0
 * @category config
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * declare const Helpdesk: Connector.Definition<{ readonly SUBDOMAIN: string }>
 * const config = Connector.decodeConfig(Helpdesk, { SUBDOMAIN: "acme" })
 * ```
 */
export const decodeConfig: <C, I, R>(
  definition: Definition<C, I, R>,
  input: unknown
) => Either.Either<C, ConnectorConfigError> = internal.decodeConfig

/**
 * The configuration of a connector read from Effect `Config` (environment
 * variables by default): each top-level field of its Schema under its own
 * name, nested under `prefix` (`HELPDESK_CLIENT_ID`), else under the
 * definition's `configPrefix` (a file's connector always has one), else
 * under none. An empty prefix is refused. Secret fields become `Redacted` as
 * the Schema says.
 *
 * @since 0.1.0
 * @category config
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * declare const Helpdesk: Connector.Definition<{ readonly SUBDOMAIN: string }>
 * const config = Connector.config(Helpdesk, { prefix: "HELPDESK" }) // reads HELPDESK_SUBDOMAIN
 * ```
 */
export const config: <C, I, R>(
  definition: Definition<C, I, R>,
  options?: { readonly prefix?: string | undefined }
) => Config.Config<C> = internal.config

/**
 * A live connection: its `client`, authenticated and sending relative
 * requests to `baseUrl` — and refusing, with an `InvalidUrl` request error,
 * absolute ones elsewhere, so the token never leaves the API — and the
 * `provider` of its tokens. Its failures stay typed: the `TokenError` when no
 * token could be had (nothing was sent), `BearerAuth.TokenRejected` when the
 * API still rejects a freshly obtained token, `BaseUrlDiscoveryError` when a
 * connector with a `discovery` could not learn its base URL.
 *
 * With a `discovery`, `baseUrl` is the definition's, where the discovery
 * request goes; the client's first request learns the API's base URL, which
 * every later request of the connection reuses (a failed discovery is tried
 * again by the next request).
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  readonly name: string
  readonly baseUrl: URL
  readonly client: HttpClient.HttpClient.With<
    HttpClientError.HttpClientError | TokenError.TokenError | BearerAuth.TokenRejected | BaseUrlDiscoveryError
  >
  readonly provider: TokenProvider.TokenProvider["Type"]
}

/**
 * Opens a connection in the current scope; closing the scope stops its
 * token provider. Use it for several connectors in one program; otherwise
 * {@link layer}.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * declare const Helpdesk: Connector.Definition<{ readonly SUBDOMAIN: string }>
 *
 * const program = Effect.gen(function*() {
 *   const helpdesk = yield* Connector.connect(Helpdesk, { SUBDOMAIN: "acme" })
 *   return yield* helpdesk.client.get("/tickets")
 * })
 * ```
 */
export const connect: <C, I, R>(
  definition: Definition<C, I, R>,
  config: C,
  session?: Session
) => Effect.Effect<Connection, ConnectorConfigError, Scope.Scope | HttpClient.HttpClient | R> = internal.connect

/**
 * The connector as the `HttpClient` of the context: authenticated, relative
 * requests sent to the base URL. Like `BearerAuth.layer`, it keeps the plain
 * `HttpClient` error type: no token is a `RequestError` whose cause is the
 * `TokenError`, a token still rejected after a refresh a `StatusCode`
 * `ResponseError` whose cause is a `BearerAuth.TokenRejected`, a base URL
 * that could not be discovered an `InvalidUrl` `RequestError` whose cause is
 * the `BaseUrlDiscoveryError`.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 * import { FetchHttpClient, HttpClient } from "@effect/platform"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * declare const Helpdesk: Connector.Definition<{
 *   readonly SUBDOMAIN: string
 *   readonly CLIENT_ID: string
 *   readonly CLIENT_SECRET: Redacted.Redacted<string>
 * }>
 *
 * const HelpdeskLive = Connector.layer(Helpdesk, {
 *   SUBDOMAIN: "acme",
 *   CLIENT_ID: "my-client",
 *   CLIENT_SECRET: Redacted.make("s3cret")
 * }).pipe(Layer.provide(FetchHttpClient.layer))
 *
 * const tickets = HttpClient.get("/tickets").pipe(Effect.provide(HelpdeskLive))
 * ```
 */
export const layer: <C, I, R>(
  definition: Definition<C, I, R>,
  config: C,
  session?: Session
) => Layer.Layer<HttpClient.HttpClient, ConnectorConfigError, HttpClient.HttpClient | R> = internal.layer

/**
 * {@link layer}, its configuration read with {@link config}.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * declare const Helpdesk: Connector.Definition<{ readonly SUBDOMAIN: string }>
 * const HelpdeskLive = Connector.layerConfig(Helpdesk, { prefix: "HELPDESK" })
 * ```
 */
export const layerConfig: <C, I, R>(
  definition: Definition<C, I, R>,
  options?: { readonly prefix?: string | undefined; readonly session?: Session | undefined }
) => Layer.Layer<HttpClient.HttpClient, ConnectorConfigError | ConfigError.ConfigError, HttpClient.HttpClient | R> =
  internal.layerConfig

/**
 * Options of {@link pool}:
 *
 * - `config`: each connection's configuration, by id — its subdomain, its
 *   credentials… — e.g. read from your database and decoded with
 *   {@link decodeConfig}. It is read each time a connection is opened and
 *   each time a token is requested, never kept: cache it yourself if reading
 *   it is costly;
 * - `key`: the connection's `TokenStore.Key` (default: the connector's name,
 *   with the id as subject). Processes that share a store must compute the
 *   same key for the same connection;
 * - `capacity`, `idleTimeToLive`, `policy` (default the definition's),
 *   `name` (default the connector's), `leaseTtl`, `waitFor`, `poll`: as for
 *   `ConnectionPool.make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolOptions<Id, C, E extends ConnectorConfigError | ConfigError.ConfigError = ConnectorConfigError, R = never>
  extends Omit<ConnectionPool.Options<Id, never>, "key" | "acquire" | "refresh">
{
  readonly config: (id: Id) => Effect.Effect<C, E, R>
  readonly key?: ((id: Id) => TokenStore.Key) | undefined
}

/**
 * One connector serving many connections — customers, tenants, accounts —
 * in one process:
 *
 * - `connection(id)`: that connection's {@link Connection}, its base URL from
 *   its configuration and its tokens from `pool` (a connector with a
 *   `discovery` learns its base URL once per `Connection` returned: keep it
 *   while you use it);
 * - `pool`: the `ConnectionPool` of their tokens: each connection's health,
 *   the pool's size, eviction;
 * - `key(id)`: the connection's `TokenStore.Key`;
 * - `save(id, token)`: stores a connection's first token — the one
 *   {@link exchange} returned when the user connected, or connected again —
 *   and drops what the pool held of that connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pool<Id, E = ConnectorConfigError> {
  readonly connection: (id: Id) => Effect.Effect<Connection, ConnectorConfigError | E>
  readonly pool: ConnectionPool.ConnectionPool<Id>
  readonly key: (id: Id) => TokenStore.Key
  readonly save: (id: Id, token: AccessToken.AccessToken) => Effect.Effect<void, TokenStore.TokenStoreError>
}

/**
 * Builds a {@link Pool} of one connector in the current scope, over the
 * `TokenStore` in context (`TokenStore.layerMemory` for one process).
 *
 * Each connection is a record of the pool, created on first use: its tokens
 * go through the store, so every process of a fleet shares them and an
 * evicted connection finds its token there when it comes back. A token is
 * requested with the connector's `auth`, built for that connection's
 * configuration; when the store holds a refresh token, the `auth` gets it
 * as the session's `refreshToken` ({@link refreshTokenFlow} uses it), and a
 * rotated refresh token is written to the store before its access token is
 * served. A connection that cannot get a token fails alone, with its typed
 * error; its health says why.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Connector, TokenStore } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * declare const Helpdesk: Connector.Definition<{ readonly SUBDOMAIN: string }, { readonly SUBDOMAIN: string }>
 * declare const settingsOf: (tenant: string) => { readonly SUBDOMAIN: string }
 *
 * const program = Effect.gen(function*() {
 *   const helpdesk = yield* Connector.pool(Helpdesk, {
 *     config: (tenant: string) => Connector.decodeConfig(Helpdesk, settingsOf(tenant)),
 *     capacity: 50_000,
 *     idleTimeToLive: "30 minutes"
 *   })
 *   const acme = yield* helpdesk.connection("acme")
 *   const tickets = yield* acme.client.get("/tickets")
 *   const health = yield* helpdesk.pool.health("acme")
 *   return { tickets, health }
 * }).pipe(Effect.provide(TokenStore.layerMemory))
 * ```
 */
export const pool: <C, I, R, Id, E extends ConnectorConfigError | ConfigError.ConfigError = never, R2 = never>(
  definition: Definition<C, I, R>,
  options: PoolOptions<Id, C, E, R2>
) => Effect.Effect<
  Pool<Id, E>,
  never,
  Scope.Scope | TokenStore.TokenStore | HttpClient.HttpClient | R | R2
> = internal.pool

/**
 * What a connection test found, with a `reason` that never holds a secret:
 *
 * - `Ok`: the test request answered an expected status;
 * - `BadCredentials`: the token endpoint refused the client or the grant, or
 *   the API refused the token (401 or 403) even after a refresh;
 * - `Unreachable`: the token endpoint or the API could not be reached or did
 *   not answer in time;
 * - `UnexpectedResponse`: an answer that is none of the above, e.g. a 500,
 *   a 404, a token response that cannot be read, or a base URL that could
 *   not be discovered;
 * - `InvalidConfiguration`: nothing could be sent: the configuration, a URL
 *   or the token request is unusable, or the connector has no test.
 *
 * @since 0.1.0
 * @category models
 */
export type TestResult = Data.TaggedEnum<{
  Ok: { readonly status: number; readonly reason: string }
  BadCredentials: { readonly status?: number | undefined; readonly reason: string }
  Unreachable: { readonly reason: string }
  UnexpectedResponse: { readonly status?: number | undefined; readonly reason: string }
  InvalidConfiguration: { readonly reason: string }
}>

/**
 * Constructors and matchers of {@link TestResult}.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * const result = Connector.TestResult.Ok({ status: 200, reason: "GET /me answered HTTP 200" })
 * Connector.TestResult.$is("Ok")(result) // true
 * ```
 */
export const TestResult: Data.TaggedEnum.Constructor<TestResult> = internal.TestResult

/**
 * The connection test of a definition for a configuration: its `test`, or
 * what its `test` function gives for `config` (a test whose URL names the
 * customer, as QuickBooks' company); `undefined` when it has none.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 *
 * declare const Helpdesk: Connector.Definition<{ readonly SUBDOMAIN: string }>
 *
 * const test = Connector.connectionTest(Helpdesk, { SUBDOMAIN: "acme" }) // e.g. { path: "/me" }
 * ```
 */
export const connectionTest: <C, I, R>(definition: Definition<C, I, R>, config: C) => ConnectionTest | undefined =
  internal.connectionTest

/**
 * Runs the connection test: obtains a token (once, without retries: a test
 * should answer quickly) and sends the test request with it, in a scope of
 * its own. It never fails: every outcome is a {@link TestResult}.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 * import { Console, Effect } from "effect"
 *
 * declare const Helpdesk: Connector.Definition<{ readonly SUBDOMAIN: string }>
 *
 * const check = Effect.gen(function*() {
 *   const result = yield* Connector.test(Helpdesk, { SUBDOMAIN: "acme" })
 *   yield* Console.log(`${result._tag}: ${result.reason}`)
 * })
 * ```
 */
export const test: <C, I, R>(
  definition: Definition<C, I, R>,
  config: C,
  session?: Session
) => Effect.Effect<TestResult, never, HttpClient.HttpClient | R> = internal.test

/**
 * Starts the authorization code flow of a connector: the URL to send the
 * user to, with a fresh `state` (and PKCE challenge), and the pending
 * authorization to keep until the callback.
 *
 * @since 0.1.0
 * @category authorization
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * declare const Calendar: Connector.Definition<{ readonly CLIENT_ID: string }>
 *
 * const program = Effect.gen(function*() {
 *   const { pending, url } = yield* Connector.authorize(Calendar, { CLIENT_ID: "my-client" }, {
 *     redirectUri: "https://app.example.com/callback"
 *   })
 *   return url.href // send the user there; keep `pending` for the callback
 * })
 * ```
 */
export const authorize: <C, I, R>(
  definition: Definition<C, I, R>,
  config: C,
  options: { readonly redirectUri: string; readonly state?: string | undefined }
) => Effect.Effect<
  AuthorizationCode.Started,
  AuthorizationCode.InvalidAuthorizationRequest | ConnectorConfigError
> = internal.authorize

/**
 * Completes the authorization code flow: checks the callback against the
 * pending authorization (`AuthorizationCode.callback`, without a code when
 * the connector says `withoutCode`) and exchanges the code for the first
 * token, read with the connector's token response shape. The token is the
 * `token` of the connection's {@link Session}.
 *
 * @since 0.1.0
 * @category authorization
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * declare const Calendar: Connector.Definition<{ readonly CLIENT_ID: string }>
 * declare const pending: import("@grantflow/core").AuthorizationCode.Pending
 * declare const callbackUrl: URL
 *
 * const program = Effect.gen(function*() {
 *   const token = yield* Connector.exchange(Calendar, { CLIENT_ID: "my-client" }, pending, callbackUrl)
 *   return yield* Connector.connect(Calendar, { CLIENT_ID: "my-client" }, { token })
 * })
 * ```
 */
export const exchange: <C, I, R>(
  definition: Definition<C, I, R>,
  config: C,
  pending: AuthorizationCode.Pending,
  received: URL | URLSearchParams | Readonly<Record<string, string>>
) => Effect.Effect<
  AccessToken.AccessToken,
  AuthorizationCode.AuthorizationError | TokenError.TokenError | ConnectorConfigError,
  HttpClient.HttpClient
> = internal.exchange

/**
 * A fetch whose token endpoint answers in a non-standard shape: its
 * responses are read with `TokenResponse.normalize` before the grant decodes
 * them — its successes, and its refusals' error codes (with any status) when
 * the shape renames some. Connectors do this with their `tokenResponse`.
 *
 * @since 0.1.0
 * @category auth
 * @example
 * ```ts
 * import { ClientAuth, Connector, Endpoint, Grant } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const fetchToken = Connector.withTokenResponse(
 *   Grant.clientCredentials(Endpoint.make({
 *     tokenUrl: "https://auth.example.com/token",
 *     auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 *   })),
 *   { accessToken: "data.token", expiresIn: "data.expires_at", expiresAs: "epochSeconds" }
 * )
 * ```
 */
export const withTokenResponse: <A, E, R>(
  fetch: Effect.Effect<A, E, R>,
  shape: TokenResponse.Shape
) => Effect.Effect<A, E, R | HttpClient.HttpClient> = internal.withTokenResponse

/**
 * Disconnects an account: revokes the connection's `token` at the provider.
 * With a `revoke` in the definition, its request (`Revocation.send`), with
 * the access token or, where it says `revokes: "refresh_token"`, the
 * refresh token; otherwise at the RFC 7009 revocation URL of the
 * authorization's endpoint (`Revocation.revoke`), with the refresh token
 * when there is one. A definition with neither fails with a
 * {@link ConnectorConfigError}; an endpoint without a revocation URL with
 * `TokenError.InvalidTokenRequest`. An API that takes the access token as
 * the bearer credential needs a live one: pass the connection's current
 * token (`connection.provider.get`).
 *
 * @since 0.1.0
 * @category revocation
 * @example
 * ```ts
 * import { Connector } from "@grantflow/core"
 * import type { AccessToken } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * declare const Calendar: Connector.Definition<{ readonly CLIENT_ID: string }>
 * declare const token: AccessToken.AccessToken
 *
 * const disconnect = Connector.revoke(Calendar, { CLIENT_ID: "my-client" }, token).pipe(
 *   Effect.catchTag("EndpointUnavailable", (error) => Effect.logWarning(`retry later: ${error.message}`))
 * )
 * ```
 */
export const revoke: <C, I, R>(
  definition: Definition<C, I, R>,
  config: C,
  token: AccessToken.AccessToken
) => Effect.Effect<void, Revocation.RevocationError | ConnectorConfigError, HttpClient.HttpClient> = internal.revoke
