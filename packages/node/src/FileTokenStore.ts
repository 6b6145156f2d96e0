/**
 * Tokens in files: a `KeyValueStore` over a directory that only its owner may
 * read (mode 0700, files 0600), written atomically — each record goes to a
 * temporary file that is then renamed over the old one, so a crash leaves
 * either the old record or the new one, never half of one — and the
 * `TokenStore` over it.
 *
 * One process at a time per directory: compare-and-set and leases are atomic
 * within a process. For a fleet, use `RedisTokenStore`.
 *
 * @since 0.1.0
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as TokenStore from "@grantflow/core/TokenStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as internal from "./internal/fileTokenStore.js"

/**
 * A `KeyValueStore` over `directory` (created if missing): one file per key,
 * written atomically, readable by the owner only.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { FileTokenStore } from "@grantflow/node"
 *
 * const kv = FileTokenStore.makeKeyValueStore("/var/lib/my-integration/tokens")
 * ```
 */
export const makeKeyValueStore: (directory: string) => Effect.Effect<KeyValueStore.KeyValueStore> =
  internal.makeKeyValueStore

/**
 * The atomic file `KeyValueStore` as a layer.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { FileTokenStore } from "@grantflow/node"
 *
 * const KeyValueLive = FileTokenStore.layerKeyValueStore("/var/lib/my-integration/tokens")
 * ```
 */
export const layerKeyValueStore = (directory: string): Layer.Layer<KeyValueStore.KeyValueStore> =>
  Layer.effect(KeyValueStore.KeyValueStore, makeKeyValueStore(directory))

/**
 * A `TokenStore` in `directory`, its records encoded and, unless `encryption`
 * is `"none"`, sealed with the cipher.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { TokenCipher } from "@grantflow/core"
 * import { FileTokenStore } from "@grantflow/node"
 * import { Effect, Layer } from "effect"
 *
 * const StoreLive = Layer.unwrapEffect(
 *   Effect.map(Effect.flatMap(TokenCipher.keysConfig(), TokenCipher.aesGcm), (cipher) =>
 *     FileTokenStore.layer("/var/lib/my-integration/tokens", { encryption: cipher }))
 * )
 * ```
 */
export const layer = (directory: string, options: TokenStore.PersistentOptions): Layer.Layer<TokenStore.TokenStore> =>
  Layer.effect(
    TokenStore.TokenStore,
    Effect.flatMap(makeKeyValueStore(directory), (kv) => TokenStore.fromKeyValueStore(kv, options))
  )
