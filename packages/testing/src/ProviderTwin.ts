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
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Jose from "jose"
import type * as AuthServer from "./AuthServer.js"
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
  | "okta"
  | "auth0"
  | "keycloak"

/**
 * One provider's behaviour, as data:
 *
 * - `issuer`, `paths` (token, authorize, revoke endpoints) and `params`, the
 *   defaults of the `{NAME}` parameters in paths (Entra's `{TENANT}`);
 * - `whoami`: the protected endpoint a connection test calls, and the fields
 *   its answer carries; `apis`: other protected endpoints of the provider's
 *   API (by path, with the fields of their answers), for a connector's other
 *   modes (Microsoft Graph's `/v1.0/me` for a user's token);
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
 *   and `apiRequiredHeaders`, the headers it wants on every request.
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
}

/**
 * Options of a twin: the client registered with it (`clientId`,
 * `clientSecret`, `redirectUris`, `scopes` — default the provider's — and
 * `jwks`, the public keys of its `private_key_jwt` assertions), the
 * values of the path parameters (`params`, e.g. `{ TENANT: "contoso" }`), and
 * `server`: any other option of the simulated server, over the provider's
 * (`autoApprove`, `tokenLifetime`…).
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
 * A provider's behaviour, as data.
 *
 * @since 0.1.0
 * @category catalog
 * @example
 * ```ts
 * import { ProviderTwin } from "@grantflow/testing"
 *
 * ProviderTwin.quirks("xero").refreshGrace // 1800: a rotated refresh token still works for 30 minutes
 * ```
 */
export const quirks: (id: Id) => Quirks = internal.quirks

/**
 * The paths of a twin, its path parameters filled in (default: the
 * provider's `params`).
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
export const make: (id: Id, options: Options) => Effect.Effect<AuthServer.AuthServer["Type"]> = internal.make

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
export const layer: (id: Id, options: Options) => Layer.Layer<AuthServer.AuthServer> = internal.layer
