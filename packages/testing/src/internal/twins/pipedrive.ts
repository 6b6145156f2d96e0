import type { Quirks } from "../twinQuirks.js"

/** Pipedrive, a Marketplace app whose company is served at its own API domain. @internal */
export const pipedrive: Quirks = {
  id: "pipedrive",
  issuer: "https://oauth.pipedrive.com",
  paths: { token: "/oauth/token", authorize: "/oauth/authorize" },
  whoami: {
    path: "/api/v1/users/me",
    body: {
      success: true,
      data: { id: 1, name: "Twin", email: "user@example.com", company_id: 1, company_domain: "twin" }
    }
  },
  grants: ["authorization_code", "refresh_token"],
  // HTTP Basic credentials, as the token requests are documented
  authMethods: ["client_secret_basic"],
  tokenResponse: {
    access_token: "$access_token",
    token_type: "Bearer",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    scope: "$scope",
    api_domain: "https://twin.pipedrive.com"
  },
  tokenLifetime: 3599,
  refreshRotation: false,
  invalidToken: { status: 401, body: { success: false, error: "unauthorized access", errorCode: 401 } }
}
