import * as Schema from "effect/Schema"
import * as ClientAuth from "../../ClientAuth.js"
import * as Connector from "../../Connector.js"
import * as Endpoint from "../../Endpoint.js"
import * as Grant from "../../Grant.js"
import { appFields, endpoint, type Entry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface EntraOptions {
  /**
   * The scopes. For the application (default), a resource's `.default` scope
   * (default `https://graph.microsoft.com/.default`: Microsoft Graph); for a
   * user, the delegated permissions asked for besides `offline_access`
   * (default `openid profile User.Read`).
   */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** Whose token: the application's own (`application`, client credentials, the default) or a user's (`delegated`). */
  readonly flow?: "application" | "delegated" | undefined
  /** How the application authenticates: a client secret (default) or an assertion signed with its certificate's key. */
  readonly credential?: "secret" | "certificate" | undefined
}

/** The directory (tenant) id or a verified domain, e.g. `contoso.onmicrosoft.com`. */
const TENANT = UrlPart

const secretConfig = Schema.Struct({ ...appFields, TENANT })

const certificateConfig = Schema.Struct({
  CLIENT_ID: appFields.CLIENT_ID,
  TENANT,
  /** The private key of the certificate registered with the application, as a PKCS#8 PEM. */
  PRIVATE_KEY: Schema.Redacted(Schema.NonEmptyString),
  /** The certificate's SHA-256 thumbprint, base64url-encoded (43 characters): the assertion's `x5t#S256`. */
  CERTIFICATE_THUMBPRINT: Schema.String.pipe(
    Schema.pattern(/^[\w-]{43}$/, {
      message: () => "must be the certificate's SHA-256 thumbprint, base64url-encoded (43 characters)"
    })
  )
})

const login = (config: { readonly TENANT: string }) =>
  `https://login.microsoftonline.com/${encodeURIComponent(config.TENANT)}/oauth2/v2.0`

/** The token endpoint, with the application's secret or an assertion signed with its certificate's key. */
const tokenEndpoint = (
  config: typeof secretConfig.Type | typeof certificateConfig.Type
): Endpoint.Endpoint =>
  "PRIVATE_KEY" in config
    ? Endpoint.make({
      tokenUrl: `${login(config)}/token`,
      // aud is the token URL, the default
      auth: ClientAuth.privateKeyJwt(config.CLIENT_ID, config.PRIVATE_KEY, {
        alg: "PS256",
        x5tS256: config.CERTIFICATE_THUMBPRINT
      })
    })
    : endpoint(config, { tokenUrl: `${login(config)}/token`, clientAuth: "client_secret_post" })

const define = <C extends typeof secretConfig.Type | typeof certificateConfig.Type, I>(
  config: Schema.Schema<C, I>,
  options: EntraOptions
): Connector.Definition<C, I> =>
  Connector.define({
    name: "entra",
    config,
    publicFields: ["CLIENT_ID", "TENANT", "CERTIFICATE_THUMBPRINT"],
    ...(options.flow === "delegated"
      ? {
        ...userConnection<C>({
          endpoint: tokenEndpoint,
          authorizeUrl: (config) => `${login(config)}/authorize`,
          scopes: ["offline_access", ...(options.scopes ?? ["openid", "profile", "User.Read"])]
        }),
        test: { path: "/v1.0/me" }
      }
      : {
        auth: (config: C) =>
          Connector.fetch(Grant.clientCredentials(tokenEndpoint(config), {
            scopes: options.scopes ?? ["https://graph.microsoft.com/.default"]
          })),
        test: { path: "/v1.0/organization" }
      }),
    baseUrl: () => "https://graph.microsoft.com"
  })

/** Microsoft Entra ID for Microsoft Graph: the application's token or a user's, with a secret or a certificate. @internal */
export const entra: Entry<any, any, EntraOptions> = {
  id: "entra",
  name: "Microsoft Entra ID (Microsoft Graph)",
  scoped: true,
  categories: ["identity", "productivity"],
  grants: ["client_credentials", "authorization_code", "refresh_token"],
  quirks: ["tenant-in-url", "default-scope", "offline-parameter"],
  docs: [
    {
      url: "https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow",
      facts: "POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token with scope {resource}/.default; no refresh token; errors carry error_codes, trace_id, correlation_id"
    },
    {
      url: "https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow",
      facts: "a user's authorization at /{tenant}/oauth2/v2.0/authorize, the code redeemed at /{tenant}/oauth2/v2.0/token; the flow paired with PKCE (read in an archived copy of the page)"
    },
    {
      url: "https://learn.microsoft.com/en-us/answers/questions/702519/endpoint-url-for-offline-access",
      facts: "offline_access is the scope that brings a refresh token with the code's redemption at /{tenant}/oauth2/v2.0/token; without it only an access token comes (Microsoft Q&A)"
    },
    {
      url: "https://learn.microsoft.com/en-us/answers/questions/1158831/invalidate-old-refresh-token-after-using-it-to-get",
      facts: "refresh tokens replace themselves with a new one at every use, and the one used is not revoked (Microsoft Q&A, quoting the identity platform's documentation)"
    },
    {
      url: "https://learn.microsoft.com/entra/identity-platform/certificate-credentials",
      facts: "an application may authenticate wherever a secret could be used with a JWT signed by its certificate's key (private_key_jwt): header alg PS256, typ JWT, x5t#S256 the certificate's base64url SHA-256 thumbprint; the aud claim https://login.microsoftonline.com/{tenantId}/oauth2/v2.0/token, and exp (the rest of the claims table was not read: the entry sends RFC 7523's iss, sub, jti)"
    },
    {
      url: "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes",
      facts: "AADSTS error codes in error_description (e.g. AADSTS7000215 invalid client secret)"
    },
    {
      url: "https://learn.microsoft.com/en-us/graph/api/organization-list",
      facts: "GET /v1.0/organization, the application's connection test (Organization.Read.All)"
    },
    {
      url: "https://learn.microsoft.com/en-us/graph/call-api",
      facts: "Microsoft Graph's requests are https://graph.microsoft.com/{version}/{resource}; the alias me is the signed-in user (GET /v1.0/me, a user's connection test)"
    },
    {
      url: "https://learn.microsoft.com/en-us/graph/errors",
      facts: "401 {\"error\":{\"code\":\"InvalidAuthenticationToken\"}} for an expired or invalid token"
    }
  ],
  notes: [
    "The default is the application's own token (client credentials, a client secret), as before; flow: \"delegated\" connects a user (authorization code with PKCE, offline_access, refresh) and credential: \"certificate\" replaces the secret with an assertion (PRIVATE_KEY, the certificate's PKCS#8 key, and CERTIFICATE_THUMBPRINT instead of CLIENT_SECRET).",
    "The certificate credentials page has said alg RS256 with a SHA-1 x5t in earlier versions and PS256 with x5t#S256 now: the entry signs PS256 with x5t#S256, the current page's. The portal shows SHA-1 thumbprints in hex; the assertion needs the SHA-256 one, base64url-encoded.",
    "A user's refresh answers a new refresh token and the old one stays valid until it expires: the twin keeps the one of the authorization (no rotation), and the connector keeps a new one whenever Entra sends it. The client credentials answer has no scope member, and so has none of the twin's answers.",
    "The token lifetime is what expires_in says (60 to 90 minutes, varying); the twin issues 3599 seconds. The delegated refresh token lifetime (90 days, sliding) is not on the pages read; the twin sets none.",
    "Federated credentials (an assertion issued by another identity provider) and the v1.0 endpoints are left out."
  ],
  define: (options) =>
    options.credential === "certificate" ? define(certificateConfig, options) : define(secretConfig, options)
}
