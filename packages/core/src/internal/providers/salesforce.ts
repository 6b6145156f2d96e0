import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface SalesforceOptions {
  /** The scopes asked for (default `api refresh_token`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** Where the user logs in: `https://login.salesforce.com`, `https://test.salesforce.com` or the org's My Domain. */
  LOGIN_URL: Schema.optionalWith(Schema.String, { default: () => "https://login.salesforce.com" }),
  /** The org's instance, the `instance_url` of the first token response (e.g. `https://acme.my.salesforce.com`). */
  INSTANCE_URL: Schema.String
})

/** Salesforce, web server flow. @internal */
export const salesforce: Entry<typeof config.Type, typeof config.Encoded, SalesforceOptions> = {
  id: "salesforce",
  name: "Salesforce",
  scoped: true,
  categories: ["crm"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["instance-url", "no-expires-in", "revocation"],
  docs: [
    {
      url: "https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_oauth_web_server_flow_ca.htm",
      facts: "the web server flow: /services/oauth2/authorize and /services/oauth2/token; the token response carries instance_url, id, issued_at and signature, and no expires_in"
    },
    {
      url: "https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_oauth_refresh_token_flow_ca.htm",
      facts: "the refresh token flow; the session timeout decides when an access token ends; optional refresh token rotation, where a rotated-out token's reuse invalidates the current one"
    },
    {
      url: "https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_understanding_refresh_token_oauth.htm",
      facts: "an expired access token gets \"Session expired or invalid\"; the refresh response carries access_token, instance_url, id, issued_at, signature"
    },
    {
      url: "https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm",
      facts: "revocation at /services/oauth2/revoke"
    },
    {
      url: "https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_userinfo_endpoint.htm",
      facts: "the UserInfo endpoint /services/oauth2/userinfo, the connection test"
    }
  ],
  notes: [
    "No expires_in: how long an access token (a session) lives is the org's session timeout (Setup › Session Settings; two hours by default). The connector takes two hours and refreshes on a 401; a shorter org timeout is met by the refresh on 401.",
    "instance_url comes with the first token response: store it and give it as INSTANCE_URL. A connector's base URL comes from its configuration, so the catalog does not read it from the token response.",
    "Refresh token rotation is an option of the connected app; the refresh token page gives it no grace period (a reused rotated-out token invalidates the current one). The twin has it off, as by default; the connector keeps a rotated refresh token either way.",
    "The docs describe issued_at as seconds since the epoch, while their examples show 13-digit values (milliseconds): contradictory; the entry does not read it."
  ],
  define: (options) =>
    Connector.define({
      name: "salesforce",
      config,
      publicFields: ["CLIENT_ID", "LOGIN_URL", "INSTANCE_URL"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: `${config.LOGIN_URL}/services/oauth2/token`,
            revocationUrl: `${config.LOGIN_URL}/services/oauth2/revoke`,
            clientAuth: "client_secret_post",
            defaultLifetime: "2 hours"
          }),
        authorizeUrl: (config) => `${config.LOGIN_URL}/services/oauth2/authorize`,
        scopes: options.scopes ?? ["api", "refresh_token"]
      }),
      baseUrl: (config) => config.INSTANCE_URL,
      test: { path: "/services/oauth2/userinfo" }
    })
}
