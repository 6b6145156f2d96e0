import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { trimSlashes } from "../text.js"
import { appFields, endpoint, type Entry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface DocuSignOptions {
  /** Where the account lives: the developer environment (`demo`, the default) or `production`. */
  readonly environment?: "demo" | "production" | undefined
  /** The scopes asked for (default `signature`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** What the userinfo call names: the user's accounts, each with the base URI of its API. */
const UserInfo = Schema.Struct({
  accounts: Schema.Array(Schema.Struct({ account_id: UrlPart, is_default: Schema.Boolean, base_uri: Schema.String }))
})

const authHost = (options: DocuSignOptions) =>
  options.environment === "production" ? "https://account.docusign.com" : "https://account-d.docusign.com"

/** DocuSign eSignature REST API, Authorization Code Grant. @internal */
export const docusign: Entry<typeof config.Type, typeof config.Encoded, DocuSignOptions> = {
  id: "docusign",
  name: "DocuSign (eSignature REST API)",
  scoped: true,
  categories: ["documents", "e-signature"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["discovered-base-url"],
  docs: [
    {
      url: "https://developers.docusign.com/platform/auth/reference/obtain-access-token",
      facts: "POST /oauth/token, form-encoded, with an HTTP Basic header of the integration key and secret key; also exchanges a refresh token"
    },
    {
      url: "https://developers.docusign.com/platform/auth/reference/user-info",
      facts: "GET /oauth/userinfo with the access token answers the user's accounts, each with account_id, is_default and base_uri, the base of its API; the authentication service is https://account-d.docusign.com for the developer environment and https://account.docusign.com for production; cache the answer, at least for the session (the endpoint has hourly limits)"
    },
    {
      url: "https://www.docusign.com/blog/developers/authorization-code-grant-refresh-tokens",
      facts: "Authorization Code Grant access tokens live eight hours (expires_in 28800) and come with a refresh token that lives 30 days; an expired access token gets a 401; the refresh request is grant_type=refresh_token with Basic credentials at the same token URL"
    },
    {
      url: "https://developers.docusign.com/platform/auth/authcode.md",
      facts: "Confidential Authorization Code Grant for apps that keep a secret key (and a public one with PKCE)"
    }
  ],
  notes: [
    "The API base is <base_uri>/restapi/v2.1/accounts/<account_id> of the default account (is_default), learnt once per connection from userinfo; base_uri must be a host under docusign.net. The connection test reads that account (GET on the base itself).",
    "Whether a refresh answers a new refresh token, and whether the 30 days restart with it, is not on the pages read: the twin keeps the refresh token of the authorization, with its 30 days; the connector keeps a new one if DocuSign sends it. The extended scope, which the blog names for longer-lived refresh tokens, is not asked for by default.",
    "The authorize path /oauth/auth is not on the pages read, which name the token and userinfo paths; public integrations all send users to it. The body of the API's 401 is not on them; the twin answers {\"errorCode\":\"USER_AUTHENTICATION_FAILED\",…}.",
    "The default environment is the developer one (demo): an integration key works in production only after DocuSign's go-live review."
  ],
  define: (options) =>
    Connector.define({
      name: "docusign",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, { tokenUrl: `${authHost(options)}/oauth/token`, clientAuth: "client_secret_basic" }),
        authorizeUrl: () => `${authHost(options)}/oauth/auth`,
        scopes: options.scopes ?? ["signature"]
      }),
      baseUrl: () => authHost(options),
      discovery: () =>
        Connector.discovery({
          path: "/oauth/userinfo",
          hosts: ["*.docusign.net"],
          schema: UserInfo,
          baseUrl: ({ accounts }) => {
            const account = accounts.find((one) => one.is_default)
            return account === undefined
              ? undefined
              : `${trimSlashes(account.base_uri, "end")}/restapi/v2.1/accounts/${account.account_id}`
          }
        }),
      test: { path: "/" }
    })
}
