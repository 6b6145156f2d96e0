/**
 * The loopback redirect receiver of a native app or command line tool
 * (RFC 8252 §7.3): the authorization code flow for a program that has no web
 * server of its own.
 *
 * {@link make} listens on `127.0.0.1` (a port the system picks, or a given
 * one) and gives the redirect URI to send in `AuthorizationCode.start`. The
 * program shows the user the authorization URL; the browser comes back to
 * the receiver, which answers it with a small page ("You can close this
 * tab", or what went wrong), closes the server and hands over the callback's
 * parameters.
 *
 * Only that callback ends the wait: a `GET` on the redirect path whose
 * `Host` is the redirect URI's (`127.0.0.1:<port>`) and whose one `state` is
 * the awaited one. Anything else is answered — 400 for another host name (a
 * DNS rebinding page) or another state (a forged callback), 404 for another
 * path, 414 for a query longer than `AuthorizationCode.maxCallbackLength` —
 * and the wait goes on. No page shows anything the request carried.
 *
 * {@link authorize} runs the whole flow — start, wait, check, exchange — and
 * returns the first token.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as AccessToken from "@grantflow/core/AccessToken"
import type * as AuthorizationCode from "@grantflow/core/AuthorizationCode"
import type * as Endpoint from "@grantflow/core/Endpoint"
import type * as TokenError from "@grantflow/core/TokenError"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/redirectReceiver.js"

/**
 * Where to listen and how long to wait:
 *
 * - `port`: `0` (the default) lets the system pick a free port; give one
 *   when the authorization server only accepts a registered port;
 * - `path`: the path of the redirect URI, `/callback` by default;
 * - `timeout`: how long a wait for the browser lasts, 5 minutes by default.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly port?: number | undefined
  readonly path?: string | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * A receiver listening on loopback. Wait with {@link RedirectReceiver.receive}
 * or {@link RedirectReceiver.callback}, once: when the wait ends — the
 * awaited callback, the timeout, an interruption — the server closes. It
 * closes with the scope of {@link make} too. A callback that arrives before
 * the wait starts does not belong to it, and is answered so.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedirectReceiver {
  /** The redirect URI to send in the authorization request: `http://127.0.0.1:<port><path>`. */
  readonly redirectUri: string
  /** The port the receiver listens on. */
  readonly port: number
  /**
   * Waits for the first `GET` on the redirect path that carries `state`
   * (the pending authorization's) and succeeds with its query parameters,
   * otherwise unchecked (give them to `AuthorizationCode.callback`). The
   * browser is shown an error page when they carry an `error`.
   */
  readonly receive: (state: string) => Effect.Effect<URLSearchParams, RedirectTimeout>
  /**
   * Waits for the first `GET` on the redirect path that carries the state of
   * `pending`, and checks it with `AuthorizationCode.callback`; the browser
   * is shown whether it passed.
   */
  readonly callback: (
    pending: AuthorizationCode.Pending,
    options?: AuthorizationCode.CallbackOptions
  ) => Effect.Effect<AuthorizationCode.CallbackResult, AuthorizationCode.AuthorizationError | RedirectTimeout>
}

/**
 * No redirect came back within the timeout: the user did not finish in the
 * browser (or never opened the URL). The server is closed by then.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { RedirectReceiver } from "@grantflow/node"
 * import { Duration } from "effect"
 *
 * const error = new RedirectReceiver.RedirectTimeout({
 *   redirectUri: "http://127.0.0.1:53123/callback",
 *   timeout: Duration.minutes(5)
 * })
 * error.message // "no redirect arrived at http://127.0.0.1:53123/callback within 5m: …"
 * ```
 */
export const RedirectTimeout: typeof internal.RedirectTimeout = internal.RedirectTimeout

/**
 * No redirect arrived in time: see the {@link RedirectTimeout} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type RedirectTimeout = internal.RedirectTimeout

/**
 * Starts a receiver on `127.0.0.1` in the current scope. Fails with a
 * `ServeError` when the port cannot be bound (e.g. a given port is in use).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { AuthorizationCode, ClientAuth, Endpoint } from "@grantflow/core"
 * import { RedirectReceiver } from "@grantflow/node"
 * import { Console, Effect } from "effect"
 *
 * const endpoint = Endpoint.make({ tokenUrl: "https://auth.example.com/token", auth: ClientAuth.none("my-cli") })
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const receiver = yield* RedirectReceiver.make({ timeout: "2 minutes" })
 *   const { pending, url } = yield* AuthorizationCode.start({
 *     authorizeUrl: "https://auth.example.com/authorize",
 *     clientId: "my-cli",
 *     redirectUri: receiver.redirectUri
 *   })
 *   yield* Console.log(`Open ${url.href} to sign in`)
 *   const result = yield* receiver.callback(pending)
 *   return yield* AuthorizationCode.exchange(endpoint, pending, result)
 * }))
 * ```
 */
