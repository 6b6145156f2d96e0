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
 * 4. takes a DPoP key (RFC 9449), kept beside the tokens bound to it;
 * 5. signs the user in unless the store holds the connection already:
 *    authorization code + PKCE, the request pushed to the server first (PAR,
 *    RFC 9126) and naming the resource (RFC 8707), the code exchanged with a
 *    DPoP proof; the tokens go to the store;
 * 6. returns an `HttpClient` for the API that sends the DPoP-bound token with a
 *    proof per request, refreshed (with the same key) from the store.
 */
import { HttpClient, type HttpClientError, KeyValueStore } from "@effect/platform"
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
import { Effect, Option, Redacted } from "effect"

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
 * A connection: the API's client — the token provider and the DPoP key
 * behind it, for `BearerAuth.layer` say — and what it is connected to.
 */
export interface Connection {
  readonly api: HttpClient.HttpClient.With<
    HttpClientError.HttpClientError | TokenError.TokenError | BearerAuth.TokenRejected
  >
  readonly provider: TokenProvider.TokenProvider["Type"]
  readonly key: Dpop.DpopKey
  readonly resource: string
  readonly issuer: string
  readonly clientId: string
  readonly jkt: string
}

/**
 * The DPoP key kept under `name` in `store`, or a new one, saved there. The
 * key is exportable, so that tokens bound to it stay usable after a restart.
 */
const dpopKey = (store: KeyValueStore.KeyValueStore, name: string) =>
  Effect.gen(function*() {
    const saved = yield* store.get(name)
    if (Option.isSome(saved)) {
      const jwk = yield* Effect.try(() => Redacted.make(JSON.parse(saved.value)))
      return yield* Dpop.importKey(jwk, { extractable: true })
    }
    const key = yield* Dpop.generateKey({ extractable: true })
    yield* store.set(name, JSON.stringify(Redacted.value(yield* Dpop.exportKey(key))))
    return key
  })

/**
 * Connects to the protected API at `url` (see the module): needs an
 * `HttpClient`, the `TokenStore` that keeps the registered client and the
 * tokens, and a `KeyValueStore` for the DPoP key.
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

    // 4. the DPoP key, kept with the tokens bound to it
    const key = yield* dpopKey(yield* KeyValueStore.KeyValueStore, `dpop-key ${server.issuer} ${registered.clientId}`)
    const jkt = yield* Dpop.thumbprint(key)
    const endpointFor = (registered: Registration.RegisteredClient) =>
      Endpoint.fromMetadata(server, { auth: Registration.auth(registered), dpop: key })

    // 5. the user's connection: in the store, or a sign-in whose tokens go there
    const connectionKey = TokenStore.key({
      issuer: server.issuer,
      clientId: registered.clientId,
      grant: "authorization_code",
      resource
    })
    const store = yield* TokenStore.TokenStore
    if (Option.isNone(yield* store.get(connectionKey))) {
      const first = yield* options.signIn(endpointFor(registered), {
        authorizeUrl: yield* Option.match(server.authorizationEndpoint, {
          onNone: () => new TokenError.InvalidTokenRequest({ reason: "the server names no authorization endpoint" }),
          onSome: Effect.succeed
        }),
        scopes: found.resource.scopesSupported,
        resource,
        issuer: server.issuer,
        issuerRequired: server.authorizationResponseIssParameterSupported
      })
      yield* TokenStore.save(connectionKey, first)
      const refreshable = Option.isSome(first.refreshToken) ? "and a refresh token" : "without a refresh token"
      yield* print(`signed in: a ${first.type} token for "${first.scopes.join(" ")}" ${refreshable}, saved`)
    } else {
      yield* print("the store holds this connection already: no sign-in")
    }

    // 6. tokens from the store, refreshed with the same key; a refusal means signing in again
    const fetch = yield* TokenStore.shared({
      key: connectionKey,
      acquire: Grant.reauthorizationRequired("the connection is gone: connect again"),
      // the current client: a client registered again has no use for the old
      // one's refresh token, which the server then refuses (invalid_grant)
      refresh: (refreshToken) =>
        Effect.flatMap(client, (current) => Grant.refreshToken(endpointFor(current), { refreshToken, resource }))
    })
    const provider = yield* TokenProvider.make(fetch, { name: "connect-by-url" })
    const api = http.pipe(BearerAuth.authenticate(provider, { dpop: key }))
    return { api, provider, key, resource, issuer: server.issuer, clientId: registered.clientId, jkt } satisfies Connection
  })
