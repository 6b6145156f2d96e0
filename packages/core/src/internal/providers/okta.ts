import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface OktaOptions {
  /** The scopes asked for, besides `offline_access` (default `openid profile email`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** The org's Okta domain, e.g. `acme.okta.com` (or its custom domain). */
  DOMAIN: UrlPart,
  /** The custom authorization server's id; `default` is the one every org has. */
  AUTHORIZATION_SERVER: Schema.optionalWith(UrlPart, { default: () => "default" })
})

type Config = typeof config.Type

const oauth2 = (config: Config) =>
  `https://${config.DOMAIN}/oauth2/${encodeURIComponent(config.AUTHORIZATION_SERVER)}/v1`

/** Okta, a custom authorization server's OpenID Connect endpoints. @internal */
export const okta: Entry<Config, typeof config.Encoded, OktaOptions> = {
  id: "okta",
  name: "Okta (custom authorization server)",
  scoped: true,
  categories: ["identity"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["tenant-in-url", "offline-parameter", "rotating-refresh-with-grace", "revocation"],
  docs: [
    {
      url: "https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/CustomAS",
      facts: "a custom authorization server's endpoints are under https://{yourOktaDomain}/oauth2/{authorizationServerId}/: /v1/authorize, /v1/token, /v1/revoke, /v1/userinfo"
    },
    {
      url: "https://developer.okta.com/docs/reference/api/authorization-servers/",
      facts: "every org has a pre-configured custom authorization server named default, addressed by that name instead of its id"
    },
    {
      url: "https://developer.okta.com/standards/OIDC/",
      facts: "offline_access asks for a refresh token, and only with a response_type that contains code; openid, profile, email scopes; /userinfo answers the claims of the token's scopes"
    },
    {
      url: "https://developer.okta.com/docs/guides/refresh-tokens/refresh-token-rotation/",
      facts: "with rotation on, each refresh answers a new refresh token and invalidates the one used; reusing a used one invalidates the latest refresh token and the access tokens issued since the authentication; a grace period keeps the previous one valid for a while; rotation is the default for SPAs"
    },
    {
      url: "https://github.com/okta/okta-sdk-dotnet/blob/master/docs/OpenIdConnectApplicationSettingsRefreshToken.md",
      facts: "the app's refresh_token.leeway, the seconds the previous refresh token stays valid after a rotation, defaults to 30"
    },
    {
      url: "https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/customas/revokecustomas",
      facts: "POST /oauth2/{authorizationServerId}/v1/revoke takes token and token_type_hint (RFC 7009) with the client's authentication; an unknown or revoked token also answers 200"
    },
    {
      url: "https://support.okta.com/help/s/article/What-is-the-lifetime-of-the-JWT-tokens?language=en_US",
      facts: "access tokens of a custom authorization server live 5 minutes to 24 hours as its access policy says; the org authorization server's live 60 minutes"
    }
  ],
  notes: [
    "Refresh token rotation is the app's choice (persistent refresh tokens are the other): the twin rotates with the default 30-second grace, and the connector keeps a rotated refresh token either way. The grace is documented as the leeway property of Okta's management API (read in Okta's .NET SDK model); the rotation guide names the grace period without its default.",
    "The access token lifetime is the access policy's (one hour in the default server's default policy, as the org server's): the entry trusts expires_in, and the twin issues 3600 seconds. The refresh token lifetime is also the policy's (unlimited, or ended by an idle time): the twin sets none.",
    "The org authorization server (https://{domain}/oauth2/v1/…, for Okta's own APIs) is not this entry: its paths have no server id.",
    "The body of /userinfo's 401 and the token endpoint's error bodies are not on the pages read; the twin answers RFC 6750's challenge and RFC 6749's errors."
  ],
  define: (options) =>
    Connector.define({
      name: "okta",
      config,
      publicFields: ["CLIENT_ID", "DOMAIN", "AUTHORIZATION_SERVER"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: `${oauth2(config)}/token`,
            revocationUrl: `${oauth2(config)}/revoke`,
            clientAuth: "client_secret_basic"
          }),
        authorizeUrl: (config) => `${oauth2(config)}/authorize`,
        scopes: ["offline_access", ...(options.scopes ?? ["openid", "profile", "email"])]
      }),
      baseUrl: oauth2,
      test: { path: "/userinfo" }
    })
}