export const make: (options?: Options) => Effect.Effect<RedirectReceiver, HttpServerError.ServeError, Scope.Scope> = internal.make

/**
 * Options of {@link authorize}:
 *
 * - `authorizeUrl`: the server's authorization endpoint (`https:` unless
 *   loopback or the endpoint's `allowInsecure`);
 * - `scopes`, `resource`, `extraParams`: as in `AuthorizationCode.start`
 *   (the resource indicators are sent again with the code);
 * - `pushedAuthorization`: push the authorization request to the server's
 *   pushed authorization request endpoint first (`AuthorizationCode.push`,
 *   RFC 9126), so that the URL carries only `client_id` and `request_uri`.
 *   Always done when the endpoint's metadata requires it
 *   (`require_pushed_authorization_requests`);
 * - `issuer`, `issuerRequired`, `withoutCode`: as in
 *   `AuthorizationCode.callback`;
 * - `onAuthorizeUrl`: shows the user the authorization URL — prints it,
 *   opens a browser. By default it is logged. The wait starts when it
 *   returns;
 * - `port`, `path`, `timeout`: of the receiver, see {@link Options}.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizeOptions<E = never, R = never> =
  & Options
  & AuthorizationCode.CallbackOptions
  & {
    readonly authorizeUrl: string | URL
    readonly scopes?: ReadonlyArray<string> | undefined
    readonly resource?: string | ReadonlyArray<string> | undefined
    readonly extraParams?: Readonly<Record<string, string>> | undefined
    readonly pushedAuthorization?: boolean | undefined
    readonly onAuthorizeUrl?: ((url: URL) => Effect.Effect<void, E, R>) | undefined
  }

/**
 * How {@link authorize} can fail: the receiver could not listen, the
 * authorization request or its answer was refused, nobody came back in time,
 * or the code exchange failed — or the `open` callback's own error.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import type { RedirectReceiver } from "@grantflow/node"
 *
 * const describe = (error: RedirectReceiver.AuthorizeError) => error._tag
 * ```
 */
export type AuthorizeError<E = never> =
  | HttpServerError.ServeError
  | AuthorizationCode.InvalidAuthorizationRequest
  | AuthorizationCode.AuthorizationError
  | RedirectTimeout
  | TokenError.TokenError
  | E

/**
 * The whole authorization code flow with a loopback redirect: starts a
 * receiver, builds the authorization request (PKCE S256, `state`) for the
 * client of the endpoint's client authentication (`ClientAuth.none` for a
 * public client), pushed to the server first when asked or required (RFC
 * 9126), hands its
 * URL to `onAuthorizeUrl`, waits for the browser, checks the callback and
 * exchanges the code. Succeeds with the first token — with its refresh
 * token, when the server issued one, for `Grant.refreshTokenFlow`. The
 * receiver is closed when it returns.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth, Endpoint } from "@grantflow/core"
 * import { RedirectReceiver } from "@grantflow/node"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Console, Effect } from "effect"
 *
 * const endpoint = Endpoint.make({ tokenUrl: "https://auth.example.com/token", auth: ClientAuth.none("my-cli") })
 *
 * const firstToken = RedirectReceiver.authorize(endpoint, {
 *   authorizeUrl: "https://auth.example.com/authorize",
 *   scopes: ["orders.read", "offline_access"],
 *   issuer: "https://auth.example.com",
 *   onAuthorizeUrl: (url) => Console.log(`Open ${url.href} to sign in`)
 * }).pipe(Effect.provide(NodeHttpClient.layerUndici))
 * ```
 */
export const authorize: <E = never, R = never>(
  endpoint: Endpoint.Endpoint,
  options: AuthorizeOptions<E, R>
) => Effect.Effect<AccessToken.AccessToken, AuthorizeError<E>, HttpClient.HttpClient | R> = internal.authorize
