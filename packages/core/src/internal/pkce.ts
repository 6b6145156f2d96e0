import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

/** The unreserved characters of RFC 3986, which a code verifier is made of (RFC 7636 §4.1). */
const unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

// 256 is not a multiple of 66: bytes at or above the largest multiple are
// drawn again, so that every character is equally likely.
const limit = 256 - (256 % unreserved.length)

/** @internal */
export const minVerifierLength = 43

/** @internal */
export const maxVerifierLength = 128

/** @internal */
export const defaultVerifierLength = 64

/**
 * A code verifier of `length` characters from the unreserved set, drawn from
 * `crypto.getRandomValues`.
 *
 * @internal
 */
export const unsafeVerifier = (length: number): Redacted.Redacted<string> => {
  if (!Number.isInteger(length) || length < minVerifierLength || length > maxVerifierLength) {
    throw new RangeError(
      `PKCE: a code verifier has ${minVerifierLength} to ${maxVerifierLength} characters (RFC 7636 §4.1), got ${length}`
    )
  }
  let out = ""
  const bytes = new Uint8Array(length * 2)
  while (out.length < length) {
    crypto.getRandomValues(bytes)
    for (const byte of bytes) {
      if (byte < limit) out += unreserved[byte % unreserved.length]
      if (out.length === length) break
    }
  }
  return Redacted.make(out)
}

/**
 * `length` random bytes, base64url-encoded: for `state` and `nonce`.
 *
 * @internal
 */
export const unsafeRandomToken = (bytes = 32): string => base64Url(randomBytes(bytes))

// Random bytes are drawn from the platform in blocks: each call of getRandomValues costs about 10 µs in
// Node, and a DPoP client needs 16 bytes (a jti) per API request. Every byte handed out is used once.
const pool = new Uint8Array(4096)
let poolOffset = pool.length

const randomBytes = (count: number): Uint8Array => {
  if (count > pool.length) return crypto.getRandomValues(new Uint8Array(count))
  if (poolOffset + count > pool.length) {
    crypto.getRandomValues(pool)
    poolOffset = 0
  }
  const bytes = pool.slice(poolOffset, poolOffset + count)
  poolOffset += count
  return bytes
}

/** @internal */
export const base64Url = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/={1,2}$/, "")
}

/**
 * The code challenge of a verifier: `BASE64URL(SHA-256(ASCII(verifier)))`
 * for `S256`, the verifier itself for `plain` (RFC 7636 §4.2).
 *
 * @internal
 */
export const challenge = (verifier: Redacted.Redacted<string>, method: "S256" | "plain"): Effect.Effect<string> =>
  method === "plain"
    ? Effect.sync(() => Redacted.value(verifier))
    : Effect.map(
      Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(Redacted.value(verifier)))),
      (digest) => base64Url(new Uint8Array(digest))
    )
