import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as TokenError from "@grantflow/core/TokenError"
import type * as DpopProof from "../DpopProof.js"
import type * as TokenVerifierModule from "../TokenVerifier.js"

// The verifiers (static, JWT, introspection) and the issuer's endpoints build
// these values: they live here, where every one of them can import them.

/**
 * The asymmetric signature algorithms: the only ones a JWT access token or a
 * DPoP proof may be signed with, so that a public key never serves as an
 * HMAC secret.
 *
 * @internal
 */
export const asymmetricAlgorithms: ReadonlyArray<TokenVerifierModule.Algorithm> = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA"
]

/**
 * The thumbprint a token is bound to (RFC 9449 §6: `cnf.jkt`, in a JWT or an
 * introspection answer), if it is bound. A `cnf.jkt` that is not a string
 * is an empty thumbprint, which no key has: the token is bound, to nothing
 * a caller can prove.
 *
 * @internal
 */
export const boundThumbprint = (claims: Readonly<Record<string, unknown>>): Option.Option<string> => {
  const cnf = claims["cnf"]
  if (!Predicate.isRecord(cnf) || !("jkt" in cnf)) return Option.none()
  return Option.some(typeof cnf["jkt"] === "string" ? cnf["jkt"] : "")
}

/** @internal */
export class VerifiedToken extends Data.Class<{
  readonly subject: Option.Option<string>
  readonly clientId: Option.Option<string>
  readonly scopes: ReadonlyArray<string>
  readonly issuer: Option.Option<string>
  readonly audience: ReadonlyArray<string>
  readonly expiresAt: Option.Option<number>
  readonly claims: Readonly<Record<string, unknown>>
}> {
  /**
   * The RFC 7638 thumbprint of the DPoP key the token is bound to (its
   * `cnf.jkt`), if it is DPoP-bound (RFC 9449 §6).
   *
   * @since 0.1.0
   */
  get dpopThumbprint(): Option.Option<string> {
    return boundThumbprint(this.claims)
  }
}

/** @internal */
export const hasScopes = (token: VerifiedToken, scopes: ReadonlyArray<string>): boolean =>
  scopes.every((scope) => token.scopes.includes(scope))

const descriptions: Record<TokenVerifierModule.FailureReason, string> = {
  Malformed: "The access token is malformed",
  Algorithm: "The access token is signed with an algorithm that is not accepted",
  UnknownKey: "The access token is signed with an unknown key",
  Signature: "The access token signature is invalid",
  Type: "The access token is not a JWT access token (typ at+jwt)",
  Expired: "The access token expired",
  NotYetValid: "The access token is not valid yet",
  Issuer: "The access token was issued by another issuer",
  Audience: "The access token is not meant for this resource",
  Inactive: "The access token is not active",
  Mismatch: "The access token is not valid",
  DpopMissing: "The request has no DPoP proof",
  DpopMalformed: "The DPoP header is not one well-formed DPoP proof",
  DpopType: "The DPoP proof's typ is not dpop+jwt",
  DpopAlgorithm: "The DPoP proof is signed with an algorithm that is not accepted",
  DpopKey: "The DPoP proof's jwk is not an accepted public key for its alg",
  DpopSignature: "The DPoP proof's signature does not verify with its jwk",
  DpopMethod: "The DPoP proof's htm is not the method of the request",
  DpopUrl: "The DPoP proof's htu is not the URL of the request",
  DpopNonce: "The DPoP proof lacks the server's current nonce",
  DpopTime: "The DPoP proof's iat is too far from the server's time",
  DpopTokenHash: "The DPoP proof's ath is not the hash of the access token",
  DpopReplay: "The DPoP proof was already used",
  DpopKeyMismatch: "The access token is bound to another key than the DPoP proof's",
  DpopBound: "The access token is DPoP-bound: send it with the DPoP scheme and a proof",
  DpopUnbound: "The access token is not DPoP-bound: send it as a Bearer token",
  DpopRequired: "The resource accepts DPoP-bound access tokens only"
}

/** @internal */
export class VerificationFailed extends TokenError.TaggedError("VerificationFailed")<{
  readonly reason: TokenVerifierModule.FailureReason
  readonly cause?: unknown
}> {
  /**
   * A short, secret-free sentence for `error_description`.
   *
   * @since 0.1.0
   */
  get description(): string {
    return descriptions[this.reason]
  }

  override get message(): string {
    const description = this.description
    if (!description.startsWith("The access token ")) {
      return `the request was refused: ${description.charAt(0).toLowerCase()}${description.slice(1)}`
    }
    return `the access token was refused: it ${description.slice("The access token ".length)}` +
      (this.reason === "UnknownKey"
        ? " (the issuer's keys were fetched again, unless they were fetched within the cool-down)"
        : "")
  }
}

/** @internal */
export class TokenVerifier extends Context.Tag("@grantflow/resource-server/TokenVerifier")<TokenVerifier, {
  /** Verifies a bearer token; the value is never logged or put in an error. */
  readonly verify: (
    token: Redacted.Redacted<string>
  ) => Effect.Effect<VerifiedToken, TokenVerifierModule.VerificationError>
  /** The DPoP proof checks, when the verifier takes DPoP-bound tokens (RFC 9449). */
  readonly dpop?: DpopProof.Verifier | undefined
}>() {}

/** @internal */
export const layer = <E, R>(
  make: Effect.Effect<TokenVerifier["Type"], E, R>
): Layer.Layer<TokenVerifier, E, Exclude<R, Scope.Scope>> => Layer.scoped(TokenVerifier, make)

/** @internal */
export const layerConfig = <E, R>(
  config: Config.Config<Effect.Effect<TokenVerifier["Type"], E, R>>
): Layer.Layer<TokenVerifier, E | ConfigError.ConfigError, Exclude<R, Scope.Scope>> =>
  Layer.scoped(TokenVerifier, Effect.flatten(config))
