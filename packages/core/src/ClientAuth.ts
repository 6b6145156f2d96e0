/**
 * Client authentication at the token endpoint (RFC 6749 §2.3), as values.
 *
 * A `ClientAuth` says how the client proves who it is; {@link authenticate}
 * turns it into the headers and form parameters of a request, signing a new
 * JWT assertion for `private_key_jwt` and `client_secret_jwt` (RFC 7523
 * §2.2) each time. Nothing is probed: the server's documentation (or its
 * metadata, `token_endpoint_auth_methods_supported`; see
 * `Discovery.chooseClientAuth`) says which method to use.
 *
 * Secrets are `Redacted`: printing, logging or serialising a `ClientAuth`
 * never shows them.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Headers from "@effect/platform/Headers"
import * as UrlParams from "@effect/platform/UrlParams"
import * as assertion from "./internal/assertion.js"
import type * as TokenError from "./TokenError.js"

/**
 * How the client id and secret are put into the `Authorization: Basic`
 * header:
 *
 * - `form` (the default, RFC 6749 §2.3.1): each is
 *   `application/x-www-form-urlencoded`-encoded first — a space becomes `+`,
 *   and every character but `A-Z a-z 0-9 * - . _` is percent-encoded as UTF-8;
 * - `raw`: both go in as they are, UTF-8, as in RFC 7617. Some servers
 *   expect this and reject encoded credentials that contain special
 *   characters. A client id that contains `:` cannot be sent this way.
 *
 * @since 0.1.0
 * @category models
 */
export type BasicEncoding = "form" | "raw"

/**
 * `client_secret_basic`: the client id and secret in an HTTP Basic
 * `Authorization` header.
 *
 * @since 0.1.0
 * @category models
 */
export class ClientSecretBasic extends Data.TaggedClass("ClientSecretBasic")<{
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly encoding: BasicEncoding
}> {
  /**
   * The method as `Inspectable.format` prints it; a `Redacted` secret or key
   * prints as `<redacted>`.
   *
   * @since 0.1.0
   */
  override toString(): string {
    return Inspectable.format(this)
  }
}

/**
 * `client_secret_post`: the client id and secret as `client_id` and
 * `client_secret` form parameters.
 *
 * @since 0.1.0
 * @category models
 */
export class ClientSecretPost extends Data.TaggedClass("ClientSecretPost")<{
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
}> {
  /**
   * The method as `Inspectable.format` prints it; a `Redacted` secret or key
   * prints as `<redacted>`.
   *
   * @since 0.1.0
   */
  override toString(): string {
    return Inspectable.format(this)
  }
}

/**
 * `none`: a public client, identified by its `client_id` form parameter only.
 *
 * @since 0.1.0
 * @category models
 */
export class None extends Data.TaggedClass("None")<{
  readonly clientId: string
}> {
  /**
   * The method as `Inspectable.format` prints it; a `Redacted` secret or key
   * prints as `<redacted>`.
   *
   * @since 0.1.0
   */
  override toString(): string {
    return Inspectable.format(this)
  }
}

/**
 * A private key for `private_key_jwt`: a WebCrypto `CryptoKey`, a JWK (as
 * parsed from a JSON file), a PKCS#8 PEM string
 * (`-----BEGIN PRIVATE KEY-----`), or an RSA key in PKCS#1 PEM
 * (`-----BEGIN RSA PRIVATE KEY-----`).
 *
 * @since 0.1.0
 * @category models
 */
export type PrivateKey = assertion.PrivateKey

/**
 * The signature algorithms of `private_key_jwt`.
 *
 * @since 0.1.0
 * @category models
 */
export type KeyAlgorithm = assertion.KeyAlgorithm

/**
 * The HMAC algorithms of `client_secret_jwt`.
 *
 * @since 0.1.0
 * @category models
 */
export type SecretAlgorithm = assertion.SecretAlgorithm

/**
 * `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): a JWT signed
 * with the client's private key, sent as `client_assertion`. A new assertion
 * is signed for every request.
 *
 * @since 0.1.0
 * @category models
 */
