import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { trimSlashes } from "../text.js"
import { appFields, endpoint, type Entry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface AtlassianOptions {
  /** The scopes asked for, besides `offline_access` (default `read:jira-user read:jira-work`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct({
  ...appFields,
  /**
   * The site the connection works on, as the user sees it (`https://acme.atlassian.net`); default: the
   * first site the token can reach.
   */
  SITE_URL: Schema.optional(Schema.String)
})

/** The sites (resources) a token can reach: the cloud id of each is its `id`. */
const Resources = Schema.Array(Schema.Struct({ id: UrlPart, url: Schema.String }))

const trimmed = (url: string) => trimSlashes(url, "end").toLowerCase()

/** Atlassian Cloud (Jira), OAuth 2.0 (3LO). @internal */
export const atlassian: Entry<typeof config.Type, typeof config.Encoded, AtlassianOptions> = {
  id: "atlassian",
  name: "Atlassian Cloud (Jira, OAuth 2.0 3LO)",
  scoped: true,
  categories: ["project-management", "developer-tools"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["discovered-base-url", "rotating-refresh-with-grace", "offline-parameter", "json-token-request"],
  docs: [
    {
      url: "https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/",
      facts: "authorize at https://auth.atlassian.com/authorize with audience=api.atlassian.com, the scopes, prompt=consent and state; exchange the code at https://auth.atlassian.com/oauth/token; offline_access for a refresh token; the cloud id of a site from GET https://api.atlassian.com/oauth/token/accessible-resources; API calls go to https://api.atlassian.com/ex/jira/{cloudid}/…"
    },
    {
      url: "https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/",
      facts: "requests with a 3LO token go through api.atlassian.com with Authorization: Bearer; accessible-resources answers an array of sites, each with id (the cloud id), name, url, scopes and avatarUrl"
    },
    {
      url: "https://community.developer.atlassian.com/t/updated-31-january-2022-action-required-deprecating-persistent-refresh-tokens/54172",
      facts: "rotating refresh tokens: each use answers a new one and invalidates the previous; reusing an invalidated one outside a 10-minute leeway invalidates every refresh token of the grant (re-consent); 90 days of inactivity expiry, reset by each use; an absolute expiry of 365 days"
    },
    {
      url: "https://community.developer.atlassian.com/t/refresh-token-expire-after-36000-seconds/60806/2",
      facts: "access tokens expire after 1 hour; every token request answers a new refresh token and invalidates the one used"
    },
    {
      url: "https://hexdocs.pm/ueberauth_atlassian/0.3.0/Ueberauth.Strategy.Atlassian.OAuth.html",
      facts: "the token request as Atlassian's guide gives it: POST https://auth.atlassian.com/oauth/token with a JSON body of grant_type, client_id, client_secret, code and redirect_uri"
    }
  ],
  notes: [
    "The 10-minute leeway and the expiries come from Atlassian's announcements on its developer community, which its 3LO page links; the twin has the leeway and the 90-day inactivity expiry, not the 365-day absolute one (a refusal then means connecting the account again, as any ReauthorizationRequired).",
    "The entry works on Jira (/ex/jira/{cloudid}); a connection picks the site of SITE_URL, else the first site the token can reach, and learns its cloud id once per connection. Confluence (/ex/confluence/{cloudid}) is the same flow with other scopes.",
    "Atlassian documents no RFC 7009 revocation endpoint on the pages read. The body of the API's 401 is not on them either; the twin answers {\"code\":401,\"message\":\"Unauthorized\"}. The token endpoint's refusal of a bad code is answered as RFC 6749's invalid_grant by the twin."
  ],
  define: (options) =>
    Connector.define({
      name: "atlassian",
      config,
      publicFields: ["CLIENT_ID", "SITE_URL"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://auth.atlassian.com/oauth/token",
            clientAuth: "client_secret_post",
            requestBody: "json"
          }),
        authorizeUrl: () => "https://auth.atlassian.com/authorize",
        scopes: ["offline_access", ...(options.scopes ?? ["read:jira-user", "read:jira-work"])],
        extraParams: { audience: "api.atlassian.com", prompt: "consent" }
      }),
      baseUrl: () => "https://api.atlassian.com",
      discovery: (config) =>
        Connector.discovery({
          path: "/oauth/token/accessible-resources",
          hosts: ["api.atlassian.com"],
          schema: Resources,
          baseUrl: (sites) => {
            const site = config.SITE_URL === undefined
              ? sites[0]
              : sites.find((one) => trimmed(one.url) === trimmed(config.SITE_URL!))
            return site === undefined ? undefined : `https://api.atlassian.com/ex/jira/${site.id}`
          }
        }),
      test: { path: "/rest/api/3/myself" }
    })
}
