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
import type { CalendlyOptions } from "./internal/providers/calendly.js"
import type { Auth0Options } from "./internal/providers/auth0.js"
import type { DiscordOptions } from "./internal/providers/discord.js"
import type { AtlassianOptions } from "./internal/providers/atlassian.js"
import type { DocuSignOptions } from "./internal/providers/docusign.js"
import type { DropboxOptions } from "./internal/providers/dropbox.js"
import type { EntraOptions } from "./internal/providers/entra.js"
import type { GitHubOptions } from "./internal/providers/github.js"
import type { HubSpotOptions } from "./internal/providers/hubspot.js"
import type { IntercomOptions } from "./internal/providers/intercom.js"
import type { GitHubAppOptions } from "./internal/providers/githubApp.js"
import type { LinearOptions } from "./internal/providers/linear.js"
import type { MailchimpOptions } from "./internal/providers/mailchimp.js"
import type { KeycloakOptions } from "./internal/providers/keycloak.js"
import type { NotionOptions } from "./internal/providers/notion.js"
import type { PipedriveOptions } from "./internal/providers/pipedrive.js"
import type { QuickBooksOptions } from "./internal/providers/quickbooks.js"
import type { OktaOptions } from "./internal/providers/okta.js"
import type { SalesforceOptions } from "./internal/providers/salesforce.js"
import type { ShopifyOptions } from "./internal/providers/shopify.js"
import type { SlackOptions } from "./internal/providers/slack.js"
import type { SpotifyOptions } from "./internal/providers/spotify.js"
import type { StripeOptions } from "./internal/providers/stripe.js"
import type { TwitchOptions } from "./internal/providers/twitch.js"
import type { XeroOptions } from "./internal/providers/xero.js"
import type { ZendeskOptions } from "./internal/providers/zendesk.js"
import type { ZoomOptions } from "./internal/providers/zoom.js"
import type { GoogleOptions } from "./internal/providers/google.js"
import type { GitLabOptions } from "./internal/providers/gitlab.js"
import type { BitbucketOptions } from "./internal/providers/bitbucket.js"
import type { AsanaOptions } from "./internal/providers/asana.js"
import type { BoxOptions } from "./internal/providers/box.js"

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
  | "hubspot"
  | "pipedrive"
  | "zendesk"
  | "intercom"
  | "calendly"
  | "google"
  | "gitlab"
  | "bitbucket"
  | "asana"
  | "box"
  | "twitch"
  | "stripe"
  | "githubApp"
  | "quickbooks"
  | "linear"
  | "mailchimp"
  | "atlassian"
  | "docusign"
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
 * - `post-connection-test`: the "who am I" call is a `POST`;
 * - `json-token-request`: the token request is a JSON object with the
 *   client's id and secret among its members (`Endpoint` `requestBody:
 *   "json"`, `client_secret_post`).
 * - `post-connection-test`: the "who am I" call is a `POST`;
 * - `renamed-token-fields`: a member of the token response under another
 *   name than RFC 6749's (Bitbucket's `scopes`; the shape's paths).
 * - `post-connection-test`: the "who am I" call is a `POST`;
 * - `api-context-header`: API requests name the calling app or the
 *   customer's organisation in a header of the provider's besides the token
 *   (a public configuration field in `headers`).
 * - `post-connection-test`: the "who am I" call is a `POST`;
 * - `provider-revocation`: a revocation API of the provider's own, the
 *   token as a bearer token or in a JSON body (the definition's `revoke`,
 *   used by `Connector.revoke`);
 * - `app-signed-jwt`: the app signs a short JWT with its private key and
 *   exchanges it at the provider's own endpoint for a token (a custom grant,
 *   expressed as the connector's `auth`).
 * - `post-connection-test`: the "who am I" call is a `POST`;
 * - `graphql-connection-test`: the "who am I" is a GraphQL query, `POST`ed
 *   as a JSON body (the connection test's `body`);
 * - `discovered-base-url`: the API's base URL depends on the account and is
 *   learnt with the first token from a call to the provider (`discovery`);
 * - `json-token-request`: the token request is a JSON body with the client's
 *   credentials in it (`Endpoint` `requestBody: "json"`).
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
  | "json-token-request"
  | "renamed-token-fields"
  | "api-context-header"
  | "provider-revocation"
  | "app-signed-jwt"
  | "graphql-connection-test"
  | "discovered-base-url"
  | "json-token-request"

/**
 * What the catalog says of an entry: its `id` (the constructor's name, the
 * twin's id, a spec file's `extends`), display `name`, `categories`, the
 * `grants` it uses (RFC 6749's, or `app_jwt`: a JWT the app signs, exchanged
 * at the provider's own endpoint), its {@link QuirkClass}es, the public pages its facts come
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
  readonly grants: ReadonlyArray<"authorization_code" | "refresh_token" | "client_credentials" | "app_jwt">
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
 * `offline_access`, revocation. The organisation API calls act on is the
 * public `TENANT_ID`, sent as `xero-tenant-id`: a `tenantId` of the answer
 * of `GET /connections` (the connection test, which needs none).
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Xero = Providers.xero({ scopes: ["accounting.transactions.read"] })
 * // configured with XERO_CLIENT_ID, XERO_CLIENT_SECRET and XERO_TENANT_ID
 * ```
 */
