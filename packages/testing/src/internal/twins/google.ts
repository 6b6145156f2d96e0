import type { Quirks } from "../twinQuirks.js"

/** Google APIs, a web server application: offline access, refresh tokens kept, revocation. @internal */
export const google: Quirks = {
  id: "google",
  issuer: "https://accounts.google.com",
  paths: { token: "/token", authorize: "/o/oauth2/v2/auth", revoke: "/revoke" },
  whoami: {
    path: "/v1/userinfo",
    body: { sub: "110169484474386276334", name: "Twin", email: "user@example.com", email_verified: true }
  },
  grants: ["authorization_code", "refresh_token"],
  // the credentials in the form body, as the documented requests send them
  authMethods: ["client_secret_post"],
  // a refresh token only for access_type=offline
  offlineAccess: { param: "access_type", value: "offline" },
  tokenResponse: {
    access_token: "$access_token",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    scope: "$scope",
    token_type: "Bearer"
  },
  tokenLifetime: 3599,
  refreshRotation: false,
  invalidToken: {
    status: 401,
    body: {
      error: {
        code: 401,
        message: "Request had invalid authentication credentials. Expected OAuth 2 access token.",
        status: "UNAUTHENTICATED"
      }
    }
  }
}
