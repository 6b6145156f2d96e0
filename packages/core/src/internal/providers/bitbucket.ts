import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface BitbucketOptions {
  /** The scopes asked for (default: those of the OAuth consumer's permissions, none named). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Bitbucket Cloud, an OAuth consumer acting for a user. @internal */
export const bitbucket: Entry<typeof config.Type, typeof config.Encoded, BitbucketOptions> = {
  id: "bitbucket",
  name: "Bitbucket Cloud",
  scoped: true,
  categories: ["developer tools"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["renamed-token-fields"],
  docs: [
    {
      url: "https://developer.atlassian.com/cloud/bitbucket/oauth-2",
      facts: "authorize at https://bitbucket.org/site/oauth2/authorize, tokens at https://bitbucket.org/site/oauth2/access_token; the code exchange with HTTP Basic credentials of the consumer (curl -u client_id:secret) and a form body; the authorization code, implicit and client credentials grants, and a JWT grant of Bitbucket's"
    },
    {
      url: "https://community.developer.atlassian.com/t/oauth2-token-lifetime-expiration-clarification/22136",
      facts: "a Bitbucket Cloud engineer: access tokens live 2 hours (expires_in 7200), the support page was corrected; a refresh answer carries access_token, scopes, expires_in, refresh_token and token_type"
    },
    {
      url: "https://community.atlassian.com/t5/Bitbucket-questions/How-do-I-refresh-a-token/qaq-p/1545002",
      facts: "grant_type=refresh_token with Basic credentials at the same endpoint; a refused refresh token: {\"error_description\":\"Invalid refresh_token\",\"error\":\"invalid_request\"}"
    },
    {
      url: "https://community.atlassian.com/t5/Bitbucket-questions/How-to-create-API-Token/qaq-p/2079608",
      facts: "the API's answer to an expired token: {\"type\":\"error\",\"error\":{\"message\":\"Access token expired.\"}}"
    },
    {
      url: "https://support.atlassian.com/bitbucket-cloud/docs/use-oauth-on-bitbucket-cloud/",
      facts: "an OAuth consumer (key and secret) of a workspace, with a callback URL required for OAuth 2.0 and the permissions it may ask for"
    }
  ],
  notes: [
    "The token response names the granted scopes `scopes`, not `scope`: the shape reads it there.",
    "The two-hour lifetime and the error bodies come from Atlassian staff and users in Atlassian's community forums, not from the reference pages read; the entry trusts expires_in.",
    "Whether a refresh answers the same refresh token or a new one, and whether the previous one still works, is not stated: the twin keeps the refresh token (no rotation) and the connector keeps a new one if Bitbucket sends it.",
    "A refused refresh token is answered invalid_request in the forum post, not RFC 6749's invalid_grant: the connector then fails with that OAuthError rather than ReauthorizationRequired (renaming invalid_request would also hide malformed requests). The twin answers RFC 6749's codes.",
    "GET https://api.bitbucket.org/2.0/user (the current user) is the connection test; the reference page of it was not read. PKCE is not on the pages read: the entry sends grantflow's default S256 challenge, which a server that does not know it ignores.",
    "Revocation is not documented on the pages read: not part of this entry."
  ],
  define: (options) =>
    Connector.define({
      name: "bitbucket",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://bitbucket.org/site/oauth2/access_token",
            clientAuth: "client_secret_basic"
          }),
        authorizeUrl: () => "https://bitbucket.org/site/oauth2/authorize",
        scopes: options.scopes ?? []
      }),
      // Bitbucket's name for RFC 6749's scope
      tokenResponse: { scope: "scopes" },
      baseUrl: () => "https://api.bitbucket.org/2.0",
      test: { path: "/user" }
    })
}
