import type { Quirks } from "../twinQuirks.js"

/** Calendly, an OAuth app of the web kind: two-hour tokens, single-use refresh tokens, revocation. @internal */
export const calendly: Quirks = {
  id: "calendly",
  issuer: "https://auth.calendly.com",
  paths: { token: "/oauth/token", authorize: "/oauth/authorize", revoke: "/oauth/revoke" },
  whoami: {
    path: "/users/me",
    body: {
      resource: {
        uri: "https://api.calendly.com/users/AAAAAAAAAAAAAAAA",
        name: "Twin",
        email: "user@example.com",
        current_organization: "https://api.calendly.com/organizations/AAAAAAAAAAAAAAAA",
        resource_type: "User"
      }
    }
  },
  grants: ["authorization_code", "refresh_token"],
  // HTTP Basic at the token endpoint; the revoke page lists the credentials among the form's fields
  authMethods: ["client_secret_basic", "client_secret_post"],
  tokenResponse: {
    token_type: "Bearer",
    access_token: "$access_token",
    refresh_token: "$refresh_token",
    scope: "$scope",
    expires_in: "$expires_in",
    owner: "https://api.calendly.com/users/AAAAAAAAAAAAAAAA",
    organization: "https://api.calendly.com/organizations/AAAAAAAAAAAAAAAA"
  },
  tokenLifetime: 7200,
  // single-use refresh tokens: each refresh answers a new one, the used one refused at once
  refreshRotation: true,
  invalidToken: { status: 401, body: { title: "Unauthenticated", message: "The access token is invalid" } }
}
