/**
 * A simulated OAuth 2.0 authorization server and the protected API it guards.
 *
 * One set of handlers (`app`, an `@effect/platform` `HttpApp`) serves
 *
 * - `POST /token`: the token endpoint (RFC 6749), with the
 *   `client_credentials`, `refresh_token` (rotation and reuse detection),
 *   `authorization_code` (PKCE), device code, JWT bearer and token exchange
 *   grants, and `client_secret_basic` / `client_secret_post` / `none` client
 *   authentication;
 * - `GET|POST /authorize`: the authorization endpoint, with a consent page;
 * - `POST /device_authorization` and `GET|POST /device`: the device
 *   authorization grant (RFC 8628) and its user page;
 * - `GET|POST|PUT|DELETE /api/*`: a protected API that accepts the tokens the
 *   endpoint issued (RFC 6750), until they expire or are revoked.
 *
 * The same `app` runs in memory through {@link layerClient} (an `HttpClient`
 * that never opens a socket) or on a real port through {@link serve}. All
 * state lives in `Ref`s and all time is read from Effect's `Clock`, so
 * `TestClock.adjust` expires tokens and drives injected latency. Every request
 * is written to a journal, and the next token requests can be scripted to fail
 * with {@link Fault}s.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/authServer.js"
import * as inMemoryClient from "./internal/inMemoryClient.js"

/**
 * How a client may authenticate at the token endpoint (RFC 6749 §2.3.1);
 * `none` is a public client that only names itself with `client_id`.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthMethod = "client_secret_basic" | "client_secret_post" | "none"

/**
 * The grant types the token endpoint knows (RFC 6749, RFC 8628, RFC 7523,
 * RFC 8693).
 *
 * @since 0.1.0
 * @category models
 */
export type GrantType =
  | "client_credentials"
  | "refresh_token"
  | "authorization_code"
  | "urn:ietf:params:oauth:grant-type:device_code"
  | "urn:ietf:params:oauth:grant-type:jwt-bearer"
  | "urn:ietf:params:oauth:grant-type:token-exchange"

/**
 * A client registered with the server. `authMethods` defaults to both
 * secret methods. When `scopes` is non-empty, a token request may ask only for
 * a subset of them and gets all of them when it asks for none; when it is
 * empty or absent, any requested scope is granted.
 *
 * - `public: true`: a public client (RFC 6749 §2.1): it has no secret,
 *   authenticates with `none` and must use PKCE;
 * - `grants`: the grant types it may use, otherwise `unauthorized_client`
 *   (default `["client_credentials"]`, or for a public client
 *   `authorization_code`, `refresh_token` and the device code grant). A
 *   refresh token is issued only to a client that may use `refresh_token`;
 * - `redirectUris`: where `/authorize` may send it back, compared exactly.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientOptions {
  readonly clientId: string
  readonly clientSecret?: string | undefined
  readonly authMethods?: ReadonlyArray<AuthMethod> | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly public?: boolean | undefined
  readonly grants?: ReadonlyArray<GrantType> | undefined
  readonly redirectUris?: ReadonlyArray<string> | undefined
}

/**
 * Options of a simulated server: its registered clients, the lifetime of the
 * tokens it issues (default 1 hour) and its issuer URL (default
 * `http://127.0.0.1`), the base URL that relative requests of the in-memory
 * client are sent to.
 *
 * Refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2):
 *
 * - `refreshRotation` (default `true`): each refresh answers with a new
 *   refresh token and retires the one presented; when `false`, the refresh
 *   token stays valid and responses carry none;
 * - `refreshGrace`: how long after a rotation the retired token is still
 *   accepted, `refreshGraceReuses` times (default 1), for clients that
 *   refresh concurrently; it gets the current refresh token back. Any other
 *   reuse of a retired token revokes its whole family, access tokens included;
 * - `refreshTokenLifetime`: of each refresh token (default: no expiry);
 * - `refreshTokenForClientCredentials` (default `false`): whether the client
 *   credentials grant issues refresh tokens too.
 *
 * Authorization code (RFC 6749 §4.1, RFC 7636): `autoApprove` (default
 * `false`) skips the consent page; codes live `codeLifetime` (default 60
 * seconds).
 *
 * Device authorization (RFC 8628): codes live `deviceCodeLifetime` (default
 * 10 minutes) and are polled every `deviceInterval` (default 5 seconds).
 *
 * Extension grants: `jwtBearerAssertions` are the accepted `assertion`s of
 * the JWT bearer grant (RFC 7523), `tokenExchangeSubjects` the accepted
 * `subject_token`s of token exchange (RFC 8693), each a list or a predicate;
 * by default none is accepted. Signatures are not checked.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly clients: ReadonlyArray<ClientOptions>
  readonly tokenLifetime?: Duration.DurationInput | undefined
  readonly issuer?: string | undefined
  readonly refreshRotation?: boolean | undefined
  readonly refreshGrace?: Duration.DurationInput | undefined
  readonly refreshGraceReuses?: number | undefined
  readonly refreshTokenLifetime?: Duration.DurationInput | undefined
  readonly refreshTokenForClientCredentials?: boolean | undefined
  readonly autoApprove?: boolean | undefined
  readonly codeLifetime?: Duration.DurationInput | undefined
  readonly deviceCodeLifetime?: Duration.DurationInput | undefined
  readonly deviceInterval?: Duration.DurationInput | undefined
  readonly jwtBearerAssertions?: ReadonlyArray<string> | ((assertion: string) => boolean) | undefined
  readonly tokenExchangeSubjects?:
    | ReadonlyArray<string>
    | ((subjectToken: string, subjectTokenType: string) => boolean)
    | undefined
}

/**
 * A failure injected into the token endpoint:
 *
 * - `Status`: answer with `status`, a `Retry-After` header (whole seconds,
 *   rounded up) when `retryAfter` is set, and `body` as JSON when set (e.g. an
 *   OAuth error such as `{ error: "temporarily_unavailable" }`), else no body;
 * - `Latency`: wait `duration` (on Effect's `Clock`), then answer normally;
 * - `MalformedJson`: answer 200 with a JSON body cut short;
 * - `BlankToken`: answer 200 with `access_token: ""`.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault = Data.TaggedEnum<{
  Status: {
    readonly status: number
    readonly retryAfter?: Duration.DurationInput | undefined
    readonly body?: unknown
  }
  Latency: { readonly duration: Duration.DurationInput }
  MalformedJson: {}
  BlankToken: {}
}>

const Fault = Data.taggedEnum<Fault>()

/**
 * A fault that answers with an HTTP status, optionally a `Retry-After` header
 * and a JSON body.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const rateLimited = AuthServer.Status({ status: 429, retryAfter: "30 seconds" })
 * const unavailable = AuthServer.Status({ status: 503, body: { error: "temporarily_unavailable" } })
 * ```
 */
