import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, noExpiry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface ShopifyOptions {
  /** The access scopes asked for (default `read_products`). */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** The Admin API version (default `2025-07`). */
  readonly apiVersion?: string | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** The shop's subdomain: `acme` for `acme.myshopify.com`. */
  SHOP: UrlPart
})

/** Shopify, authorization code grant, offline access tokens. @internal */
export const shopify: Entry<typeof config.Type, typeof config.Encoded, ShopifyOptions> = {
  id: "shopify",
  name: "Shopify (Admin API)",
  scoped: true,
  categories: ["e-commerce"],
  grants: ["authorization_code"],
  quirks: ["per-shop-url", "custom-token-header", "no-expiry"],
  docs: [
    {
      url: "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant",
      facts: "https://{shop}.myshopify.com/admin/oauth/authorize and /admin/oauth/access_token; the response is {access_token, scope}"
    },
    {
      url: "https://shopify.dev/docs/apps/auth/access-token-types/offline",
      facts: "non-expiring offline tokens are permanent and revoked only when the app is uninstalled; expiring offline tokens (since December 2025) come with a 90-day refresh token"
    },
    {
      url: "https://shopify.dev/docs/api/admin-rest",
      facts: "the Admin API takes the token in X-Shopify-Access-Token; 401 {\"errors\":\"[API] Invalid API key or access token …\"}"
    },
    {
      url: "https://shopify.dev/docs/api/admin-rest/latest/resources/shop",
      facts: "GET /admin/api/{version}/shop.json, the connection test"
    }
  ],
  notes: [
    "Non-expiring offline tokens: the token is served until the API refuses it (the app was uninstalled), then the shop must be connected again. The offline tokens page does not say which kind new apps get by default since expiring offline tokens arrived (December 2025); expiring offline tokens (a refresh token, one active token per app and shop) and online (per-user) tokens are left for later.",
    "Shopify checks the installation request's and the callback's hmac; that check is the app's, before Connector.exchange, and not part of the entry.",
    "Embedded apps use token exchange instead; not part of this entry."
  ],
  define: (options) =>
    Connector.define({
      name: "shopify",
      config,
      publicFields: ["CLIENT_ID", "SHOP"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: `https://${config.SHOP}.myshopify.com/admin/oauth/access_token`,
            clientAuth: "client_secret_post",
            defaultLifetime: noExpiry,
            maxLifetime: noExpiry
          }),
        authorizeUrl: (config) => `https://${config.SHOP}.myshopify.com/admin/oauth/authorize`,
        scopes: options.scopes ?? ["read_products"]
      }),
      // no token_type in the answer; the API takes the bare token in its own header
      tokenResponse: { type: "Bearer" },
      apply: Connector.header("X-Shopify-Access-Token"),
      baseUrl: (config) => `https://${config.SHOP}.myshopify.com/admin/api/${options.apiVersion ?? "2025-07"}`,
      test: { path: "/shop.json" }
    })
}
