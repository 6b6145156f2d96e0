import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appBasic, appFields, endpoint, type Entry, noExpiry, userConnection } from "./entry.js"

/** @internal */
export interface NotionOptions {
  /** The `Notion-Version` every API request carries (default `2022-06-28`). */
  readonly version?: string | undefined
}

const config = Schema.Struct(appFields)

/** Notion, public integration. @internal */
export const notion: Entry<typeof config.Type, typeof config.Encoded, NotionOptions> = {
  id: "notion",
  name: "Notion",
  scoped: false,
  categories: ["productivity"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["basic-auth-json-body", "api-version-header", "no-expiry", "rotating-refresh", "provider-revocation"],
  docs: [
    {
      url: "https://developers.notion.com/docs/authorization",
      facts: "the authorize URL https://api.notion.com/v1/oauth/authorize?owner=user; the token request with HTTP Basic credentials"
    },
    {
      url: "https://developers.notion.com/reference/create-a-token",
      facts: "POST /v1/oauth/token with a JSON body; the response carries access_token, refresh_token, bot_id, workspace_* and owner, no expires_in"
    },
    {
      url: "https://developers.notion.com/reference/refresh-a-token",
      facts: "grant_type refresh_token at the same endpoint"
    },
    {
      url: "https://developers.notion.com/reference/versioning",
      facts: "every request carries a Notion-Version header"
    },
    {
      url: "https://developers.notion.com/changelog/unversioned-requests-no-longer-accepted",
      facts: "a request without Notion-Version is refused with missing_version"
    },
    {
      url: "https://developers.notion.com/reference/status-codes",
      facts: "401 with code unauthorized (\"The bearer token is not valid.\") for a bad token; 400 missing_version"
    },
    {
      url: "https://developers.notion.com/reference/revoke-token",
      facts: "POST /v1/oauth/revoke with HTTP Basic credentials, the Notion-Version header and a JSON body {token}; the answer carries request_id"
    }
  ],
  notes: [
    "The pages read state no access token lifetime and the token response has no expires_in: the entry serves a token until the API refuses it, then refreshes.",
    "Whether the token endpoint also takes a form body is not stated; the entry sends JSON, as documented.",
    "Whether a refresh returns a new refresh token each time is not stated on the pages read; the twin rotates, which the connector handles either way. The revoke page does not say whether revoking the access token also ends the refresh token; the twin ends both."
  ],
  define: (options) =>
    Connector.define({
      name: "notion",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://api.notion.com/v1/oauth/token",
            clientAuth: "client_secret_basic",
            requestBody: "json",
            defaultLifetime: noExpiry,
            maxLifetime: noExpiry
          }),
        authorizeUrl: () => "https://api.notion.com/v1/oauth/authorize",
        scopes: [],
        extraParams: { owner: "user" }
      }),
      headers: () => ({ "notion-version": options.version ?? "2022-06-28" }),
      baseUrl: () => "https://api.notion.com/v1",
      test: { path: "/users/me" },
      revoke: (config) => ({
        url: "https://api.notion.com/v1/oauth/revoke",
        token: { json: "token" },
        auth: appBasic(config),
        headers: { "notion-version": options.version ?? "2022-06-28" }
      })
    })
}
