import type { Quirks } from "../twinQuirks.js"

/**
 * Microsoft Entra ID (v2.0 endpoints): an application's own token (client
 * credentials) or a user's (authorization code, `offline_access`), for
 * Microsoft Graph. @internal
 */
export const entra: Quirks = {
  id: "entra",
  issuer: "https://login.microsoftonline.com",
  // the tenant is part of every path
  paths: { token: "/{TENANT}/oauth2/v2.0/token", authorize: "/{TENANT}/oauth2/v2.0/authorize" },
  params: { TENANT: "twin.onmicrosoft.com" },
  whoami: { path: "/v1.0/organization", body: { value: [{ id: "tenant-twin", displayName: "Twin" }] } },
  // the signed-in user, for a user's token
  apis: [{
    path: "/v1.0/me",
    body: { id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", displayName: "Twin", userPrincipalName: "twin@twin.onmicrosoft.com" }
  }],
  grants: ["client_credentials", "authorization_code", "refresh_token"],
  // a secret, or an assertion signed with the application's certificate
  authMethods: ["client_secret_post", "private_key_jwt"],
  // an application asks for a resource's .default scope (the permissions an admin granted it); a user's token for
  // the delegated permissions named
  scopes: ["https://graph.microsoft.com/.default", "openid", "profile", "offline_access", "User.Read"],
  offlineAccess: { param: "scope", value: "offline_access" },
  tokenResponse: {
    token_type: "Bearer",
    expires_in: "$expires_in",
    ext_expires_in: "$expires_in",
    access_token: "$access_token",
    refresh_token: "$refresh_token"
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
  // a refresh answers a new refresh token without revoking the one used: the twin keeps the one of the authorization
  refreshRotation: false,
  invalidToken: {
    status: 401,
    body: { error: { code: "InvalidAuthenticationToken", message: "Access token has expired or is not yet valid." } }
  }
}
