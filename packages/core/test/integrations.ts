/**
 * Integrations the scenario tests run: grantflow on client credentials, a
 * client that never refreshes, and a user's connection (a client that may
 * refresh, the user's (re-)login as the server's `grant`, and grantflow
 * keeping the rotated refresh token in a TokenStore on the run's disk).
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { AccessToken, BearerAuth, ClientAuth, Dpop, Endpoint, Grant, RefreshPolicy, TokenProvider, TokenStore } from "@grantflow/core"
import { Effect, Layer, Option, Redacted, Schedule } from "effect"
import { AuthServer } from "@grantflow/testing"
import { Scenario } from "@grantflow/testing"

export const tokenUrl = "http://127.0.0.1/token"
export const secret = Redacted.make(Scenario.clientSecret)
export const fetchToken = Grant.clientCredentials(
  Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretBasic(Scenario.clientId, secret) })
)

/** grantflow as documented: the token provider and the decorator, as layers. */
export const Grantflow = BearerAuth.layer().pipe(Layer.provide(TokenProvider.layer(fetchToken)))

/** grantflow with a refresh policy that gives up at the first failure: no retry at all. */
export const NoRetry = BearerAuth.layer().pipe(
  Layer.provide(TokenProvider.layer(fetchToken, { policy: RefreshPolicy.make({ retry: Schedule.stop }) }))
)

/** grantflow with a refresh policy that retries four times at once, without waiting between attempts. */
export const NoBackoff = BearerAuth.layer().pipe(
  Layer.provide(TokenProvider.layer(fetchToken, { policy: RefreshPolicy.make({ retry: Schedule.recurs(4) }) }))
)

export const withBearer = (request: HttpClientRequest.HttpClientRequest, token: AccessToken.AccessToken) =>
  HttpClientRequest.bearerToken(request, Redacted.value(token.token))

/** Gets a token on first use and keeps it for ever. */
export const StaticToken = Layer.effect(
  HttpClient.HttpClient,
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    // a failed fetch is a defect: the naive client has no error handling either
    const token = yield* Effect.cached(Effect.orDie(Effect.provideService(fetchToken, HttpClient.HttpClient, http)))
    return HttpClient.mapRequestEffect(http, (request) => Effect.map(token, (t) => withBearer(request, t)))
  })
)

/** A user's connection: refresh tokens rotate, and reuse revokes the whole family. */
export const userServer = {
  clients: [{
    clientId: Scenario.clientId,
    clientSecret: Scenario.clientSecret,
    grants: ["authorization_code", "refresh_token"] as const
  }]
}

export const userEndpoint = Endpoint.make({ tokenUrl, auth: ClientAuth.clientSecretBasic(Scenario.clientId, secret) })

/** The user logs in (again): the tokens a completed authorization gives. */
export const login = Effect.flatMap(AuthServer.AuthServer, (server) => server.grant(Scenario.clientId)).pipe(
  Effect.map((granted) =>
    new AccessToken.AccessToken({
      token: granted.accessToken,
      type: "Bearer",
      issuedAt: granted.issuedAt,
      expiresAt: granted.expiresAt,
      scopes: granted.scopes,
      refreshToken: Option.fromNullable(granted.refreshToken)
    })
  )
)

/**
 * grantflow on a user's connection: the token and the rotated refresh token
 * in a TokenStore on the run's disk, which a restarted client reads back.
 */
export const GrantflowUser = BearerAuth.layer().pipe(
  Layer.provide(Layer.unwrapEffect(Effect.map(
    TokenStore.shared<HttpClient.HttpClient | AuthServer.AuthServer>({
      key: TokenStore.key({ issuer: tokenUrl, clientId: Scenario.clientId, grant: "refresh_token", subject: "user" }),
      acquire: login,
      refresh: (refreshToken) => Grant.refreshToken(userEndpoint, { refreshToken })
    }),
    (fetch) => TokenProvider.layer(fetch)
  ))),
  Layer.provide(TokenStore.layerKeyValueStore({ encryption: "none" }))
)

/** Refreshes with the refresh token it was first given, whatever the server rotated it to. */
export const KeepsFirstRefreshToken = BearerAuth.layer().pipe(
  Layer.provide(Layer.unwrapEffect(Effect.map(login, (first) =>
    TokenProvider.layer(
      Grant.refreshToken(userEndpoint, { refreshToken: Option.getOrThrow(first.refreshToken) })
    )))),
)

/**
 * grantflow on client credentials with a DPoP key, its token endpoint
 * configured or (`discover`) read from the issuer's metadata; `change`
 * alters each request on its way out, to break the client in one way.
 */
export const dpopClient = (options: {
  readonly discover?: boolean | undefined
  readonly change?: ((request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest) | undefined
} = {}) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const key = yield* Dpop.generateKey()
    const auth = ClientAuth.clientSecretBasic(Scenario.clientId, secret)
    const endpoint = options.discover === true
      ? yield* Endpoint.discover("http://127.0.0.1", { auth, dpop: key })
      : Endpoint.make({ tokenUrl, auth, dpop: key })
    return BearerAuth.layer({ dpop: key }).pipe(Layer.provide(TokenProvider.layer(Grant.clientCredentials(endpoint))))
  })).pipe(
    Layer.provide(Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(options.change ?? ((request) => request)))
    ))
  )
