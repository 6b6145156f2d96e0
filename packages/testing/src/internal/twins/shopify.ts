import type { Quirks } from "../twinQuirks.js"

/** Shopify, authorization code grant for one shop, offline (non-expiring) access tokens. @internal */
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
  }
}
