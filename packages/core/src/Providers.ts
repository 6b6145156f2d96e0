/**
 * The provider catalog: real APIs as typed connectors.
 *
 * Each entry is a `Connector.Definition` of one provider — its configuration
 * (the OAuth app's `CLIENT_ID` and `Redacted` `CLIENT_SECRET`, and the
 * provider's URL parameters: Salesforce's `INSTANCE_URL`, Shopify's `SHOP`,
 * Entra's `TENANT`), its grant, client authentication, token placement,
 * refresh rules, base URL and connection test — with the provider's quirks
 * expressed in the connector's own terms (a token response shape, error code
 * names, headers, extra authorization parameters, lifetimes), the public
 * pages each fact comes from, and notes where those pages are silent.
 *
 * ```ts
 * import { Connector, Providers } from "@grantflow/core"
 *
 * const GitHub = Providers.github()                      // a Connector.Definition
 * const GitHubLive = Connector.layerConfig(GitHub, { prefix: "GITHUB" }) // GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET
 * ```
 *
 * Every entry has a twin in `@grantflow/testing` (`ProviderTwin.make(id)`)
 * that behaves as the provider documents, and a spec file can start from an
 * entry with `"extends": "<id>"` (see `ConnectorSpec`). docs/providers.md
 * lists them.
 *
 * @since 0.1.0
 */
import type * as Redacted from "effect/Redacted"
import type * as Connector from "./Connector.js"
import * as internal from "./internal/providers.js"
import type { Auth0Options } from "./internal/providers/auth0.js"
import type { DiscordOptions } from "./internal/providers/discord.js"
import type { DropboxOptions } from "./internal/providers/dropbox.js"
import type { EntraOptions } from "./internal/providers/entra.js"
import type { GitHubOptions } from "./internal/providers/github.js"
import type { KeycloakOptions } from "./internal/providers/keycloak.js"
import type { NotionOptions } from "./internal/providers/notion.js"
import type { OktaOptions } from "./internal/providers/okta.js"
import type { SalesforceOptions } from "./internal/providers/salesforce.js"
import type { ShopifyOptions } from "./internal/providers/shopify.js"
import type { SlackOptions } from "./internal/providers/slack.js"
import type { SpotifyOptions } from "./internal/providers/spotify.js"
import type { XeroOptions } from "./internal/providers/xero.js"
import type { ZoomOptions } from "./internal/providers/zoom.js"

/**
 * The ids of the catalog's entries.
 *
 * @since 0.1.0
 * @category models
 */
export type Id =
  | "github"
  | "salesforce"
  | "slack"
  | "notion"
  | "dropbox"
  | "xero"
  | "entra"
  | "shopify"
  | "spotify"
  | "zoom"
  | "discord"
  | "okta"
  | "auth0"
  | "keycloak"

/**
 * The kinds of departure from RFC 6749 and RFC 6750 the catalog knows, each
 * expressed with the connector's own concepts:
 *
 * - `form-encoded-token-response`: the token endpoint answers a form unless
 *   asked for JSON (grantflow asks, and reads both);
 * - `token-errors-with-200`, `api-errors-with-200`: refusals with HTTP 200
 *   and an error body (read from the body; `refreshOn.bodyPattern`);
 * - `provider-error-codes`: the provider's own error codes (renamed to RFC
 *   6749's by the token response shape's `errors`);
 * - `nested-token`: the token is not at the top of the answer (shape paths);
 * - `no-expires-in`, `no-expiry`: no `expires_in`, for a session of unknown
 *   length or a token that does not expire (a default lifetime; refresh on
 *   refusal);
 * - `instance-url`: the API's host is per customer and given in the token
 *   response;
 * - `per-shop-url`, `tenant-in-url`: the customer's name in the URLs (a
 *   public configuration field);
 * - `default-scope`: an application asks for a resource's `.default` scope;
 * - `basic-auth-json-body`: the token request is JSON, with HTTP Basic
 *   credentials (`Endpoint` `requestBody: "json"`);
 * - `api-version-header`: every API request names a version (`headers`);
 * - `custom-token-header`: the token in a header of the provider's (`apply`);
 * - `offline-parameter`: a refresh token only with an extra authorization
 *   parameter or scope (`extraParams`, `offline_access`);
 * - `rotating-refresh`, `rotating-refresh-with-grace`: each refresh answers a
 *   new refresh token (kept by `Grant.refreshTokenFlow` with `onRotate`),
 *   the previous one accepted for a while or not at all;
 * - `fixed-refresh-lifetime`: a refresh token ends a fixed time after the
 *   authorization, however often it is used (its refusal,
 *   `ReauthorizationRequired`, means connecting the account again);
 * - `revocation`: an RFC 7009 revocation endpoint (`Revocation.revoke`);
 * - `post-connection-test`: the "who am I" call is a `POST`.
 *
 * @since 0.1.0
 * @category models
 */
