import type { Quirks } from "../twinQuirks.js"

/** Zoom, a user-managed OAuth app: one-hour tokens, refresh tokens replaced at each use. @internal */
export const zoom: Quirks = {
  id: "zoom",
  issuer: "https://zoom.us",
  paths: { token: "/oauth/token", authorize: "/oauth/authorize" },
  whoami: {
    path: "/v2/users/me",
    body: { id: "twin-user", account_id: "twin-account", email: "user@example.com", type: 1 }
  },
  grants: ["authorization_code", "refresh_token"],
  // HTTP Basic credentials, as the token requests are documented
  authMethods: ["client_secret_basic"],
  tokenResponse: {
    access_token: "$access_token",
    token_type: "bearer",
    refresh_token: "$refresh_token",
    expires_in: "$expires_in",
    scope: "$scope"
  },
  tokenLifetime: 3600,
  // only the latest refresh token is accepted
  refreshRotation: true,
  invalidToken: { status: 401, body: { code: 124, message: "Invalid access token." } }
}
