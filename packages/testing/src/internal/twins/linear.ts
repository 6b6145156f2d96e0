import type { Quirks } from "../twinQuirks.js"

/** Linear, an OAuth2 application with refresh tokens, and its GraphQL API. @internal */
export const linear: Quirks = {
  id: "linear",
  issuer: "https://api.linear.app",
  paths: { token: "/oauth/token", authorize: "/oauth/authorize" },
  // the viewer query's answer
  whoami: {
    path: "/graphql",
    body: { data: { viewer: { id: "2e6eea91-1cbd-4e5f-9f5c-7e0a0b6e0c11", name: "Twin" } } }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_post", "client_secret_basic"],
  tokenResponse: {
    access_token: "$access_token",
    token_type: "Bearer",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    scope: "$scope"
  },
  tokenLifetime: 86400,
  refreshRotation: true,
  // GraphQL's error shape, with 200: the harder of the answers public clients report
  invalidToken: {
    status: 200,
    body: {
      data: null,
      errors: [{
        message: "Authentication required, not authenticated",
        extensions: { type: "authentication error", code: "AUTHENTICATION_ERROR" }
      }]
    }
  }
}
