import type { Quirks } from "../twinQuirks.js"

/** QuickBooks Online: one-hour tokens, refresh tokens whose value changes, Intuit's revocation API. @internal */
export const quickbooks: Quirks = {
  id: "quickbooks",
  issuer: "https://oauth.platform.intuit.com",
  paths: { token: "/oauth2/v1/tokens/bearer", authorize: "/connect/oauth2", revoke: "/v2/oauth2/tokens/revoke" },
  params: { REALM_ID: "9130350000000000" },
  // HTTP Basic, the token (refresh or access) as {"token": …}
  revocation: { token: { json: "token" }, clientAuth: true },
  whoami: {
    path: "/v3/company/{REALM_ID}/companyinfo/{REALM_ID}",
    body: { CompanyInfo: { CompanyName: "Twin Company", Id: "1", Country: "US" }, time: "2026-01-01T00:00:00.000-08:00" }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_basic"],
  tokenResponse: {
    token_type: "bearer",
    access_token: "$access_token",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    x_refresh_token_expires_in: 8726400
  },
  tokenLifetime: 3600,
  // a new value at each refresh, only the latest accepted; unused for 100 days, it ends
  refreshRotation: true,
  refreshTokenLifetime: 100 * 24 * 3600,
  invalidToken: {
    status: 401,
    body: {
      Fault: {
        Error: [{ Message: "message=AuthenticationFailed; errorCode=003200; statusCode=401", detail: "Token expired", code: "3200" }],
        type: "AUTHENTICATION"
      },
      time: "2026-01-01T00:00:00.000-08:00"
    }
  }
}
