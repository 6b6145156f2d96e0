import * as Data from "effect/Data"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Endpoint from "../Endpoint.js"
import type * as TokenError from "../TokenError.js"
import type * as TokenStore from "../TokenStore.js"

/** @internal */
export const TypeId: TokenError.TypeId = Symbol.for("@grantflow/core/TokenError") as TokenError.TypeId

/** @internal */
export const isGrantflowError = (u: unknown): u is TokenError.GrantflowError => Predicate.hasProperty(u, TypeId)

/** @internal */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

/** @internal */
export const terminalErrorCodes: ReadonlySet<string> = new Set([
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
  "access_denied",
  "invalid_target",
  // RFC 7591 §3.2.2: the registration request must change
  "invalid_redirect_uri",
  "invalid_client_metadata",
  "invalid_software_statement",
  "unapproved_software_statement"
])

// The OAuth error codes that a new attempt may get past, whatever the status.
const retryableCodes: ReadonlySet<string> = new Set(["temporarily_unavailable", "server_error", "use_dpop_nonce"])

// The errors whose retryability depends on what happened; every other one is never retryable.
type Conditional = TokenError.OAuthError | TokenError.EndpointUnavailable | TokenStore.TokenStoreError

/**
 * Whether trying the same operation again may succeed — the one place that
 * decides it:
 *
 * - `OAuthError`: a retryable status or a `temporarily_unavailable` /
 *   `server_error` code, but never a code that needs the client or the grant
 *   to change; and `use_dpop_nonce` (RFC 9449 §8), which reaches the caller
 *   only when the server asked again after the request's one nonce retry
 *   (its nonce rotated meanwhile): a new attempt proves the nonce it gave
 *   last;
 * - `EndpointUnavailable`: no answer (transport, time-out) or a retryable
 *   status;
 * - `TokenStoreError`: the store could not be reached (`Unavailable`), not a
 *   record that cannot be read;
 * - every other grantflow error, and anything else: no.
 *
 * @internal
 */
export const isRetryable = (u: unknown): boolean => {
  if (!isGrantflowError(u)) return false
  const error = u as Conditional
  switch (error._tag) {
    case "OAuthError":
      return !terminalErrorCodes.has(error.error) &&
        (isRetryableStatus(error.status) || retryableCodes.has(error.error))
    case "EndpointUnavailable":
      return Option.match(error.status, { onNone: () => true, onSome: isRetryableStatus })
    case "TokenStoreError":
      return error.reason === "Unavailable"
    default:
      return false
  }
}

/** @internal */
export const TaggedError: typeof TokenError.TaggedError = <Tag extends string>(tag: Tag) => {
  class Base extends Data.TaggedError(tag) {
    get retryable(): boolean {
      return isRetryable(this)
    }
  }
  // on the prototype: an own property would take part in structural equality and in `toJSON`
  Object.defineProperty(Base.prototype, TypeId, { value: TypeId })
  return Base as any
}

/**
 * How messages name each endpoint.
 *
 * @internal
 */
export const endpointName = (endpoint: Endpoint.Name): string => {
  switch (endpoint) {
    case "token":
      return "the token endpoint"
    case "revocation":
      return "the revocation endpoint"
    case "introspection":
      return "the introspection endpoint"
    case "deviceAuthorization":
      return "the device authorization endpoint"
    case "pushedAuthorization":
      return "the pushed authorization request endpoint"
    case "metadata":
      return "the issuer's metadata endpoint"
    case "jwks":
      return "the issuer's JWKS endpoint"
    case "registration":
      return "the client registration endpoint"
    case "resourceMetadata":
      return "the protected resource's metadata endpoint"
  }
}
