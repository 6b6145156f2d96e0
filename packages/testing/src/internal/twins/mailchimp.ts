import type { Quirks } from "../twinQuirks.js"

/** Mailchimp Marketing API: tokens that do not expire, the data center named by a metadata call. @internal */
export const mailchimp: Quirks = {
  id: "mailchimp",
  issuer: "https://login.mailchimp.com",
  paths: { token: "/oauth2/token", authorize: "/oauth2/authorize" },
  // the account lives in us6: its API at https://us6.api.mailchimp.com, which the in-memory client routes back here
  discovery: {
    path: "/oauth2/metadata",
    scheme: "OAuth",
    body: {
      dc: "us6",
      role: "owner",
      accountname: "Twin",
      user_id: 12345,
      login_url: "https://login.mailchimp.com",
      api_endpoint: "https://us6.api.mailchimp.com"
    }
  },
  whoami: { path: "/3.0/ping", body: { health_status: "Everything's Chimpy!" } },
  grants: ["authorization_code"],
  authMethods: ["client_secret_post", "client_secret_basic"],
  // expires_in 0: the token does not expire
  tokenResponse: { access_token: "$access_token", expires_in: 0, scope: null },
  tokenLifetime: "never",
  invalidToken: {
    status: 401,
    body: {
      type: "https://mailchimp.com/developer/marketing/docs/errors/",
      title: "API Key Invalid",
      status: 401,
      detail: "Your API key may be invalid, or you've attempted to access the wrong datacenter."
    }
  }
}
