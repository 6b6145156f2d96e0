import type { Quirks } from "../twinQuirks.js"

/** Stripe Connect, Standard accounts through OAuth: tokens that do not expire, and a refresh token. @internal */
export const stripe: Quirks = {
  id: "stripe",
  issuer: "https://connect.stripe.com",
  paths: { token: "/oauth/token", authorize: "/oauth/authorize" },
  whoami: { path: "/v1/account", body: { id: "acct_twin", object: "account", type: "standard" } },
  grants: ["authorization_code", "refresh_token"],
  // the platform's secret key as client_secret, in the form body
  authMethods: ["client_secret_post"],
  scopes: ["read_write", "read_only"],
  // no expires_in: the token does not expire
  tokenResponse: {
    access_token: "$access_token",
    token_type: "bearer",
    refresh_token: "$refresh_token",
    scope: "$scope",
    livemode: false,
    stripe_user_id: "acct_twin",
    stripe_publishable_key: "pk_test_twin"
  },
  tokenLifetime: "never",
  refreshRotation: false,
  invalidToken: {
    status: 401,
    body: { error: { type: "invalid_request_error", message: "Invalid API Key provided." } }
  }
}
