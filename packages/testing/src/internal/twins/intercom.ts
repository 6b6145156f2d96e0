import type { Quirks } from "../twinQuirks.js"

/** Intercom, a public app whose tokens do not expire. @internal */
export const intercom: Quirks = {
  id: "intercom",
  issuer: "https://api.intercom.io",
  paths: { token: "/auth/eagle/token", authorize: "/oauth" },
  whoami: {
    path: "/me",
    body: {
      type: "admin",
      id: "1295",
      name: "Twin",
      email: "user@example.com",
      email_verified: true,
      app: { type: "app", id_code: "twin1234", name: "Twin", region: "US" }
    }
  },
  grants: ["authorization_code"],
  authMethods: ["client_secret_post"],
  // no expiry, no refresh token
  tokenResponse: { token_type: "Bearer", access_token: "$access_token" },
  tokenLifetime: "never",
  invalidToken: {
    status: 401,
    body: {
      type: "error.list",
      request_id: "000f5kfe4cd4bl4n5o0g",
      errors: [{ code: "unauthorized", message: "Access Token Invalid" }]
    }
  }
}
