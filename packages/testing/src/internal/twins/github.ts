import type { Quirks } from "../twinQuirks.js"

/** GitHub, OAuth app (user-to-server tokens without expiry). @internal */
export const github: Quirks = {
  id: "github",
  issuer: "https://github.com",
  paths: {
    token: "/login/oauth/access_token",
    authorize: "/login/oauth/authorize",
    revoke: "/applications/{CLIENT_ID}/token"
  },
  // "delete an app token": DELETE with the app's Basic credentials, the token in a JSON body; 204, or 422
  revocation: {
    method: "DELETE",
    token: { json: "access_token" },
    clientAuth: true,
    answer: { status: 204 },
    refusal: {
      status: 422,
      body: { message: "Validation Failed", documentation_url: "https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token", status: "422" }
    }
  },
  whoami: { path: "/user", body: { login: "octocat", id: 1, type: "User" } },
  grants: ["authorization_code"],
  authMethods: ["client_secret_post", "client_secret_basic"],
  // form-encoded unless the request accepts JSON
  tokenResponseFormat: "formUnlessJsonAccepted",
  tokenResponse: { access_token: "$access_token", token_type: "bearer", scope: "$scope" },
  // errors come with 200, in GitHub's own codes
  tokenError: {
    status: 200,
    body: {
      error: "$error",
      error_description: "$error_description",
      error_uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
    },
    codes: {
      "authorization_code:invalid_grant": "bad_verification_code",
      invalid_client: "incorrect_client_credentials"
    }
  },
  tokenLifetime: "never",
  invalidToken: {
    status: 401,
    body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" }
  }
}
