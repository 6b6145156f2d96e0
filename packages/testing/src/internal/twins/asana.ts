import type { Quirks } from "../twinQuirks.js"

/** Asana: one-hour tokens, refresh tokens kept, revocation; the user under `data`. @internal */
export const asana: Quirks = {
  id: "asana",
  issuer: "https://app.asana.com",
  paths: { token: "/-/oauth_token", authorize: "/-/oauth_authorize", revoke: "/-/oauth_revoke" },
  // API answers are wrapped in data
  whoami: {
    path: "/api/1.0/users/me",
    body: {
      data: { gid: "1200000000000001", email: "user@example.com", name: "Twin", resource_type: "user", workspaces: [] }
    }
  },
  grants: ["authorization_code", "refresh_token"],
  // the client's credentials in the form body
  authMethods: ["client_secret_post"],
  tokenResponse: {
    access_token: "$access_token",
    expires_in: "$expires_in",
    token_type: "bearer",
    refresh_token: "$refresh_token",
    data: { id: 1200000000000001, gid: "1200000000000001", name: "Twin", email: "user@example.com" }
  },
  tokenLifetime: 3600,
  refreshRotation: false,
  invalidToken: { status: 401, body: { errors: [{ message: "Not Authorized" }] } }
}
