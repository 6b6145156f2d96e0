import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface GoogleOptions {
  /** The scopes asked for (default `openid email profile`, what the userinfo endpoint answers for). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Google APIs, OAuth 2.0 for web server applications. @internal */
export const google: Entry<typeof config.Type, typeof config.Encoded, GoogleOptions> = {
  id: "google",
  name: "Google APIs (web server apps)",
  scoped: true,
  categories: ["productivity", "identity"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["offline-parameter", "revocation"],
  docs: [
    {
      url: "https://developers.google.com/identity/protocols/oauth2/web-server",
      facts: "the authorization code flow for apps that keep a secret; access_type=offline for a refresh token with the first code exchange (the default, online, gives none); refresh at POST https://oauth2.googleapis.com/token with client_id, client_secret, grant_type and refresh_token in a form body, answered with a JSON object carrying a new access token; limits on the number of refresh tokens per client and user, older ones stop working past them"
    },
    {
      url: "https://developers.google.com/identity/protocols/oauth2",
      facts: "the five steps (credentials, a token from the authorization server, the granted scopes, the token sent to the API, a refresh when needed); refresh tokens can expire for reasons such as user actions or policy settings"
    },
    {
      url: "https://developers.google.com/identity/protocols/oauth2/openid-connect",
      facts: "Google's OpenID Connect implementation; a discovery document at a well-known URI names its endpoints; the userinfo endpoint answers profile information to an access token whose scopes ask for it"
    },
    {
      url: "https://logto.io/oauth-providers-explorer/google",
      facts: "the discovery document's endpoints: authorization https://accounts.google.com/o/oauth2/v2/auth, token https://oauth2.googleapis.com/token, userinfo https://openidconnect.googleapis.com/v1/userinfo, revocation https://oauth2.googleapis.com/revoke"
    },
    {
      url: "https://howto.im/q/how-to-revoke-google-oauth-2.0-access-token",
      facts: "revocation is a POST of token (an access or a refresh token) as a form body to https://oauth2.googleapis.com/revoke, answered 200 with an empty body"
    },
    {
      url: "https://stackoverflow.com/questions/10827920/not-receiving-google-oauth-refresh-token",
      facts: "a refresh token comes only with the user's first authorization, unless the authorization asks prompt=consent with access_type=offline"
    },
    {
      url: "https://developers.google.com/analytics/devguides/reporting/data/v1/errors",
      facts: "Google APIs' error body: {\"error\":{\"code\":…,\"message\":…,\"status\":…}}, 401 with status UNAUTHENTICATED for a request without valid credentials"
    }
  ],
  notes: [
    "prompt=consent is asked with access_type=offline: a refresh token comes only with a user's first authorization unless the consent page is shown again. That is a Stack Overflow answer's account; Google's pages read do not say it.",
    "The pages read call access tokens short-lived without a number; third-party pages say one hour (expires_in 3600): the entry trusts expires_in and the twin issues 3599 seconds. A refresh's answer is described as carrying a new access token, not a new refresh token: the twin does not rotate, and the connector keeps a new one if Google sends it.",
    "The revocation endpoint is used as RFC 7009's: the pages read show only the token parameter, without client authentication, and a 200 for a revoked token. Whether it takes token_type_hint and client credentials (which grantflow sends), and what it answers for an unknown token (RFC 7009 asks for 200), is not stated; the twin takes both and answers 200.",
    "The userinfo endpoint's own refusal body is not on the pages read: the twin answers Google APIs' error object with 401 and UNAUTHENTICATED. The token endpoint's error bodies are not on the pages read either; the twin answers RFC 6749's.",
    "The entry sends a PKCE S256 challenge (grantflow's default); the pages read do not say whether Google checks it for web server apps, and a server ignores parameters it does not know.",
    "Whether the token endpoint also takes HTTP Basic credentials is not on the pages read; the entry sends the credentials in the form body, as the web server page's refresh request does. With openid in the scopes Google also answers an id_token; the entry does not read it (it is not an ID token verifier)."
  ],
  define: (options) =>
    Connector.define({
      name: "google",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://oauth2.googleapis.com/token",
            revocationUrl: "https://oauth2.googleapis.com/revoke",
            clientAuth: "client_secret_post"
          }),
        authorizeUrl: () => "https://accounts.google.com/o/oauth2/v2/auth",
        scopes: options.scopes ?? ["openid", "email", "profile"],
        // without access_type=offline no refresh token; without prompt=consent none after the first authorization
        extraParams: { access_type: "offline", prompt: "consent" }
      }),
      baseUrl: () => "https://openidconnect.googleapis.com",
      test: { path: "/v1/userinfo" }
    })
}
