import type { Quirks } from "../twinQuirks.js"

/** Discord, a user's account through an OAuth2 application, with RFC 7009 revocation. @internal */
export const discord: Quirks = {
  id: "discord",
  issuer: "https://discord.com",
  paths: { token: "/api/oauth2/token", authorize: "/api/oauth2/authorize", revoke: "/api/oauth2/token/revoke" },
  whoami: {
    path: "/api/users/@me",
    body: { id: "80351110224678912", username: "twin", discriminator: "0", global_name: "Twin", avatar: null }
  },
  grants: ["authorization_code", "refresh_token"],
  // the server's metadata lists both
  authMethods: ["client_secret_basic", "client_secret_post"],
  tokenResponse: {
    access_token: "$access_token",
    token_type: "Bearer",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    scope: "$scope"
  },
  // not documented on the pages read: one week
  tokenLifetime: 604800,
  refreshRotation: false,
  invalidToken: { status: 401, body: { message: "401: Unauthorized", code: 0 } }
}
