import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import * as Grant from "../../Grant.js"
import { appFields, endpoint, type Entry, UrlPart } from "./entry.js"

/** @internal */
export interface EntraOptions {
  /** The scopes: a resource's `.default` scope (default `https://graph.microsoft.com/.default`: Microsoft Graph). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** The directory (tenant) id or a verified domain, e.g. `contoso.onmicrosoft.com`. */
  TENANT: UrlPart
})

/** Microsoft Entra ID, client credentials for Microsoft Graph. @internal */
export const entra: Entry<typeof config.Type, typeof config.Encoded, EntraOptions> = {
  id: "entra",
  name: "Microsoft Entra ID (Microsoft Graph, app-only)",
  scoped: true,
  categories: ["identity", "productivity"],
  grants: ["client_credentials"],
  quirks: ["tenant-in-url", "default-scope"],
  docs: [
    {
      url: "https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow",
      facts: "POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token with scope {resource}/.default; no refresh token; errors carry error_codes, trace_id, correlation_id"
    },
    {
      url: "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes",
      facts: "AADSTS error codes in error_description (e.g. AADSTS7000215 invalid client secret)"
    },
    {
      url: "https://learn.microsoft.com/en-us/graph/api/organization-list",
      facts: "GET /v1.0/organization, the connection test (Organization.Read.All)"
    },
    {
      url: "https://learn.microsoft.com/en-us/graph/errors",
      facts: "401 {\"error\":{\"code\":\"InvalidAuthenticationToken\"}} for an expired or invalid token"
    }
  ],
  notes: [
    "The delegated flow (authorization code with offline_access, refresh tokens that replace themselves) is left for a later entry.",
    "The token lifetime is what expires_in says (60 to 90 minutes, varying); the twin issues 3599 seconds."
  ],
  define: (options) =>
    Connector.define({
      name: "entra",
      config,
      publicFields: ["CLIENT_ID", "TENANT"],
      auth: (config) =>
        Connector.fetch(Grant.clientCredentials(
          endpoint(config, {
            tokenUrl: `https://login.microsoftonline.com/${encodeURIComponent(config.TENANT)}/oauth2/v2.0/token`,
            clientAuth: "client_secret_post"
          }),
          { scopes: options.scopes ?? ["https://graph.microsoft.com/.default"] }
        )),
      baseUrl: () => "https://graph.microsoft.com",
      test: { path: "/v1.0/organization" }
    })
}
