import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface GitLabOptions {
  /** The scopes asked for (default `read_user`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** The instance's host: `gitlab.com` (default) or a self-managed instance's, e.g. `gitlab.example.com`. */
  HOST: Schema.optionalWith(UrlPart, { default: () => "gitlab.com" })
})

/** GitLab (gitlab.com or a self-managed instance) as an OAuth 2.0 provider. @internal */
export const gitlab: Entry<typeof config.Type, typeof config.Encoded, GitLabOptions> = {
  id: "gitlab",
  name: "GitLab",
  scoped: true,
  categories: ["developer tools"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["tenant-in-url", "rotating-refresh", "revocation"],
  docs: [
    {
      url: "https://docs.gitlab.com/api/oauth2/",
      facts: "GitLab.com, self-managed and Dedicated; the authorization code flow with or without PKCE (and the device grant); /oauth/token, /oauth/revoke and /oauth/userinfo; based on the doorkeeper gem"
    },
    {
      url: "https://lab.node.vifib.com/nexedi/gitlab-ce/-/commit/95885c2cb646537d6ba9e8a0384751b442f11f3b?w=1",
      facts: "a mirror of GitLab's merge request gitlab-org/gitlab!68007, the OAuth 2.0 API page's refresh section: a refresh (client_id, client_secret, refresh_token, grant_type, redirect_uri in a form body) invalidates the current access and refresh tokens and answers new ones; the example answer has token_type bearer, expires_in 7200, refresh_token and created_at"
    },
    {
      url: "https://docs.gitlab.com/ee/api/rest/troubleshooting.html",
      facts: "401 Unauthorized when the user is not authenticated (a valid token is needed)"
    },
    {
      url: "https://docs.gitlab.com/ee/api/users.html",
      facts: "the Users API's 'List current user' (GET /user, under /api/v4), the connection test (read through a translated copy of the page's contents)"
    }
  ],
  notes: [
    "HOST is the instance: gitlab.com by default, or a self-managed instance's host. An instance on a port or under a path (https://example.com/gitlab) is not covered; use ConnectorSpec for one.",
    "Each refresh answers a new refresh token and invalidates the previous one; the pages read give no grace period, and the twin has none.",
    "The refresh example of the docs also sends redirect_uri (and code_verifier with PKCE); whether GitLab requires them for a refresh is not stated, and the connector does not send them (RFC 6749's refresh request has neither).",
    "The body of the API's 401 for an expired OAuth token is not on the pages read; applications and tests in public repositories show {\"error\":\"invalid_token\",\"error_description\":\"Token is expired. You can either do re-authorization or token refresh.\"}, which the twin answers (and {\"message\":\"401 Unauthorized\"} for an unknown token, which the twin does not distinguish).",
    "/oauth/revoke is named on the OAuth page without its parameters; the entry uses it as RFC 7009's (client authentication, token, token_type_hint), as the doorkeeper gem GitLab's OAuth is built on serves it, which the pages read do not confirm. The token endpoint's error bodies are not on the pages read; the twin answers RFC 6749's. created_at (seconds since the epoch) in the token response is left out by the twin."
  ],
  define: (options) =>
    Connector.define({
      name: "gitlab",
      config,
      publicFields: ["CLIENT_ID", "HOST"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: `https://${config.HOST}/oauth/token`,
            revocationUrl: `https://${config.HOST}/oauth/revoke`,
            clientAuth: "client_secret_post"
          }),
        authorizeUrl: (config) => `https://${config.HOST}/oauth/authorize`,
        scopes: options.scopes ?? ["read_user"]
      }),
      baseUrl: (config) => `https://${config.HOST}/api/v4`,
      test: { path: "/user" }
    })
}
