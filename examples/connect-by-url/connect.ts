/**
 * "Connect by URL": a client that knows nothing but an API's URL connects to
 * it, as MCP-style clients do.
 *
 * {@link connect}:
 *
 * 1. calls the API without a token: its `401` names the API's metadata in
 *    `WWW-Authenticate` (`resource_metadata`, RFC 9728);
 * 2. reads that metadata, checks that it describes the URL called, and reads
 *    the metadata of the authorization server it names (RFC 8414), checked
 *    against that issuer: `Discovery.fromChallenge`;
 * 3. registers itself there (RFC 7591), once: the client is kept in the token
 *    store and registered again when its secret expires (`Registration.cached`);
 * 4. signs the user in unless the store holds the connection already, with a
 *    new DPoP key (RFC 9449): authorization code + PKCE, the request pushed to
 *    the server first (PAR, RFC 9126) and naming the resource (RFC 8707) and
 *    the key (`dpop_jkt`), the code exchanged with a DPoP proof; the tokens go
 *    to the store, and the key with them;
 * 5. returns an `HttpClient` for the API that sends the DPoP-bound token with a
 *    proof per request, refreshed from the store with the key stored with it.
 */
import { HttpClient, type HttpClientError } from "@effect/platform"
import {
  type AccessToken,
  BearerAuth,
  Discovery,
  Dpop,
  Endpoint,
  Grant,
  Registration,
  TokenError,
  TokenProvider,
  TokenStore
} from "@grantflow/core"
import { Effect, Option } from "effect"

/** The URL answered something else than a `401`: it is not a protected API (or not at that URL). */
export class NotProtected extends TokenError.TaggedError("NotProtected")<{ readonly url: string; readonly status: number }> {
  override get message() {
    return `${this.url} answered ${this.status} to a request without a token, not 401: it is not a protected API`
  }
}

/** What signing the user in needs: for `RedirectReceiver.authorize`, say. */
export interface SignIn {
  readonly authorizeUrl: string
  readonly scopes: ReadonlyArray<string>
  readonly resource: string
  readonly issuer: string
  readonly issuerRequired: boolean
}

/**
 * How {@link connect} reports and signs in: `signIn` gets the user's first
 * token at `endpoint` (the registered client, the DPoP key), with the
 * request pushed first (the endpoint says the server requires it).
 */
export interface Options<E, R> {
  readonly print: (line: string) => Effect.Effect<void>
  readonly signIn: (endpoint: Endpoint.Endpoint, request: SignIn) => Effect.Effect<AccessToken.AccessToken, E, R>
  /** The client's name at the authorization server. */
  readonly clientName?: string | undefined
}

/**
 * A connection: the API's client — and the token provider behind it, for
 * `BearerAuth.layer` say — what it is connected to, and the thumbprint of
 * the DPoP key its tokens are bound to.
 */
export interface Connection {
  readonly api: HttpClient.HttpClient.With<
    HttpClientError.HttpClientError | TokenError.TokenError | BearerAuth.TokenRejected
  >
  readonly provider: TokenProvider.TokenProvider["Type"]
  readonly resource: string
  readonly issuer: string
  readonly clientId: string
  readonly jkt: string
}

/**
 * Connects to the protected API at `url` (see the module): needs an
 * `HttpClient`, and the `TokenStore` that keeps the registered client, the
 * tokens and their DPoP key.
 */
export const connect = <E, R>(url: URL, options: Options<E, R>) =>
  Effect.gen(function*() {
    const { print } = options
    const http = yield* HttpClient.HttpClient

    // 1–2. the API's answer without a token says where its metadata is
    const probe = yield* http.get(url)
    if (probe.status !== 401) return yield* new NotProtected({ url: url.href, status: probe.status })
    const found = yield* Discovery.fromChallenge(probe, url)
    const resource = found.resource.resource
    const server = found.authorizationServer
    yield* print(`${url.pathname} answered 401; its metadata says: resource ${resource}, tokens from ${server.issuer}`)

    // 3. the registered client, kept in the store; registered again once its secret expires
    const client = Registration.cached(
      Registration.key(server.issuer, options.clientName ?? "connect-by-url"),
      Registration.register(server, {
        client_name: options.clientName ?? "grantflow connect-by-url example",
        // a loopback redirect URI matches any port (RFC 8252 §7.3)
        redirect_uris: ["http://127.0.0.1/callback"],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "client_secret_basic"
      }).pipe(Effect.tap((registered) => print(`registered at ${server.issuer} as client ${registered.clientId}`)))
    )
    const registered = yield* client

    const endpointFor = (registered: Registration.RegisteredClient, dpop?: Dpop.DpopKey) =>
      Endpoint.fromMetadata(server, { auth: Registration.auth(registered), dpop })

    // 4. the user's connection: in the store, or a sign-in whose tokens go there, with their key
    const connectionKey = TokenStore.key({
      issuer: server.issuer,
      clientId: registered.clientId,
      grant: "authorization_code",
      resource
    })
    const stored = yield* (yield* TokenStore.TokenStore).get(connectionKey)
    let connected: AccessToken.AccessToken
    if (Option.isNone(stored)) {
      // exportable: the store keeps it with the tokens bound to it
      const key = yield* Dpop.generateKey({ extractable: true })
      connected = yield* options.signIn(endpointFor(registered, key), {
        authorizeUrl: yield* Option.match(server.authorizationEndpoint, {
          onNone: () => new TokenError.InvalidTokenRequest({ reason: "the server names no authorization endpoint" }),
          onSome: Effect.succeed
        }),
        scopes: found.resource.scopesSupported,
        resource,
        issuer: server.issuer,
        issuerRequired: server.authorizationResponseIssParameterSupported
      })
      yield* TokenStore.save(connectionKey, connected)
      const refreshable = Option.isSome(connected.refreshToken) ? "and a refresh token" : "without a refresh token"
      yield* print(`signed in: a ${connected.type} token for "${connected.scopes.join(" ")}" ${refreshable}, saved`)
    } else {
      connected = stored.value.token
      yield* print("the store holds this connection already: no sign-in")
    }

    // 5. tokens from the store, refreshed with the key stored with them; a refusal means signing in again
    const fetch = yield* TokenStore.shared({
      key: connectionKey,
      acquire: Grant.reauthorizationRequired("the connection is gone: connect again"),
      // the current client: a client registered again has no use for the old
      // one's refresh token, which the server then refuses (invalid_grant)
      refresh: (refreshToken) =>
        Effect.flatMap(client, (current) => Grant.refreshToken(endpointFor(current), { refreshToken, resource }))
    })
    const provider = yield* TokenProvider.make(fetch, { name: "connect-by-url" })
    // each token comes with its key: BearerAuth proves it
    const api = http.pipe(BearerAuth.authenticate(provider))
    const jkt = connected.dpop === undefined ? "(none: the server gave a bearer token)" : yield* Dpop.thumbprint(connected.dpop)
    return { api, provider, resource, issuer: server.issuer, clientId: registered.clientId, jkt } satisfies Connection
  })
