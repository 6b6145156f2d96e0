import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface TwitchOptions {
  /** The scopes asked for (default `user:read:email`). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Twitch, a user's account through the authorization code grant flow, calling the Helix API. @internal */
export const twitch: Entry<typeof config.Type, typeof config.Encoded, TwitchOptions> = {
  id: "twitch",
  name: "Twitch (Helix API)",
  scoped: true,
  categories: ["streaming", "communication"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["provider-error-codes", "api-context-header"],
  docs: [
    {
      url: "https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/",
      facts: "the authorization code grant flow gives a user access token, for apps with a server that keeps the client secret; user access tokens for a user's data, app access tokens (client credentials) for public data only"
    },
    {
      url: "https://staging-discuss.dev.twitch.com/t/change-title-and-description/30891/4",
      facts: "the code exchange as the guide gave it: POST https://id.twitch.tv/oauth2/token with client_id, client_secret, code, grant_type authorization_code and redirect_uri"
    },
    {
      url: "https://dev.twitch.tv/docs/authentication/refresh-tokens/",
      facts: "grant_type refresh_token at https://id.twitch.tv/oauth2/token with client_id, client_secret and refresh_token in the form body; expires_in gives the token's lifetime, and a call with an invalid token gets 401, which apps should answer by refreshing; refresh tokens may change, so the answer's is kept; a refused refresh is 400 {\"error\":\"Bad Request\",\"status\":400,\"message\":\"Invalid refresh token\"}"
    },
    {
      url: "https://dev.twitch.tv/docs/authentication/revoke-tokens",
      facts: "POST https://id.twitch.tv/oauth2/revoke with client_id and token (an access token) in a form; 200 without body; 400 {\"status\":400,\"message\":\"Invalid token\"} for a bad token, 404 for an unknown client id"
    },
    {
      url: "https://dev.twitch.tv/docs/authentication/validate-tokens",
      facts: "apps must check their tokens at https://id.twitch.tv/oauth2/validate when they start and hourly"
    },
    {
      url: "https://discuss.dev.twitch.tv/t/authenticating-with-the-twitch-api/29237",
      facts: "Helix requests carry both Authorization: Bearer and the Client-Id of the app the token was issued to; a 401 body says why (\"Client ID and OAuth token do not match\", \"Token invalid or missing required scope\")"
    }
  ],
  notes: [
    "GET https://api.twitch.tv/helix/users (no user named) answers the token's user under data, the connection test; its reference page was not read, and neither was a Twitch page showing the 401 body of an expired token: the twin answers {\"error\":\"Unauthorized\",\"status\":401,\"message\":\"Invalid OAuth token\"}, the shape of the forum's examples.",
    "Every Helix request carries Client-Id (the public CLIENT_ID) from the connector's headers. What Helix answers to a request without it is not on the pages read; the twin refuses it with 401 and the same body shape. The twin checks that the header is there, not that it names the token's app.",
    "Token errors are Twitch's {error, status, message} with error \"Bad Request\" for a refused code or refresh token, read as invalid_grant. The refresh failure's body is the one the refresh tokens page gives (read as quoted by a client library's reference); the pages read do not show the body of a refused code, which the twin answers in the same shape.",
    "The examples give expires_in values as different as 3600 and 5215742: the entry trusts expires_in, and the twin issues one hour. Whether a refresh always answers a new refresh token is not stated (\"may change\"): the twin does not rotate, and the connector keeps a new one when Twitch sends it.",
    "Twitch answers scope as a JSON array; grantflow reads an array or a string, and the twin sends a string.",
    "The authorize URL https://id.twitch.tv/oauth2/authorize is the one Twitch's client libraries use (under the https://id.twitch.tv/oauth2 of the token endpoint); the guide's section on it was not read. The quoted guide shows the code exchange's parameters in the query string; the entry sends them in the form body, as the refresh tokens page documents for the refresh.",
    "Revocation is not RFC 7009's: the app names itself by client_id alone (no secret), only access tokens are named, and a bad token gets 400 where RFC 7009 answers 200. It is left out of the entry (Revocation.revoke would send the client secret); the hourly /validate check is the app's own, not the connector's."
  ],
  define: (options) =>
    Connector.define({
      name: "twitch",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, { tokenUrl: "https://id.twitch.tv/oauth2/token", clientAuth: "client_secret_post" }),
        authorizeUrl: () => "https://id.twitch.tv/oauth2/authorize",
        scopes: options.scopes ?? ["user:read:email"]
      }),
      tokenResponse: { errors: { "Bad Request": "invalid_grant" } },
      // Helix wants the app named besides the token
      headers: (config) => ({ "client-id": config.CLIENT_ID }),
      baseUrl: () => "https://api.twitch.tv/helix",
      test: { path: "/users" }
    })
}
