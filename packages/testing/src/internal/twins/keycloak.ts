import type { Quirks } from "../twinQuirks.js"

/** Keycloak, one realm: short access tokens, a new refresh token at each refresh, sessions that end when idle. @internal */
export const keycloak: Quirks = {
  id: "keycloak",
  issuer: "https://sso.twin.example",
  // the realm is part of every path
  paths: {
    token: "/realms/{REALM}/protocol/openid-connect/token",
    authorize: "/realms/{REALM}/protocol/openid-connect/auth",
    revoke: "/realms/{REALM}/protocol/openid-connect/revoke"
  },
  params: { REALM: "twin" },
  whoami: {
    path: "/realms/{REALM}/protocol/openid-connect/userinfo",
    body: { sub: "f7e1a7a8-6f3c-4c1e-9d4b-2a3f0b9c8d7e", preferred_username: "twin", email: "twin@example.com" }
  },
  grants: ["authorization_code", "refresh_token", "client_credentials"],
  authMethods: ["client_secret_basic", "client_secret_post"],
  tokenLifetime: 300,
  // a new refresh token each time; the previous one is still accepted, as with Revoke Refresh Token off
  refreshRotation: true,
  refreshGrace: 1800,
  // SSO Session Idle: a refresh token not used within 30 minutes is refused
  refreshTokenLifetime: 1800
}
