import type * as Providers from "../Providers.js"
import { calendly } from "./providers/calendly.js"
import { atlassian } from "./providers/atlassian.js"
import { discord } from "./providers/discord.js"
import { docusign } from "./providers/docusign.js"
import { auth0 } from "./providers/auth0.js"
import { dropbox } from "./providers/dropbox.js"
import { entra } from "./providers/entra.js"
import type { Entry } from "./providers/entry.js"
import { github } from "./providers/github.js"
import { hubspot } from "./providers/hubspot.js"
import { intercom } from "./providers/intercom.js"
import { githubApp } from "./providers/githubApp.js"
import { linear } from "./providers/linear.js"
import { mailchimp } from "./providers/mailchimp.js"
import { keycloak } from "./providers/keycloak.js"
import { notion } from "./providers/notion.js"
import { pipedrive } from "./providers/pipedrive.js"
import { quickbooks } from "./providers/quickbooks.js"
import { okta } from "./providers/okta.js"
import { salesforce } from "./providers/salesforce.js"
import { shopify } from "./providers/shopify.js"
import { slack } from "./providers/slack.js"
import { spotify } from "./providers/spotify.js"
import { stripe } from "./providers/stripe.js"
import { twitch } from "./providers/twitch.js"
import { xero } from "./providers/xero.js"
import { zendesk } from "./providers/zendesk.js"
import { zoom } from "./providers/zoom.js"
import { google } from "./providers/google.js"
import { gitlab } from "./providers/gitlab.js"
import { bitbucket } from "./providers/bitbucket.js"
import { asana } from "./providers/asana.js"
import { box } from "./providers/box.js"

export {
  asana,
  atlassian,
  auth0,
  bitbucket,
  box,
  calendly,
  discord,
  docusign,
  dropbox,
  entra,
  github,
  githubApp,
  gitlab,
  google,
  hubspot,
  intercom,
  keycloak,
  linear,
  mailchimp,
  notion,
  okta,
  pipedrive,
  quickbooks,
  salesforce,
  shopify,
  slack,
  spotify,
  stripe,
  twitch,
  xero,
  zendesk,
  zoom
}

/** Every entry, by id, in the order of the catalog. @internal */
export const entries: ReadonlyArray<Entry<any, any, any>> = [
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

const metadataOf = ({ define: _define, scoped: _scoped, ...metadata }: Entry<any, any, any>): Providers.Metadata =>
  metadata

/** @internal */
export const list: ReadonlyArray<Providers.Metadata> = entries.map(metadataOf)

/** @internal */
export const ids: ReadonlyArray<Providers.Id> = entries.map((entry) => entry.id)

/** The entry of `id`, or `undefined`. @internal */
export const entry = (id: string): Entry<any, any, any> | undefined => entries.find((entry) => entry.id === id)
