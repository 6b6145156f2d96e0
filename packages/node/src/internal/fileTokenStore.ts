import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"

const failure = (method: string, pathOrDescription: string) => (cause: unknown) =>
  new PlatformError.SystemError({
    module: "KeyValueStore",
    method,
    reason: (cause as NodeJS.ErrnoException)?.code === "EACCES" ? "PermissionDenied" : "Unknown",
    pathOrDescriptor: pathOrDescription,
    cause
  })

const isMissing = (cause: unknown) => (cause as NodeJS.ErrnoException)?.code === "ENOENT"

/** @internal */
export const makeKeyValueStore = (directory: string): Effect.Effect<KeyValueStore.KeyValueStore> =>
  Effect.sync(() => {
    let ready: Promise<unknown> | undefined
    const ensureDirectory = () => (ready ??= fs.mkdir(directory, { recursive: true, mode: 0o700 }))
    const fileOf = (key: string) => path.join(directory, encodeURIComponent(key))

    const read = <A>(method: string, key: string, decode: (buffer: Buffer) => A) =>
      Effect.tryPromise({
        try: () =>
          fs.readFile(fileOf(key)).then(
            (buffer) => Option.some(decode(buffer)),
            (cause) => isMissing(cause) ? Option.none() : Promise.reject(cause)
          ),
        catch: failure(method, fileOf(key))
      })

    const set = (key: string, value: string | Uint8Array) =>
      Effect.tryPromise({
        try: async () => {
          await ensureDirectory()
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
        },
        catch: failure("set", fileOf(key))
      })

    const listRecords = () =>
      fs.readdir(directory).then(
        (names) => names.filter((name) => !name.endsWith(".tmp")),
        (cause) => isMissing(cause) ? [] : Promise.reject(cause)
      )

    return KeyValueStore.make({
      get: (key) => read("get", key, (buffer) => buffer.toString("utf8")),
      getUint8Array: (key) => read("getUint8Array", key, (buffer) => new Uint8Array(buffer)),
      set,
      remove: (key) =>
        Effect.tryPromise({ try: () => fs.rm(fileOf(key), { force: true }), catch: failure("remove", fileOf(key)) }),
      clear: Effect.tryPromise({
        try: async () => {
          for (const name of await listRecords()) await fs.rm(path.join(directory, name), { force: true })
        },
        catch: failure("clear", directory)
      }),
      size: Effect.tryPromise({ try: async () => (await listRecords()).length, catch: failure("size", directory) })
    })
  })
