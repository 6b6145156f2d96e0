import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appBasic, appFields, endpoint, type Entry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface QuickBooksOptions {
  /** The scopes asked for (default `com.intuit.quickbooks.accounting`). */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** Which API host the connection calls (default `production`); the OAuth endpoints are the same for both. */
  readonly environment?: "production" | "sandbox" | undefined
}

const config = Schema.Struct({
  ...appFields,
  /**
   * The company (`realmId`), which arrives on the authorization's redirect as
   * a query parameter: store it with the token. Authorizing needs none.
   */
  REALM_ID: Schema.optionalWith(UrlPart, { exact: true })
})

const hosts = { production: "https://quickbooks.api.intuit.com", sandbox: "https://sandbox-quickbooks.api.intuit.com" }

/** QuickBooks Online (Intuit). @internal */
export const quickbooks: Entry<typeof config.Type, typeof config.Encoded, QuickBooksOptions> = {
  id: "quickbooks",
  name: "QuickBooks Online",
  scoped: true,
  categories: ["accounting"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["rotating-refresh", "provider-revocation"],
  docs: [
    {
      url: "https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0",
      facts: "authorize at https://appcenter.intuit.com/connect/oauth2 with the com.intuit.quickbooks.accounting scope; the redirect carries code, state and realmId (the company); tokens at https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer with HTTP Basic credentials; access tokens live one hour; API calls go to /v3/company/{realmId}/…"
    },
    {
      url: "https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq",
      facts: "the authorization FAQ: how access and refresh tokens are used (its full text on refresh token rotation could not be read)"
    },
    {
      url: "https://blogs.a.intuit.com/2025/11/12/important-changes-to-refresh-token-policy",
      facts: "refresh tokens stayed valid as long as they were used at least every 100 days; they now also end at most five years after they were issued, and the refresh response will say when"
    },
    {
      url: "https://developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/companyinfo",
      facts: "the CompanyInfo entity, read at GET /v3/company/{realmId}/companyinfo/{realmId}: the connection test"
    }
  ],
  notes: [
    "How long the previous refresh token stays valid once a refresh answered a new value is not stated on the pages read (third-party write-ups say the value changes about every 24 hours, and that the FAQ says so); the twin rotates at every refresh and accepts only the latest, the strictest case, which the connector handles by keeping the new value (onRotate) before using its access token.",
    "The CompanyInfo page was found through a client library's reference, not read; the read path /v3/company/{realmId}/companyinfo/{realmId} is the one client libraries and Intuit's samples call.",
    "The revocation request (POST https://developer.api.intuit.com/v2/oauth2/tokens/revoke, HTTP Basic, a JSON body {\"token\": …}, the refresh token or an access token) was read in Intuit's own OAuth client for Node.js (intuit-oauth) and Intuit's discovery document, not on the pages read; the entry revokes the refresh token, which ends the connection.",
    "The token response's x_refresh_token_expires_in (about 100 days, e.g. 8726400 seconds) is not read: a refresh token's end is found when it is refused.",
    "The API's 401 body ({\"Fault\":{\"Error\":[{\"Message\":\"message=AuthenticationFailed; errorCode=003200; statusCode=401\",…}],\"type\":\"AUTHENTICATION\"}}) is taken from client libraries' tests, not from the pages read.",
    "The realmId comes on the redirect, not in the token response: read it from the callback URL and save it as REALM_ID; connecting without it fails with ConnectorConfigError."
  ],
  define: (options) => {
    const host = hosts[options.environment ?? "production"]
    return Connector.define({
      name: "quickbooks",
      config,
      publicFields: ["CLIENT_ID", "REALM_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            clientAuth: "client_secret_basic"
          }),
        authorizeUrl: () => "https://appcenter.intuit.com/connect/oauth2",
        scopes: options.scopes ?? ["com.intuit.quickbooks.accounting"]
      }),
      // without the company, no base URL: connecting says the configuration is unusable
      baseUrl: (config) => config.REALM_ID === undefined
          ? "REALM_ID is missing: save the realmId of the authorization's callback as REALM_ID"
          : `${host}/v3/company/${config.REALM_ID}`,
      test: (config) => ({ path: `/companyinfo/${config.REALM_ID ?? ""}` }),
      revoke: (config) => ({
        url: "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        token: { json: "token" },
        auth: appBasic(config),
        revokes: "refresh_token"
      })
    })
  }
}
