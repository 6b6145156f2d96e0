import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface HubSpotOptions {
  /** The scopes asked for (default `oauth`, which the account details need). */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** The date-based version of the account information API (default `2026-03`). */
  readonly apiVersion?: string | undefined
}

const config = Schema.Struct(appFields)

/** HubSpot, a public app installed in an account. @internal */
export const hubspot: Entry<typeof config.Type, typeof config.Encoded, HubSpotOptions> = {
  id: "hubspot",
  name: "HubSpot (public app)",
  scoped: true,
  categories: ["crm", "marketing"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["provider-error-codes"],
  docs: [
    {
      url: "https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide",
      facts: "the install URL https://app.hubspot.com/oauth/authorize with client_id, scope and redirect_uri; the v3 token endpoints take every parameter, the client id and secret included, in the request body"
    },
    {
      url: "https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/create-oauth-token",
      facts: "POST https://api.hubapi.com/oauth/v3/token, a form with client_id, client_secret, grant_type, code, redirect_uri or refresh_token; an error body of message, correlationId and category (VALIDATION_ERROR for invalid input)"
    },
    {
      url: "https://developers.hubspot.com/changelog/upcoming-expiration-of-oauth-access-tokens-is-changing",
      facts: "access tokens expire 30 minutes after they are generated; expires_in states it; the change has no effect on refresh tokens"
    },
    {
      url: "https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/refresh-oauth-token.md",
      facts: "a refresh with a stored refresh token answers a new access token; v1 of the OAuth API is deprecated on February 16, 2027"
    },
    {
      url: "https://developers.hubspot.com/docs/api-reference/latest/account/account-information/get-account-details",
      facts: "GET https://api.hubapi.com/account-info/2026-03/details answers the account's portalId, accountType, timeZone, companyCurrency, uiDomain…; the connection test"
    },
    {
      url: "https://developers.hubspot.com/changelog/improvements-to-authentication-errors-for-v3-endpoints-in-developer-preview-program",
      facts: "authentication errors are bodies of message, correlationId and category, like other errors (\"Authentication credentials not found…\")"
    }
  ],
  notes: [
    "The token endpoint's documented error body has no error field: its category (VALIDATION_ERROR) is read as invalid_grant, so a refused code or refresh token means connecting the account again. The pages read do not say how a refused client (a wrong secret) differs; it reads the same.",
    "Whether a refresh answers a new refresh token is not stated on the pages read (the v1 refresh page speaks of storing the refresh token of the installation and using it for each new access token). The twin does not rotate; the connector keeps a new one if HubSpot sends it.",
    "The v1 reference's example shows camelCase fields (accessToken, expiresIn, hubId) where the guides speak of expires_in: contradictory; the entry reads RFC 6749's names.",
    "The API's 401 for an expired or unknown token has the changelog's shape (written for endpoints then in preview); the twin answers {status: \"error\", message, correlationId, category: \"INVALID_AUTHENTICATION\"}, the category's value taken from third-party references, not HubSpot's pages.",
    "Revocation (POST /oauth/2026-03/token/revoke) and the v1 endpoints are left for later."
  ],
  define: (options) =>
    Connector.define({
      name: "hubspot",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, { tokenUrl: "https://api.hubapi.com/oauth/v3/token", clientAuth: "client_secret_post" }),
        authorizeUrl: () => "https://app.hubspot.com/oauth/authorize",
        scopes: options.scopes ?? ["oauth"]
      }),
      // the refusal's code is its category
      tokenResponse: { error: "category", errors: { VALIDATION_ERROR: "invalid_grant" } },
      baseUrl: () => "https://api.hubapi.com",
      test: { path: `/account-info/${options.apiVersion ?? "2026-03"}/details` }
    })
}
