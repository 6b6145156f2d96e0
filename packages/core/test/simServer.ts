/**
 * The simulated authorization server of `@grantflow/testing`, in memory, for
 * the grant tests: its registered clients, the authorization-code steps a
 * browser would take, and the checks every refused request must pass.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { assert } from "@effect/vitest"
import {
  type AccessToken,
  AuthorizationCode,
  ClientAuth,
  type Dpop,
  Endpoint,
  RefreshPolicy,
  TokenError
} from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Layer, Option, Redacted, Schedule, TestClock } from "effect"

export const issuer = "https://auth.example.com"
export const tokenUrl = `${issuer}/token`
export const authorizeUrl = `${issuer}/authorize`
export const deviceAuthorizationUrl = `${issuer}/device_authorization`
export const revocationUrl = `${issuer}/revoke`
export const redirectUri = "http://127.0.0.1/callback"
export const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

/** The secret of the client `app`: characters that need encoding in a form, a URL and Basic credentials. */
export const secret = "pä ss:w%rd+&=/?#€"

/** `app` may use every grant and ask for `orders.read` and `orders.write`. */
export const auth = ClientAuth.clientSecretBasic("app", Redacted.make(secret))
export const wrongSecret = ClientAuth.clientSecretBasic("app", Redacted.make("not the secret"))
/** `machine` may use the client credentials grant only. */
export const machine = ClientAuth.clientSecretBasic("machine", Redacted.make("machine-secret"))
/** `browser` may use the authorization code and refresh token grants only. */
export const browser = ClientAuth.clientSecretBasic("browser", Redacted.make("browser-secret"))

/** The server's endpoints, with `client` as the client authentication (`undefined`: none). */
export const endpointOf = (client: ClientAuth.ClientAuth | undefined) =>
  Endpoint.make({ tokenUrl, revocationUrl, deviceAuthorizationUrl, auth: client })
/** The server's endpoints for `app`. */
export const endpoint = endpointOf(auth)

/** Values that no error, message or log may show. */
export const secrets = [secret, "machine-secret", "browser-secret"]

export const serverOptions = (extra: Partial<AuthServer.Options> = {}): AuthServer.Options => ({
  issuer,
  autoApprove: true,
  clients: [
    {
      clientId: "app",
      clientSecret: secret,
      grants: [
        "client_credentials",
        "refresh_token",
        "authorization_code",
        deviceGrant,
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange"
      ],
      scopes: ["orders.read", "orders.write"],
      redirectUris: [redirectUri]
    },
    { clientId: "machine", clientSecret: "machine-secret" },
    {
      clientId: "browser",
      clientSecret: "browser-secret",
      grants: ["authorization_code", "refresh_token"],
      redirectUris: [redirectUri]
    }
  ],
  jwtBearerAssertions: ["accepted-assertion"],
  tokenExchangeSubjects: ["accepted-subject"],
  ...extra
})

export type Env = AuthServer.AuthServer | HttpClient.HttpClient

/** A realistic epoch on the TestClock: JWT client assertions carry it. */
export const start = 1_700_000_000_000

/** Runs `self` against a new server, reached in memory, with the TestClock at {@link start}. */
export const withServer = <A, E, R>(self: Effect.Effect<A, E, R>, extra?: Partial<AuthServer.Options>) =>
  Effect.zipRight(TestClock.setTime(start), self).pipe(
    Effect.provide(AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(serverOptions(extra)))))
  )

/** Retries at once, and often: only a failure that is not retryable ends a refresh after one request. */
export const policy = RefreshPolicy.make({ retry: Schedule.recurs(3) })

/**
 * Starts an authorization and takes it through the server's `/authorize`, as
 * a browser would (the server approves at once): the pending authorization
 * and the URL the server sent the browser back to.
 */
export const authorize = (options: {
  readonly clientId?: string | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly dpop?: Dpop.DpopKey | undefined
} = {}) =>
  Effect.gen(function*() {
    const { pending, url } = yield* AuthorizationCode.start({
      authorizeUrl,
      clientId: options.clientId ?? "app",
      redirectUri,
      scopes: options.scopes ?? ["orders.read"],
      dpop: options.dpop
    })
    const response = yield* HttpClient.get(url)
    assert.strictEqual(response.status, 302)
    return { pending, callbackUrl: new URL(response.headers["location"] ?? assert.fail("no Location")) }
  })

/** {@link authorize}, with the callback checked as the server's metadata asks (RFC 9207 `iss` required). */
export const authorized = (options: Parameters<typeof authorize>[0] = {}) =>
  Effect.gen(function*() {
    const { callbackUrl, pending } = yield* authorize(options)
    const result = yield* AuthorizationCode.callback(pending, callbackUrl, { issuer, issuerRequired: true })
    return { pending, result }
  })

/** The first token of an authorization of `app`, with its refresh token. */
export const firstToken = (scopes: ReadonlyArray<string> = ["orders.read"]) =>
  Effect.gen(function*() {
    const { pending, result } = yield* authorized({ scopes })
    return yield* AuthorizationCode.exchange(endpoint, pending, result)
  })

export const refreshTokenOf = (token: AccessToken.AccessToken): Redacted.Redacted<string> =>
  Option.getOrElse(token.refreshToken, () => assert.fail("the server issued no refresh token"))

/** The OAuth error the server answered, wherever the typed error keeps it. */
export const oauthCause = (error: TokenError.TokenError): TokenError.OAuthError | undefined => {
  if (error instanceof TokenError.OAuthError) return error
  return "cause" in error && error.cause instanceof TokenError.OAuthError ? error.cause : undefined
}

/** Asserts that no rendering of `error` shows any of `values`. */
export const assertShowsNone = (error: TokenError.TokenError, values: ReadonlyArray<string>) => {
  for (const text of [error.message, String(error), JSON.stringify(error)]) {
    for (const value of values) assert.notInclude(text, value)
  }
}
