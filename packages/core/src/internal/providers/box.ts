import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface BoxOptions {
  /** The scopes asked for (default: those of the app's configuration, none named). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Box, OAuth 2.0 (client-side) authentication for a user. @internal */
export const box: Entry<typeof config.Type, typeof config.Encoded, BoxOptions> = {
  id: "box",
  name: "Box (OAuth 2.0)",
  scoped: true,
  categories: ["storage"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["rotating-refresh", "revocation"],
  docs: [
    {
      url: "https://developer.box.com/guides/authentication/tokens/access-tokens/",
      facts: "OAuth 2.0 answers an access token and a refresh token from POST https://api.box.com/oauth2/token (a form body): access_token, expires_in 3600, token_type bearer, refresh_token, issued_token_type"
    },
    {
      url: "https://developer.box.com/guides/authentication/tokens/refresh",
      facts: "a refresh at POST /oauth2/token, before or after the access token expires; a refresh token is valid for 60 days and usable once: each refresh invalidates it and answers a new one, again good for one use within 60 days; after that the user authorizes again"
    },
    {
      url: "https://developer.box.com/reference/post-oauth2-revoke",
      facts: "POST https://api.box.com/oauth2/revoke with client_id, client_secret and token in a form body; an empty answer when revoked; {\"error\":\"invalid_client\",\"error_description\":…} for bad client credentials"
    },
    {
      url: "https://developer.box.com/guides/authentication/access-tokens/revoke",
      facts: "the access token or the refresh token may be sent to revoke"
    },
    {
      url: "https://support.box.com/hc/en-us/community/posts/360049340233-How-long-do-access-tokens-have-before-they-expire",
      facts: "a Box staff answer: every kind of access token expires after an hour; expires_in gives the exact time"
    }
  ],
  notes: [
    "A refresh token is single-use: the twin retires it at each refresh with no grace, and a retired one reused revokes the grant (connect again). A Box forum answer mentions exceptions for concurrent refreshes; the guides do not, and the twin has none.",
    "Each refresh token lives 60 days from its issue, so a connection refreshed at least every 60 days lasts; after 60 days unused the refresh is refused and the account must be connected again. The twin counts 60 days per refresh token.",
    "The authorize URL https://account.box.com/api/oauth2/authorize and the client credentials in the form body (client_secret_post) at the token endpoint are not on the pages read; the URL is the one public Box integrations use, and the form body is the revocation reference's. PKCE is not on the pages read: the entry sends grantflow's default S256 challenge, which a server that does not know it ignores.",
    "Revocation is used as RFC 7009's; whether it takes token_type_hint (which grantflow sends) is not stated. GET https://api.box.com/2.0/users/me is the connection test; the body of the API's 401 is not on the pages read, and the twin answers RFC 6750's challenge."
  ],
  define: (options) =>
    Connector.define({
      name: "box",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://api.box.com/oauth2/token",
            revocationUrl: "https://api.box.com/oauth2/revoke",
            clientAuth: "client_secret_post"
          }),
        authorizeUrl: () => "https://account.box.com/api/oauth2/authorize",
        scopes: options.scopes ?? []
      }),
      baseUrl: () => "https://api.box.com/2.0",
      test: { path: "/users/me" }
    })
}
