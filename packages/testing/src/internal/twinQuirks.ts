import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import type * as AuthServer from "../AuthServer.js"
import { calendly } from "./twins/calendly.js"
import { atlassian } from "./twins/atlassian.js"
import { auth0 } from "./twins/auth0.js"
import { discord } from "./twins/discord.js"
import { docusign } from "./twins/docusign.js"
import { dropbox } from "./twins/dropbox.js"
import { entra } from "./twins/entra.js"
import { github } from "./twins/github.js"
import { hubspot } from "./twins/hubspot.js"
import { intercom } from "./twins/intercom.js"
import { githubApp } from "./twins/githubApp.js"
import { linear } from "./twins/linear.js"
import { mailchimp } from "./twins/mailchimp.js"
import { keycloak } from "./twins/keycloak.js"
import { notion } from "./twins/notion.js"
import { pipedrive } from "./twins/pipedrive.js"
import { quickbooks } from "./twins/quickbooks.js"
import { okta } from "./twins/okta.js"
import { salesforce } from "./twins/salesforce.js"
import { shopify } from "./twins/shopify.js"
import { slack } from "./twins/slack.js"
import { spotify } from "./twins/spotify.js"
import { stripe } from "./twins/stripe.js"
import { twitch } from "./twins/twitch.js"
import { xero } from "./twins/xero.js"
import { zendesk } from "./twins/zendesk.js"
import { zoom } from "./twins/zoom.js"
import { google } from "./twins/google.js"
import { gitlab } from "./twins/gitlab.js"
import { bitbucket } from "./twins/bitbucket.js"
import { asana } from "./twins/asana.js"
import { box } from "./twins/box.js"

/**
 * A JSON value whose strings may be placeholders: `"$access_token"`,
 * `"$refresh_token"`, `"$expires_in"`, `"$scope"`, `"$token_type"`,
 * `"$issued_at"` (epoch milliseconds, as a string) in token responses,
 * `"$error"`, `"$error_description"` and `"$status"` (the HTTP status, a
 * number) in errors. A member whose
 * `"$issued_at"` (epoch milliseconds, as a string), `"$expires_at"` (the
 * expiry as an ISO 8601 instant in whole seconds) in token responses,
 * `"$error"` and `"$error_description"` in errors. A member whose
 * placeholder has no value is left out.
 *
 * @internal
 */
export type Template =
  | string
  | number
  | boolean
  | null
  | ReadonlyArray<Template>
  | { readonly [key: string]: Template }

/**
 * How one provider's authorization server and API behave, as data (so it
 * could be a JSON file): see `ProviderTwin.Quirks`.
 *
 * @internal
 */
export interface Quirks {
  readonly id: string
  readonly issuer: string
  readonly paths: { readonly token: string; readonly authorize?: string; readonly revoke?: string }
  /**
   * The token path is an app's own token request (see `AuthServer.Route`,
   * `assertion`): a JWT the app signed as the bearer credential, `exp` at most
   * `maxLifetime` seconds ahead; success answers `status`.
   */
  readonly appAssertion?: { readonly maxLifetime: number; readonly status: number }
  /** The revocation API at `paths.revoke` when it is the provider's own, not RFC 7009's (see `AuthServer.Route`). */
  readonly revocation?: Omit<Extract<AuthServer.Route, { readonly token: unknown }>, "endpoint">
  readonly params?: Readonly<Record<string, string>>
  readonly whoami: { readonly path: string; readonly body: Readonly<Record<string, Template>> }
  readonly apis?: ReadonlyArray<{
    readonly path: string
    readonly body: Readonly<Record<string, Template>>
    readonly requiredHeaders?: Readonly<Record<string, { readonly status: number; readonly body: Template }>>
  }>
  readonly discovery?: {
    readonly path: string
    readonly body: Readonly<Record<string, Template>> | ReadonlyArray<Template>
    readonly scheme?: string
  }
  readonly grants: ReadonlyArray<AuthServer.GrantType>
  readonly authMethods: ReadonlyArray<AuthServer.AuthMethod>
  readonly scopes?: ReadonlyArray<string>
  readonly tokenRequestBody?: "form" | "json"
  readonly tokenResponseFormat?: "json" | "formUnlessJsonAccepted"
  readonly tokenResponse?: Readonly<Record<string, Template>>
  readonly tokenError?: {
    readonly status?: number
    readonly body: Readonly<Record<string, Template>>
    readonly codes?: Readonly<Record<string, string>>
    readonly statuses?: Readonly<Record<string, number>>
  }
  readonly tokenLifetime: number | "never"
  readonly refreshRotation?: boolean
  readonly refreshGrace?: number
  readonly refreshTokenLifetime?: number
  readonly offlineAccess?: AuthServer.OfflineAccess
  readonly apiTokenHeader?: string
  readonly apiRequiredHeaders?: Readonly<Record<string, { readonly status: number; readonly body: Template }>>
  readonly expiredTokenStatus?: 401 | 403
  readonly invalidToken?: { readonly status: number; readonly body: Template }
  readonly variants?: Readonly<Record<string, Variant>>
}

/**
 * Another documented mode of the same provider (Shopify's expiring offline
 * tokens): the quirks that differ from the provider's default. @internal
 */
export type Variant = Partial<Omit<Quirks, "id" | "variants">>

/** The catalog's twins, by id. @internal */
export const all: ReadonlyArray<Quirks> = [
  github,
  salesforce,
  slack,
  notion,
  dropbox,
  xero,
  entra,
  shopify,
  spotify,
  zoom,
  discord,
  hubspot,
  pipedrive,
  zendesk,
  intercom,
  calendly,
  google,
  gitlab,
  bitbucket,
  asana,
  box,
  twitch,
  stripe,
  githubApp,
  quickbooks,
  linear,
  mailchimp,
  atlassian,
  docusign,
  okta,
  auth0,
  keycloak
]

/** @internal */
export const byId: ReadonlyMap<string, Quirks> = new Map(all.map((quirks) => [quirks.id, quirks]))

/** A lifetime that outlives any test: the tokens of a provider whose tokens do not expire. @internal */
export const never = Duration.days(100 * 365)

/** `{NAME}` in a path, replaced by its parameter. @internal */
export const fill = (path: string, params: Readonly<Record<string, string>>): string =>
  path.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole)

/** Renders a template with `values`; members whose placeholder has no value are left out. @internal */
export const render = (template: Template, values: Readonly<Record<string, unknown>>): unknown => {
  if (typeof template === "string") return template.startsWith("$") ? values[template.slice(1)] : template
  if (Array.isArray(template)) return template.map((item) => render(item, values))
  if (!Predicate.isRecord(template)) return template
  const result: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(template)) {
    const rendered = render(value as Template, values)
    if (rendered !== undefined) result[key] = rendered
  }
  return result
}