export const xero = (
  options: XeroOptions = {}
): Connector.Definition<
  AppConfig & { readonly TENANT_ID?: string | undefined },
  AppInput & { readonly TENANT_ID?: string | undefined }
> => internal.xero.define(options)

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
 * shop's URLs, the token in `X-Shopify-Access-Token`; offline tokens that do
 * not expire, or with `expiring: true` (required of public apps) one-hour
 * tokens refreshed with a refresh token Shopify replaces at each use.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Shopify = Providers.shopify({ scopes: ["read_orders"], apiVersion: "2025-07", expiring: true })
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
 * HubSpot, a public app: the authorization code flow at the v3 token
 * endpoint, the client's credentials in the form; 30-minute tokens and a
 * refresh token; the token endpoint's refusals read by their `category`.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const HubSpot = Providers.hubspot({ scopes: ["oauth", "crm.objects.contacts.read"] })
 * ```
 */
export const hubspot = (options: HubSpotOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.hubspot.define(options)

/**
 * Pipedrive, a Marketplace app: the authorization code flow with HTTP Basic
 * credentials; refresh tokens; the company's `API_DOMAIN` (the token
 * response's `api_domain`) as the base URL.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Pipedrive = Providers.pipedrive({ scopes: ["base", "deals:read"] })
 * ```
 */
export const pipedrive = (
  options: PipedriveOptions = {}
): Connector.Definition<
  AppConfig & { readonly API_DOMAIN: string },
  AppInput & { readonly API_DOMAIN: string }
> => internal.pipedrive.define(options)

/**
 * Zendesk's Support API for one account's `SUBDOMAIN`: the authorization
 * code flow at the account's URLs, the token request as JSON; 30-minute
 * tokens and a new refresh token at each refresh.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Zendesk = Providers.zendesk({ scopes: ["read", "write"] })
 * ```
 */
export const zendesk = (
  options: ZendeskOptions = {}
): Connector.Definition<AppConfig & { readonly SUBDOMAIN: string }, AppInput & { readonly SUBDOMAIN: string }> =>
  internal.zendesk.define(options)

/**
 * Intercom, a public app: the authorization code flow; tokens that do not
 * expire and no refresh token (a refused token means connecting again).
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Intercom = Providers.intercom({ version: "2.14" })
 * ```
 */
