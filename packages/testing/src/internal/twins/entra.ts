import type { Quirks } from "../twinQuirks.js"

/** Microsoft Entra ID (v2.0 endpoints), client credentials for Microsoft Graph. @internal */
export const entra: Quirks = {
  id: "entra",
  issuer: "https://login.microsoftonline.com",
  // the tenant is part of every path
  paths: { token: "/{TENANT}/oauth2/v2.0/token", authorize: "/{TENANT}/oauth2/v2.0/authorize" },
  params: { TENANT: "twin.onmicrosoft.com" },
  whoami: { path: "/v1.0/organization", body: { value: [{ id: "tenant-twin", displayName: "Twin" }] } },
  grants: ["client_credentials"],
  authMethods: ["client_secret_post"],
  // an application asks for a resource's .default scope: the permissions an admin granted it
  scopes: ["https://graph.microsoft.com/.default"],
  tokenResponse: {
    token_type: "Bearer",
    expires_in: "$expires_in",
    ext_expires_in: "$expires_in",
    access_token: "$access_token"
  },
  tokenError: {
    body: {
      error: "$error",
      error_description: "$error_description",
      error_codes: [7000215],
      trace_id: "00000000-0000-0000-0000-000000000000",
      correlation_id: "00000000-0000-0000-0000-000000000000"
    }
  },
  tokenLifetime: 3599,
  invalidToken: {
    status: 401,
    body: { error: { code: "InvalidAuthenticationToken", message: "Access token has expired or is not yet valid." } }
  }
}
