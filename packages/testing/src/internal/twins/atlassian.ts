import type { Quirks } from "../twinQuirks.js"

const cloudId = "11223344-a1b2-3b33-c444-def123456789"

/** Atlassian Cloud, OAuth 2.0 (3LO): rotating refresh tokens with a 10-minute leeway, the site's cloud id looked up. @internal */
export const atlassian: Quirks = {
  id: "atlassian",
  issuer: "https://auth.atlassian.com",
  paths: { token: "/oauth/token", authorize: "/authorize" },
  params: { CLOUD_ID: cloudId },
  // the sites the token reaches: a list, answered as it is
  discovery: {
    path: "/oauth/token/accessible-resources",
    body: [
      {
        id: cloudId,
        name: "twin",
        url: "https://twin.atlassian.net",
        scopes: ["read:jira-user", "read:jira-work"],
        avatarUrl: "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/site.png"
      },
      {
        id: "99887766-f1e2-4d3c-b2a1-0f9e8d7c6b5a",
        name: "other",
        url: "https://other.atlassian.net",
        scopes: ["read:jira-user"],
        avatarUrl: "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/site.png"
      }
    ]
  },
  whoami: {
    path: "/ex/jira/{CLOUD_ID}/rest/api/3/myself",
    body: { accountId: "5b10a2844c20165700ede21g", accountType: "atlassian", displayName: "Twin", active: true }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_post"],
  tokenRequestBody: "json",
  offlineAccess: { param: "scope", value: "offline_access" },
  tokenResponse: {
    access_token: "$access_token",
    token_type: "Bearer",
    expires_in: "$expires_in",
    refresh_token: "$refresh_token",
    scope: "$scope"
  },
  tokenLifetime: 3600,
  refreshRotation: true,
  refreshGrace: 600,
  // the inactivity expiry: each refresh answers a new refresh token with 90 days of its own
  refreshTokenLifetime: 90 * 24 * 3600,
  invalidToken: { status: 401, body: { code: 401, message: "Unauthorized" } }
}
