/**
 * Simulated twins of real providers: the simulated server (`AuthServer`)
 * configured with one provider's documented behaviour — its paths, the shape
 * of its token responses and errors, refresh token rotation and grace, how
 * its API refuses a token, token lifetimes, the parameters it needs for a
 * refresh token — plus a protected endpoint shaped like the provider's "who
 * am I" (GitHub's `GET /user`, Salesforce's `/services/oauth2/userinfo`), so
 * that a connector of the catalog (`Providers` in `@grantflow/core`) connects,
 * calls, refreshes and passes its connection test against it, offline.
 *
 * The behaviour is data ({@link Quirks}, JSON-able), one entry per provider,
 * with the same ids as the catalog's. The in-memory client routes on the
 * path alone, so the connector's real URLs (`https://github.com/login/oauth/access_token`)
 * reach the twin as they are written.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Jose from "jose"
import * as AuthServer from "./AuthServer.js"
import * as internal from "./internal/providerTwin.js"
import type * as Twins from "./internal/twinQuirks.js"

/**
 * The ids of the providers that have a twin.
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
 * One provider's behaviour, as data:
 *
 * - `issuer`, `paths` (token, authorize, revoke endpoints) and `params`, the
 *   defaults of the `{NAME}` parameters in paths (Entra's `{TENANT}`;
 *   `{CLIENT_ID}` is the twin's client); `revocation`: the revoke path's
 *   request when it is the provider's own API, not RFC 7009's (the token as
 *   the bearer credential or in a JSON body; see `AuthServer.Route`);
 *   `appAssertion`: the token path is an app's own token request, a JWT it
 *   signed as the bearer credential (a GitHub App's installation token);
 * - `whoami`: the protected endpoint a connection test calls, and the fields
 *   its answer carries; `apis`, other endpoints of the provider's API, each
 *   with the fields of its answer and the headers it refuses a request
 *   without (`requiredHeaders`: Xero's accounting API wants the
 *   organisation's `xero-tenant-id`, its `/connections` does not; Microsoft
 *   Graph's `/v1.0/me` answers a user's token);
 * - `discovery`: for a provider whose API's base URL depends on the account,
 *   the protected endpoint that names it (Mailchimp's metadata, Atlassian's
 *   accessible resources, DocuSign's userinfo), its answer (an array is
 *   answered as it is), and the authorization `scheme` it also takes the
 *   token in. Its answer names the provider's own hosts, which the in-memory
 *   client routes back to the twin, and a base path under which the twin
 *   serves `whoami`;
 * - `grants`, `authMethods`, `scopes`: what the registered client may do;
 * - `tokenRequestBody` (`json` for a JSON token request), `tokenResponseFormat`
 *   (`formUnlessJsonAccepted`: form-encoded unless `Accept` names JSON);
 * - `tokenResponse` and `tokenError`: templates of the token endpoint's
 *   answers (`"$access_token"`, `"$expires_in"`, `"$error"`, … are replaced,
 *   members without a value left out), `tokenError.status` (200 for providers
 *   that answer errors with 200), `statuses`, the status of an error by its
 *   RFC 6749 code, over `status` (Auth0 answers `invalid_grant` with 403), and
 *   `codes`, the provider's error codes for RFC 6749's (by error, or by
 *   `grant_type:error`);
 * - `tokenLifetime` in seconds, or `"never"`; `refreshRotation`,
 *   `refreshGrace` and `refreshTokenLifetime` (seconds); `offlineAccess`;
 * - how the API takes and refuses tokens: `apiTokenHeader`,
 *   `expiredTokenStatus`, `invalidToken` (status and body of the refusal),
 *   and `apiRequiredHeaders`, the headers it wants on every request;
 * - `variants`: other documented modes of the provider, by name, each with
 *   the quirks that differ (Shopify's `expiring` offline tokens).
 *
 * @since 0.1.0
 * @category models
 */
export type Quirks = Twins.Quirks

