import type { Quirks } from "../twinQuirks.js"

/** Okta, the default custom authorization server, refresh token rotation with the default grace. @internal */
export const okta: Quirks = {
  id: "okta",
  issuer: "https://twin.okta.com",
  // the authorization server is part of every path
  paths: {
    token: "/oauth2/{AUTHORIZATION_SERVER}/v1/token",
    authorize: "/oauth2/{AUTHORIZATION_SERVER}/v1/authorize",
    revoke: "/oauth2/{AUTHORIZATION_SERVER}/v1/revoke"
  },
  params: { AUTHORIZATION_SERVER: "default" },
  whoami: {
    path: "/oauth2/{AUTHORIZATION_SERVER}/v1/userinfo",
    body: { sub: "00uid4BxXw6I6TV4m0g3", name: "Twin", preferred_username: "twin@example.com", email: "twin@example.com" }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_basic", "client_secret_post"],
  offlineAccess: { param: "scope", value: "offline_access" },
  tokenLifetime: 3600,
  refreshRotation: true,
  // the app's refresh_token.leeway, 30 seconds unless set
  refreshGrace: 30
}
