import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, noExpiry, UrlPart, userConnection } from "./entry.js"

/** @internal */
export interface ShopifyOptions {
  /** The access scopes asked for (default `read_products`). */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** The Admin API version (default `2025-07`). */
  readonly apiVersion?: string | undefined
  /**
   * Expiring offline tokens (default `false`): one-hour tokens and a refresh
   * token, asked for with `expiring=1` in the code exchange. Required of
   * public apps (see the entry's notes); non-expiring tokens remain for custom
   * and merchant-created apps.
   */
  readonly expiring?: boolean | undefined
}

const config = Schema.Struct({
  ...appFields,
  /** The shop's subdomain: `acme` for `acme.myshopify.com`. */
  SHOP: UrlPart
})

/** Shopify, authorization code grant, offline access tokens, non-expiring or expiring. @internal */
export const shopify: Entry<typeof config.Type, typeof config.Encoded, ShopifyOptions> = {
  id: "shopify",
  name: "Shopify (Admin API)",
  scoped: true,
  categories: ["e-commerce"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["per-shop-url", "custom-token-header", "no-expiry", "rotating-refresh-with-grace"],
  docs: [
    {
      url: "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant",
      facts: "https://{shop}.myshopify.com/admin/oauth/authorize and /admin/oauth/access_token; the response is {access_token, scope}"
    },
    {
      url: "https://shopify.dev/docs/apps/auth/access-token-types/offline",
      facts: "non-expiring offline tokens are permanent and revoked only when the app is uninstalled (or its secret revoked); expiring offline tokens (since December 2025) come with a refresh token with a 90-day lifetime, are refreshed without the merchant, and only one is active per app and shop: acquiring a new one revokes the previous ones; public apps created on or after April 1, 2026 must use expiring tokens, older public apps by January 1, 2027 (after which Admin API calls with non-expiring tokens are refused); custom and merchant-created apps are exempt"
    },
    {
      url: "https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh",
      facts: "expiring offline tokens: the token response carries access_token, expires_in (3600 seconds) and refresh_token; the refresh_token is exchanged at the same token endpoint before or after expiry, the stored pair replaced by the answer's; refresh proactively and on a 401; available with token exchange and the authorization code grant"
    },
    {
      url: "https://shopify.dev/docs/apps/build/security/credentials-and-data/use-expiring-offline-access-tokens",
      facts: "an expiring offline token lasts one hour, and Shopify replaces the refresh token every time it is used"
    },
    {
      url: "https://shopify.dev/changelog/more-resilient-refreshes-for-expiring-offline-access-tokens",
      facts: "since August 28, 2026 a used refresh token may be retried until the app uses its replacement (before: for 60 minutes), at most 30 days from its first use and never beyond its 90-day lifetime; using the replacement retires it"
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
    "Two modes. By default, non-expiring offline tokens: the token is served until the API refuses it (the app was uninstalled), then the shop must be connected again; this is for custom and merchant-created apps, as public apps must use expiring tokens (new public apps since April 1, 2026, all from January 1, 2027). With expiring: true, the code exchange carries expiring=1 and the connector refreshes the one-hour token with the refresh token (grant_type refresh_token with client_id and client_secret), keeping the replacement Shopify sends each time; a refused refresh token (expired after 90 days unused, or revoked by a newer authorization of the same shop) means connecting the shop again.",
    "The expiring=1 parameter of the code exchange is not on the Shopify pages read (they point to the OAuth documentation for parameters); it is the one an issue on Shopify's shopify-app-php repository (#12, for token exchange: expiring=1 gives a one-hour token with a refresh token, 0 or none a non-expiring one) and integrators' reports name, and Shopify's own app libraries are configured with an expiringOfflineAccessTokens flag instead. Whether the refresh request may be a form, as the entry sends it, or must be JSON, as Shopify's Node library sends it, is not stated. refresh_token_expires_in, which Shopify's libraries read, is not on the pages read either: the entry does not need it.",
    "The twin's expiring variant accepts a replaced refresh token once within 30 days (the server's grace is a number of reuses, where Shopify allows retries until the replacement is used), and does not revoke a shop's earlier expiring tokens when a new authorization is made. What Shopify does when a retired refresh token comes back after its replacement was used is not stated; the twin treats it as reuse and revokes the family. Online (per-user) tokens are left for later.",
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
            // an expiring token's answer states its lifetime
            ...(options.expiring === true ? {} : { defaultLifetime: noExpiry, maxLifetime: noExpiry })
          }),
        authorizeUrl: (config) => `https://${config.SHOP}.myshopify.com/admin/oauth/authorize`,
        scopes: options.scopes ?? ["read_products"],
        tokenParams: options.expiring === true ? { expiring: "1" } : undefined
      }),
      // no token_type in the answer; the API takes the bare token in its own header
      tokenResponse: { type: "Bearer" },
      apply: Connector.header("X-Shopify-Access-Token"),
      baseUrl: (config) => `https://${config.SHOP}.myshopify.com/admin/api/${options.apiVersion ?? "2025-07"}`,
      test: { path: "/shop.json" }
    })
}
