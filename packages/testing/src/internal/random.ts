import * as Encoding from "effect/Encoding"

const size = 32

// Filled for 128 values at a time: each `getRandomValues` call has a fixed
// cost of several microseconds.
const pool = new Uint8Array(size * 128)
let offset = pool.length

/** 32 random bytes, base64url: opaque, unguessable and unique for any test run. @internal */
export const randomValue = (): string => {
  if (offset === pool.length) {
    globalThis.crypto.getRandomValues(pool)
    offset = 0
  }
  offset += size
  return Encoding.encodeBase64Url(pool.subarray(offset - size, offset))
}
