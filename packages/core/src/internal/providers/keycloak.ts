import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import * as Grant from "../../Grant.js"
import { appFields, endpoint, type Entry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface KeycloakOptions {
  /** The scopes asked for (default `openid profile email`). */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** A user connects their account (default), or the client gets tokens for its service account (`clientCredentials`). */
  readonly grant?: "authorizationCode" | "clientCredentials" | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** The server's URL, without a trailing slash, e.g. `https://sso.example.com` (with `/auth` before Keycloak 17). */
  BASE_URL: Schema.String,
  /** The realm's name. */
  REALM: UrlPart
})

type Config = typeof config.Type

const openidConnect = (config: Config) =>
  `${config.BASE_URL}/realms/${encodeURIComponent(config.REALM)}/protocol/openid-connect`

const tokenEndpoint = (config: Config) =>
  endpoint(config, {
    tokenUrl: `${openidConnect(config)}/token`,
    revocationUrl: `${openidConnect(config)}/revoke`,
    clientAuth: "client_secret_basic"
  })

/** Keycloak, a realm's OpenID Connect endpoints. @internal */
export const keycloak: Entry<Config, typeof config.Encoded, KeycloakOptions> = {
  id: "keycloak",
  name: "Keycloak",
  scoped: true,
  categories: ["identity"],
  grants: ["authorization_code", "refresh_token", "client_credentials"],
  quirks: ["tenant-in-url", "rotating-refresh-with-grace", "revocation"],
  docs: [
    {
      url: "https://keycloak.org/securing-apps/oidc-layers",
      facts: "a realm's endpoints are under {base URL}/realms/{realm-name}/protocol/openid-connect/: auth, token, userinfo (bearer-protected, the user's standard claims), revoke, token/introspect; the realm's metadata at /realms/{realm-name}/.well-known/openid-configuration"
    },
    {
      url: "https://docs.redhat.com/zh-cn/documentation/red_hat_build_of_keycloak/26.4/html/server_administration_guide/timeouts",
      facts: "the realm's Sessions and Tokens tabs set the timeouts; a session idle longer than SSO Session Idle ends, and an authentication or refresh token request resets that time (the Server Administration Guide, Chinese edition)"
    },
    {
      url: "https://wjw465150.gitbooks.io/keycloak-documentation/server_admin/topics/sessions/timeouts.html",
      facts: "Revoke Refresh Token, when on, makes each refresh token single-use; SSO Session Idle ends a session without activity, and a refresh request resets it; Access Token Lifespan sets the access token's expiry (a mirror of the Server Administration Guide)"
    }
  ],
  notes: [
    "Each refresh answers a new refresh token; the previous one stays valid unless the realm turns Revoke Refresh Token on. The twin rotates and accepts the previous token once more within 30 minutes; the connector keeps the newest.",
    "The defaults (access tokens 5 minutes, SSO Session Idle 30 minutes) come from the admin console and third-party pages, not from the pages read: the twin issues 300-second access tokens and ends a refresh token 30 minutes after it was issued, as an idle session ends; a longer idle time or offline_access (offline tokens) is the realm's choice.",
    "Keycloak's access tokens are JWTs that stay valid until they expire when a refresh token is revoked at /revoke; the twin also stops its family's access tokens.",
    "The client credentials option needs the client's service account enabled; its token is not a user's, and userinfo answers for the service account only if openid is among its scopes. The bodies of userinfo's 401 and of the token endpoint's errors are not on the pages read: the twin answers RFC 6750's challenge and RFC 6749's errors."
  ],
  define: (options) =>
    Connector.define({
      name: "keycloak",
      config,
      publicFields: ["CLIENT_ID", "BASE_URL", "REALM"],
      ...(options.grant === "clientCredentials"
        ? {
          auth: (config: Config) =>
            Connector.fetch(Grant.clientCredentials(tokenEndpoint(config), {
              scopes: options.scopes ?? ["openid"]
            }))
        }
        : userConnection({
          endpoint: tokenEndpoint,
          authorizeUrl: (config) => `${openidConnect(config)}/auth`,
          scopes: options.scopes ?? ["openid", "profile", "email"]
        })),
      baseUrl: openidConnect,
      test: { path: "/userinfo" }
    })
}
