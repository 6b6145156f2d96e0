import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface XeroOptions {
  /** The scopes asked for, besides `offline_access` (default `openid profile email accounting.transactions`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct({
  ...appFields,
  /**
   * The organisation the accounting API calls act on, sent as `xero-tenant-id`:
   * the `tenantId` of one of the connections GET /connections lists once the
   * user has connected. Without it only /connections can be called.
   */
  TENANT_ID: Schema.optional(Schema.UUID)
})

/** Xero. @internal */
export const xero: Entry<typeof config.Type, typeof config.Encoded, XeroOptions> = {
  id: "xero",
  name: "Xero",
  scoped: true,
  categories: ["accounting"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["rotating-refresh-with-grace", "offline-parameter", "revocation", "api-context-header"],
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
    "The tenant: after the user connects, GET /connections (the connection test, which needs no tenant) lists the organisations they connected; give the tenantId of the one to act on as TENANT_ID (a public field, a UUID), and every API request carries it as xero-tenant-id. A user may connect several organisations: one connector configuration per organisation.",
    "That every accounting API call names its organisation in xero-tenant-id (the tenantId, a UUID in Xero's connection schema) is what Xero's samples and integrators' guides show; the Xero pages read here do not say it in those words. One such guide says a call without it gets 403; its body is not documented: the twin refuses it with 403 and a problem-details body.",
    "The 401 body of the accounting API is not documented on the pages read; the twin answers a problem-details body.",
    "GET /connections answers an array of connections (Xero's identity OpenAPI); the twin's answers one object with the same fields, which is enough for the connection test."
  ],
  define: (options) =>
    Connector.define({
      name: "xero",
      config,
      publicFields: ["CLIENT_ID", "TENANT_ID"],
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
      headers: (config) => config.TENANT_ID === undefined ? {} : { "xero-tenant-id": config.TENANT_ID },
      baseUrl: () => "https://api.xero.com",
      test: { path: "/connections" }
    })
}
