import type { Quirks } from "../twinQuirks.js"

/** Notion, public integration. @internal */
export const notion: Quirks = {
  id: "notion",
  issuer: "https://api.notion.com",
  paths: { token: "/v1/oauth/token", authorize: "/v1/oauth/authorize", revoke: "/v1/oauth/revoke" },
  // HTTP Basic, the token in a JSON body; the answer names the request
  revocation: { token: { json: "token" }, clientAuth: true, answer: { status: 200, body: { request_id: "request-twin" } } },
  whoami: { path: "/v1/users/me", body: { object: "user", id: "bot-twin", type: "bot", bot: {} } },
  grants: ["authorization_code", "refresh_token"],
  // HTTP Basic, and the token request as a JSON object
  authMethods: ["client_secret_basic"],
  tokenRequestBody: "json",
  tokenResponse: {
    access_token: "$access_token",
    token_type: "bearer",
    refresh_token: "$refresh_token",
    bot_id: "bot-twin",
    workspace_name: "Twin",
    workspace_icon: null,
    workspace_id: "workspace-twin",
    owner: { type: "user", user: { object: "user", id: "user-twin" } },
    duplicated_template_id: null,
    request_id: "request-twin"
  },
  // every API request names the API version
  apiRequiredHeaders: {
    "notion-version": {
      status: 400,
      body: {
        object: "error",
        status: 400,
        code: "missing_version",
        message: "The request is missing the required Notion-Version header."
      }
    }
  },
  tokenLifetime: "never",
  refreshRotation: true,
  invalidToken: {
    status: 401,
    body: { object: "error", status: 401, code: "unauthorized", message: "The bearer token is not valid." }
  }
}
