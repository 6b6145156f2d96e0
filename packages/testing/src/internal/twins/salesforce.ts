import type { Quirks } from "../twinQuirks.js"

/** Salesforce, web server flow on a My Domain instance. @internal */
export const salesforce: Quirks = {
  id: "salesforce",
  issuer: "https://login.salesforce.com",
  paths: {
    token: "/services/oauth2/token",
    authorize: "/services/oauth2/authorize",
    revoke: "/services/oauth2/revoke"
  },
  whoami: {
    path: "/services/oauth2/userinfo",
    body: {
      sub: "https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA",
      user_id: "005000000000001AAA",
      organization_id: "00D000000000001AAA",
      preferred_username: "user@example.com"
    }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_post", "client_secret_basic"],
  // no expires_in: the session lives as the org's session settings say
  tokenResponse: {
    access_token: "$access_token",
    refresh_token: "$refresh_token",
    instance_url: "https://twin.my.salesforce.com",
    id: "https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA",
    token_type: "Bearer",
    issued_at: "$issued_at",
    signature: "dHdpbi1zaWduYXR1cmU=",
    scope: "$scope"
  },
  tokenLifetime: 7200,
  refreshRotation: false,
  invalidToken: { status: 401, body: [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }] }
}
