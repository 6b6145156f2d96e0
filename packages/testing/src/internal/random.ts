import * as Encoding from "effect/Encoding"

/** 32 random bytes, base64url: opaque, unguessable and unique for any test run. @internal */
export const randomValue = (): string =>
  Encoding.encodeBase64Url(globalThis.crypto.getRandomValues(new Uint8Array(32)))
