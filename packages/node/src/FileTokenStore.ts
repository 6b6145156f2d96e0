/**
 * Tokens in files: a `KeyValueStore` over a directory that only its owner may
 * read (mode 0700, files 0600), written atomically — each record goes to a
 * temporary file that is then renamed over the old one, so a crash leaves
 * either the old record or the new one, never half of one — and the
 * `TokenStore` over it.
 *
 * Each file is named by the SHA-256 of its key, in hex: any key fits in a
 * file name, and a listing of the directory shows none. Records written
 * under the former names (the key, URL-encoded) are still read, and move to
 * the new name when they are next written.
 *
 * One process at a time per directory: compare-and-set and leases are atomic
 * within a process. For a fleet, use `RedisTokenStore`.
 *
 * @since 0.1.0
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import type * as TokenStore from "@grantflow/core/TokenStore"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as internal from "./internal/fileTokenStore.js"

/**
 * The store's directory cannot be trusted with tokens, so the store was not
 * made:
 *
 * - `WritableByOthers`: its group or other users may write to it (`mode`),
 *   and could replace or remove records;
 * - `NotOwned`: it belongs to another user (`owner`, a uid);
 * - `NotADirectory`: the path is something else;
 * - `Inaccessible`: it could not be created or examined (see `cause`).
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { FileTokenStore } from "@grantflow/node"
 *
 * const error = new FileTokenStore.StoreDirectoryError({ directory: "/tmp/tokens", reason: "WritableByOthers", mode: 0o777 })
 * error.message // "… run `chmod 700 /tmp/tokens` …"
 * ```
 */
export const StoreDirectoryError: typeof internal.StoreDirectoryError = internal.StoreDirectoryError

/**
 * A directory that cannot be trusted with tokens: see the
 * {@link StoreDirectoryError} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type StoreDirectoryError = internal.StoreDirectoryError

/**
 * A `KeyValueStore` over `directory`: one file per key, written atomically,
 * readable by the owner only. The directory is created (mode 0700) if it is
 * missing; one that other users may write to, or that belongs to another
 * user, is refused with a {@link StoreDirectoryError}.
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
export const makeKeyValueStore: (directory: string) => Effect.Effect<KeyValueStore.KeyValueStore, StoreDirectoryError> =
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
export const layerKeyValueStore: (directory: string) => Layer.Layer<KeyValueStore.KeyValueStore, StoreDirectoryError> =
  internal.layerKeyValueStore

/**
 * A `TokenStore` in `directory`, its records encoded and, unless `encryption`
 * is `"none"`, sealed with the cipher. Fails with a {@link StoreDirectoryError}
 * when the directory cannot be trusted (see {@link makeKeyValueStore}).
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
export const layer: (
  directory: string,
  options: TokenStore.PersistentOptions
) => Layer.Layer<TokenStore.TokenStore, StoreDirectoryError> = internal.layer
