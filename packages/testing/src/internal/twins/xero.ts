import type { Quirks } from "../twinQuirks.js"

/** Xero, rotating refresh tokens with a 30-minute grace. @internal */
export const xero: Quirks = {
  id: "xero",
  issuer: "https://identity.xero.com",
  paths: { token: "/connect/token", authorize: "/identity/connect/authorize", revoke: "/connect/revocation" },
  whoami: {
    path: "/connections",
    body: { tenantId: "tenant-twin", tenantType: "ORGANISATION", tenantName: "Twin" }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_basic", "client_secret_post"],
  offlineAccess: { param: "scope", value: "offline_access" },
  tokenLifetime: 1800,
  refreshRotation: true,
  refreshGrace: 1800,
  refreshTokenLifetime: 60 * 24 * 3600,
  invalidToken: {
    status: 401,
    body: { Type: null, Title: "Unauthorized", Status: 401, Detail: "AuthenticationUnsuccessful" }
  }
}
