import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as TokenError from "@grantflow/core/TokenError"
import type * as TokenVerifierModule from "../TokenVerifier.js"

// The verifiers (static, JWT, introspection) and the issuer's endpoints build
// these values: they live here, where every one of them can import them.

/** @internal */
export class VerifiedToken extends Data.Class<{
  readonly subject: Option.Option<string>
  readonly clientId: Option.Option<string>
  readonly scopes: ReadonlyArray<string>
  readonly issuer: Option.Option<string>
  readonly audience: ReadonlyArray<string>
  readonly expiresAt: Option.Option<number>
  readonly claims: Readonly<Record<string, unknown>>
}> {}

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
  Mismatch: "The access token is not valid"
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
    return `the access token was refused: ${this.description.replace(/^The access token /, "it ")}` +
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