export const intercom = (options: IntercomOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.intercom.define(options)

/**
 * Calendly, an OAuth app of the web kind: the authorization code flow with
 * HTTP Basic credentials; two-hour tokens; single-use refresh tokens;
 * revocation.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Calendly = Providers.calendly({ scopes: ["users:read", "scheduled_events:read"] })
 * ```
 */
export const calendly = (options: CalendlyOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.calendly.define(options)

/**
 * Google APIs, a web server application: the authorization code flow with
 * PKCE, `access_type=offline` and `prompt=consent` for a refresh token;
 * one-hour tokens; revocation; the OpenID Connect userinfo endpoint as the
 * connection test.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Google = Providers.google({ scopes: ["openid", "email", "https://www.googleapis.com/auth/drive.readonly"] })
 * ```
 */
export const google = (options: GoogleOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.google.define(options)

/**
 * GitLab, gitlab.com or a self-managed instance (`HOST`): the authorization
 * code flow; two-hour tokens; a new refresh token at each refresh, the
 * previous one invalidated; RFC 7009 revocation.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const GitLab = Providers.gitlab({ scopes: ["read_user", "read_api"] }) // HOST defaults to gitlab.com
 * ```
 */
export const gitlab = (
  options: GitLabOptions = {}
): Connector.Definition<
  AppConfig & { readonly HOST: string },
  AppInput & { readonly HOST?: string | undefined }
> => internal.gitlab.define(options)

/**
 * Bitbucket Cloud, an OAuth consumer: the authorization code flow with HTTP
 * Basic credentials; two-hour tokens and refresh; the granted scopes read
 * from `scopes`.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Bitbucket = Providers.bitbucket({ scopes: ["repository", "account"] })
 * ```
 */
export const bitbucket = (options: BitbucketOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.bitbucket.define(options)

/**
 * Asana, an OAuth app: the authorization code flow; one-hour tokens and
 * refresh; revocation at its revoke endpoint.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Asana = Providers.asana({ scopes: ["users:read", "tasks:read"] })
 * ```
 */
export const asana = (options: AsanaOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.asana.define(options)

/**
 * Box, OAuth 2.0 for a user: 60-minute tokens; single-use refresh tokens
 * that each live 60 days, replaced at every refresh; revocation.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Box = Providers.box()
 * ```
 */
export const box = (options: BoxOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.box.define(options)

/**
 * Twitch's Helix API for a user's account: the authorization code flow with
 * the app's credentials in the form body; refresh tokens; the app's
 * `Client-Id` on every API request besides the token; Twitch's own error
 * bodies.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Twitch = Providers.twitch({ scopes: ["user:read:email", "channel:read:subscriptions"] })
 * ```
 */
export const twitch = (options: TwitchOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.twitch.define(options)

/**
 * Stripe Connect, a Standard account connected through OAuth: the platform's
 * `CLIENT_ID` (`ca_…`) and its secret key (`sk_…`) as `CLIENT_SECRET`;
 * access tokens that do not expire, with a refresh token for when the API
 * refuses one. The answer's `stripe_user_id` names the connected account.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const StripeConnect = Providers.stripe({ scope: "read_only" })
 * ```
 */
export const stripe = (options: StripeOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.stripe.define(options)

/**
 * A GitHub App acting as one of its installations: it signs a short JWT with
 * its `PRIVATE_KEY` (`iss` its `APP_ID`) and exchanges it for a one-hour
 * installation token at `INSTALLATION_ID`'s URL — a custom grant; a new JWT
 * when the token runs out; revocation with GitHub's own API.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Connector, Providers } from "@grantflow/core"
 *
 * const GitHubApp = Providers.githubApp()
 * // GITHUB_APP_APP_ID, GITHUB_APP_INSTALLATION_ID, GITHUB_APP_PRIVATE_KEY
 * const GitHubAppLive = Connector.layerConfig(GitHubApp, { prefix: "GITHUB_APP" })
 * ```
 */
export const githubApp = (
  options: GitHubAppOptions = {}
): Connector.Definition<
  { readonly APP_ID: string; readonly INSTALLATION_ID: string; readonly PRIVATE_KEY: Redacted.Redacted<string> },
  { readonly APP_ID: string; readonly INSTALLATION_ID: string; readonly PRIVATE_KEY: string }
> => internal.githubApp.define(options)

/**
 * QuickBooks Online (Intuit): the authorization code flow with HTTP Basic
 * credentials; one-hour tokens; refresh tokens whose value changes (kept
 * with `onRotate`); the company's `REALM_ID`, which arrives on the redirect,
 * in the base URL; revocation with Intuit's own API.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const QuickBooks = Providers.quickbooks({ environment: "sandbox" })
 * ```
 */
export const quickbooks = (
  options: QuickBooksOptions = {}
): Connector.Definition<
  AppConfig & { readonly REALM_ID?: string },
  AppInput & { readonly REALM_ID?: string }
> => internal.quickbooks.define(options)

/**
 * Linear's GraphQL API, an OAuth2 application acting for a user: 24-hour
 * tokens, a new refresh token at each refresh, the viewer query as the
 * connection test, GraphQL errors that may come with HTTP 200.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Linear = Providers.linear({ scopes: ["read", "write"] })
 * ```
 */
export const linear = (options: LinearOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.linear.define(options)

/**
 * Mailchimp's Marketing API: tokens that do not expire, and the account's
 * data center — its API's host — learnt from the metadata call once per
 * connection.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Mailchimp = Providers.mailchimp()
 * ```
 */
export const mailchimp = (options: MailchimpOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.mailchimp.define(options)

/**
 * Atlassian Cloud's Jira API, OAuth 2.0 (3LO): `audience` and `prompt` on the
 * authorization, `offline_access`, rotating refresh tokens with a 10-minute
 * leeway, and the site's cloud id learnt from its accessible resources (the
 * `SITE_URL`'s, else the first).
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const Jira = Providers.atlassian({ scopes: ["read:jira-work", "write:jira-work"] })
 * ```
 */
export const atlassian = (
  options: AtlassianOptions = {}
): Connector.Definition<
  AppConfig & { readonly SITE_URL?: string | undefined },
  AppInput & { readonly SITE_URL?: string | undefined }
> => internal.atlassian.define(options)

/**
 * DocuSign's eSignature REST API, Authorization Code Grant with HTTP Basic
 * credentials, in the developer (`demo`, default) or `production`
 * environment: eight-hour tokens, refresh tokens, and the default account's
 * API base learnt from userinfo once per connection.
 *
 * @since 0.1.0
 * @category providers
 * @example
 * ```ts
 * import { Providers } from "@grantflow/core"
 *
 * const DocuSign = Providers.docusign({ environment: "production" })
 * ```
 */
export const docusign = (options: DocuSignOptions = {}): Connector.Definition<AppConfig, AppInput> =>
  internal.docusign.define(options)

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