export class PrivateKeyJwt extends Data.TaggedClass("PrivateKeyJwt")<{
  readonly clientId: string
  readonly key: Redacted.Redacted<PrivateKey>
  readonly alg: KeyAlgorithm
  readonly kid: Option.Option<string>
  /** The SHA-256 thumbprint of the key's X.509 certificate, sent as the `x5t#S256` header. */
  readonly x5tS256: Option.Option<string>
  /** `None`: the URL of the endpoint the request goes to. */
  readonly audience: Option.Option<string>
  readonly lifetime: Duration.Duration
}> {
  /**
   * The method as `Inspectable.format` prints it; a `Redacted` secret or key
   * prints as `<redacted>`.
   *
   * @since 0.1.0
   */
  override toString(): string {
    return Inspectable.format(this)
  }
}

/**
 * `client_secret_jwt` (OpenID Connect Core §9): a JWT signed with an HMAC of
 * the client secret, sent as `client_assertion`; the secret itself never goes
 * on the wire. A new assertion is signed for every request.
 *
 * @since 0.1.0
 * @category models
 */
export class ClientSecretJwt extends Data.TaggedClass("ClientSecretJwt")<{
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly alg: SecretAlgorithm
  /** `None`: the URL of the endpoint the request goes to. */
  readonly audience: Option.Option<string>
  readonly lifetime: Duration.Duration
}> {
  /**
   * The method as `Inspectable.format` prints it; a `Redacted` secret or key
   * prints as `<redacted>`.
   *
   * @since 0.1.0
   */
  override toString(): string {
    return Inspectable.format(this)
  }
}

/**
 * A client authentication method.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientAuth = ClientSecretBasic | ClientSecretPost | None | PrivateKeyJwt | ClientSecretJwt

/**
 * Authenticates with HTTP Basic (`client_secret_basic`), the method every
 * server must support (RFC 6749 §2.3.1).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const auth = ClientAuth.clientSecretBasic("my-client", Redacted.make("s3cret"))
 * String(auth) // does not contain the secret
 * ```
 */
export const clientSecretBasic = (
  clientId: string,
  clientSecret: Redacted.Redacted<string>,
  options?: { readonly encoding?: BasicEncoding | undefined }
): ClientAuth => new ClientSecretBasic({ clientId, clientSecret, encoding: options?.encoding ?? "form" })

/**
 * Authenticates with form parameters (`client_secret_post`).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const auth = ClientAuth.clientSecretPost("my-client", Redacted.make("s3cret"))
 * ```
 */
export const clientSecretPost = (clientId: string, clientSecret: Redacted.Redacted<string>): ClientAuth =>
  new ClientSecretPost({ clientId, clientSecret })

/**
 * A public client, without a secret (`none`).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 *
 * const auth = ClientAuth.none("my-cli")
 * ```
 */
export const none = (clientId: string): ClientAuth => new None({ clientId })

/**
 * How long a client assertion is valid when no `lifetime` is given: 60
 * seconds, enough for one request, and within what servers accept.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { Duration } from "effect"
 *
 * Duration.toSeconds(ClientAuth.defaultAssertionLifetime) // 60
 * ```
 */
export const defaultAssertionLifetime: Duration.Duration = Duration.seconds(60)

/**
 * Authenticates with a JWT signed by the client's private key
 * (`private_key_jwt`, RFC 7523 §2.2). Every request carries a new assertion:
 * `iss` and `sub` the client id, `aud` the `audience` (by default the URL of
 * the endpoint the request goes to, e.g. the token endpoint), `iat` now and
 * `exp` `lifetime` later (default {@link defaultAssertionLifetime}), both
 * read from `Clock`, and a random `jti`.
 *
 * - `alg`: by default the JWK's `alg`, or what the key's type implies
 *   (`RS256` for RSA and for a PEM, `PS256` for an RSA-PSS `CryptoKey`,
 *   `ES256` for EC, `EdDSA` for Ed25519);
 * - `kid`: by default the JWK's `kid`; the header carries it when there is one;
 * - `x5tS256`: the base64url SHA-256 thumbprint of the X.509 certificate the
 *   key belongs to (RFC 7515 §4.1.8), by default the JWK's `x5t#S256`; the
 *   header carries it as `x5t#S256` when there is one, for servers that find
 *   the client's key by its certificate (Microsoft Entra ID).
 *
 * The key stays `Redacted`: printing the value never shows it. A key that
 * does not fit the algorithm fails each token request with a
 * `TokenError.InvalidTokenRequest`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * declare const pem: string // -----BEGIN PRIVATE KEY----- …
 *
 * const auth = ClientAuth.privateKeyJwt("my-client", Redacted.make(pem), { alg: "RS256", kid: "2024-01" })
 *
 * // a key registered as a certificate, found by the certificate's thumbprint
 * declare const thumbprint: string // base64url SHA-256 of the certificate's DER
 * const byCertificate = ClientAuth.privateKeyJwt("my-client", Redacted.make(pem), { alg: "PS256", x5tS256: thumbprint })
 * ```
 */
