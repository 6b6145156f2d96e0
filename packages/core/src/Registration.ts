/**
 * Dynamic client registration (RFC 7591): a client that knows only an
 * authorization server registers itself at the server's registration
 * endpoint and gets a client id — and, for a confidential client, a secret
 * that may expire.
 *
 * {@link register} sends one registration request; {@link cached} keeps the
 * registered client in the `TokenStore` (sealed like a token when the store
 * encrypts) and registers again once its secret has expired; {@link auth}
 * turns it into the `ClientAuth` of an `Endpoint`.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as ClientAuth from "./ClientAuth.js"
import type * as Discovery from "./Discovery.js"
import * as internal from "./internal/registration.js"
import * as tokenStore from "./internal/tokenStore.js"
import type * as TokenError from "./TokenError.js"
import type * as TokenStore from "./TokenStore.js"

/**
 * The client metadata sent to the registration endpoint (RFC 7591 §2), by
 * its registered names. The usual fields are typed; any other (`logo_uri`,
 * `software_id`, `jwks_uri`, …) may be added.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientMetadata {
  readonly redirect_uris?: ReadonlyArray<string> | undefined
  readonly grant_types?: ReadonlyArray<string> | undefined
  readonly response_types?: ReadonlyArray<string> | undefined
  readonly token_endpoint_auth_method?: string | undefined
  readonly client_name?: string | undefined
  readonly scope?: string | undefined
  readonly [field: string]: unknown
}

/**
 * A registered client (RFC 7591 §3.2.1):
 *
 * - `clientId`; `clientSecret` (`Redacted`), absent for a public client;
 * - `clientIdIssuedAt` and `clientSecretExpiresAt` in epoch milliseconds —
 *   `None` for a secret that never expires (the server's `0`);
 * - `registrationAccessToken` (`Redacted`) and `registrationClientUri`, for
 *   the client configuration endpoint (RFC 7592), when the server gives them;
 * - `tokenEndpointAuthMethod`: how the client authenticates at the token
 *   endpoint (`client_secret_basic` when the server does not say);
 * - `metadata`: the other fields of the answer, the metadata as the server
 *   registered it. A client read back from a store by {@link cached} has
 *   its credentials only, and empty `metadata`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RegisteredClient {
  readonly clientId: string
  readonly clientSecret: Option.Option<Redacted.Redacted<string>>
  readonly clientIdIssuedAt: Option.Option<number>
  readonly clientSecretExpiresAt: Option.Option<number>
  readonly registrationAccessToken: Option.Option<Redacted.Redacted<string>>
  readonly registrationClientUri: Option.Option<string>
  readonly tokenEndpointAuthMethod: string
  readonly metadata: Readonly<Record<string, unknown>>
}

/**
 * Options of {@link register}: the `initialAccessToken` a server may require
 * (RFC 7591 §3, sent as a bearer token), the `timeout` of the exchange
 * (default 30 seconds), and `allowInsecure` for plain `http:` on a host that
 * is not loopback.
 *
 * @since 0.1.0
 * @category models
 */
export interface RegisterOptions {
  readonly initialAccessToken?: Redacted.Redacted<string> | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly allowInsecure?: boolean | undefined
}

/**
 * Registers a client (RFC 7591 §3.1): a JSON POST of `metadata` to the
 * registration endpoint — a URL, or the `registration_endpoint` of the
 * issuer's metadata — never following a redirect. The answer is checked
 * by a pure function: a 201 (or 200) JSON object with a `client_id`. A
 * refusal (`invalid_redirect_uri`, `invalid_client_metadata`, or
 * `invalid_token` for a missing or wrong initial access token) is an
 * `OAuthError` naming the `registration` endpoint; a metadata document
 * without a registration endpoint an `InvalidTokenRequest`, before anything
 * is sent.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Discovery, Endpoint, Grant, Registration } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const metadata = yield* Discovery.fetch("https://auth.example.com")
 *   const client = yield* Registration.register(metadata, {
 *     client_name: "reporting job",
 *     grant_types: ["client_credentials"],
 *     token_endpoint_auth_method: "client_secret_basic"
 *   })
 *   const endpoint = Endpoint.fromMetadata(metadata, { auth: Registration.auth(client) })
 *   return yield* Grant.clientCredentials(endpoint)
 * })
 * ```
 */
