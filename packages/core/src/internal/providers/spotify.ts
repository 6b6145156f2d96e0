import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface SpotifyOptions {
  /** The scopes asked for (default `user-read-private user-read-email`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Spotify Web API. @internal */
export const spotify: Entry<typeof config.Type, typeof config.Encoded, SpotifyOptions> = {
  id: "spotify",
  name: "Spotify (Web API)",
  scoped: true,
  categories: ["media"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["fixed-refresh-lifetime"],
  docs: [
    {
      url: "https://developer.spotify.com/documentation/web-api/tutorials/code-flow",
      facts: "a GET to the accounts service's /authorize with client_id, response_type=code and redirect_uri (exactly one of the app's allowlist); the PKCE extension for apps that cannot keep a secret"
    },
    {
      url: "https://developer.spotify.com/documentation/web-api/tutorials/client-credentials-flow",
      facts: "POST https://accounts.spotify.com/api/token with a form body and Authorization: Basic <base64 client_id:client_secret>"
    },
    {
      url: "https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens",
      facts: "access tokens live 1 hour (expires_in 3600); grant_type refresh_token at the same endpoint with Basic credentials; refresh tokens live 6 months from the user's authorization, and refreshing does not extend that lifetime; then the user must authorize again"
    }
  ],
  notes: [
    "The refreshing tokens page shows no refresh token in the refresh answer's rules and does not say whether one may come: the twin answers none (no rotation); the connector keeps a new one if Spotify sends it.",
    "The 6-month refresh token lifetime is counted from the authorization, not from the last use: after it the refresh is refused (invalid_grant) and the account must be connected again. The twin counts 180 days.",
    "GET https://api.spotify.com/v1/me is the connection test (the current user's profile); the body of its 401 for an expired token is not on the pages read: the twin answers the Web API's error object {\"error\":{\"status\":401,\"message\":…}}.",
    "The token endpoint's error bodies are not on the pages read; the twin answers RFC 6749's."
  ],
  define: (options) =>
    Connector.define({
      name: "spotify",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, { tokenUrl: "https://accounts.spotify.com/api/token", clientAuth: "client_secret_basic" }),
        authorizeUrl: () => "https://accounts.spotify.com/authorize",
        scopes: options.scopes ?? ["user-read-private", "user-read-email"]
      }),
      baseUrl: () => "https://api.spotify.com/v1",
      test: { path: "/me" }
    })
}