export type QuirkClass =
  | "form-encoded-token-response"
  | "token-errors-with-200"
  | "api-errors-with-200"
  | "provider-error-codes"
  | "nested-token"
  | "no-expires-in"
  | "no-expiry"
  | "instance-url"
  | "per-shop-url"
  | "tenant-in-url"
  | "default-scope"
  | "basic-auth-json-body"
  | "api-version-header"
  | "custom-token-header"
  | "offline-parameter"
  | "rotating-refresh"
  | "rotating-refresh-with-grace"
  | "fixed-refresh-lifetime"
  | "revocation"
  | "post-connection-test"

/**
 * What the catalog says of an entry: its `id` (the constructor's name, the
 * twin's id, a spec file's `extends`), display `name`, `categories`, the
 * `grants` it uses, its {@link QuirkClass}es, the public pages its facts come
 * from (`docs`, each with the facts taken from it) and `notes`: what those
 * pages leave unsaid or contradict, and what the entry leaves out.
 *
 * @since 0.1.0
 * @category models
 */
export interface Metadata {
  readonly id: Id
  readonly name: string
  readonly categories: ReadonlyArray<string>
  readonly grants: ReadonlyArray<"authorization_code" | "refresh_token" | "client_credentials">
  readonly quirks: ReadonlyArray<QuirkClass>
  readonly docs: ReadonlyArray<{ readonly url: string; readonly facts: string }>
  readonly notes: ReadonlyArray<string>
}

/**
 * The configuration of an OAuth app: every entry has these two fields.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppConfig {
  readonly CLIENT_ID: string
  readonly CLIENT_SECRET: Redacted.Redacted<string>
}

/**
 * The catalog, in order.
 *
 * @since 0.1.0
 * @category catalog
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const rotating = Providers.list.filter((entry) => entry.quirks.includes("rotating-refresh-with-grace"))
 * ```
 */
export const list: ReadonlyArray<Metadata> = internal.list

/**
 * The definition of an entry by id, with its default options; `undefined`
 * for an id the catalog does not have.
 *
 * @since 0.1.0
 * @category catalog
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const definition = Providers.get("xero")
 * ```
 */
export const get = (id: string): Connector.Definition<any, any> | undefined => internal.entry(id)?.define({})

/**
 * GitHub, as an OAuth app: the authorization code flow; tokens that do not
 * expire; the token endpoint's form answers and 200 errors.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const GitHub = Providers.github({ scopes: ["repo", "read:user"] })
 * ```
 */
