import type { Quirks } from "../twinQuirks.js"

const accountId = "a4ec37d6-04c0-4e2f-8a4a-143885c0ad6e"

/** DocuSign eSignature, developer environment: eight-hour tokens, the account's API base from userinfo. @internal */
export const docusign: Quirks = {
  id: "docusign",
  issuer: "https://account-d.docusign.com",
  paths: { token: "/oauth/token", authorize: "/oauth/auth" },
  params: { ACCOUNT_ID: accountId },
  // the default account's base_uri is a docusign.net host, which the in-memory client routes back here
  discovery: {
    path: "/oauth/userinfo",
    body: {
      sub: "4799e5e9-1559-4915-9862-cf4713bbcacc",
      name: "Twin User",
      email: "user@example.com",
      accounts: [
        { account_id: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", is_default: false, account_name: "Other", base_uri: "https://eu.docusign.net" },
        { account_id: accountId, is_default: true, account_name: "Twin", base_uri: "https://demo.docusign.net" }
      ]
    }
  },
  whoami: {
    path: "/restapi/v2.1/accounts/{ACCOUNT_ID}",
    body: { accountIdGuid: accountId, accountName: "Twin", planName: "DEVCENTER_DEMO_ACCOUNT" }
  },
  grants: ["authorization_code", "refresh_token"],
  authMethods: ["client_secret_basic"],
  tokenResponse: {
    access_token: "$access_token",
    token_type: "Bearer",
    refresh_token: "$refresh_token",
    expires_in: "$expires_in"
  },
  tokenLifetime: 28800,
  refreshRotation: false,
  refreshTokenLifetime: 30 * 24 * 3600,
  invalidToken: {
    status: 401,
    body: { errorCode: "USER_AUTHENTICATION_FAILED", message: "One or both of Username and Password are invalid." }
  }
}
