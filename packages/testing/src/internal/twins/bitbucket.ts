import type { Quirks } from "../twinQuirks.js"

/** Bitbucket Cloud, an OAuth consumer: two-hour tokens, `scopes` in the token response. @internal */
export const bitbucket: Quirks = {
  id: "bitbucket",
  issuer: "https://bitbucket.org",
  paths: { token: "/site/oauth2/access_token", authorize: "/site/oauth2/authorize" },
  whoami: {
    path: "/2.0/user",
    body: {
      type: "user",
      uuid: "{00000000-0000-4000-8000-000000000001}",
      account_id: "557058:twin",
      display_name: "Twin",
      nickname: "twin"
    }
  },
  grants: ["authorization_code", "refresh_token"],
  // the documented requests carry HTTP Basic credentials
  authMethods: ["client_secret_basic"],
  // the granted scopes under `scopes`
  tokenResponse: {
    access_token: "$access_token",
    scopes: "$scope",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    token_type: "bearer"
  },
  tokenLifetime: 7200,
  refreshRotation: false,
  invalidToken: { status: 401, body: { type: "error", error: { message: "Access token expired." } } }
}