export const privateKeyJwt = (
  clientId: string,
  key: Redacted.Redacted<PrivateKey>,
  options?: {
    readonly alg?: KeyAlgorithm | undefined
    readonly kid?: string | undefined
    readonly x5tS256?: string | undefined
    readonly audience?: string | undefined
    readonly lifetime?: Duration.DurationInput | undefined
  }
): ClientAuth =>
  new PrivateKeyJwt({
    clientId,
    key,
    alg: options?.alg ?? assertion.inferAlgorithm(Redacted.value(key)),
    kid: options?.kid === undefined ? assertion.jwkKid(Redacted.value(key)) : Option.some(options.kid),
    x5tS256: options?.x5tS256 === undefined
      ? assertion.jwkX5tS256(Redacted.value(key))
      : Option.some(options.x5tS256),
    audience: Option.fromNullable(options?.audience),
    lifetime: Duration.decode(options?.lifetime ?? defaultAssertionLifetime)
  })

/**
 * Authenticates with a JWT signed with an HMAC of the client secret
 * (`client_secret_jwt`, OpenID Connect Core §9; `alg` default `HS256`). The
 * claims are those of {@link privateKeyJwt}; the secret never goes on the
 * wire.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const auth = ClientAuth.clientSecretJwt("my-client", Redacted.make("a-long-shared-secret"), {
 *   audience: "https://auth.example.com"
 * })
 * ```
 */
export const clientSecretJwt = (
  clientId: string,
  clientSecret: Redacted.Redacted<string>,
  options?: {
    readonly alg?: SecretAlgorithm | undefined
    readonly audience?: string | undefined
    readonly lifetime?: Duration.DurationInput | undefined
  }
): ClientAuth =>
  new ClientSecretJwt({
    clientId,
    clientSecret,
    alg: options?.alg ?? "HS256",
    audience: Option.fromNullable(options?.audience),
    lifetime: Duration.decode(options?.lifetime ?? defaultAssertionLifetime)
  })

/**
 * The method's name as registered for `token_endpoint_auth_method`
 * (RFC 7591), e.g. `client_secret_basic`.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 *
 * ClientAuth.methodName(ClientAuth.none("my-cli")) // "none"
 * ```
 */
export const methodName = (self: ClientAuth): string => {
  switch (self._tag) {
    case "ClientSecretBasic":
      return "client_secret_basic"
    case "ClientSecretPost":
      return "client_secret_post"
    case "None":
      return "none"
    case "PrivateKeyJwt":
      return "private_key_jwt"
    case "ClientSecretJwt":
      return "client_secret_jwt"
  }
}

/**
 * The headers and form parameters of a token request.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenRequestParts {
  readonly headers: Headers.Headers
  readonly params: UrlParams.UrlParams
}

const encoder = new TextEncoder()

const unreserved = (byte: number): boolean =>
  (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ||
  byte === 0x2a || byte === 0x2d || byte === 0x2e || byte === 0x5f

// The application/x-www-form-urlencoded byte serializer of the WHATWG URL
// standard, which RFC 6749 Appendix B refers to. Working on the UTF-8 bytes
// (rather than `encodeURIComponent`, which throws on lone surrogates and
// leaves `!'()~` alone) gives exactly what a form would send.
const formEncode = (value: string): string => {
  let out = ""
  for (const byte of encoder.encode(value)) {
    out += byte === 0x20
      ? "+"
      : unreserved(byte)
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return out
}

const base64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

const basicCredentials = (self: ClientSecretBasic): string => {
  const secret = Redacted.value(self.clientSecret)
  const pair = self.encoding === "form"
    ? `${formEncode(self.clientId)}:${formEncode(secret)}`
    : `${self.clientId}:${secret}`
  return `Basic ${base64(encoder.encode(pair))}`
}

// The methods whose parts are fixed: an `Authorization` header for
// client_secret_basic, form parameters otherwise. The JWT methods sign an
// assertion at send time, in `authenticate`.
const staticParts = (
  parts: TokenRequestParts,
  self: ClientSecretBasic | ClientSecretPost | None
): TokenRequestParts => {
  switch (self._tag) {
    case "ClientSecretBasic":
      return { headers: Headers.set(parts.headers, "authorization", basicCredentials(self)), params: parts.params }
    case "ClientSecretPost":
      return {
        headers: parts.headers,
        params: UrlParams.appendAll(parts.params, [
          ["client_id", self.clientId],
          ["client_secret", Redacted.value(self.clientSecret)]
        ])
      }
    case "None":
      return { headers: parts.headers, params: UrlParams.append(parts.params, "client_id", self.clientId) }
  }
}

/**
 * RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 *
 * ClientAuth.jwtAssertionType // "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
 * ```
 */
