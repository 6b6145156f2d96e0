import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface ZendeskOptions {
  /** The scopes asked for (default `read`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** The account's subdomain: `acme` for `acme.zendesk.com`. */
  SUBDOMAIN: UrlPart
})

/** Zendesk (Support API), an OAuth client of one account. @internal */
export const zendesk: Entry<typeof config.Type, typeof config.Encoded, ZendeskOptions> = {
  id: "zendesk",
  name: "Zendesk (Support API)",
  scoped: true,
  categories: ["support"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["tenant-in-url", "json-token-request", "rotating-refresh"],
  docs: [
    {
      url: "https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/",
      facts: "POST https://{subdomain}.zendesk.com/oauth/tokens for the authorization_code and refresh_token grants; the parameters (grant_type, code, client_id, client_secret, redirect_uri, scope, refresh_token, expires_in, refresh_token_expires_in) formatted as JSON; the code is valid for 120 seconds; refresh tokens live 30 days unless asked otherwise (7 to 90)"
    },
    {
      url: "https://support.zendesk.com/hc/en-us/articles/9182123625370-Announcing-support-for-OAuth-refresh-token-grant-type-and-OAuth-access-and-refresh-token-expirations",
      facts: "refresh tokens come with every new token request; a refresh answers a new refresh token and deletes the previous access and refresh tokens"
    },
    {
      url: "https://support.zendesk.com/hc/en-us/articles/10212201463962-Announcing-the-required-expiration-of-global-OAuth-access-and-refresh-tokens",
      facts: "default lifetimes: access tokens 30 minutes (5 minutes to 48 hours), refresh tokens 30 days (7 to 90 days); enforced for new global clients since February 2, 2026 and new local clients from April 30, 2026"
    },
    {
      url: "https://developer.zendesk.com/documentation/api-basics/authentication/refresh-token",
      facts: "an expired access token is refreshed; an expired or invalid refresh token means sending the user through the authorization again"
    },
    {
      url: "https://support.zendesk.com/hc/en-us/articles/10306782115610-Troubleshooting-401-and-403-Errors-on-the-Zendesk-Developer-Platform",
      facts: "a 401 means the request could not be authenticated (a missing, expired or revoked token); a 403, a token without the scope"
    }
  ],
  notes: [
    "The authorize URL https://{subdomain}.zendesk.com/oauth/authorizations/new and GET /api/v2/users/me (the user who authorized, under user) are taken from third-party integrations' notes (Airbyte's Zendesk connector, API clients); Zendesk's own pages for them were not read.",
    "The grant type page was read through a mirror of its text. The 401 body {\"error\":\"Couldn't authenticate you\"} is the one Zendesk users report on its community pages, not on a reference page.",
    "A refresh deletes the previous access token too; the twin keeps it until it expires. No grace for a lost refresh answer is described: the twin has none (connect again).",
    "Older clients may still get tokens that do not expire and no refresh token; the entry serves such a token until the API refuses it, then asks for the account to be connected again.",
    "Revocation is DELETE /api/v2/oauth/tokens/{id} (not RFC 7009) and global OAuth clients need Zendesk's approval; both are left for later."
  ],
  define: (options) =>
    Connector.define({
      name: "zendesk",
      config,
      publicFields: ["CLIENT_ID", "SUBDOMAIN"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: `https://${config.SUBDOMAIN}.zendesk.com/oauth/tokens`,
            clientAuth: "client_secret_post",
            requestBody: "json"
          }),
        authorizeUrl: (config) => `https://${config.SUBDOMAIN}.zendesk.com/oauth/authorizations/new`,
        scopes: options.scopes ?? ["read"]
      }),
      baseUrl: (config) => `https://${config.SUBDOMAIN}.zendesk.com/api/v2`,
      test: { path: "/users/me" }
    })
}
