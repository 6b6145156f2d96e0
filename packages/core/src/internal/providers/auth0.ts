import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface Auth0Options {
  /** The scopes asked for, besides `offline_access` (default `openid profile email`). */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** The API the access token is for (its identifier), sent as `audience`; without it the token is good for /userinfo only. */
  readonly audience?: string | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** The tenant's domain, e.g. `acme.us.auth0.com`, or its custom domain. */
  DOMAIN: UrlPart
})

/** Auth0, a regular web application. @internal */
export const auth0: Entry<typeof config.Type, typeof config.Encoded, Auth0Options> = {
  id: "auth0",
  name: "Auth0",
  scoped: true,
  categories: ["identity"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["tenant-in-url", "offline-parameter", "rotating-refresh", "revocation"],
  docs: [
    {
      url: "https://auth0.com/docs/authenticate/login/oidc-conformant-authentication/oidc-adoption-auth-code-flow",
      facts: "GET https://{domain}/authorize with response_type=code, scope (offline_access for a refresh token) and the optional audience of an API; the code is exchanged at /oauth/token"
    },
    {
      url: "https://Auth0.com/docs/secure/tokens/refresh-tokens/configure-refresh-token-rotation",
      facts: "rotation is set per application; a reuse interval (the rotation overlap period, in seconds) lets the previous refresh token be exchanged again without triggering reuse detection; only the previous token may be reused"
    },
    {
      url: "https://auth0.com/docs/secure/tokens/refresh-tokens/refresh-token-rotation.md",
      facts: "with rotation on, every exchange of a refresh token for an access token also answers a new refresh token"
    },
    {
      url: "https://auth0.com/docs/tokens/guides/revoke-refresh-tokens",
      facts: "a refresh token is revoked by a POST to the Authentication API's /oauth/revoke endpoint"
    },
    {
      url: "https://Auth0.com/docs/secure/tokens/access-tokens/update-access-token-lifetime",
      facts: "an API's access tokens live 86,400 seconds (24 hours) by default, at most 30 days"
    },
    {
      url: "https://community.auth0.com/t/troubleshoot-refresh-token-unknown-or-invalid-before-expiry-403-unknown-or-invalid-refresh-token/120406",
      facts: "a refused refresh token answers HTTP 403 {\"error\":\"invalid_grant\",\"error_description\":\"Unknown or invalid refresh token.\"}, e.g. after reuse of a rotated-out one, which invalidates its family"
    }
  ],
  notes: [
    "Rotation and its reuse interval are the application's settings. The interval's default is not on the pages read (the Management API's leeway property, whose default its published schema gives as 0): the twin rotates with no interval, and a reused rotated-out token revokes the family. An application that sets an interval is met by the twin's refreshGrace.",
    "The token endpoint answers invalid_grant with 403, not 400 (Auth0's own community knowledge base; the Authentication API reference pages were not read): the twin does the same, and the connector reads the error from the body.",
    "/oauth/revoke revokes refresh tokens; Auth0's access tokens are JWTs that stay valid until they expire. The twin, like RFC 7009 servers, also stops the access tokens of a revoked refresh token's family.",
    "Without audience the access token is for /userinfo only (the connection test); calling an API takes its identifier as audience. The body of /userinfo's 401 is not on the pages read; the twin answers RFC 6750's challenge."
  ],
  define: (options) =>
    Connector.define({
      name: "auth0",
      config,
      publicFields: ["CLIENT_ID", "DOMAIN"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: `https://${config.DOMAIN}/oauth/token`,
            revocationUrl: `https://${config.DOMAIN}/oauth/revoke`,
            clientAuth: "client_secret_post"
          }),
        authorizeUrl: (config) => `https://${config.DOMAIN}/authorize`,
        scopes: ["offline_access", ...(options.scopes ?? ["openid", "profile", "email"])],
        extraParams: options.audience === undefined ? undefined : { audience: options.audience }
      }),
      baseUrl: (config) => `https://${config.DOMAIN}`,
      test: { path: "/userinfo" }
    })
}
