import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"

/** The PKCE transformations (RFC 7636 §4.2). @internal */
export type Method = "S256" | "plain"

/** @internal */
export const isMethod = (method: string): method is Method => method === "S256" || method === "plain"

/** A verifier, or a challenge: 43 to 128 unreserved characters (RFC 7636 §4.1, §4.2). @internal */
export const isWellFormed = (value: string): boolean => /^[\w.~-]{43,128}$/.test(value)

/** The challenge of `verifier` under `method`. @internal */
export const challengeOf = (verifier: string, method: Method): Effect.Effect<string> =>
  method === "plain"
    ? Effect.succeed(verifier)
    : Effect.map(
      Effect.promise(() => globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
      (digest) => Encoding.encodeBase64Url(new Uint8Array(digest))
    )

/** Whether `verifier` is well formed and matches `challenge` (RFC 7636 §4.6). @internal */
export const verify = (verifier: string, challenge: string, method: Method): Effect.Effect<boolean> =>
  isWellFormed(verifier)
    ? Effect.map(challengeOf(verifier, method), (computed) => computed === challenge)
    : Effect.succeed(false)
