/**
 * "Connect an account": a web app that gets a user's permission to call an
 * API for them, with the authorization code flow (PKCE, `state`, RFC 9207
 * `iss`), and keeps calling it with refreshed tokens.
 *
 * `start` runs, for the life of its scope, on 127.0.0.1:
 *
 * - the simulated provider (`@grantflow/testing`'s authorization server with
 *   its consent page and its orders API) on a port of its own;
 * - the app, an `HttpRouter` served with `Loopback`:
 *   - `GET /` shows a "Connect" link (or, once connected, a link to the orders);
 *   - `GET /connect` starts an authorization, keeps what the callback needs
 *     (state, PKCE verifier) in the user's server-side session, and sends the
 *     browser to the provider's consent page;
 *   - `GET /callback` checks what came back against that session, exchanges
 *     the code, keeps the refresh token (saved through `onRotate` whenever
 *     the provider rotates it), builds a `TokenProvider` from
 *     `Grant.refreshTokenFlow` that starts with the token just obtained, and
 *     shows what the API answers through `BearerAuth`;
 *   - `GET /orders` calls the API again: tokens are refreshed as needed.
 */
import {
  HttpClient,
  type HttpClientError,
  HttpClientResponse,
  HttpRouter,
  type HttpServer,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { AuthorizationCode, BearerAuth, ClientAuth, Endpoint, Grant, type TokenError, TokenProvider } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Deferred, type Duration, Effect, Either, HashMap, Option, Redacted, Ref, Scope } from "effect"
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import * as Pages from "./pages.js"

const clientId = "orders-dashboard"
const clientSecret = Redacted.make("dashboard-secret: never printed")
const scopes = ["orders.read"]
const cookieName = "dashboard_session"

/** A connected account: an HTTP client that authenticates as the user, and how often its refresh token rotated. */
interface Connection {
  readonly api: HttpClient.HttpClient.With<
    HttpClientError.HttpClientError | TokenError.TokenError | BearerAuth.TokenRejected
  >
  readonly rotations: Ref.Ref<number>
}

/** What the server keeps for one browser. */
interface Session {
  readonly pending: Option.Option<AuthorizationCode.Pending>
  readonly connection: Option.Option<Connection>
}

const emptySession: Session = { pending: Option.none(), connection: Option.none() }

/**
 * Options of {@link start}: the app's port (`0`, the default, lets the
 * system pick one) and the lifetime of the provider's access tokens (1
 * minute by default, so that a refresh happens while you try it).
 */
export interface Options {
  readonly port?: number | undefined
  readonly tokenLifetime?: Duration.DurationInput | undefined
}

/** The running example: the app's URL, and the simulated provider with its journal. */
export interface Running {
  readonly url: URL
  readonly provider: AuthServer.AuthServer["Type"]
  readonly providerUrl: URL
}

