import type { Quirks } from "../twinQuirks.js"

/** GitLab (gitlab.com): two-hour tokens, refresh tokens replaced at each refresh, RFC 7009 revocation. @internal */
export const gitlab: Quirks = {
  id: "gitlab",
  issuer: "https://gitlab.com",
  paths: { token: "/oauth/token", authorize: "/oauth/authorize", revoke: "/oauth/revoke" },
  whoami: { path: "/api/v4/user", body: { id: 1, username: "twin", name: "Twin", state: "active" } },
  grants: ["authorization_code", "refresh_token"],
  // the credentials in the form body, as the documented requests send them
  authMethods: ["client_secret_post"],
  tokenResponse: {
    access_token: "$access_token",
    token_type: "Bearer",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    scope: "$scope"
  },
  tokenLifetime: 7200,
  // the previous refresh token is invalidated at once
  refreshRotation: true,
  invalidToken: {
    status: 401,
    body: {
      error: "invalid_token",
      error_description: "Token is expired. You can either do re-authorization or token refresh."
    }
  }
}