/**
 * The paths a twin answers at, with the parameters filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface Paths {
  readonly token: string
  readonly authorize: string | undefined
  readonly revoke: string | undefined
  readonly whoami: string
  readonly discovery: string | undefined
}

/**
 * Options of a twin: the client registered with it (`clientId`,
 * `clientSecret`, `redirectUris`, `scopes` — default the provider's — and
 * `jwks`, the public keys of the JWTs it signs: its `private_key_jwt`
 * assertions, a GitHub App's tokens), the values of the path parameters
 * (`params`, e.g. `{ TENANT: "contoso" }`), the provider's mode (`variant`,
 * one of its quirks' `variants`, e.g. Shopify's `"expiring"`; default its
 * default mode), and `server`: any other option of the simulated server,
 * over the provider's (`autoApprove`, `tokenLifetime`…).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly clientId: string
  readonly clientSecret?: string | undefined
  readonly redirectUris?: ReadonlyArray<string> | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly jwks?: Jose.JSONWebKeySet | undefined
  readonly params?: Readonly<Record<string, string>> | undefined
  readonly variant?: string | undefined
  readonly server?: Partial<AuthServer.Options> | undefined
}

/**
 * The providers that have a twin.
 *
 * @since 0.1.0
 * @category catalog
 * @example
 * ```ts
 * import { ProviderTwin } from "@grantflow/testing"
 *
 * ProviderTwin.ids.includes("salesforce") // true
 * ```
 */
export const ids: ReadonlyArray<Id> = internal.ids

/**
 * A provider's behaviour, as data: its default mode, or one of its
 * `variants`.
 *
 * @since 0.1.0
 * @category catalog
 * @example
 * ```ts
 * import { ProviderTwin } from "@grantflow/testing"
 *
 * ProviderTwin.quirks("xero").refreshGrace // 1800: a rotated refresh token still works for 30 minutes
 * ProviderTwin.quirks("shopify", "expiring").tokenLifetime // 3600
 * ```
 */
export const quirks: (id: Id, variant?: string) => Quirks = internal.quirks

/**
 * The paths of a twin, its path parameters filled in (default: the
 * provider's `params`; `{CLIENT_ID}`, which `make` fills with its client,
 * stays as it is unless given).
 *
 * @since 0.1.0
 * @category catalog
 * @example
 * ```ts
 * import { ProviderTwin } from "@grantflow/testing"
 *
 * ProviderTwin.paths("entra", { TENANT: "contoso.onmicrosoft.com" }).token
 * // "/contoso.onmicrosoft.com/oauth2/v2.0/token"
 * ```
 */
export const paths: (id: Id, params?: Readonly<Record<string, string>>) => Paths = internal.paths

/**
 * The simulated server's options for a provider's twin, e.g. for
 * `Scenario.check`'s `server`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ProviderTwin } from "@grantflow/testing"
 *
 * const options = ProviderTwin.options("slack", { clientId: "app", clientSecret: "s3cret" })
 * ```
 */
export const options: (id: Id, options: Options) => AuthServer.Options = internal.options

/**
 * A provider's twin: a simulated server with its behaviour.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ProviderTwin } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const twin = yield* ProviderTwin.make("salesforce", {
 *     clientId: "app",
 *     clientSecret: "s3cret",
 *     redirectUris: ["http://127.0.0.1/callback"]
 *   })
 *   return yield* twin.journal
 * })
 * ```
 */
export const make = (id: Id, options: Options): Effect.Effect<AuthServer.AuthServer["Type"]> =>
  Effect.suspend(() => AuthServer.make(internal.options(id, options)))

/**
 * A layer of a provider's twin, to provide with `AuthServer.layerClient`.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { AuthServer, ProviderTwin } from "@grantflow/testing"
 * import { Layer } from "effect"
 *
 * const TwinLive = AuthServer.layerClient.pipe(
 *   Layer.provideMerge(ProviderTwin.layer("github", { clientId: "app", clientSecret: "s3cret" }))
 * )
 * ```
 */
export const layer = (id: Id, options: Options): Layer.Layer<AuthServer.AuthServer> =>
  Layer.effect(AuthServer.AuthServer, make(id, options))
