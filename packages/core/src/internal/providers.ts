import type * as Providers from "../Providers.js"
import { discord } from "./providers/discord.js"
import { auth0 } from "./providers/auth0.js"
import { dropbox } from "./providers/dropbox.js"
import { entra } from "./providers/entra.js"
import type { Entry } from "./providers/entry.js"
import { github } from "./providers/github.js"
import { keycloak } from "./providers/keycloak.js"
import { notion } from "./providers/notion.js"
import { okta } from "./providers/okta.js"
import { salesforce } from "./providers/salesforce.js"
import { shopify } from "./providers/shopify.js"
import { slack } from "./providers/slack.js"
import { spotify } from "./providers/spotify.js"
import { xero } from "./providers/xero.js"
import { zoom } from "./providers/zoom.js"

export { auth0, discord, dropbox, entra, github, keycloak, notion, okta, salesforce, shopify, slack, spotify, xero, zoom }

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
