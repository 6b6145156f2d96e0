import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface ZoomOptions {
  /** The scopes asked for (default: those of the app's configuration, none named). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Zoom, a user-managed OAuth app. @internal */
export const zoom: Entry<typeof config.Type, typeof config.Encoded, ZoomOptions> = {
  id: "zoom",
  name: "Zoom (OAuth app)",
  scoped: true,
  categories: ["communication"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["rotating-refresh"],
  docs: [
    {
      url: "https://developers.zoom.us/docs/rooms/oauth/",
      facts: "POST https://zoom.us/oauth/token with an HTTP Basic header of the client id and secret, the parameters as a form body or the query; RFC 6749 flows"
    },
    {
      url: "https://devsupport.zoom.us/hc/en-us/articles/360060332931-Extending-the-expiration-for-an-OAuth-access-token",
      facts: "access tokens live 1 hour; grant_type refresh_token at https://zoom.us/oauth/token with Basic credentials; the latest refresh token must always be used, a prior one gets an 'Invalid Token!' error; refresh tokens expire after 15 years"
    },
    {
      url: "https://developers.zoom.us/docs/api/errors.md",
      facts: "401 for invalid or missing credentials; error bodies are {\"code\":…,\"message\":…}"
    },
    {
      url: "https://devforum.zoom.us/t/zoom-rest-api-add-participant-to-meeting-code-124-invalid-access-token-error/95559",
      facts: "a refused token's body: {\"code\":124,\"message\":\"Invalid access token.\"}"
    }
  ],
  notes: [
    "The authorize URL https://zoom.us/oauth/authorize is not on the pages read; it is the one Zoom's sample apps use.",
    "Each refresh answers a new refresh token and only the latest is accepted: no grace for a lost answer. Whether reusing a retired one also ends the current one is not stated; the twin treats it as reuse and revokes the family (connect again).",
    "The support article gives refresh tokens 15 years; other Zoom pages are silent and third-party guides say 90 days: the twin sets no refresh token lifetime.",
    "GET https://api.zoom.us/v2/users/me is the connection test (the user who authorized). The body of the token endpoint's errors is not on the pages read; the twin answers RFC 6749's.",
    "Server-to-Server OAuth (grant_type account_credentials) and token revocation (POST /oauth/revoke) are left for later."
  ],
  define: (options) =>
    Connector.define({
      name: "zoom",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, { tokenUrl: "https://zoom.us/oauth/token", clientAuth: "client_secret_basic" }),
        authorizeUrl: () => "https://zoom.us/oauth/authorize",
        scopes: options.scopes ?? []
      }),
      baseUrl: () => "https://api.zoom.us/v2",
      test: { path: "/users/me" }
    })
}
