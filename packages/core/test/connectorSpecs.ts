/** Connector specs shared by the spec tests and the fuzz suite. */

// the client credentials spec of recipe 3
export const clientCredentials = () => ({
  name: "helpdesk",
  fields: { SUBDOMAIN: { pattern: "^[a-z0-9-]+$", public: true }, CLIENT_ID: {}, CLIENT_SECRET: { secret: true } },
  base_url: "https://{{ SUBDOMAIN }}.helpdesk.example/api/v5",
  oauth: {
    access_token: {
      url: "https://{{ SUBDOMAIN }}.helpdesk.example/oauth/token",
      client_auth: "client_secret_basic",
      data: {
        grant_type: "client_credentials",
        client_id: "{{ CLIENT_ID }}",
        client_secret: "{{ CLIENT_SECRET }}",
        scope: "tickets.read"
      }
    }
  },
  apply: { header: "Authorization", prefix: "Bearer" },
  refresh_on: { statuses: [401, 403], body_contains: "invalid_auth" },
  token_response: { access_token: "data.token", expires_in: "data.expires_at", expires_as: "epoch_seconds" },
  test: { method: "GET", path: "/me", expect: [200] }
})
