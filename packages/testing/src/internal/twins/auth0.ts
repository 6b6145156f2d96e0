import type { Quirks } from "../twinQuirks.js"

/** Auth0, a regular web application with refresh token rotation and no reuse interval. @internal */
export const auth0: Quirks = {
  id: "auth0",
  issuer: "https://twin.us.auth0.com",
  paths: { token: "/oauth/token", authorize: "/authorize", revoke: "/oauth/revoke" },
  whoami: {
    path: "/userinfo",
    body: { sub: "auth0|5f7c8ec7c33c6c004bbafe82", nickname: "twin", name: "twin@example.com", email: "twin@example.com" }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_post", "client_secret_basic"],
  offlineAccess: { param: "scope", value: "offline_access" },
  // a refused code or refresh token is a 403
  tokenError: { body: { error: "$error", error_description: "$error_description" }, statuses: { invalid_grant: 403 } },
  tokenLifetime: 86400,
  refreshRotation: true
}