export const register: (
  target: string | URL | Discovery.Metadata,
  metadata: ClientMetadata,
  options?: RegisterOptions
) => Effect.Effect<RegisteredClient, TokenError.TokenError, HttpClient.HttpClient> = internal.register

/**
 * The registration endpoint's answer interpreted, without the transport: a
 * pure function over the status, content type and body, which
 * {@link register} applies. A 2xx JSON object needs a `client_id`; an
 * error body is an `OAuthError`; a body over 64 KiB (`None`) or of the wrong
 * shape a `MalformedResponse`. No error quotes a secret.
 *
 * @since 0.1.0
 * @category parsing
 * @example
 * ```ts
 * import { Registration } from "@grantflow/core"
 * import { Either, Option } from "effect"
 *
 * const answer = Registration.interpret({
 *   status: 201,
 *   contentType: "application/json",
 *   body: Option.some(JSON.stringify({ client_id: "c-123", client_secret: "s3cret", client_secret_expires_at: 0 }))
 * })
 * Either.map(answer, (client) => client.clientId) // Either.right("c-123")
 * ```
 */
export const interpret = (response: {
  readonly status: number
  readonly contentType: string | undefined
  readonly body: Option.Option<string>
}): Either.Either<RegisteredClient, TokenError.OAuthError | TokenError.EndpointUnavailable | TokenError.MalformedResponse> =>
  internal.interpret({ ...response, retryAfter: Option.none() })

/**
 * The client authentication of a registered client: `client_secret_post`
 * when it registered that method, `client_secret_basic` for any other client
 * with a secret, `none` for a public client.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { Endpoint, Registration } from "@grantflow/core"
 *
 * declare const client: Registration.RegisteredClient
 *
 * const endpoint = Endpoint.make({ tokenUrl: "https://auth.example.com/token", auth: Registration.auth(client) })
 * ```
 */
export const auth: (client: RegisteredClient) => ClientAuth.ClientAuth = internal.auth

/**
 * The store key of the client registered at `issuer` (with a `name` when
 * one application registers several clients there).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Registration } from "@grantflow/core"
 *
 * const key = Registration.key("https://auth.example.com", "reporting job")
 * ```
 */
export const key = (issuer: string, name: string = ""): TokenStore.Key =>
  tokenStore.key({ issuer, clientId: name, grant: "client_registration" })

/**
 * The registered client kept under `key` in the `TokenStore`, registered
 * with `register` when the store has none — or when its secret has expired
 * (`client_secret_expires_at`, read against `Clock`), in which case the new
 * registration replaces it. The secret and the registration access token
 * are stored as a token's values are: sealed when the store encrypts. Two
 * processes that find no client at the same moment both register.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Discovery, Endpoint, Grant, Registration, TokenStore } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const metadata = yield* Discovery.fetch("https://auth.example.com")
 *   const client = yield* Registration.cached(
 *     Registration.key(metadata.issuer),
 *     Registration.register(metadata, { grant_types: ["client_credentials"] })
 *   )
 *   return yield* Grant.clientCredentials(Endpoint.fromMetadata(metadata, { auth: Registration.auth(client) }))
 * }).pipe(Effect.provide(TokenStore.layerMemory))
 * ```
 */
export const cached: <E, R>(
  key: TokenStore.Key,
  register: Effect.Effect<RegisteredClient, E, R>
) => Effect.Effect<RegisteredClient, E | TokenStore.TokenStoreError, R | TokenStore.TokenStore> = internal.cached
