import type { Quirks } from "../twinQuirks.js"

const unauthorized = (message: string) => ({ status: 401, body: { error: "Unauthorized", status: 401, message } })

/** Twitch: Helix wants the app's Client-Id besides the token; token errors in Twitch's own shape. @internal */
export const twitch: Quirks = {
  id: "twitch",
  issuer: "https://id.twitch.tv",
  paths: { token: "/oauth2/token", authorize: "/oauth2/authorize" },
  whoami: {
    path: "/helix/users",
    body: { data: [{ id: "141981764", login: "twin", display_name: "Twin", type: "", broadcaster_type: "" }] }
  },
  grants: ["authorization_code", "refresh_token"],
  // client_id and client_secret in the form body
  authMethods: ["client_secret_post"],
  tokenResponse: {
    access_token: "$access_token",
    refresh_token: "$refresh_token",
    expires_in: "$expires_in",
    scope: "$scope",
    token_type: "bearer"
  },
  tokenError: {
    body: { error: "$error", status: "$status", message: "$error_description" },
    codes: { invalid_grant: "Bad Request" }
  },
  tokenLifetime: 3600,
  refreshRotation: false,
  apiRequiredHeaders: { "client-id": unauthorized("Client ID is missing") },
  invalidToken: unauthorized("Invalid OAuth token")
}
