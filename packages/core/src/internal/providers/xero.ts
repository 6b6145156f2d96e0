import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface XeroOptions {
  /** The scopes asked for, besides `offline_access` (default `openid profile email accounting.transactions`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Xero. @internal */
export const xero: Entry<typeof config.Type, typeof config.Encoded, XeroOptions> = {
  id: "xero",
  name: "Xero",
  scoped: true,
  categories: ["accounting"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["rotating-refresh-with-grace", "offline-parameter", "revocation"],
  docs: [
    {
      url: "https://developer.xero.com/documentation/guides/oauth2/auth-flow",
      facts: "authorize at https://login.xero.com/identity/connect/authorize, token at https://identity.xero.com/connect/token; offline_access for a refresh token; GET https://api.xero.com/connections lists the tenants; revocation at https://identity.xero.com/connect/revocation"
    },
    {
      url: "https://developer.xero.com/faq/oauth2",
      facts: "access tokens live 30 minutes; each refresh answers a new refresh token, and the previous one may be retried for a grace period of 30 minutes; unused refresh tokens expire after 60 days"
    }
  ],
  notes: [
    "API calls other than /connections need the xero-tenant-id header of the organisation: the entry's base URL serves /connections; give the tenant with your own header when calling the accounting API.",
    "The 401 body of the accounting API is not documented on the pages read; the twin answers a problem-details body.",
    "GET /connections answers an array of connections (Xero's identity OpenAPI); the twin's answers one object with the same fields, which is enough for the connection test."
  ],
  define: (options) =>
    Connector.define({
      name: "xero",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://identity.xero.com/connect/token",
            revocationUrl: "https://identity.xero.com/connect/revocation",
            clientAuth: "client_secret_basic"
          }),
        authorizeUrl: () => "https://login.xero.com/identity/connect/authorize",
        scopes: ["offline_access", ...(options.scopes ?? ["openid", "profile", "email", "accounting.transactions"])]
      }),
      baseUrl: () => "https://api.xero.com",
      test: { path: "/connections" }
    })
}
