/**
 * Encryption at rest for persistent token stores: AES-256-GCM through
 * WebCrypto, with a key id stored beside every record so that keys can be
 * rotated — new records are sealed with the current key, old ones still open
 * with any previous key until they are rewritten.
 *
 * The record's store key is bound to the ciphertext as additional
 * authenticated data, so a record copied under another key does not open.
 *
 * @since 0.1.0
 */
import type * as Config from "effect/Config"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/tokenCipher.js"

/**
 * Seals and opens token records.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenCipher {
  /** Encrypts `plaintext` with the current key, bound to `context` (the store key). */
  readonly seal: (plaintext: string, context: string) => Effect.Effect<string>
  /** Decrypts a sealed record; fails when the key is unknown or the record was altered. */
  readonly open: (sealed: string, context: string) => Effect.Effect<string, DecryptionFailed>
}

/**
 * A sealed record could not be opened: it was sealed with a key id this
 * cipher does not hold (add the old key to `previous`), or it was altered or
 * truncated. The record itself is left as it is.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenCipher } from "@grantflow/core"
 *
 * const error = new TokenCipher.DecryptionFailed({ keyId: "k1", reason: "UnknownKey" })
 * error.message // names key id k1, never the key
 * ```
 */
export const DecryptionFailed: typeof internal.DecryptionFailed = internal.DecryptionFailed

/**
 * A record that could not be opened: see the {@link DecryptionFailed}
 * constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type DecryptionFailed = internal.DecryptionFailed

/**
 * A key given to {@link aesGcm}: an id stored with every record it seals, and
 * 32 bytes of key material, base64 or base64url encoded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Key {
  readonly id: string
  readonly secret: Redacted.Redacted<string>
}

/**
 * The key given is unusable: not 32 bytes once decoded, an empty or
 * duplicated id, or an id with a `.` (the record separator).
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { TokenCipher } from "@grantflow/core"
 *
 * const error = new TokenCipher.InvalidKey({ keyId: "k1", reason: "must decode to 32 bytes" })
 * ```
 */
export const InvalidKey: typeof internal.InvalidKey = internal.InvalidKey

/**
 * An unusable key: see the {@link InvalidKey} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type InvalidKey = internal.InvalidKey

/**
 * An AES-256-GCM cipher sealing with `current` and opening records of
 * `current` or any of `previous`. A fresh 96-bit IV is drawn for every seal.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenCipher } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * const cipher = TokenCipher.aesGcm({
 *   current: { id: "2026-11", secret: Redacted.make("base64 of 32 random bytes") },
 *   previous: [{ id: "2026-05", secret: Redacted.make("the old key") }]
 * })
 * ```
 */
export const aesGcm: (options: {
  readonly current: Key
  readonly previous?: ReadonlyArray<Key> | undefined
}) => Effect.Effect<TokenCipher, InvalidKey> = internal.aesGcm

/**
 * Reads the keys of {@link aesGcm} from `Config`: `<PREFIX>_KEY` is
 * `<id>:<base64 key>`, and the optional `<PREFIX>_PREVIOUS_KEYS` a
 * comma-separated list of the same. The prefix defaults to
 * `GRANTFLOW_STORE`. Both are read with `Config.redacted`.
 *
 * Generate a key with `openssl rand -base64 32`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenCipher } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * // GRANTFLOW_STORE_KEY=2026-11:q8Yx…=  GRANTFLOW_STORE_PREVIOUS_KEYS=2026-05:Zm9v…=
 * const cipher = Effect.flatMap(TokenCipher.keysConfig(), TokenCipher.aesGcm)
 * ```
 */
export const keysConfig: (prefix?: string) => Config.Config<{
  readonly current: Key
  readonly previous: ReadonlyArray<Key>
}> = internal.keysConfig
