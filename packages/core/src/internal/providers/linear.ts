import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface LinearOptions {
  /** The scopes asked for (default `read`), sent comma-separated as Linear wants them. */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** The viewer query: the user the token acts for. */
const viewer = "{ viewer { id name } }"

/** Linear, an OAuth2 application acting for a user. @internal */
export const linear: Entry<typeof config.Type, typeof config.Encoded, LinearOptions> = {
  id: "linear",
  name: "Linear",
  scoped: true,
  categories: ["project-management"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["graphql-connection-test", "api-errors-with-200", "rotating-refresh"],
  docs: [
    {
      url: "https://linear.app/developers/oauth-2-0-authentication",
      facts: "authorize at https://linear.app/oauth/authorize with a comma-separated scope (read is always granted), optional prompt=consent and actor, PKCE supported; POST https://api.linear.app/oauth/token, form-encoded, with client_id and client_secret; authorization-code access tokens live 24 hours by default and the refresh token is exchanged for a new token pair; every OAuth2 application moved to refresh tokens on April 1, 2026; the client credentials grant gives 30-day tokens without a refresh token; use expires_in, and handle refusals before it"
    },
    {
      url: "https://integrations.sh/linear.app/linear-graphql-api/",
      facts: "the GraphQL API at https://api.linear.app/graphql (Linear's own page: https://linear.app/developers/graphql); an OAuth application's token as Authorization: Bearer"
    }
  ],
  notes: [
    "Linear's GraphQL page itself was not read: the endpoint comes from the summary cited, the viewer query (the user the token acts for) from Linear's schema as public clients use it. The pages read do not describe the API's error answers.",
    "How the API refuses a token is not on the pages read, and public clients disagree: some receive HTTP 200 with {\"errors\":[…\"extensions\":{\"code\":\"AUTHENTICATION_ERROR\"}}], others the same body with 401 or 400. The connector refreshes on a 401 or on that code in the body, whatever the status; the twin answers 200, the harder case.",
    "The pages read say a refresh answers a new token pair but not whether the previous refresh token stays usable for a while: the twin retires it at once (no grace), and the connector keeps each new one.",
    "Token revocation is not on the pages read: not part of this entry. Neither is the client credentials grant (actor=app tokens for automation)."
  ],
  define: (options) =>
    Connector.define({
      name: "linear",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, { tokenUrl: "https://api.linear.app/oauth/token", clientAuth: "client_secret_post" }),
        authorizeUrl: () => "https://linear.app/oauth/authorize",
        // Linear's scope list is comma-separated: one value
        scopes: [(options.scopes ?? ["read"]).join(",")]
      }),
      // GraphQL answers its errors in the body, with 200 as often as not
      refreshOn: { statuses: [401], bodyPattern: /"code"\s*:\s*"AUTHENTICATION_ERROR"/ },
      baseUrl: () => "https://api.linear.app",
      test: { path: "/graphql", method: "POST", body: { query: viewer } }
    })
}
