import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as TokenVerifier from "../TokenVerifier.js"
import * as tokenVerifier from "./tokenVerifier.js"

const encoder = new TextEncoder()

/**
 * The SHA-256 digest of a secret. Comparing digests rather than the values
 * makes every comparison the same length, whatever the lengths of the values.
 *
 * @internal
 */
export const digest = (value: Redacted.Redacted<string>): Effect.Effect<Uint8Array> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", encoder.encode(Redacted.value(value)))).pipe(
    Effect.map((buffer) => new Uint8Array(buffer))
  )

/**
 * Compares two digests without an early exit: the time taken does not
 * depend on where they differ.
 *
 * @internal
 */
export const equalDigests = (a: Uint8Array, b: Uint8Array): boolean => {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ (b[i] ?? 0)
  return difference === 0
}

/** @internal */
export const make = (options: TokenVerifier.StaticTokenOptions): Effect.Effect<TokenVerifier.TokenVerifier["Type"]> =>
  Effect.gen(function*() {
    if (Redacted.value(options.current) === "") {
      return yield* Effect.dieMessage("TokenVerifier.staticToken: the current token is empty")
    }
    const accepted = [yield* digest(options.current)]
    if (options.previous !== undefined && Redacted.value(options.previous) !== "") {
      accepted.push(yield* digest(options.previous))
    }
    const verified = new tokenVerifier.VerifiedToken({
      subject: Option.fromNullable(options.subject),
      clientId: Option.none(),
      scopes: options.scopes ?? [],
      issuer: Option.none(),
      audience: [],
      expiresAt: Option.none(),
      claims: {}
    })
    const mismatch = new tokenVerifier.VerificationFailed({ reason: "Mismatch" })
    return {
      verify: (token) =>
        Effect.flatMap(digest(token), (presented) => {
          // every accepted value is compared, so the time does not tell which one matched
          let matched = false
          for (const value of accepted) matched = equalDigests(presented, value) || matched
          return matched ? Effect.succeed(verified) : Effect.fail(mismatch)
        })
    }
  })

/** @internal */
export const config = (
  options: TokenVerifier.StaticTokenConfigOptions = {}
): Config.Config<Effect.Effect<TokenVerifier.TokenVerifier["Type"]>> => {
  const tokens = Config.all({
    current: Config.redacted("TOKEN").pipe(
      Config.validate({ message: "must not be empty", validation: (value) => Redacted.value(value) !== "" })
    ),
    previous: Config.option(Config.redacted("PREVIOUS_TOKEN"))
  })
  return Config.map(
    options.prefix === undefined ? tokens : Config.nested(tokens, options.prefix),
    ({ current, previous }) =>
      make({ current, previous: Option.getOrUndefined(previous), scopes: options.scopes, subject: options.subject })
  )
}
