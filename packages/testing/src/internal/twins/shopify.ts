import type { Quirks } from "../twinQuirks.js"

/**
 * Shopify, authorization code grant for one shop, offline access tokens: by
 * default non-expiring; the `expiring` variant's last an hour and come with a
 * refresh token replaced at each use. @internal
 */
export const shopify: Quirks = {
  id: "shopify",
  issuer: "https://twin.myshopify.com",
  paths: { token: "/admin/oauth/access_token", authorize: "/admin/oauth/authorize" },
  params: { API_VERSION: "2025-07" },
  whoami: {
    path: "/admin/api/{API_VERSION}/shop.json",
    body: { shop: { id: 1, name: "Twin", myshopify_domain: "twin.myshopify.com" } }
  },
  grants: ["authorization_code"],
  authMethods: ["client_secret_post"],
  // no token_type, no expiry
  tokenResponse: { access_token: "$access_token", scope: "$scope" },
  tokenLifetime: "never",
  apiTokenHeader: "x-shopify-access-token",
  invalidToken: {
    status: 401,
    body: { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" }
  },
  variants: {
    expiring: {
      grants: ["authorization_code", "refresh_token"],
      tokenResponse: {
        access_token: "$access_token",
        scope: "$scope",
        expires_in: "$expires_in",
        refresh_token: "$refresh_token"
      },
      tokenLifetime: 3600,
      refreshRotation: true,
      // the replaced refresh token may be retried until its successor is used, 30 days at most
      refreshGrace: 30 * 24 * 3600,
      // each refresh token lives 90 days from its issue
      refreshTokenLifetime: 90 * 24 * 3600
    }
  }
}
