import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AccessToken from "../AccessToken.js"
import * as ClientAuth from "../ClientAuth.js"
import type * as Discovery from "../Discovery.js"
import type * as Registration from "../Registration.js"
import type * as TokenStore from "../TokenStore.js"
import * as TokenError from "../TokenError.js"
import * as endpoint from "./endpoint.js"
import * as printable from "./printable.js"
import * as tokenRequest from "./tokenRequest.js"
import * as tokenStore from "./tokenStore.js"

/**
 * The largest registration response read, 64 KiB: a client information
 * response is the metadata sent plus a few credentials.
 *
 * @internal
 */
export const maxBytes = 64 * 1024

// the fields of the client information response (RFC 7591 §3.2.1) that are not client metadata
const credentialFields: ReadonlySet<string> = new Set([
  "client_id",
  "client_secret",
  "client_id_issued_at",
  "client_secret_expires_at",
  "registration_access_token",
  "registration_client_uri"
])

const maxIdLength = 1024

const optionalString = (
  body: Readonly<Record<string, unknown>>,
  field: string
): Either.Either<Option.Option<string>, tokenRequest.Problem> => {
  const value = body[field]
  if (value === undefined || value === null) return Either.right(Option.none())
  if (typeof value !== "string" || value === "") {
    return Either.left({ field, reason: "is not a non-empty string" })
  }
  return Either.right(Option.some(value))
}

// seconds since the epoch (RFC 7591 §3.2.1), as epoch milliseconds; 0 means "never" for the secret's expiry
const optionalTime = (
  body: Readonly<Record<string, unknown>>,
  field: string
): Either.Either<Option.Option<number>, tokenRequest.Problem> => {
  const value = body[field]
  if (value === undefined || value === null) return Either.right(Option.none())
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    return Either.left({ field, reason: "is not a time in whole seconds since the epoch" })
  }
  return Either.right(value === 0 ? Option.none() : Option.some(value * 1000))
}

/**
 * Decodes a client information response (RFC 7591 §3.2.1): a `client_id`
 * is required; the secret and the registration access token stay
 * `Redacted`, and no problem quotes them; the other fields are the client's
 * registered metadata.
 *
 * @internal
 */
export const decode = (
  body: Readonly<Record<string, unknown>>
): Either.Either<Registration.RegisteredClient, tokenRequest.Problem> =>
  Either.gen(function*() {
    const clientId = body["client_id"]
    if (typeof clientId !== "string" || clientId === "") {
      return yield* Either.left({ field: "client_id", reason: "is missing or not a non-empty string" })
    }
    if (clientId.length > maxIdLength || printable.text(clientId) !== clientId) {
      return yield* Either.left({ field: "client_id", reason: "is too long or holds control characters" })
    }
    const clientSecret = yield* optionalString(body, "client_secret")
    const registrationAccessToken = yield* optionalString(body, "registration_access_token")
    const registrationClientUri = yield* optionalString(body, "registration_client_uri")
    const clientIdIssuedAt = yield* optionalTime(body, "client_id_issued_at")
    const clientSecretExpiresAt = yield* optionalTime(body, "client_secret_expires_at")
    const method = body["token_endpoint_auth_method"]
    if (method !== undefined && typeof method !== "string") {
      return yield* Either.left({ field: "token_endpoint_auth_method", reason: "is not a string" })
    }
    return {
      clientId,
      clientSecret: Option.map(clientSecret, Redacted.make),
      clientIdIssuedAt,
      clientSecretExpiresAt: Option.isSome(clientSecret) ? clientSecretExpiresAt : Option.none(),
      registrationAccessToken: Option.map(registrationAccessToken, Redacted.make),
      registrationClientUri,
      // RFC 7591 §2: client_secret_basic when the server does not say
      tokenEndpointAuthMethod: method ?? (Option.isSome(clientSecret) ? "client_secret_basic" : "none"),
      metadata: Object.fromEntries(Object.entries(body).filter(([field]) => !credentialFields.has(field)))
    }
  })

/**
 * Interprets the registration endpoint's answer (RFC 7591 §3.2): a 2xx —
 * 201 as the RFC says, 200 as some servers answer — JSON object decoded by
 * {@link decode}; an error body (`invalid_redirect_uri`,
 * `invalid_client_metadata`, …) is an `OAuthError` naming the
 * `registration` endpoint.
 *
 * @internal
 */
export const interpret = (
  response: tokenRequest.RawResponse
): Either.Either<Registration.RegisteredClient, tokenRequest.Failure> =>
  tokenRequest.interpretJson(response, "registration", decode)