/** Starts the simulated provider and the app on loopback, until the scope closes. */
export const start = (options: Options = {}) =>
  Effect.gen(function*() {
    // the provider's port is bound first: the app must know where to send users,
    // and the provider must know the app's redirect URI
    const providerHttp = yield* NodeHttpServer.make(() => createServer(), { port: 0, host: "127.0.0.1" })
    const providerUrl = new URL(`http://127.0.0.1:${(providerHttp.address as HttpServer.TcpAddress).port}/`)
    const issuer = providerUrl.origin
    const apiUrl = new URL("/api/orders", providerUrl)
    // the provider's token endpoint and the app's credentials: for the code exchange and every refresh
    const endpoint = Endpoint.make({
      tokenUrl: new URL("/token", providerUrl),
      auth: ClientAuth.clientSecretBasic(clientId, clientSecret)
    })

    const appScope = yield* Effect.scope
    const appUrl = yield* Deferred.make<URL>()
    const redirectUri = Effect.map(Deferred.await(appUrl), (url) => new URL("/callback", url).href)
    const sessions = yield* Ref.make(HashMap.empty<string, Session>())
    // where a real app would persist each user's refresh token (a database, encrypted)
    const refreshTokens = yield* Ref.make(HashMap.empty<string, Redacted.Redacted<string>>())

    const sessionId = Effect.map(
      HttpServerRequest.HttpServerRequest,
      (request) => Option.fromNullable(request.cookies[cookieName])
    )
    const session = Effect.flatMap(sessionId, (id) =>
      Option.match(id, {
        onNone: () => Effect.succeed(emptySession),
        onSome: (id) => Effect.map(Ref.get(sessions), (all) => Option.getOrElse(HashMap.get(all, id), () => emptySession))
      }))
    const updateSession = (id: string, f: (session: Session) => Session) =>
      Ref.update(sessions, (all) => HashMap.set(all, id, f(Option.getOrElse(HashMap.get(all, id), () => emptySession))))

    const showOrders = (connection: Connection, title: string) =>
      connection.api.get(apiUrl).pipe(
        Effect.flatMap(HttpClientResponse.filterStatusOk),
        Effect.flatMap((response) => response.json),
        Effect.flatMap((body) => Effect.map(Ref.get(connection.rotations), (n) => Pages.result(title, body, n)))
      )

    const home = Effect.map(session, (s) => Pages.home(Option.isSome(s.connection)))

    const connect = Effect.gen(function*() {
      const id = Option.getOrElse(yield* sessionId, () => randomBytes(32).toString("base64url"))
      const { pending, url } = yield* AuthorizationCode.start({
        authorizeUrl: new URL("/authorize", providerUrl),
        clientId,
        redirectUri: yield* redirectUri,
        scopes
      }).pipe(Effect.orDie)
      yield* updateSession(id, (s) => ({ ...s, pending: Option.some(pending) }))
      return HttpServerResponse.redirect(url, { status: 302 }).pipe(
        HttpServerResponse.unsafeSetCookie(cookieName, id, { httpOnly: true, sameSite: "lax", path: "/" })
      )
    })

    const callback = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const id = yield* sessionId
      const pending = (yield* session).pending
      if (Option.isNone(id) || Option.isNone(pending)) {
        return Pages.problem(400, "No connection was started in this browser; connect again.")
      }
      // a pending authorization is used once, whatever comes back
      yield* updateSession(id.value, (s) => ({ ...s, pending: Option.none() }))
      const checked = AuthorizationCode.callback(pending.value, new URL(request.url, yield* Deferred.await(appUrl)), {
        issuer,
        issuerRequired: true
      })
      if (Either.isLeft(checked)) return Pages.problem(400, checked.left.message)

      const first = yield* AuthorizationCode.exchange(endpoint, pending.value, checked.right)
      if (Option.isNone(first.refreshToken)) {
        return Pages.problem(502, "The provider issued no refresh token, so the account cannot stay connected.")
      }
      const save = (refreshToken: Redacted.Redacted<string>) =>
        Ref.update(refreshTokens, HashMap.set(id.value, refreshToken))
      yield* save(first.refreshToken.value)
      const rotations = yield* Ref.make(0)
      const fetch = yield* Grant.refreshTokenFlow(endpoint, {
        initial: first.refreshToken.value,
        onRotate: (refreshToken) => Effect.zipRight(save(refreshToken), Ref.update(rotations, (n) => n + 1))
      })
      // the provider outlives this request: it belongs to the app's scope
      const provider = yield* Scope.extend(TokenProvider.make(fetch, { initial: first, name: "orders" }), appScope)
      const connection: Connection = { api: (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider)), rotations }
      yield* updateSession(id.value, (s) => ({ ...s, connection: Option.some(connection) }))
      return yield* showOrders(connection, "Account connected")
    }).pipe(Effect.catchAll((error) => Effect.succeed(Pages.problem(502, error.message))))

    const orders = Effect.flatMap(session, (s) =>
      Option.match(s.connection, {
        onNone: () => Effect.succeed(HttpServerResponse.redirect("/", { status: 302 })),
        onSome: (connection) =>
          showOrders(connection, "Your orders").pipe(
            Effect.catchAll((error) => Effect.succeed(Pages.problem(502, error.message)))
          )
      }))

    const app = HttpRouter.empty.pipe(
      HttpRouter.get("/", home),
      HttpRouter.get("/connect", connect),
      HttpRouter.get("/callback", callback),
      HttpRouter.get("/orders", orders)
    )
    const { url } = yield* Loopback.make(app, { port: options.port ?? 0 })
    yield* Deferred.succeed(appUrl, url)

    const provider = yield* AuthServer.make({
      issuer,
      tokenLifetime: options.tokenLifetime ?? "1 minute",
      clients: [{
        clientId,
        clientSecret: Redacted.value(clientSecret),
        grants: ["authorization_code", "refresh_token"],
        redirectUris: [new URL("/callback", url).href],
        scopes
      }]
    })
    yield* providerHttp.serve(provider.app)
    return { url, provider, providerUrl } satisfies Running
  })
