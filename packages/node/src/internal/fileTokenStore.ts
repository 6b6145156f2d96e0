import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as PlatformError from "@effect/platform/Error"
import * as TokenError from "@grantflow/core/TokenError"
import * as TokenStore from "@grantflow/core/TokenStore"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as FileLocks from "./fileLocks.js"

const failure = (method: string, pathOrDescription: string) => (cause: unknown) =>
  new PlatformError.SystemError({
    module: "KeyValueStore",
    method,
    reason: (cause as NodeJS.ErrnoException)?.code === "EACCES" ? "PermissionDenied" : "Unknown",
    pathOrDescriptor: pathOrDescription,
    cause
  })

const errorCode = (cause: unknown) => (cause as NodeJS.ErrnoException)?.code

const isMissing = (cause: unknown) => errorCode(cause) === "ENOENT"

/**
 * The file name of a key: its SHA-256, in hex. A name derived from the key
 * itself outgrows the 255 bytes a file name may have (a Google client id and
 * three scope URLs make 322), and would show the key to anyone who can list
 * the directory.
 */
const fileName = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex")

/**
 * The name records had before they were named by hash, the key URL-encoded:
 * still read when a key has no record under its hash, and removed when the
 * key is next written or removed. Such a name may be too long to exist at
 * all: then there is nothing to read. `""`, `.` and `..` never named a record
 * (they name directories).
 */
const legacyName = (key: string): string | undefined => {
  const name = encodeURIComponent(key)
  return name === "" || name === "." || name === ".." ? undefined : name
}

const isAbsentLegacy = (cause: unknown) => isMissing(cause) || errorCode(cause) === "ENAMETOOLONG"

/** @internal */
export class StoreDirectoryError extends TokenError.TaggedError("StoreDirectoryError")<{
  readonly directory: string
  readonly reason: "WritableByOthers" | "NotOwned" | "NotADirectory" | "Inaccessible"
  /** The directory's permission bits, when it was examined. */
  readonly mode?: number | undefined
  /** The uid of the directory's owner, when it was examined. */
  readonly owner?: number | undefined
  readonly cause?: unknown
}> {
  override get message(): string {
    const where = `the token store directory ${this.directory}`
    switch (this.reason) {
      case "WritableByOthers":
        return `${where} can be written by other users (mode ${(this.mode ?? 0).toString(8).padStart(3, "0")}), ` +
          `who could replace its tokens; run \`chmod 700 ${this.directory}\` or choose another directory`
      case "NotOwned":
        return `${where} belongs to another user (uid ${this.owner}); give it to the user this process runs as ` +
          `(chown) and run \`chmod 700 ${this.directory}\`, or choose another directory`
      case "NotADirectory":
        return `${where} is not a directory; choose a directory path`
      case "Inaccessible":
        return `${where} could not be created or examined (the cause says why); check the path and its permissions`
    }
  }
}

/**
 * Creates `directory` (mode 0700) if it is missing, and refuses one that
 * other users could write to or that belongs to another user: they could
 * replace records or plant files under the names of records. Mode bits and
 * owners mean nothing on Windows, where only the directory itself is checked.
 */
const checkDirectory = (directory: string): Effect.Effect<void, StoreDirectoryError> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: async () => {
        // a file in the way is EEXIST even with `recursive`: it is named as such below
        await fs.mkdir(directory, { recursive: true, mode: 0o700 }).catch((cause) =>
          errorCode(cause) === "EEXIST" ? undefined : Promise.reject(cause)
        )
        return fs.stat(directory)
      },
      catch: (cause) => new StoreDirectoryError({ directory, reason: "Inaccessible", cause })
    }),
    (stats) => {
      const refuse = (reason: StoreDirectoryError["reason"]) =>
        Effect.fail(new StoreDirectoryError({ directory, reason, mode: stats.mode & 0o777, owner: stats.uid }))
      if (!stats.isDirectory()) return refuse("NotADirectory")
      if (process.platform === "win32") return Effect.void
      if ((stats.mode & 0o022) !== 0) return refuse("WritableByOthers")
      if (process.getuid !== undefined && stats.uid !== process.getuid()) return refuse("NotOwned")
      return Effect.void
    }
  )