export const Status = Fault.Status

/**
 * A fault that delays the answer by `duration`, measured on Effect's `Clock`
 * (so `TestClock.adjust` releases it).
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const slow = AuthServer.Latency({ duration: "5 seconds" })
 * ```
 */
export const Latency = Fault.Latency

/**
 * A fault that answers 200 with a truncated JSON body.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const garbled = AuthServer.MalformedJson()
 * ```
 */
export const MalformedJson = Fault.MalformedJson

/**
 * A fault that answers 200 with an empty `access_token`.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 *
 * const blank = AuthServer.BlankToken()
 * ```
 */
export const BlankToken = Fault.BlankToken

/**
 * One request the server received. `at` is the `Clock` time (epoch millis) at
 * which it arrived; entries are appended when the answer is ready, so
 * concurrent requests appear in the order they were answered. `tokenId` is
 * the short id (`"t1"`, `"t2"`, …) of the token issued or presented, never
 * its value; `fault` is the tag of the fault injected into that request.
 * `refreshTokenId` is the id (`"r1"`, …) of the refresh token a request
 * presented, `issuedRefreshTokenId` that of the refresh token its answer
 * carried.
 *
 * @since 0.1.0
 * @category models
 */
export interface JournalEntry {
  readonly at: number
  readonly endpoint: "token" | "api" | "authorize" | "device_authorization" | "device" | "other"
  readonly method: string
  readonly path: string
  readonly grantType?: string
  readonly clientId?: string
  readonly tokenId?: string
  readonly refreshTokenId?: string
  readonly issuedRefreshTokenId?: string
  readonly status: number
  readonly fault?: Fault["_tag"]
}

/**
 * What the server knows about a token it issued, without its value.
 * `issuedAt` and `expiresAt` are `Clock` epoch milliseconds; the token is
 * expired from `expiresAt` on.
 *
 * @since 0.1.0
 * @category models
 */
export interface IssuedToken {
  readonly id: string
  readonly clientId: string
  readonly scopes: ReadonlyArray<string>
  readonly issuedAt: number
  readonly expiresAt: number
  readonly revoked: boolean
}

/**
 * A refresh token family: the refresh tokens that descend, by rotation, from
 * one grant, without their values. `refreshTokenIds` lists them oldest first
 * (the last is the current one) and `generation` counts them;
 * `accessTokenIds` are the access tokens issued with them. A revoked family
 * accepts none of its refresh tokens, and its access tokens are revoked too.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshFamily {
  readonly id: string
  readonly clientId: string
  readonly grantType: GrantType
  readonly scopes: ReadonlyArray<string>
  readonly generation: number
  readonly refreshTokenIds: ReadonlyArray<string>
  readonly accessTokenIds: ReadonlyArray<string>
  readonly revoked: boolean
}

/**
 * An authorization code the server issued, without its value: to whom,
 * where it was sent, with which scopes, `nonce` and PKCE method, when it
 * expires (`Clock` epoch milliseconds) and whether it was redeemed.
 *
 * @since 0.1.0
 * @category models
 */
