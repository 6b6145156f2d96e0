import type { Quirks } from "../twinQuirks.js"

/** Dropbox, short-lived access tokens and an offline refresh token. @internal */
export const dropbox: Quirks = {
  id: "dropbox",
  issuer: "https://www.dropbox.com",
  paths: { token: "/oauth2/token", authorize: "/oauth2/authorize", revoke: "/2/auth/token/revoke" },
  // the token revokes itself, and with it its refresh token; the answer is JSON null
  revocation: { token: "bearer", answer: { status: 200, body: null } },
  whoami: {
    path: "/2/users/get_current_account",
    body: { account_id: "dbid:twin", email: "user@example.com", name: { display_name: "Twin" } }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_basic", "client_secret_post"],
  // a refresh token only for token_access_type=offline
  offlineAccess: { param: "token_access_type", value: "offline" },
  tokenResponse: {
    access_token: "$access_token",
    token_type: "bearer",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    scope: "$scope",
    uid: "12345",
    account_id: "dbid:twin"
  },
  tokenLifetime: 14400,
  refreshRotation: false,
  invalidToken: {
    status: 401,
    body: { error_summary: "expired_access_token/", error: { ".tag": "expired_access_token" } }
  }
}