export const github = (options: GitHubOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.github.define(options)

/**
 * Salesforce: the web server flow; the org's `INSTANCE_URL` as the base URL;
 * tokens without `expires_in`; revocation.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Salesforce = Providers.salesforce()
 * ```
 */
export const salesforce = (
  options: SalesforceOptions = {}
): Connector.Definition<
  AppConfig & { readonly LOGIN_URL: string; readonly INSTANCE_URL: string },
  AppInput & { readonly LOGIN_URL?: string | undefined; readonly INSTANCE_URL: string }
> => internal.salesforce.define(options)

/**
 * Slack, OAuth v2: the bot token or (`token: "user"`) the installing user's,
 * nested under `authed_user`; errors with HTTP 200; rotating tokens when the
 * app has token rotation on.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const SlackUser = Providers.slack({ token: "user", userScopes: ["search:read"] })
 * ```
 */
export const slack = (options: SlackOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.slack.define(options)

/**
 * Notion, public integration: the token request as JSON with HTTP Basic
 * credentials; `Notion-Version` on every API request.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Notion = Providers.notion({ version: "2022-06-28" })
 * ```
 */
export const notion = (options: NotionOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.notion.define(options)

/**
 * Dropbox: short-lived tokens, and a refresh token thanks to
 * `token_access_type=offline`.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Dropbox = Providers.dropbox({ scopes: ["files.metadata.read"] })
 * ```
 */
export const dropbox = (options: DropboxOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.dropbox.define(options)

/**
 * Xero: 30-minute tokens, rotating refresh tokens with a 30-minute grace,
 * `offline_access`, revocation.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Xero = Providers.xero({ scopes: ["accounting.transactions.read"] })
 * ```
 */
export const xero = (options: XeroOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.xero.define(options)

/**
 * Microsoft Entra ID for Microsoft Graph, at the `TENANT`'s URLs. By default
 * the application's own token: client credentials with the `.default` scope
 * and the client secret. `flow: "delegated"` connects a user instead (the
 * authorization code flow with PKCE, `offline_access`, refresh tokens; the
 * connection test is `/v1.0/me`). `credential: "certificate"` authenticates
 * with an assertion signed by the key of the application's certificate
 * (`private_key_jwt`, PS256, the certificate's thumbprint as `x5t#S256`):
 * the configuration then has `PRIVATE_KEY` (a PKCS#8 PEM, `Redacted`) and
 * `CERTIFICATE_THUMBPRINT` (base64url SHA-256) instead of `CLIENT_SECRET`.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Graph = Providers.entra()
 * const GraphAsUser = Providers.entra({ flow: "delegated", scopes: ["User.Read", "Mail.Read"] })
 * const GraphByCertificate = Providers.entra({ credential: "certificate" })
 * ```
 */
export const entra: {
  (options: EntraOptions & { readonly credential: "certificate" }): Connector.Definition<
    EntraCertificateConfig,
    {
      readonly CLIENT_ID: string
      readonly TENANT: string
      readonly PRIVATE_KEY: string
      readonly CERTIFICATE_THUMBPRINT: string
    }
  >
  (options?: EntraOptions): Connector.Definition<
    AppConfig & { readonly TENANT: string },
    AppInput & { readonly TENANT: string }
  >
} = (options: EntraOptions = {}) => internal.entra.define(options)

/**
 * The configuration of `Providers.entra({ credential: "certificate" })`: the
 * application's id, the tenant, the private key of its certificate and the
 * certificate's SHA-256 thumbprint.
 *
 * @since 0.1.0
 * @category models
 */
export interface EntraCertificateConfig {
  readonly CLIENT_ID: string
  readonly TENANT: string
  readonly PRIVATE_KEY: Redacted.Redacted<string>
  readonly CERTIFICATE_THUMBPRINT: string
}

/**
 * Shopify's Admin API for one `SHOP`: the authorization code flow at the
 * shop's URLs, offline tokens that do not expire, the token in
 * `X-Shopify-Access-Token`.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Shopify = Providers.shopify({ scopes: ["read_orders"], apiVersion: "2025-07" })
 * ```
 */
export const shopify = (
  options: ShopifyOptions = {}
): Connector.Definition<AppConfig & { readonly SHOP: string }, AppInput & { readonly SHOP: string }> =>
  internal.shopify.define(options)

/**
 * Spotify's Web API: the authorization code flow with HTTP Basic
 * credentials; one-hour tokens; a refresh token that ends six months after
 * the user's authorization.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Spotify = Providers.spotify({ scopes: ["user-read-private", "playlist-read-private"] })
 * ```
 */
export const spotify = (options: SpotifyOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.spotify.define(options)

/**
 * Zoom, a user-managed OAuth app: the authorization code flow with HTTP
 * Basic credentials; one-hour tokens; a new refresh token at each refresh,
 * only the latest accepted.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Zoom = Providers.zoom({ scopes: ["user:read:user"] })
 * ```
 */
export const zoom = (options: ZoomOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.zoom.define(options)

/**
 * Discord, a user's account through an OAuth2 application: the
 * authorization code flow, refresh tokens, RFC 7009 revocation.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Discord = Providers.discord({ scopes: ["identify", "guilds"] })
 * ```
 */
export const discord = (options: DiscordOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.discord.define(options)

/**
 * Okta, a custom authorization server of the org's `DOMAIN`
 * (`AUTHORIZATION_SERVER`, default `default`): the authorization code flow,
 * `offline_access` for a refresh token, refresh tokens that rotate with a
 * grace period when the app turns rotation on, revocation; the connection
 * test is OpenID Connect's userinfo.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Okta = Providers.okta({ scopes: ["openid", "profile", "email"] })
 * // OKTA_CLIENT_ID, OKTA_CLIENT_SECRET, OKTA_DOMAIN (acme.okta.com), OKTA_AUTHORIZATION_SERVER (optional)
 * ```
 */
export const okta = (
  options: OktaOptions = {}
): Connector.Definition<
  AppConfig & { readonly DOMAIN: string; readonly AUTHORIZATION_SERVER: string },
  AppInput & { readonly DOMAIN: string; readonly AUTHORIZATION_SERVER?: string | undefined }
> => internal.okta.define(options)

/**
 * Auth0, a regular web application of the tenant's `DOMAIN`: the
 * authorization code flow, `offline_access` for a refresh token, rotating
 * refresh tokens (a reuse after the application's reuse interval revokes the
 * family), `/oauth/revoke`; `audience` names the API the token is for.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Auth0 = Providers.auth0({ audience: "https://api.example.com" })
 * ```
 */
export const auth0 = (
  options: Auth0Options = {}
): Connector.Definition<AppConfig & { readonly DOMAIN: string }, AppInput & { readonly DOMAIN: string }> =>
  internal.auth0.define(options)

/**
 * Keycloak, one `REALM` of the server at `BASE_URL`: the authorization code
 * flow (or, with `grant: "clientCredentials"`, the client's service account),
 * a new refresh token at each refresh, RFC 7009 revocation, userinfo as the
 * connection test.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Keycloak = Providers.keycloak()
 * const ServiceAccount = Providers.keycloak({ grant: "clientCredentials" })
 * ```
 */
export const keycloak = (
  options: KeycloakOptions = {}
): Connector.Definition<
  AppConfig & { readonly BASE_URL: string; readonly REALM: string },
  AppInput & { readonly BASE_URL: string; readonly REALM: string }
> => internal.keycloak.define(options)

/**
 * The configuration of an OAuth app as read (the secret as a string).
 *
 * @since 0.1.0
 * @category models
 */
export interface AppInput {
  readonly CLIENT_ID: string
  readonly CLIENT_SECRET: string
}
