import type { Quirks } from "../twinQuirks.js"

/** Zendesk, an OAuth client of one account, with expiring tokens. @internal */
export const zendesk: Quirks = {
  id: "zendesk",
  issuer: "https://twin.zendesk.com",
  paths: { token: "/oauth/tokens", authorize: "/oauth/authorizations/new" },
  whoami: {
    path: "/api/v2/users/me",
    body: { user: { id: 35436, name: "Twin", email: "user@example.com", role: "admin" } }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_post"],
  // the parameters, the client's secret among them, as a JSON object
  tokenRequestBody: "json",
  tokenResponse: {
    access_token: "$access_token",
    token_type: "bearer",
    scope: "$scope",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    refresh_token_expires_in: 2592000
  },
  // the default lifetime of new clients' access tokens
  tokenLifetime: 1800,
  // each refresh replaces the refresh token, without grace
  refreshRotation: true,
  invalidToken: { status: 401, body: { error: "Couldn't authenticate you" } }
}
