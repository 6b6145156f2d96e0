import type { Quirks } from "../twinQuirks.js"

/** A GitHub App's installation: app-signed JWTs exchanged for one-hour installation tokens. @internal */
export const githubApp: Quirks = {
  id: "githubApp",
  issuer: "https://api.github.com",
  paths: { token: "/app/installations/{INSTALLATION_ID}/access_tokens", revoke: "/installation/token" },
  params: { INSTALLATION_ID: "1" },
  // the JWT may live at most ten minutes; a new token is answered 201
  appAssertion: { maxLifetime: 600, status: 201 },
  // "revoke an installation access token": the token revokes itself, 204
  revocation: { method: "DELETE", token: "bearer", answer: { status: 204 } },
  whoami: {
    path: "/installation/repositories",
    body: { total_count: 1, repository_selection: "selected", repositories: [{ id: 1296269, full_name: "octocat/Hello-World" }] }
  },
  grants: ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
  authMethods: ["private_key_jwt"],
  tokenResponse: {
    token: "$access_token",
    expires_at: "$expires_at",
    permissions: { contents: "read", metadata: "read" },
    repository_selection: "selected"
  },
  // a refused JWT: 401 with GitHub's message body
  tokenError: { status: 401, body: { message: "$error_description", documentation_url: "https://docs.github.com/rest" } },
  tokenLifetime: 3600,
  invalidToken: {
    status: 401,
    body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" }
  }
}
