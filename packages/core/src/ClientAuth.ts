/**
 * Client authentication at the token endpoint (RFC 6749 §2.3), as values.
 *
 * A `ClientAuth` says how the client proves who it is; {@link apply} turns it
 * into the headers and form parameters of a token request. Nothing is probed:
 * the server's documentation (or its metadata,
 * `token_endpoint_auth_methods_supported`) says which method to use.
 *
 * Secrets are `Redacted`: printing, logging or serialising a `ClientAuth`
 * never shows them.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Redacted from "effect/Redacted"
import * as Headers from "@effect/platform/Headers"
import * as UrlParams from "@effect/platform/UrlParams"

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
export type ClientAuth = ClientSecretBasic | ClientSecretPost | None

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

/**
 * Adds the client authentication to a token request: an `Authorization`
 * header for `client_secret_basic`, `client_id` (and `client_secret`) form
 * parameters otherwise. This is the last step before the request is sent:
 * its result holds the secret in clear.
 *
 * @since 0.1.0
 * @category combinators
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { Headers, UrlParams } from "@effect/platform"
 * import { Redacted } from "effect"
 *
 * const parts = ClientAuth.apply(
 *   { headers: Headers.empty, params: UrlParams.fromInput({ grant_type: "client_credentials" }) },
 *   ClientAuth.clientSecretBasic("my client", Redacted.make("s3cret"))
 * )
 * Headers.get(parts.headers, "authorization") // Option.some("Basic bXkrY2xpZW50OnMzY3JldA==")
 * ```
 */
export const apply: {
  (self: ClientAuth): (parts: TokenRequestParts) => TokenRequestParts
  (parts: TokenRequestParts, self: ClientAuth): TokenRequestParts
} = dual(2, (parts: TokenRequestParts, self: ClientAuth): TokenRequestParts => {
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
})
