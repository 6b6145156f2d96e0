import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface AsanaOptions {
  /** The scopes asked for (default: none named, the app's default scope). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Asana, an OAuth app acting for a user. @internal */
export const asana: Entry<typeof config.Type, typeof config.Encoded, AsanaOptions> = {
  id: "asana",
  name: "Asana",
  scoped: true,
  categories: ["productivity"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["revocation"],
  docs: [
    {
      url: "https://developers.asana.com/docs/oauth",
      facts: "the authorization code grant; authorize at GET https://app.asana.com/-/oauth_authorize, token exchange at POST https://app.asana.com/-/oauth_token, revocation at POST https://app.asana.com/-/oauth_revoke; the token as Authorization: Bearer on API requests"
    }
  ],
  notes: [
    "Only the quick reference of the OAuth page could be read. Asana's example OAuth servers and public integrations (in the code corpus read) send client_id, client_secret, code or refresh_token in a form body, and revoke with client_id, client_secret and token (the refresh token) in a form body; the token answer carries expires_in 3600 and the user as data {gid, name, email}. The entry follows them: client_secret_post at both endpoints.",
    "The access token lifetime is not on the page read: the entry trusts expires_in, and the twin issues one hour. Whether a refresh answers a new refresh token is not stated: the twin does not rotate; the connector keeps a new one if Asana sends it.",
    "Revocation is used as RFC 7009's; whether Asana takes token_type_hint (which grantflow sends) is not stated, nor what it answers for an unknown token. The twin takes it and answers 200.",
    "GET https://app.asana.com/api/1.0/users/me (the user whose token it is) is the connection test; Asana wraps answers in data, which the test does not read. The API's 401 body is not on the page read: the twin answers Asana's error list {\"errors\":[{\"message\":…}]}. The token endpoint's errors are answered as RFC 6749's."
  ],
  define: (options) =>
    Connector.define({
      name: "asana",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, {
            tokenUrl: "https://app.asana.com/-/oauth_token",
            revocationUrl: "https://app.asana.com/-/oauth_revoke",
            clientAuth: "client_secret_post"
          }),
        authorizeUrl: () => "https://app.asana.com/-/oauth_authorize",
        scopes: options.scopes ?? []
      }),
      baseUrl: () => "https://app.asana.com/api/1.0",
      test: { path: "/users/me" }
    })
}
