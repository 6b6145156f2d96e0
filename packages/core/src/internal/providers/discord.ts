import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface DiscordOptions {
  /** The scopes asked for (default `identify`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Discord, a user's account through an OAuth2 application. @internal */
export const discord: Entry<typeof config.Type, typeof config.Encoded, DiscordOptions> = {
  id: "discord",
  name: "Discord (user OAuth2)",
  scoped: true,
  categories: ["communication"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["revocation"],
  docs: [
    {
      url: "https://discord.com/.well-known/oauth-authorization-server",
      facts: "issuer https://discord.com; authorization_endpoint https://discord.com/api/oauth2/authorize, token_endpoint https://discord.com/api/oauth2/token, revocation_endpoint https://discord.com/api/oauth2/token/revoke; client_secret_basic, client_secret_post or none at both; PKCE S256; grants authorization_code, refresh_token, client_credentials"
    },
    {
      url: "https://discord.js.org/docs/packages/discord.js/14.18.0/RESTPostOAuth2TokenRevocationQuery:Interface",
      facts: "the revocation request: token, and an optional token_type_hint access_token or refresh_token (typed after https://discord.com/developers/docs/topics/oauth2#authorization-code-grant-token-revocation-example)"
    },
    {
      url: "https://discord.js.org/docs/packages/core/0.3.0/UsersAPI:Class",
      facts: "GET /users/@me answers the user object of the requester's account, the connection test (typed after https://discord.com/developers/docs/resources/user#get-current-user)"
    }
  ],
  notes: [
    "Discord's developer docs pages were not read themselves: the revocation request and GET /users/@me come from discord.js's typed reference, which links them.",
    "Third-party listings give https://discord.com/oauth2/authorize for the authorization URL, the server's metadata https://discord.com/api/oauth2/authorize: the entry takes the metadata's.",
    "The access token lifetime is not on the pages read: the entry trusts expires_in, and the twin issues one week. Whether a refresh answers a new refresh token is not stated either: the twin does not rotate, and the connector keeps a new one if Discord sends it.",
    "The body of the API's 401 is not on the pages read; the twin answers {\"message\":\"401: Unauthorized\",\"code\":0}.",
    "Bot tokens and the client credentials grant (the application's own token) are left for later."
  ],
  define: (options) =>
    Connector.define({
      name: "discord",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://discord.com/api/oauth2/token",
            revocationUrl: "https://discord.com/api/oauth2/token/revoke",
            clientAuth: "client_secret_basic"
          }),
        authorizeUrl: () => "https://discord.com/api/oauth2/authorize",
        scopes: options.scopes ?? ["identify"]
      }),
      baseUrl: () => "https://discord.com/api",
      test: { path: "/users/@me" }
    })
}
