import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Connector from "../../Connector.js"
import type * as Grant from "../../Grant.js"
import * as TokenError from "../../TokenError.js"
import * as TokenResponse from "../../TokenResponse.js"
import * as assertion from "../assertion.js"
import * as endpointInternal from "../endpoint.js"
import { trimSlashes } from "../text.js"
import * as tokenRequest from "../tokenRequest.js"
import { type Entry, UrlPart } from "./entry.js"

/** @internal */
export interface GitHubAppOptions {
  /** The API's host (default `https://api.github.com`; GitHub Enterprise Server: `https://HOSTNAME/api/v3`). */
  readonly apiUrl?: string | undefined
}

const config = Schema.Struct({
  /** The app's client ID (GitHub recommends it) or its numeric app ID: the JWT's `iss`. */
  APP_ID: Schema.NonEmptyTrimmedString,
  /** The installation the tokens act for (in the installation's webhooks, or GET /app/installations). */
  INSTALLATION_ID: UrlPart,
  /** The app's private key, the PEM GitHub generates (PKCS#1) or PKCS#8. */
  PRIVATE_KEY: Schema.Redacted(Schema.NonEmptyString)
})

type Config = typeof config.Type

const githubHeaders = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" }

/**
 * One installation token: a JWT signed with the app's key (`iat` a minute
 * back for clocks that run ahead of GitHub's, `exp` nine minutes on, within
 * GitHub's ten with room for a clock that runs behind), exchanged as the
 * bearer credential. GitHub refuses a bad JWT with 401 and a message of its
 * own, not an OAuth error: it reads as `invalid_client`, the app's
 * credentials being wrong.
 */
const installationToken = (apiUrl: string, config: Config): Grant.TokenSource =>
  Effect.gen(function*() {
    const url = yield* endpointInternal.checkEndpointUrl(
      `${apiUrl}/app/installations/${config.INSTALLATION_ID}/access_tokens`,
      false,
      "installation token URL"
    )
    const jwt = yield* assertion.sign(
      { _tag: "Key", key: config.PRIVATE_KEY, alg: "RS256", kid: Option.none() },
      { iss: config.APP_ID },
      "9 minutes",
      "GitHub App JWT",
      "60 seconds"
    )
    const answer = yield* tokenRequest.postJson({
      endpoint: "token",
      url,
      body: {},
      bearer: jwt,
      timeout: endpointInternal.defaultTimeout
    })
    return yield* tokenRequest.interpret(answer, {
      sentAt: answer.sentAt,
      defaultLifetime: TokenResponse.defaultLifetime,
      maxLifetime: Duration.hours(1)
    })
  }).pipe(
    Effect.catchIf(
      (error) => error._tag === "EndpointUnavailable" && Option.contains(error.status, 401),
      () =>
        Effect.fail(
          new TokenError.OAuthError({
            endpoint: "token",
            status: 401,
            error: "invalid_client",
            description: Option.some(
              "GitHub refused the app's JWT: check APP_ID, that PRIVATE_KEY is the app's, and this machine's clock"
            ),
            uri: Option.none(),
            retryAfter: Option.none()
          })
        )
    ),
    Effect.withSpan("grantflow.github_app.installation_token", { kind: "client" })
  )

/** A GitHub App acting as one of its installations. @internal */
export const githubApp: Entry<Config, typeof config.Encoded, GitHubAppOptions> = {
  id: "githubApp",
  name: "GitHub App (installation)",
  scoped: false,
  categories: ["developer tools"],
  grants: ["app_jwt"],
  quirks: ["app-signed-jwt", "provider-revocation"],
  docs: [
    {
      url: "https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app",
      facts: "the JWT is signed with RS256; iss is the app's client ID (recommended) or app ID; iat best 60 seconds in the past; exp no more than 10 minutes ahead; it is sent as Authorization: Bearer"
    },
    {
      url: "https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app",
      facts: "POST /app/installations/{installation_id}/access_tokens with the JWT answers token and expires_at; the installation token expires after one hour"
    },
    {
      url: "https://docs.github.com/en/rest/apps/installations",
      facts: "GET /installation/repositories with an installation token, the connection test (total_count, repositories, repository_selection); DELETE /installation/token revokes the installation token it is called with, 204"
    }
  ],
  notes: [
    "The error bodies of a refused JWT are not on the pages read; issue threads of GitHub's client libraries show 401 with {message, documentation_url} (e.g. \"'Expiration time' claim ('exp') is too far in the future\"). The twin answers that shape with messages of its own; the connector reads any 401 there as invalid_client.",
    "GitHub's clock and the app's may differ: the JWT's exp is nine minutes ahead, not the full ten, since one exactly ten minutes ahead is refused when the app's clock runs ahead.",
    "The private key GitHub generates is PKCS#1 (BEGIN RSA PRIVATE KEY); it is taken as it is.",
    "Installation tokens are not refreshed: a new JWT gets a new token. Narrowing a token to some repositories or permissions (the request body's repositories, permissions) is left out."
  ],
  define: (options) => {
    const apiUrl = trimSlashes(options.apiUrl ?? "https://api.github.com", "end")
    return Connector.define({
      name: "githubApp",
      config,
      publicFields: ["APP_ID", "INSTALLATION_ID"],
      auth: (config) => Connector.fetch(installationToken(apiUrl, config)),
      tokenResponse: { accessToken: "token", expiresIn: "expires_at", expiresAs: "iso8601", type: "Bearer" },
      headers: () => githubHeaders,
      baseUrl: () => apiUrl,
      test: { path: "/installation/repositories" },
      revoke: () => ({ url: `${apiUrl}/installation/token`, method: "DELETE", token: "bearer", headers: githubHeaders })
    })
  }
}
