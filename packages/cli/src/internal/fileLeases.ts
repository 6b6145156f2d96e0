/**
 * Refresh leases between processes, for the connections of the `grantflow`
 * command: two `grantflow request` runs of one connection (a script running
 * calls in parallel) must not both refresh with the same refresh token — with
 * rotation, the second use looks like a stolen token and the server revokes
 * the whole family.
 *
 * The file token store's own leases hold within one process. This wraps a
 * store so that its leases are lock files: `<directory>/<sha256 of key>.lock`,
 * created exclusively (mode 0600), holding the owner and the lease's expiry;
 * a lock whose expiry has passed (its process died) is taken over. A write
 * fenced by a lease checks that the lock is still this owner's.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as TokenStore from "@grantflow/core/TokenStore"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import { createHash } from "node:crypto"
import { join } from "node:path"

interface Lock {
  readonly owner: string
  readonly until: number
}

const parse = (text: string): Option.Option<Lock> => {
  try {
    const lock = JSON.parse(text) as Partial<Lock>
    return typeof lock.owner === "string" && typeof lock.until === "number"
      ? Option.some({ owner: lock.owner, until: lock.until })
      : Option.none()
  } catch {
    return Option.none()
  }
}

/**
 * `store` with leases held as lock files in `directory` (which must exist,
 * owned by this user, mode 0700).
 *
 * @internal
 */
export const withFileLeases = (
  store: TokenStore.TokenStore["Type"],
  directory: string
): Effect.Effect<TokenStore.TokenStore["Type"], never, FileSystem.FileSystem> =>
  Effect.map(FileSystem.FileSystem, (fs) => {
    const fileOf = (key: string) => join(directory, `${createHash("sha256").update(key).digest("hex")}.lock`)

    /** The lock on `file` now; none when there is none or it cannot be read. */
    const current = (file: string) =>
      fs.readFileString(file).pipe(Effect.map(parse), Effect.orElseSucceed(() => Option.none<Lock>()))

    const holds = (file: string, owner: string) =>
      Effect.zipWith(current(file), Clock.currentTimeMillis, (lock, now) =>
        Option.exists(lock, (lock) => lock.owner === owner && lock.until > now))

    const write = (file: string, lock: Lock, flag: "wx" | "w") =>
      fs.writeFileString(file, JSON.stringify(lock), { flag, mode: 0o600 })

    const acquireLease = (key: TokenStore.Key, ttl: Duration.Duration) =>
      Effect.gen(function*() {
        const file = fileOf(key)
        const owner = Encoding.encodeHex(crypto.getRandomValues(new Uint8Array(16)))
        const millis = Duration.toMillis(ttl)
        const take = Effect.flatMap(Clock.currentTimeMillis, (now) => write(file, { owner, until: now + millis }, "wx"))
        const taken = yield* take.pipe(
          Effect.as(true),
          Effect.catchAll(() =>
            // held: by a live owner, or by a process that died (its lock expired) and is taken over
            Effect.gen(function*() {
              const now = yield* Clock.currentTimeMillis
              if (Option.exists(yield* current(file), (lock) => lock.until > now)) return false
              yield* Effect.ignore(fs.remove(file))
              return yield* Effect.orElseSucceed(Effect.as(take, true), () => false)
            })
          )
        )
        if (!taken) return Option.none<TokenStore.Lease>()
        return Option.some<TokenStore.Lease>({
          owner,
          extend: Effect.gen(function*() {
            if (!(yield* holds(file, owner))) return false
            const now = yield* Clock.currentTimeMillis
            return yield* Effect.orElseSucceed(Effect.as(write(file, { owner, until: now + millis }, "w"), true), () => false)
          }),
          release: Effect.flatMap(holds(file, owner), (mine) => mine ? Effect.ignore(fs.remove(file)) : Effect.void)
        })
      })

    return {
      ...store,
      // the inner store knows nothing of these leases: the fence is checked here, the version there
      set: (key, token, options) =>
        options.lease === undefined
          ? store.set(key, token, options)
          : Effect.flatMap(
            holds(fileOf(key), options.lease.owner),
            (mine): ReturnType<typeof store.set> =>
              mine
                ? store.set(key, token, { expectedVersion: options.expectedVersion })
                : Effect.succeed({ _tag: "Conflict", reason: "Lease" })
          ),
      acquireLease
    }
  })