export interface IssuedCode {
  readonly id: string
  readonly clientId: string
  readonly redirectUri: string
  readonly scopes: ReadonlyArray<string>
  readonly nonce?: string
  readonly codeChallengeMethod?: "S256" | "plain"
  readonly issuedAt: number
  readonly expiresAt: number
  readonly used: boolean
}

/**
 * The simulated server: its handlers, its journal and its controls.
 *
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* AuthServer.AuthServer
 *   yield* server.fail(AuthServer.Status({ status: 503 }), { times: 2 })
 *   return yield* server.journal
 * })
 * ```
 */
export class AuthServer extends Context.Tag("@grantflow/testing/AuthServer")<AuthServer, {
  /** The base URL the in-memory client sends relative requests to. */
  readonly issuer: string
  /** The handlers of every endpoint, for any transport. */
  readonly app: HttpApp.Default
  /** Every request received so far, oldest first. */
  readonly journal: Effect.Effect<ReadonlyArray<JournalEntry>>
  readonly clearJournal: Effect.Effect<void>
  /**
   * Makes the next `times` (default 1) token requests meet `fault`, after
   * the faults already queued.
   */
  readonly fail: (fault: Fault, options?: { readonly times?: number | undefined }) => Effect.Effect<void>
  /** Makes the API reject that token from now on; unknown values are ignored. */
  readonly revoke: (token: string | Redacted.Redacted<string>) => Effect.Effect<void>
  /** Makes the API reject every token issued so far. */
  readonly revokeAll: Effect.Effect<void>
  /** How many tokens the token endpoint has issued. */
  readonly issued: Effect.Effect<number>
  /** The tokens issued so far, oldest first. */
  readonly tokens: Effect.Effect<ReadonlyArray<IssuedToken>>
  /** Sets the lifetime of the tokens issued from now on. */
  readonly setTokenLifetime: (lifetime: Duration.DurationInput) => Effect.Effect<void>
  /** The refresh token families so far, oldest first. */
  readonly families: Effect.Effect<ReadonlyArray<RefreshFamily>>
  /** Revokes a refresh token family and its access tokens; unknown ids are ignored. */
  readonly revokeFamily: (familyId: string) => Effect.Effect<void>
  /** The authorization codes issued so far, oldest first. */
  readonly codes: Effect.Effect<ReadonlyArray<IssuedCode>>
  /**
   * The user approves (`true`) or denies the device authorization of this
   * `user_code`, as on the `/device` page. Succeeds with `false` when no
   * pending, unexpired authorization has that code.
   */
  readonly decideDevice: (userCode: string, approve: boolean) => Effect.Effect<boolean>
}>() {}

/**
 * Builds a simulated server.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* AuthServer.make({
 *     clients: [{ clientId: "crm", clientSecret: "s3cret", scopes: ["crm.read"] }],
 *     tokenLifetime: "10 minutes"
 *   })
 *   return yield* server.issued
 * })
 * ```
 */
export const make: (options: Options) => Effect.Effect<AuthServer["Type"]> = internal.make

/**
 * A layer of the {@link AuthServer} service.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { AuthServer } from "@grantflow/testing"
 * import { Layer } from "effect"
 *
 * // the server and an HttpClient that reaches it in memory
 * const TestLive = AuthServer.layerClient.pipe(
 *   Layer.provideMerge(AuthServer.layer({ clients: [{ clientId: "crm", clientSecret: "s3cret" }] }))
 * )
 * ```
 */
export const layer = (options: Options): Layer.Layer<AuthServer> => Layer.effect(AuthServer, make(options))

/**
 * An `HttpClient` that sends every request, whatever its host, through the
 * server's handlers in memory, in the calling fiber (so `TestClock` drives
 * it). A request with a relative URL (`/token`) goes to the issuer.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { HttpClient } from "@effect/platform"
 * import { AuthServer } from "@grantflow/testing"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* HttpClient.HttpClient
 *   const response = yield* client.get("https://api.example.com/api/me")
 *   return response.status // 401: no token
 * }).pipe(
 *   Effect.provide(AuthServer.layerClient.pipe(Layer.provide(AuthServer.layer({ clients: [] }))))
 * )
 * ```
 */
export const layerClient: Layer.Layer<HttpClient.HttpClient, never, AuthServer> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(AuthServer, (server) => inMemoryClient.make(server.app, server.issuer))
)

/**
 * Serves the server's handlers on the provided `HttpServer`, e.g. a Node
 * server on a loopback port.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { NodeHttpServer } from "@effect/platform-node"
 * import { AuthServer } from "@grantflow/testing"
 * import { Layer } from "effect"
 * import * as http from "node:http"
 *
 * const Live = AuthServer.serve.pipe(
 *   Layer.provide(AuthServer.layer({ clients: [{ clientId: "crm", clientSecret: "s3cret" }] })),
 *   Layer.provide(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" }))
 * )
 * ```
 */
export const serve: Layer.Layer<never, never, AuthServer | HttpServer.HttpServer> = Layer.unwrapEffect(
  Effect.map(AuthServer, (server) => HttpServer.serve(server.app))
)
