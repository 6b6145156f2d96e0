import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface CalendlyOptions {
  /** The scopes asked for (default `users:read`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Calendly, an OAuth app of the web kind. @internal */
export const calendly: Entry<typeof config.Type, typeof config.Encoded, CalendlyOptions> = {
  id: "calendly",
  name: "Calendly (OAuth app)",
  scoped: true,
  categories: ["scheduling"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["rotating-refresh", "revocation"],
  docs: [
    {
      url: "https://developer.calendly.com/api-docs/calendly-o-auth/o-auth/get-oauth-authorize.md",
      facts: "GET https://auth.calendly.com/oauth/authorize with client_id, response_type=code and redirect_uri; PKCE recommended for every app"
    },
    {
      url: "https://developer.calendly.com/api-docs/calendly-o-auth/o-auth/post-oauth-refresh-token.md",
      facts: "POST https://auth.calendly.com/oauth/token, a form; web clients authenticate with an HTTP Basic header of client_id and client_secret; access tokens expire after 2 hours; refresh tokens do not expire until used"
    },
    {
      url: "https://developer.calendly.com/creating-an-oauth-app",
      facts: "an app is of the web or native kind, in a sandbox or production environment; scopes are selected at registration; every app uses a specific redirect_uri and PKCE with S256"
    },
    {
      url: "https://developer.calendly.com/refresh-token-rotation-guide",
      facts: "refresh tokens are single-use: each successful refresh revokes the one used and answers a new access token and a new refresh token, which replaces the stored one; reusing a used one fails"
    },
    {
      url: "https://developer.calendly.com/api-docs/calendly-o-auth/o-auth/post-oauth-revoke.md",
      facts: "POST https://auth.calendly.com/oauth/revoke, a form with token (an access or a refresh token) and the client's client_id and client_secret; 200 when done, 400 invalid_request"
    },
    {
      url: "https://developer.calendly.com/docs/api-guides/how-to-find-the-organization-or-user-uri.md",
      facts: "GET https://api.calendly.com/users/me answers the user (uri, current_organization); with OAuth, the token response's owner and organization name the user's and organization's URIs"
    },
    {
      url: "https://developer.calendly.com/api-docs/calendly-api/users/get-user.md",
      facts: "GET /users/{uuid}, \"me\" for the caller: the user is under resource; a 401 is a body of title, message and details"
    }
  ],
  notes: [
    "The revoke page lists client_id and client_secret among the form's fields, where the token page takes them as HTTP Basic credentials: the entry sends HTTP Basic to both (one client authentication per endpoint); that the revoke endpoint accepts it is not stated.",
    "The rotation guide announces single-use refresh tokens without a date or a grace period: the twin rotates with none (a lost refresh answer means connecting again).",
    "The get-user page's 401 example shows a generic server error's title and message; the twin answers {title: \"Unauthenticated\", message: \"The access token is invalid\"}, values not confirmed.",
    "A third-party guide quotes Calendly that apps created since scopes arrived (March 2026) get no API access until scopes are asked for and approved; the entry asks for users:read, which the connection test needs."
  ],
  define: (options) =>
    Connector.define({
      name: "calendly",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://auth.calendly.com/oauth/token",
            revocationUrl: "https://auth.calendly.com/oauth/revoke",
            clientAuth: "client_secret_basic"
          }),
        authorizeUrl: () => "https://auth.calendly.com/oauth/authorize",
        scopes: options.scopes ?? ["users:read"]
      }),
      baseUrl: () => "https://api.calendly.com",
      test: { path: "/users/me" }
    })
}
