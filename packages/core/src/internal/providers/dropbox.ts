import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import { appFields, endpoint, type Entry, userConnection } from "./entry.js"

/** @internal */
export interface DropboxOptions {
  /** The scopes asked for (default: those of the app's permissions, none named). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

const config = Schema.Struct(appFields)

/** Dropbox. @internal */
export const dropbox: Entry<typeof config.Type, typeof config.Encoded, DropboxOptions> = {
  id: "dropbox",
  name: "Dropbox",
  scoped: true,
  categories: ["storage"],
  grants: ["authorization_code", "refresh_token"],
  quirks: ["offline-parameter", "post-connection-test", "provider-revocation"],
  docs: [
    {
      url: "https://developers.dropbox.com/oauth-guide",
      facts: "authorize at https://www.dropbox.com/oauth2/authorize, token at https://api.dropboxapi.com/oauth2/token; short-lived access tokens with expires_in"
    },
    {
      url: "https://dropbox.tech/developers/using-oauth-2-0-with-offline-access",
      facts: "token_access_type=offline is needed for a refresh token; refreshing answers a new access token, not a new refresh token"
    },
    {
      url: "https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account",
      facts: "POST /2/users/get_current_account, the connection test; 401 with error_summary expired_access_token"
    },
    {
      url: "https://dropbox.github.io/dropbox-sdk-java/api-docs/v8.0.1/com/dropbox/core/v2/auth/DbxUserAuthRequests.html",
      facts: "the auth/token/revoke route (POST https://api.dropboxapi.com/2/auth/token/revoke) disables the access token that authenticates the call, its refresh token and that refresh token's other access tokens; no parameters, no result"
    }
  ],
  notes: [
    "Access tokens live about four hours; the entry trusts expires_in.",
    "The revocation was read in Dropbox's SDK references (dropbox-sdk-java, SwiftyDropbox), generated from the API specification the HTTP documentation also renders, not on the HTTP page itself; the call needs a live access token (pass the connection's current one)."
  ],
  define: (options) =>
    Connector.define({
      name: "dropbox",
      config,
      publicFields: ["CLIENT_ID"],
      ...userConnection({
        endpoint: (config) =>
          endpoint(config, { tokenUrl: "https://api.dropboxapi.com/oauth2/token", clientAuth: "client_secret_basic" }),
        authorizeUrl: () => "https://www.dropbox.com/oauth2/authorize",
        scopes: options.scopes ?? [],
        // without it, no refresh token: the account would have to be connected again every four hours
        extraParams: { token_access_type: "offline" }
      }),
      baseUrl: () => "https://api.dropboxapi.com",
      test: { path: "/2/users/get_current_account", method: "POST" },
      revoke: () => ({ url: "https://api.dropboxapi.com/2/auth/token/revoke", token: "bearer" })
    })
}
