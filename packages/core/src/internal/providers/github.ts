import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appBasic, appFields, endpoint, type Entry, noExpiry, userConnection } from "./entry.js"

/** @internal */
export interface GitHubOptions {
  /** The scopes asked for (default `read:user`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** GitHub, as an OAuth app. @internal */
export const github: Entry<typeof config.Type, typeof config.Encoded, GitHubOptions> = {
  id: "github",
  name: "GitHub (OAuth app)",
  scoped: true,
  categories: ["developer tools"],
  grants: ["authorization_code"],
  quirks: ["form-encoded-token-response", "token-errors-with-200", "provider-error-codes", "no-expiry", "provider-revocation"],
  docs: [
    {
      url: "https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
      facts: "the authorize and token URLs; the token response is form-encoded unless Accept: application/json asks for JSON"
    },
    {
      url: "https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
      facts: "the token request's errors: bad_verification_code, incorrect_client_credentials, redirect_uri_mismatch, in the format the Accept header asks for"
    },
    {
      url: "https://docs.github.com/en/rest/users/users#get-the-authenticated-user",
      facts: "GET https://api.github.com/user, the connection test; 401 with {\"message\":\"Bad credentials\"} for a bad token"
    },
    {
      url: "https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token",
      facts: "DELETE /applications/{client_id}/token revokes one token: HTTP Basic with the app's client id and secret, the token as access_token in a JSON body; 204, or 422 when validation fails"
    }
  ],
  notes: [
    "An OAuth app's tokens do not expire and come without a refresh token: the token is served until the API refuses it, then the account must be connected again. A GitHub App with expiring user tokens (8 hours, rotating 6-month refresh tokens) is a different entry, left for later.",
    "The troubleshooting page shows the error bodies but not their HTTP status; GitHub answers them with 200, which the twin does. The connector reads an error from the body whatever the status, so it does not depend on it.",
    "GitHub answers `scope` comma-separated, not space-separated as RFC 6749 says: the token's scopes read as one value.",
    "Disconnecting revokes the token with \"delete an app token\" (/token), not \"delete an app authorization\" (/grant, which also removes the user's authorization of the app). The page lists only 204 and 422: what an unknown token gets is not stated; the twin answers 422."
  ],
  define: (options) =>
    Connector.define({
      name: "github",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://github.com/login/oauth/access_token",
            clientAuth: "client_secret_post",
            defaultLifetime: noExpiry,
            maxLifetime: noExpiry
          }),
        authorizeUrl: () => "https://github.com/login/oauth/authorize",
        scopes: options.scopes ?? ["read:user"]
      }),
      // GitHub's own codes for RFC 6749's, answered with 200
      tokenResponse: { errors: { bad_verification_code: "invalid_grant", incorrect_client_credentials: "invalid_client" } },
      headers: () => ({ accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" }),
      baseUrl: () => "https://api.github.com",
      test: { path: "/user" },
      revoke: (config) => ({
        url: `https://api.github.com/applications/${encodeURIComponent(config.CLIENT_ID)}/token`,
        method: "DELETE",
        token: { json: "access_token" },
        auth: appBasic(config),
        headers: { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" }
      })
    })
}
