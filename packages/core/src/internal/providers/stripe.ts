import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, noExpiry, userConnection } from "./entry.js"

/** @internal */
export interface StripeOptions {
  /** The access asked of the connected account: `read_write` (default) or `read_only`. */
  readonly scope?: "read_write" | "read_only" | undefined
}

const config = Schema.Struct(appFields)

/** Stripe Connect, a Standard account connected to a platform through OAuth. @internal */
export const stripe: Entry<typeof config.Type, typeof config.Encoded, StripeOptions> = {
  id: "stripe",
  name: "Stripe Connect (Standard accounts, OAuth)",
  scoped: false,
  categories: ["payments"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["no-expiry"],
  docs: [
    {
      url: "https://docs.stripe.com/connect/oauth-standard-accounts",
      facts: "the user is sent to Stripe with the platform's client_id, comes back with an authorization code, and the platform's request to the OAuth token endpoint completes the connection and gives the user's account ID; OAuth is not recommended for new Connect platforms (Connect Onboarding instead), and since June 2021 read_write OAuth cannot connect accounts another platform controls"
    },
    {
      url: "https://docs.stripe.com/connect/oauth-reference",
      facts: "GET https://connect.stripe.com/oauth/authorize (client_id, response_type=code, scope read_write or read_only, redirect_uri, state); POST https://connect.stripe.com/oauth/token; POST https://connect.stripe.com/oauth/deauthorize; Standard accounts only"
    },
    {
      url: "https://stripe.com/docs/connect/authentication",
      facts: "acting for a connected account with the platform's secret key and a Stripe-Account header naming the account is the preferred way; using the account's own keys (the OAuth access token) is kept for legacy compatibility and should not be used in new applications"
    },
    {
      url: "https://typedoc.mayson.ai/interfaces/packages_stripe_src.Stripe.OAuthToken.html",
      facts: "the token response (typed after Stripe's): access_token, used like a secret API key, which does not expire but may be revoked by the user (account.application.deauthorized); refresh_token, for a new access token of equal or lesser scope or another live mode; token_type bearer; scope; livemode; stripe_user_id, the connected account's id; stripe_publishable_key"
    }
  ],
  notes: [
    "CLIENT_ID is the platform's client_id (ca_…); CLIENT_SECRET is the platform's secret API key (sk_…), which Stripe takes as the client secret of the token request (sent in the form body).",
    "stripe_user_id (acct_…) comes with the first token response: store it; the preferred way to call the API for the account is the platform's secret key with a Stripe-Account header, outside this entry. The entry serves the legacy way, the access token as a bearer key, which Stripe keeps for compatibility and advises against in new applications — as it advises OAuth itself for new platforms.",
    "Access tokens do not expire: the connector keeps the token until the API refuses it (401), then tries the refresh token. Stripe describes the refresh token as the way to a token of equal or lesser scope or of the other mode, not as a cure for expiry; a user who disconnects the platform revokes the access, and the refresh then fails with invalid_grant (connect again). Whether a refresh answers a new refresh token is not on the pages read; the twin keeps the first one, and the connector keeps a new one if Stripe sends it.",
    "Stripe Apps' OAuth (its token endpoint on api.stripe.com) is another flow, not this entry's.",
    "GET https://api.stripe.com/v1/account answers the account the key belongs to, the connection test. API errors are {\"error\":{\"type\",\"code\",\"message\",…}}, 401 for a key Stripe does not accept (Stripe's API error pages, not read in full; the twin answers that shape). The token endpoint's errors are RFC 6749's error and error_description.",
    "Deauthorization (POST https://connect.stripe.com/oauth/deauthorize with client_id and stripe_user_id, authenticated with the platform's secret key) names the account, not a token: not RFC 7009, left out of the entry.",
    "The fields of the token response come from a typed reference of Stripe's Node library (third-party hosted), as the token section of Stripe's OAuth reference was not read in full; whether the token endpoint also takes HTTP Basic with the secret key, and what it makes of the redirect_uri the connector sends with the code, is not on the pages read.",
    "PKCE is not mentioned on the pages read: the entry sends no code_challenge. Express accounts (https://connect.stripe.com/express/oauth/authorize) are not part of this entry."
  ],
  define: (options) =>
    Connector.define({
      name: "stripe",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://connect.stripe.com/oauth/token",
            clientAuth: "client_secret_post",
            defaultLifetime: noExpiry,
            maxLifetime: noExpiry
          }),
        authorizeUrl: () => "https://connect.stripe.com/oauth/authorize",
        scopes: [options.scope ?? "read_write"],
        pkce: false
      }),
      baseUrl: () => "https://api.stripe.com/v1",
      test: { path: "/account" }
    })
}
