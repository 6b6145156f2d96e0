import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface SlackOptions {
  /** Which token the connector uses: the bot's (default) or the installing user's (`authed_user`). */
  readonly token?: "bot" | "user" | undefined
  /** The bot scopes asked for (default `users:read`). */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** The user scopes asked for (`user_scope`), for a user token. */
  readonly userScopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Slack, OAuth v2. @internal */
export const slack: Entry<typeof config.Type, typeof config.Encoded, SlackOptions> = {
  id: "slack",
  name: "Slack",
  scoped: true,
  categories: ["communication"],
  grants: ["authorization_code", "refresh_token"],
  quirks: [
    "nested-token",
    "token-errors-with-200",
    "api-errors-with-200",
    "provider-error-codes",
    "rotating-refresh",
    "provider-revocation"
  ],
  docs: [
    {
      url: "https://docs.slack.dev/reference/methods/oauth.v2.access",
      facts: "POST https://slack.com/api/oauth.v2.access: bot token at the top, the user's under authed_user; errors as {\"ok\":false,\"error\":…} (invalid_code, invalid_refresh_token, bad_client_secret, invalid_client_id)"
    },
    {
      url: "https://docs.slack.dev/authentication/installing-with-oauth",
      facts: "the authorize URL https://slack.com/oauth/v2/authorize with scope and user_scope"
    },
    {
      url: "https://docs.slack.dev/authentication/using-token-rotation",
      facts: "with token rotation on, access tokens expire every 12 hours; each refresh revokes the refresh token used and answers a new one"
    },
    {
      url: "https://docs.slack.dev/reference/methods/auth.test",
      facts: "auth.test, the connection test; Web API errors are HTTP 200 with ok:false (invalid_auth, token_expired, token_revoked)"
    },
    {
      url: "https://api.slack.com/methods/auth.revoke",
      facts: "auth.revoke revokes the access token it is called with (in the Authorization header); it answers {\"ok\":true,\"revoked\":true}, or ok:false with an error such as invalid_auth; revoking a bot token deactivates the bot user without uninstalling the app"
    }
  ],
  notes: [
    "Without token rotation Slack's tokens do not expire and come without a refresh token; the entry works either way (it refreshes on invalid_auth or token_expired when it has a refresh token).",
    "Disconnecting calls auth.revoke with the connection's access token. Whether revoking an access token also ends the refresh token of token rotation is not stated on the pages read; the twin ends both, so a revoked connection is connected again."
  ],
  define: (options) => {
    const user = options.token === "user"
    return Connector.define({
      name: "slack",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, { tokenUrl: "https://slack.com/api/oauth.v2.access", clientAuth: "client_secret_basic" }),
        authorizeUrl: () => "https://slack.com/oauth/v2/authorize",
        // Slack's scope lists are comma-separated: one value
        scopes: [(options.scopes ?? (user ? [] : ["users:read"])).join(",")].filter((scope) => scope !== ""),
        extraParams: options.userScopes === undefined && !user
          ? undefined
          : { user_scope: (options.userScopes ?? ["users:read"]).join(",") }
      }),
      tokenResponse: {
        ...(user
          ? {
            accessToken: "authed_user.access_token",
            refreshToken: "authed_user.refresh_token",
            expiresIn: "authed_user.expires_in",
            scope: "authed_user.scope"
          }
          : {}),
        // "bot" and "user" are Slack's names; the API takes both as bearer tokens
        type: "Bearer",
        errors: {
          invalid_code: "invalid_grant",
          invalid_refresh_token: "invalid_grant",
          bad_client_secret: "invalid_client",
          invalid_client_id: "invalid_client"
        }
      },
      refreshOn: { statuses: [401], bodyPattern: /"error":\s*"(?:invalid_auth|token_expired|token_revoked)"/ },
      baseUrl: () => "https://slack.com/api",
      test: { path: "/auth.test" },
      revoke: () => ({ url: "https://slack.com/api/auth.revoke", token: "bearer" })
    })
  }
}
