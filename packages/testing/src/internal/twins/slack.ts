import type { Quirks } from "../twinQuirks.js"

/** Slack, OAuth v2 with token rotation turned on. @internal */
export const slack: Quirks = {
  id: "slack",
  issuer: "https://slack.com",
  paths: { token: "/api/oauth.v2.access", authorize: "/oauth/v2/authorize", revoke: "/api/auth.revoke" },
  // auth.revoke: the token revokes itself; an unusable one is the Web API's 200 invalid_auth
  revocation: { token: "bearer", answer: { status: 200, body: { ok: true, revoked: true } } },
  whoami: {
    path: "/api/auth.test",
    body: { url: "https://twin.slack.com/", team: "Twin", user: "twin", team_id: "T0TWIN", user_id: "U0TWIN" }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_basic", "client_secret_post"],
  // the bot token at the top, the user's token under authed_user: the twin issues one token, found at both
  tokenResponse: {
    ok: true,
    app_id: "A0TWIN",
    authed_user: {
      id: "U0TWIN",
      scope: "$scope",
      access_token: "$access_token",
      token_type: "user",
      refresh_token: "$refresh_token",
      expires_in: "$expires_in"
    },
    scope: "$scope",
    token_type: "bot",
    access_token: "$access_token",
    bot_user_id: "U0TWINBOT",
    refresh_token: "$refresh_token",
    expires_in: "$expires_in",
    team: { id: "T0TWIN", name: "Twin" },
    enterprise: null,
    is_enterprise_install: false
  },
  // every answer is a 200: { ok: false, error } says what went wrong
  tokenError: {
    status: 200,
    body: { ok: false, error: "$error" },
    codes: {
      "authorization_code:invalid_grant": "invalid_code",
      "refresh_token:invalid_grant": "invalid_refresh_token",
      invalid_client: "invalid_client_id"
    }
  },
  tokenLifetime: 43200,
  refreshRotation: true,
  invalidToken: { status: 200, body: { ok: false, error: "invalid_auth" } }
}
