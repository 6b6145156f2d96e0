import type { Quirks } from "../twinQuirks.js"

/** HubSpot, a public app at the v3 token endpoint. @internal */
export const hubspot: Quirks = {
  id: "hubspot",
  issuer: "https://api.hubapi.com",
  paths: { token: "/oauth/v3/token", authorize: "/oauth/authorize" },
  whoami: {
    path: "/account-info/2026-03/details",
    body: {
      portalId: 123456,
      accountType: "STANDARD",
      timeZone: "US/Eastern",
      companyCurrency: "USD",
      additionalCurrencies: [],
      utcOffset: "-05:00",
      utcOffsetMilliseconds: -18000000,
      uiDomain: "app.hubspot.com",
      dataHostingLocation: "na1"
    }
  },
  grants: ["authorization_code", "refresh_token"],
  // the client's id and secret in the form
  authMethods: ["client_secret_post"],
  tokenResponse: {
    access_token: "$access_token",
    refresh_token: "$refresh_token",
    expires_in: "$expires_in",
    token_type: "bearer"
  },
  // no error field: the category says what went wrong, the same for every invalid input
  tokenError: {
    body: {
      message: "$error_description",
      correlationId: "aeb5f871-7f07-4993-9211-075dc63e7cbf",
      category: "$error",
      links: { "knowledge-base": "https://www.hubspot.com/products/service/knowledge-base" }
    },
    codes: {
      invalid_grant: "VALIDATION_ERROR",
      invalid_client: "VALIDATION_ERROR",
      invalid_request: "VALIDATION_ERROR",
      unauthorized_client: "VALIDATION_ERROR",
      invalid_scope: "VALIDATION_ERROR",
      unsupported_grant_type: "VALIDATION_ERROR"
    }
  },
  tokenLifetime: 1800,
  refreshRotation: false,
  invalidToken: {
    status: 401,
    body: {
      status: "error",
      message: "Authentication credentials not found.",
      correlationId: "c1010b3d-3453-4fe8-a0cd-afbda4f58a38",
      category: "INVALID_AUTHENTICATION"
    }
  }
}
