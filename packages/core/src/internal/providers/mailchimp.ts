import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, noExpiry, userConnection } from "./entry.js"

/** @internal */
export interface MailchimpOptions {}

const config = Schema.Struct(appFields)

/** What the metadata call names: the account's data center (`us6`), the subdomain of its API. */
const Metadata = Schema.Struct({
  dc: Schema.String.pipe(Schema.pattern(/^[a-z0-9]{1,20}$/i))
})

/** Mailchimp Marketing API, OAuth 2. @internal */
export const mailchimp: Entry<typeof config.Type, typeof config.Encoded, MailchimpOptions> = {
  id: "mailchimp",
  name: "Mailchimp (Marketing API)",
  scoped: false,
  categories: ["marketing"],
  grants: ["authorization_code"],
  quirks: ["discovered-base-url", "no-expiry"],
  docs: [
    {
      url: "https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/",
      facts: "the OAuth 2 flow for other users' accounts: authorize at https://login.mailchimp.com/oauth2/authorize, exchange the code at https://login.mailchimp.com/oauth2/token; the access token does not expire unless revoked; then GET https://login.mailchimp.com/oauth2/metadata with the header Authorization: OAuth <token> answers the account's dc (data center), the server prefix of its API at https://<dc>.api.mailchimp.com/3.0"
    },
    {
      url: "https://rubydoc.info/gems/MailchimpMarketing/3.0.80/MailchimpMarketing/PingApi",
      facts: "Mailchimp's Marketing SDK: GET /ping, a health check of the API that returns no account data, the connection test"
    },
    {
      url: "https://integrations.sh/mailchimp.com/mailchimp-marketing-api/",
      facts: "the API at https://<dc>.api.mailchimp.com/3.0/; an OAuth 2 app's bearer token, which the OAuth guide says does not expire unless revoked"
    }
  ],
  notes: [
    "Mailchimp has no OAuth scopes: a token reaches all of the authorizing user's account.",
    "The guide was read in part: its introduction here, the metadata call, the data center and the tokens' lifetime through the summaries cited beside it.",
    "The token response's shape is not on the pages read; public clients show {access_token, expires_in: 0, scope: null}, as the twin answers. grantflow reads a non-positive expires_in as absent, and the entry names the missing token_type Bearer. No refresh token: a refused token means connecting the account again.",
    "The API's base URL is learnt once per connection from the metadata call (dc), and must be a host under api.mailchimp.com; store it beside the token if you make many connections. The metadata answer's api_endpoint names the same host; the entry builds the URL from dc, a plain name it checks.",
    "The body of the API's 401 is not on the pages read; the twin answers an RFC 7807 problem as the API's error pages show for other errors."
  ],
  define: () =>
    Connector.define({
      name: "mailchimp",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://login.mailchimp.com/oauth2/token",
            clientAuth: "client_secret_post",
            defaultLifetime: noExpiry,
            maxLifetime: noExpiry
          }),
        authorizeUrl: () => "https://login.mailchimp.com/oauth2/authorize",
        scopes: [],
        pkce: false
      }),
      tokenResponse: { type: "Bearer" },
      baseUrl: () => "https://login.mailchimp.com",
      discovery: () =>
        Connector.discovery({
          path: "/oauth2/metadata",
          apply: Connector.header("Authorization", { prefix: "OAuth" }),
          hosts: ["*.api.mailchimp.com"],
          schema: Metadata,
          baseUrl: (metadata) => `https://${metadata.dc}.api.mailchimp.com/3.0`
        }),
      test: { path: "/ping" }
    })
}