export const jwtAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/**
 * Adds the client authentication to a request for `endpoint` (the token,
 * device authorization, pushed authorization request or revocation
 * endpoint), whatever the method:
 *
 * - `client_secret_basic`: an `Authorization: Basic` header;
 * - `client_secret_post`: `client_id` and `client_secret` form parameters;
 * - `none`: the `client_id` form parameter;
 * - `private_key_jwt` and `client_secret_jwt`: a new assertion — a fresh
 *   `jti`, `iat` and `exp` from `Clock` — as `client_assertion`, with
 *   `client_id` and `client_assertion_type`.
 *
 * Run it when the request is sent, once per attempt: its result holds the
 * secret (or a signed assertion) in clear. A key that cannot sign fails with
 * `TokenError.InvalidTokenRequest`; the other methods always succeed.
 *
 * @since 0.1.0
 * @category combinators
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { Headers, UrlParams } from "@effect/platform"
 * import { Effect, Redacted } from "effect"
 *
 * const tokenUrl = new URL("https://auth.example.com/oauth/token")
 * const base = { headers: Headers.empty, params: UrlParams.fromInput({ grant_type: "client_credentials" }) }
 *
 * const program = Effect.gen(function*() {
 *   const basic = yield* ClientAuth.authenticate(base, ClientAuth.clientSecretBasic("my client", Redacted.make("s3cret")), tokenUrl)
 *   Headers.get(basic.headers, "authorization") // Option.some("Basic bXkrY2xpZW50OnMzY3JldA==")
 *
 *   // a new assertion, signed now, for this very request
 *   const signed = yield* ClientAuth.authenticate(
 *     base,
 *     ClientAuth.clientSecretJwt("my-client", Redacted.make("a-long-shared-secret")),
 *     tokenUrl
 *   )
 *   return UrlParams.getFirst(signed.params, "client_assertion_type")
 * })
 * ```
 */
export const authenticate: {
  (self: ClientAuth, endpoint: URL): (parts: TokenRequestParts) => Effect.Effect<TokenRequestParts, TokenError.InvalidTokenRequest>
  (parts: TokenRequestParts, self: ClientAuth, endpoint: URL): Effect.Effect<TokenRequestParts, TokenError.InvalidTokenRequest>
} = dual(3, (parts: TokenRequestParts, self: ClientAuth, endpoint: URL) => {
  if (self._tag !== "PrivateKeyJwt" && self._tag !== "ClientSecretJwt") return Effect.succeed(staticParts(parts, self))
  const signer: assertion.Signer = self._tag === "PrivateKeyJwt"
    ? { _tag: "Key", key: self.key, alg: self.alg, kid: self.kid, x5tS256: self.x5tS256 }
    : { _tag: "Secret", secret: self.clientSecret, alg: self.alg }
  const claims = {
    iss: self.clientId,
    sub: self.clientId,
    aud: Option.getOrElse(self.audience, () => endpoint.href)
  }
  return Effect.map(assertion.sign(signer, claims, self.lifetime, "client assertion"), (jwt) => ({
    headers: parts.headers,
    params: UrlParams.appendAll(parts.params, [
      ["client_id", self.clientId],
      ["client_assertion_type", jwtAssertionType],
      ["client_assertion", Redacted.value(jwt)]
    ])
  }))
})
