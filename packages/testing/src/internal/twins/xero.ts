import type { Quirks } from "../twinQuirks.js"

/** The organisation of the twin's connection: the xero-tenant-id of accounting API calls. */
const tenantId = "4e7e3a3c-8b4f-4a55-9c7d-2f1f3c1d9b21"

/** Xero, rotating refresh tokens with a 30-minute grace; an accounting API that wants the organisation named. @internal */
export const xero: Quirks = {
  id: "xero",
  issuer: "https://identity.xero.com",
  paths: { token: "/connect/token", authorize: "/identity/connect/authorize", revoke: "/connect/revocation" },
  whoami: {
    path: "/connections",
    body: { tenantId, tenantType: "ORGANISATION", tenantName: "Twin" }
  },
  apis: [{
    path: "/api.xro/2.0/Organisation",
    body: { Organisations: [{ OrganisationID: tenantId, Name: "Twin" }] },
    // /connections does not need the header; the accounting API does (the refusal's body is not documented)
    requiredHeaders: {
      "xero-tenant-id": {
        status: 403,
        body: { Type: null, Title: "Forbidden", Status: 403, Detail: "AuthenticationUnsuccessful" }
      }
    }
  }],
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
