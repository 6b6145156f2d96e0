import type { Quirks } from "../twinQuirks.js"

/** Box: one-hour tokens, single-use refresh tokens that each live 60 days, revocation. @internal */
export const box: Quirks = {
  id: "box",
  issuer: "https://api.box.com",
  paths: { token: "/oauth2/token", authorize: "/api/oauth2/authorize", revoke: "/oauth2/revoke" },
  whoami: {
    path: "/2.0/users/me",
    body: { type: "user", id: "11446498", name: "Twin", login: "user@example.com" }
  },
  grants: ["authorization_code", "refresh_token"],
  // the client's credentials in the form body
  authMethods: ["client_secret_post"],
  tokenResponse: {
    access_token: "$access_token",
    expires_in: "$expires_in",
    token_type: "bearer",
    refresh_token: "$refresh_token",
    issued_token_type: "urn:ietf:params:oauth:token-type:access_token"
  },
  tokenLifetime: 3600,
  // single use, no grace
  refreshRotation: true,
  // from its issue: a refresh every 60 days keeps the connection
  refreshTokenLifetime: 60 * 24 * 3600
}
