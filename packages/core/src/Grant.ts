/**
 * Grants: how an access token is obtained from a token endpoint.
 *
 * A grant with its client authentication is a *fetch*, an
 * `Effect<AccessToken, TokenError, HttpClient>` that sends one token request
 * each time it runs; give it to `TokenProvider.layer` to cache and refresh
 * the token.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as AccessToken from "./AccessToken.js"
import * as ClientAuth from "./ClientAuth.js"
import * as internal from "./internal/tokenRequest.js"
import * as TokenError from "./TokenError.js"

/**
 * Options shared by every grant:
 *
 * - `tokenUrl`: the token endpoint; `https:` unless its host is loopback
 *   (`127.0.0.0/8`, `[::1]`, `localhost`) or `allowInsecure` is `true`;
 * - `auth`: the client authentication;
 * - `timeout`: for the whole exchange, body included (default 30 seconds);
 * - `defaultLifetime`: of a token whose response has no `expires_in`
 *   (default 5 minutes);
 * - `maxLifetime`: a larger `expires_in` is clamped to it (default 365 days).
 *
 * @since 0.1.0
 * @category models
 */
export interface CommonOptions {
  readonly tokenUrl: string | URL
  readonly auth: ClientAuth.ClientAuth
  readonly timeout?: Duration.DurationInput | undefined
  readonly allowInsecure?: boolean | undefined
  readonly defaultLifetime?: Duration.DurationInput | undefined
  readonly maxLifetime?: Duration.DurationInput | undefined
}

/**
 * Options of the client credentials grant: the {@link CommonOptions}, and
 *
 * - `scopes`: sent space-separated as `scope` (omitted when empty);
 * - `audience`: the `audience` parameter that Auth0, Okta and others expect;
 * - `resource`: one or more `resource` parameters (RFC 8707);
 * - `extraParams`: any other form parameters. They cannot set `grant_type` or
 *   the client authentication parameters.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientCredentialsOptions extends CommonOptions {
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly audience?: string | undefined
  readonly resource?: string | ReadonlyArray<string> | undefined
  readonly extraParams?: Readonly<Record<string, string>> | undefined
}

// Set by the grant or by the client authentication; an extra parameter that
// repeats one of them would make the request ambiguous.
const reservedParams: ReadonlySet<string> = new Set([
  "grant_type",
  "client_id",
  "client_secret",
  "client_assertion",
  "client_assertion_type"
])

/**
 * The client credentials grant (RFC 6749 §4.4): the client obtains a token
 * for itself, with its own credentials. Each run sends one token request.
 *
 * @since 0.1.0
 * @category grants
 * @example
 * ```ts
 * import { ClientAuth, Grant } from "@grantflow/core"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Redacted } from "effect"
 *
 * const fetchToken = Grant.clientCredentials({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   auth: ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret")),
 *   scopes: ["orders.read"],
 *   audience: "https://api.example.com"
 * })
 *
 * const token = fetchToken.pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const clientCredentials = (
  options: ClientCredentialsOptions
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, HttpClient.HttpClient> => {
  const extra = Object.entries(options.extraParams ?? {})
  const reserved = extra.find(([key]) => reservedParams.has(key))
  if (reserved !== undefined) {
    return Effect.fail(
      new TokenError.InvalidTokenRequest({
        reason: `extraParams cannot set "${reserved[0]}": the grant or the client authentication sets it`
      })
    )
  }
  const scopes = (options.scopes ?? []).filter((scope) => scope !== "")
  const resources = options.resource === undefined
    ? []
    : typeof options.resource === "string"
    ? [options.resource]
    : options.resource
  return internal.execute({
    grantType: "client_credentials",
    tokenUrl: options.tokenUrl,
    auth: options.auth,
    params: [
      ...(scopes.length > 0 ? [["scope", scopes.join(" ")] as const] : []),
      ...(options.audience !== undefined ? [["audience", options.audience] as const] : []),
      ...resources.map((resource) => ["resource", resource] as const),
      ...extra
    ],
    timeout: options.timeout,
    allowInsecure: options.allowInsecure,
    defaultLifetime: options.defaultLifetime,
    maxLifetime: options.maxLifetime
  })
}

/**
 * Options of {@link clientCredentialsConfig}: a `prefix` for the
 * configuration names (`CRM` reads `CRM_TOKEN_URL` from the environment),
 * and the grant options that are set in code rather than configured.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientCredentialsConfigOptions
  extends Omit<ClientCredentialsOptions, "tokenUrl" | "auth" | "scopes">
{
  readonly prefix?: string | undefined
}

const splitScopes = (text: string): ReadonlyArray<string> => text.split(/[\s,]+/).filter((scope) => scope !== "")

/**
 * The client credentials grant, configured from Effect `Config`
 * (environment variables by default):
 *
 * - `TOKEN_URL`: the token endpoint (checked as in {@link clientCredentials},
 *   so an unsafe URL fails when the configuration is read);
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
): Config.Config<Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, HttpClient.HttpClient>> => {
  const { prefix, ...grantOptions } = options
  const tokenUrl = Config.mapOrFail(
    Config.string("TOKEN_URL"),
    (url) =>
      Either.mapLeft(
        internal.checkTokenUrl(url, options.allowInsecure === true),
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
      clientCredentials({
        ...grantOptions,
        tokenUrl,
        scopes,
        auth: authMethod === "client_secret_post"
          ? ClientAuth.clientSecretPost(clientId, clientSecret)
          : ClientAuth.clientSecretBasic(clientId, clientSecret)
      })
  )
}