/** @internal */
export const makeKeyValueStore = (directory: string): Effect.Effect<KeyValueStore.KeyValueStore, StoreDirectoryError> =>
  Effect.map(checkDirectory(directory), () => {
    const fileOf = (key: string) => path.join(directory, fileName(key))

    const readFile = (file: string, absent: (cause: unknown) => boolean) =>
      fs.readFile(file).then(Option.some, (cause) => absent(cause) ? Option.none<Buffer>() : Promise.reject(cause))

    const readLegacy = (key: string) => {
      const name = legacyName(key)
      return name === undefined ? Promise.resolve(Option.none<Buffer>()) : readFile(path.join(directory, name), isAbsentLegacy)
    }

    const read = <A>(method: string, key: string, decode: (buffer: Buffer) => A) =>
      Effect.tryPromise({
        try: async () => {
          const current = await readFile(fileOf(key), isMissing)
          return Option.map(Option.isSome(current) ? current : await readLegacy(key), decode)
        },
        catch: failure(method, fileOf(key))
      })

    const removeLegacy = async (key: string) => {
      const name = legacyName(key)
      if (name === undefined) return
      await fs.rm(path.join(directory, name), { force: true }).catch((cause) =>
        isAbsentLegacy(cause) ? undefined : Promise.reject(cause)
      )
    }

    const set = (key: string, value: string | Uint8Array) =>
      Effect.tryPromise({
        try: async () => {
          const target = fileOf(key)
          // Written beside the target and renamed over it: rename is atomic, so a
          // reader or a crash sees the old record or the new one, never a part.
          const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`
          try {
            await fs.writeFile(temporary, value, { mode: 0o600, flush: true })
            await fs.rename(temporary, target)
          } catch (cause) {
            await fs.rm(temporary, { force: true })
            throw cause
          }
          // only once the record is under its new name: a crash before leaves the old one readable
          await removeLegacy(key)
        },
        catch: failure("set", fileOf(key))
      })

    const listRecords = () =>
      fs.readdir(directory).then(
        (names) => names.filter((name) => !name.endsWith(".tmp") && !name.endsWith(".lock")),
        (cause) => isMissing(cause) ? [] : Promise.reject(cause)
      )

    return KeyValueStore.make({
      get: (key) => read("get", key, (buffer) => buffer.toString("utf8")),
      getUint8Array: (key) => read("getUint8Array", key, (buffer) => new Uint8Array(buffer)),
      set,
      remove: (key) =>
        Effect.tryPromise({
          try: async () => {
            await fs.rm(fileOf(key), { force: true })
            await removeLegacy(key)
          },
          catch: failure("remove", fileOf(key))
        }),
      clear: Effect.tryPromise({
        try: async () => {
          for (const name of await listRecords()) await fs.rm(path.join(directory, name), { force: true })
        },
        catch: failure("clear", directory)
      }),
      size: Effect.tryPromise({ try: async () => (await listRecords()).length, catch: failure("size", directory) })
    })
  })

/** @internal */
export const layerKeyValueStore = (directory: string): Layer.Layer<KeyValueStore.KeyValueStore, StoreDirectoryError> =>
  Layer.effect(KeyValueStore.KeyValueStore, makeKeyValueStore(directory))

/**
 * How long a process may hold a key's write lock — the few milliseconds of a
 * compare-and-set — before it counts as dead and the lock is taken over.
 */
const writeLockTtl = 5_000

/**
 * `store` (over the files of `directory`) with leases and writes that hold
 * across the processes of this machine: a lease is the lock file
 * `<hash of key>.lease.lock`, and each compare-and-set or remove of a key runs
 * holding `<hash of key>.write.lock`, checking the lease given (the fence)
 * and the version, then writing. Within this process, lock files are taken
 * one key at a time, so that its own fibers never wait for each other on a file.
 */
const crossProcess = (store: TokenStore.TokenStore["Type"], directory: string): TokenStore.TokenStore["Type"] => {
    const locks = FileLocks.make()
    const semaphores = new Map<string, Effect.Semaphore>()
    /** One lock operation on `key`'s files at a time in this process. */
    const serial = (key: TokenStore.Key) => {
      let semaphore = semaphores.get(key)
      if (semaphore === undefined) semaphores.set(key, semaphore = Effect.unsafeMakeSemaphore(1))
      return semaphore.withPermits(1)
    }
    const lockOf = (key: TokenStore.Key, kind: "lease" | "write") => path.join(directory, `${fileName(key)}.${kind}.lock`)
    const exclusive = (key: TokenStore.Key) => <A>(effect: Effect.Effect<A, TokenStore.TokenStoreError>) =>
      serial(key)(locks.withLock(lockOf(key, "write"), writeLockTtl)(effect))

    return TokenStore.TokenStore.of({
      get: store.get,
      set: (key, token, options) =>
        exclusive(key)(
          options.lease === undefined
            ? store.set(key, token, options)
            : Effect.flatMap(
              locks.holds(lockOf(key, "lease"), options.lease.owner),
              (mine): ReturnType<typeof store.set> =>
                mine
                  ? store.set(key, token, { expectedVersion: options.expectedVersion })
                  : Effect.succeed({ _tag: "Conflict", reason: "Lease" })
            )
        ),
      remove: (key, expectedVersion) => exclusive(key)(store.remove(key, expectedVersion)),
      acquireLease: (key, ttl) => {
        const file = lockOf(key, "lease")
        const millis = Duration.toMillis(ttl)
        return Effect.map(serial(key)(locks.take(file, millis)), Option.map((owner): TokenStore.Lease => ({
          owner,
          extend: serial(key)(locks.extend(file, owner, millis)),
          release: Effect.ignore(serial(key)(locks.release(file, owner)))
        })))
      }
    })
  }

/** @internal */
export const make = (
  directory: string,
  options: TokenStore.PersistentOptions
): Effect.Effect<TokenStore.TokenStore["Type"], StoreDirectoryError> =>
  Effect.flatMap(makeKeyValueStore(directory), (kv) =>
    Effect.map(TokenStore.fromKeyValueStore(kv, options), (store) => crossProcess(store, directory)))

/** @internal */
export const layer = (
  directory: string,
  options: TokenStore.PersistentOptions
): Layer.Layer<TokenStore.TokenStore, StoreDirectoryError> => Layer.effect(TokenStore.TokenStore, make(directory, options))
