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
 * Processes of one machine may share a directory: a refresh lease is a lock
 * file beside the records (`<hash of key>.lease.lock`, created exclusively,
 * mode 0600, holding a random owner and an expiry read from `Clock`; an
 * expired one — its process died — is taken over; it is removed on release),
 * and each compare-and-set or remove of a key runs holding the key's write
 * lock (`<hash of key>.write.lock`), so that two processes never both write
 * at one version, and a write fenced by a lease checks the lease under it.
 *
 * The locks rest on expiry: a lease held past its time to live without being
 * extended may be taken over, and so may the write lock of a process that
 * stalls for more than 5 seconds between taking it and writing — two
 * processes may then both write at one version, and one write be lost. The
 * write lock, and the guard file that a change of a lock is made under
 * (`….lease-guard.lock`, `….write-guard.lock`), are also taken over at once
 * when the process that holds them (its pid is in the file) is gone: the
 * processes must share a process namespace (not containers of their own).
 * Exclusive creation and hard links must be atomic, as they are on local
 * file systems (not on every network one). For a fleet of machines, use
 * `RedisTokenStore`.
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
 * is `"none"`, sealed with the cipher; its leases and compare-and-set hold
 * across the processes of this machine (see the module). Fails with a
 * {@link StoreDirectoryError} when the directory cannot be trusted (see
 * {@link makeKeyValueStore}).
 *
 * @since 0.1.1
 * @category constructors
 * @example
 * ```ts
 * import type { TokenStore } from "@grantflow/core"
 * import { FileTokenStore } from "@grantflow/node"
 * import { Duration, Effect } from "effect"
 *
 * declare const key: TokenStore.Key
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* FileTokenStore.make("/var/lib/my-integration/tokens", { encryption: "none" })
 *   return yield* store.acquireLease(key, Duration.seconds(10))
 * })
 * ```
 */
export const make: (
  directory: string,
  options: TokenStore.PersistentOptions
) => Effect.Effect<TokenStore.TokenStore["Type"], StoreDirectoryError> = internal.make

/**
 * {@link make} as a layer.
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
