import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, noExpiry, userConnection } from "./entry.js"

/** @internal */
export interface IntercomOptions {
  /** The `Intercom-Version` every API request carries (default: the version set in the app). */
  readonly version?: string | undefined
}

const config = Schema.Struct(appFields)

/** Intercom, a public app. @internal */
export const intercom: Entry<typeof config.Type, typeof config.Encoded, IntercomOptions> = {
  id: "intercom",
  name: "Intercom (public app)",
  scoped: false,
  categories: ["support", "communication"],
  grants: ["authorization_code"],
  quirks: ["no-expiry"],
  docs: [
    {
      url: "https://intercom-developer-hub.readme.io/reference/using-oauth",
      facts: "the user is sent to https://app.intercom.io/oauth with client_id, state and redirect_uri; the code (valid about 5 minutes) is exchanged by a POST to https://api.intercom.io/auth/eagle/token with code, client_id and client_secret; the token is used as a bearer token"
    },
    {
      url: "https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth.md",
      facts: "public apps use OAuth; redirect URLs must be HTTPS; permissions are chosen in the Developer Hub, not asked for in the authorization"
    },
    {
      url: "https://developers.intercom.com/docs/references/2.15/rest-api/api.intercom.io/admins/identifyadmin",
      facts: "GET /me answers the authorized admin (type admin, id, name, email…) with its app; the connection test"
    },
    {
      url: "https://nango.dev/docs/api-integrations/intercom/how-to-register-your-own-intercom-api-oauth-app",
      facts: "Intercom access tokens do not expire, and no refresh token comes with them"
    }
  ],
  notes: [
    "Intercom's own pages read do not state the token's lifetime; that it does not expire comes from a third-party integration guide. The entry serves the token until the API refuses it (the app was uninstalled), then asks for the account to be connected again.",
    "The token response's fields are not on the pages read; the twin answers {token_type, access_token}. The exchange names only code, client_id and client_secret; the connector also sends grant_type and redirect_uri, as RFC 6749 says.",
    "The API's 401 body is not on Intercom's pages read; the twin answers the error list third-party references describe: {type: \"error.list\", request_id, errors: [{code: \"unauthorized\", message: \"Access Token Invalid\"}]}.",
    "Workspaces hosted in Europe or Australia are served at api.eu.intercom.io and api.au.intercom.io: left for later; the entry calls https://api.intercom.io."
  ],
  define: (options) =>
    Connector.define({
      name: "intercom",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://api.intercom.io/auth/eagle/token",
            clientAuth: "client_secret_post",
            defaultLifetime: noExpiry,
            maxLifetime: noExpiry
          }),
        authorizeUrl: () => "https://app.intercom.io/oauth",
        scopes: []
      }),
      ...(options.version === undefined ? {} : { headers: () => ({ "intercom-version": options.version! }) }),
      baseUrl: () => "https://api.intercom.io",
      test: { path: "/me" }
    })
}