const registrationUrl = (
  target: string | URL | Discovery.Metadata,
  allowInsecure: boolean
): Either.Either<URL, TokenError.InvalidTokenRequest> => {
  if (typeof target === "string" || target instanceof URL) {
    return endpoint.checkEndpointUrl(target, allowInsecure, "registration URL")
  }
  return Option.match(target.registrationEndpoint, {
    onNone: () =>
      Either.left(
        new TokenError.InvalidTokenRequest({
          reason: "the issuer's metadata names no registration endpoint (registration_endpoint): " +
            "register the client with the provider by hand"
        })
      ),
    onSome: (url) => endpoint.checkEndpointUrl(url, allowInsecure, "registration URL")
  })
}

/** @internal */
export const register = (
  target: string | URL | Discovery.Metadata,
  metadata: Registration.ClientMetadata,
  options: Registration.RegisterOptions = {}
): Effect.Effect<Registration.RegisteredClient, TokenError.TokenError, HttpClient.HttpClient> =>
  Effect.flatMap(registrationUrl(target, options.allowInsecure === true), (url) =>
    tokenRequest.postJson({
      endpoint: "registration",
      url,
      body: metadata,
      bearer: options.initialAccessToken,
      timeout: Duration.decode(options.timeout ?? endpoint.defaultTimeout),
      maxBytes
    }).pipe(
      Effect.flatMap(interpret),
      Effect.withSpan("grantflow.client_registration", {
        kind: "client",
        attributes: { "server.address": url.host, "url.path": url.pathname }
      })
    ))

/** @internal */
export const auth = (client: Registration.RegisteredClient): ClientAuth.ClientAuth =>
  Option.match(client.clientSecret, {
    onNone: () => ClientAuth.none(client.clientId),
    onSome: (secret) =>
      client.tokenEndpointAuthMethod === "client_secret_post"
        ? ClientAuth.clientSecretPost(client.clientId, secret)
        : ClientAuth.clientSecretBasic(client.clientId, secret)
  })

// A registered client kept in a token store as a token record, so that it is
// sealed as tokens are when the store encrypts: the secret is the token, the
// registration access token the refresh token, the secret's expiry the
// token's, and the client id and authentication method its "scopes".
const recordType = "grantflow-registered-client"
const noSecret = "(none)"
const never = Number.MAX_SAFE_INTEGER

const toRecord = (client: Registration.RegisteredClient): AccessToken.AccessToken =>
  new AccessToken.AccessToken({
    token: Option.getOrElse(client.clientSecret, () => Redacted.make(noSecret)),
    type: recordType,
    issuedAt: Option.getOrElse(client.clientIdIssuedAt, () => 0),
    expiresAt: Option.getOrElse(client.clientSecretExpiresAt, () => never),
    scopes: [client.clientId, client.tokenEndpointAuthMethod],
    refreshToken: client.registrationAccessToken
  })

const fromRecord = (token: AccessToken.AccessToken): Option.Option<Registration.RegisteredClient> => {
  const [clientId, method] = token.scopes
  if (token.type !== recordType || clientId === undefined || method === undefined) return Option.none()
  const secret = Redacted.value(token.token) === noSecret ? Option.none() : Option.some(token.token)
  return Option.some({
    clientId,
    clientSecret: secret,
    clientIdIssuedAt: token.issuedAt === 0 ? Option.none() : Option.some(token.issuedAt),
    clientSecretExpiresAt: token.expiresAt === never ? Option.none() : Option.some(token.expiresAt),
    registrationAccessToken: token.refreshToken,
    registrationClientUri: Option.none(),
    tokenEndpointAuthMethod: method,
    metadata: {}
  })
}

/** @internal */
export const isUsable = (client: Registration.RegisteredClient, now: number): boolean =>
  Option.match(client.clientSecretExpiresAt, { onNone: () => true, onSome: (expiresAt) => now < expiresAt })

/** @internal */
export const cached = <E, R>(
  key: TokenStore.Key,
  register: Effect.Effect<Registration.RegisteredClient, E, R>
): Effect.Effect<Registration.RegisteredClient, E | tokenStore.TokenStoreError, R | tokenStore.TokenStore> =>
  Effect.gen(function*() {
    const store = yield* tokenStore.TokenStore
    const stored = yield* store.get(key).pipe(
      // a record that is not a registered client is replaced by a new registration
      Effect.catchIf((error) => error.reason === "Corrupt", () => Effect.succeedNone)
    )
    const now = yield* Clock.currentTimeMillis
    const client = Option.flatMap(stored, (entry) => fromRecord(entry.token))
    if (Option.isSome(client) && isUsable(client.value, now)) return client.value
    const registered = yield* register
    yield* tokenStore.save(key, toRecord(registered))
    return registered
  })
