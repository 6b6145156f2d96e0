import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface PipedriveOptions {
  /** The scopes asked for (default: those of the app's registration, none named). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** The company's API domain, the `api_domain` of the first token response (e.g. `https://acme.pipedrive.com`). */
  API_DOMAIN: Schema.String
})

/** Pipedrive, a Marketplace app. @internal */
export const pipedrive: Entry<typeof config.Type, typeof config.Encoded, PipedriveOptions> = {
  id: "pipedrive",
  name: "Pipedrive (Marketplace app)",
  scoped: true,
  categories: ["crm"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["instance-url"],
  docs: [
    {
      url: "https://developers.pipedrive.com/docs/api/v1/Oauth",
      facts: "authorize at https://oauth.pipedrive.com/oauth/authorize; POST https://oauth.pipedrive.com/oauth/token, a form, with an Authorization: Basic header of client_id:client_secret, for the code exchange and for refresh_token; the access token expires after the response's expires_in"
    },
    {
      url: "https://developers.pipedrive.com/changelog/post/new-parameter-in-oauth-oauthtoken-responses",
      facts: "every /oauth/token response, the code exchange's and each refresh's, carries api_domain (https://{company}.pipedrive.com), the domain API requests go to, which can change; the example answers expires_in 3599 and a refresh_token; /users/me answers the company's domain"
    },
    {
      url: "https://docs.rs/pipedrive-rs/latest/i686-pc-windows-msvc/src/pipedrive_rs/models/unathorized_response.rs.html",
      facts: "the 401 body of the API v1 (typed after Pipedrive's OpenAPI description): success, error, errorCode"
    }
  ],
  notes: [
    "api_domain comes with the token response: store it and give it as API_DOMAIN. A connector's base URL comes from its configuration, so the catalog does not read it from the token response.",
    "The company's domain can change and each refresh answers the current one: an application that stores API_DOMAIN should update it from the refresh answers it receives. GET /api/v1/users/me (the user who authorized) is the connection test; its own reference page was not among those read.",
    "The access token lifetime is not stated on the pages read beyond expires_in (3599 in the changelog's example); the twin issues 3599 seconds. Whether a refresh answers a new refresh token, and how long an unused one lives, is not stated: the twin does not rotate, and the connector keeps a new one if Pipedrive sends it.",
    "The 401's values come from Pipedrive's OpenAPI description by way of a generated client; the twin answers {success: false, error: \"unauthorized access\", errorCode: 401}."
  ],
  define: (options) =>
    Connector.define({
      name: "pipedrive",
      config,
      publicFields: ["CLIENT_ID", "API_DOMAIN"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, { tokenUrl: "https://oauth.pipedrive.com/oauth/token", clientAuth: "client_secret_basic" }),
        authorizeUrl: () => "https://oauth.pipedrive.com/oauth/authorize",
        scopes: options.scopes ?? []
      }),
      baseUrl: (config) => `${config.API_DOMAIN}/api/v1`,
      test: { path: "/users/me" }
    })
}
