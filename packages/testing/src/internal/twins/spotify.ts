import type { Quirks } from "../twinQuirks.js"

/** Spotify Web API: one-hour tokens, a refresh token that ends six months after the authorization. @internal */
export const spotify: Quirks = {
  id: "spotify",
  issuer: "https://accounts.spotify.com",
  paths: { token: "/api/token", authorize: "/authorize" },
  whoami: {
    path: "/v1/me",
    body: { id: "twin", display_name: "Twin", type: "user", uri: "spotify:user:twin" }
  },
  grants: ["authorization_code", "refresh_token"],
  // the documented token requests carry HTTP Basic credentials
  authMethods: ["client_secret_basic"],
  tokenResponse: {
    access_token: "$access_token",
    token_type: "Bearer",
    scope: "$scope",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token"
  },
  tokenLifetime: 3600,
  refreshRotation: false,
  // six months from the authorization, not extended by refreshing
  refreshTokenLifetime: 180 * 24 * 3600,
  invalidToken: {
    status: 401,
    body: { error: { status: 401, message: "The access token expired" } }
  }
}
