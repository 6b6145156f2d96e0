/**
 * Token introspection (RFC 7662): asks the authorization server what it
 * knows about a token — whether it is active, and its claims (subject,
 * client, scopes, expiry, audience).
 *
 * {@link introspect} sends one client-authenticated request to the
 * endpoint's introspection URL and reads the answer with bounds. A resource
 * server checks opaque access tokens this way (`@grantflow/resource-server`'s
 * introspection verifier is built on it); a client may check a token it
 * holds. Nothing is cached here.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Endpoint from "./Endpoint.js"
import * as internal from "./internal/introspection.js"
import type * as TokenError from "./TokenError.js"

/**
 * A `token_type_hint` (RFC 7662 §2.1).
 *
 * @since 0.1.0
 * @category models
 */
export type TokenTypeHint = "access_token" | "refresh_token"

/**
 * Options of {@link introspect}: the `token`, its `tokenTypeHint` (none by
 * default), and `maxResponseLength`, the longest answer read (default
 * {@link defaultMaxResponseLength}).
 *
 * @since 0.1.0
 * @category models
 */
export interface IntrospectOptions {
  readonly token: Redacted.Redacted<string>
  readonly tokenTypeHint?: TokenTypeHint | undefined
  readonly maxResponseLength?: number | undefined
}

/**
 * What the server answered: whether the token is `active`, and every member
 * of the answer as received (`active` included; RFC 7662 §2.2 names `scope`,
 * `client_id`, `sub`, `exp`, `iss`, `aud` and more). An inactive token's
 * answer usually holds nothing else. It is not checked against anything:
 * that is the caller's part.
 *
 * @since 0.1.0
 * @category models
 */
export interface Response {
  readonly active: boolean
  readonly claims: Readonly<Record<string, unknown>>
}

/**
 * Every way an introspection can fail: the request was not sent
 * (`InvalidTokenRequest`: no or an unsafe introspection URL, a key that
 * cannot sign), the endpoint could not be reached, timed out, redirected or
 * answered an error status (`EndpointUnavailable`; a 401 means the
 * client's own credentials were refused), it answered an OAuth error
 * (`OAuthError`), or something unusable (`MalformedResponse`: not a JSON
 * object, longer than the bound, or without a boolean `active`).
 *
 * @since 0.1.0
 * @category models
 */
export type IntrospectionError =
  | TokenError.InvalidTokenRequest
  | TokenError.EndpointUnavailable
  | TokenError.OAuthError
  | TokenError.MalformedResponse

/**
 * The longest answer {@link introspect} reads: 64 Ki characters (65 536) of
 * JSON, nesting at most 64 levels. A longer one is a
 * `MalformedResponse`. Raise it with `maxResponseLength`.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { Introspection } from "@grantflow/core"
 *
 * Introspection.defaultMaxResponseLength // 65536
 * ```
 */
export const defaultMaxResponseLength: number = internal.defaultMaxResponseLength

/**
 * Introspects a token (RFC 7662): one form POST of `token` (and
 * `token_type_hint`) to the endpoint's introspection URL (set with
 * `Endpoint.make`'s `introspectionUrl`, or discovered), with its client
 * authentication and time-out; redirects are never followed. It runs in a
 * `grantflow.introspection` span that never shows the token.
 *
 * @since 0.1.0
 * @category introspection
 * @example
 * ```ts
 * import { ClientAuth, Endpoint, Introspection } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * declare const accessToken: Redacted.Redacted<string>
 *
 * const endpoint = Endpoint.make({
 *   introspectionUrl: "https://auth.example.com/oauth/introspect",
 *   auth: ClientAuth.clientSecretBasic("orders-api", Redacted.make("s3cret"))
 * })
 *
 * const stillValid = Introspection.introspect(endpoint, { token: accessToken, tokenTypeHint: "access_token" }).pipe(
 *   Effect.map((answer) => answer.active)
 * )
 * ```
 */
export const introspect: (
  endpoint: Endpoint.Endpoint,
  options: IntrospectOptions
) => Effect.Effect<Response, IntrospectionError, HttpClient.HttpClient> = internal.introspect
