/**
 * Locks between the processes of one machine, as files in a token store's
 * directory: what makes the file store's leases and compare-and-set hold
 * across processes.
 *
 * A lock is a file holding its owner (random) and its expiry, read from
 * `Clock`. It appears whole and only if it did not exist: its content is
 * written to a temporary file (created exclusively, mode 0600) that is then
 * hard-linked to the lock's name, which fails if the name exists. A lock
 * whose expiry has passed (its process died, or stalled that long) may be
 * taken over.
 *
 * Changing a lock that exists — taking an expired one over, extending one,
 * releasing one — happens under the lock's guard, a second lock file held for
 * the few system calls of the change, so that two processes never both take
 * over one expired lock. A guard left by a process killed within those calls
 * is removed once that process is gone (the lock holds its pid), or after
 * {@link guardTtl}; only two processes removing the same abandoned guard at
 * the same instant could both go on. The write lock of a store is short as
 * well: taken over once its process is gone; a lease only once it expired.
 * Whether a process is gone is asked of this process namespace: processes in
 * containers of their own must not share a directory.
 *
 * @internal
 */
import * as TokenStore from "@grantflow/core/TokenStore"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"

interface Held {
  readonly owner: string
  readonly until: number
  /** The process that holds it. */
  readonly pid?: number | undefined
}

/** How long a guard may be held before it counts as left by a dead process. */
const guardTtl = 5_000

/** How long a process waiting for a guard or a lock held by another process pauses between attempts. */
const pause = Duration.millis(5)

/** Runs `attempt` until it gives a value. */
const waitFor = <A, E>(attempt: Effect.Effect<Option.Option<A>, E>): Effect.Effect<A, E> =>
  Effect.flatMap(attempt, Option.match({
    onNone: () => Effect.zipRight(Effect.sleep(pause), waitFor(attempt)),
    onSome: Effect.succeed
  }))

const errorCode = (cause: unknown) => (cause as NodeJS.ErrnoException)?.code

/** The lock in `file`: none if there is none; one that is not a lock (damaged) counts as expired. */
const read = (file: string): Promise<Option.Option<Held>> =>
  fs.readFile(file, "utf8").then(
    (text) => {
      try {
        const held = JSON.parse(text) as Partial<Held>
        if (typeof held.owner === "string" && typeof held.until === "number") {
          return Option.some({ owner: held.owner, until: held.until, pid: typeof held.pid === "number" ? held.pid : undefined })
        }
      } catch {
        // not a lock: expired below
      }
      return Option.some({ owner: "", until: 0 })
    },
    (cause) => errorCode(cause) === "ENOENT" ? Option.none() : Promise.reject(cause)
  )

const temporary = (file: string) => `${file}.${randomBytes(6).toString("hex")}.tmp`

/** Creates `file` holding `held`, whole, unless it exists; `true` if it did. */
const create = async (file: string, held: Held): Promise<boolean> => {
  const written = temporary(file)
  await fs.writeFile(written, JSON.stringify(held), { flag: "wx", mode: 0o600 })
  try {
    await fs.link(written, file)
    return true
  } catch (cause) {
    if (errorCode(cause) === "EEXIST") return false
    throw cause
  } finally {
    await fs.rm(written, { force: true })
  }
}

/** Replaces `file` with one holding `held` (rename is atomic: a reader sees the old lock or the new one). */
const replace = async (file: string, held: Held): Promise<void> => {
  const written = temporary(file)
  try {
    await fs.writeFile(written, JSON.stringify(held), { flag: "wx", mode: 0o600 })
    await fs.rename(written, file)
  } catch (cause) {
    await fs.rm(written, { force: true })
    throw cause
  }
}

/** Whether `held` is a lock that has not expired (and, given `owner`, is that owner's). */
const isHeld = (held: Option.Option<Held>, now: number, owner?: string) =>
  Option.exists(held, (lock) => lock.until > now && (owner === undefined || lock.owner === owner))

/** Whether the process `pid` of this machine is gone. */
const isGone = (pid: number | undefined) => {
  if (pid === undefined || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (cause) {
    return errorCode(cause) === "ESRCH"
  }
}

/**
 * Whether `held` is a lock whose expiry has passed or, for a lock held only
 * for the moment of a change (`short`), whose process is gone.
 */
const isExpired = (held: Option.Option<Held>, now: number, short = false) =>
  Option.exists(held, (lock) => lock.until <= now || (short && isGone(lock.pid)))

/** A random owner: 128 bits, so that no two processes ever share one. */
const randomOwner = (): string => randomBytes(16).toString("hex")

/** @internal */
export interface Locks {
  /**
   * Takes the lock in `file` for `ttl` milliseconds: created, or taken over
   * once expired (or, if `short`, once its process is gone); none if it is held.
   */
  readonly take: (file: string, ttl: number, short?: boolean) => Effect.Effect<Option.Option<string>, TokenStore.TokenStoreError>
  /** Whether `owner` holds the lock in `file` now. */
  readonly holds: (file: string, owner: string) => Effect.Effect<boolean, TokenStore.TokenStoreError>
  /** Extends `owner`'s lock in `file` by `ttl` milliseconds from now; `false` when it was lost. */
  readonly extend: (file: string, owner: string, ttl: number) => Effect.Effect<boolean, TokenStore.TokenStoreError>
  /** Removes the lock in `file` if `owner` still holds it. */
  readonly release: (file: string, owner: string) => Effect.Effect<void, TokenStore.TokenStoreError>
  /**
   * Runs `effect` holding the lock in `file`, waiting for it while another
   * process holds it (a short lock: taken over once its process is gone).
   */
  readonly withLock: (
    file: string,
    ttl: number
  ) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | TokenStore.TokenStoreError, R>
}

/** @internal */
export const make = (): Locks => {
  const attempt = <A>(operation: string, run: (now: number) => Promise<A>) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.tryPromise({
        try: () => run(now),
        catch: (cause) => new TokenStore.TokenStoreError({ reason: "Unavailable", operation, cause })
      }))

  /**
   * Runs `change` holding the guard of `file`, waiting while another process
   * holds it (for the few system calls of a change, or until it expires).
   */
  const guarded = <A>(operation: string, file: string, change: (now: number) => Promise<A>) => {
    const guard = `${file.replace(/\.lock$/, "")}-guard.lock`
    const owner = randomOwner()
    const enter = attempt(operation, async (now) => {
      if (await create(guard, { owner, until: now + guardTtl, pid: process.pid })) return Option.some(owner)
      // left by a process that died within a change (one that is gone is not removed: it may be new by now)
      if (isExpired(await read(guard), now, true)) await fs.rm(guard, { force: true })
      return Option.none()
    })
    const leave = attempt(operation, async () => {
      const held = await read(guard)
      if (Option.isSome(held) && held.value.owner === owner) await fs.rm(guard, { force: true })
    })
    return Effect.acquireUseRelease(waitFor(enter), () => attempt(operation, change), () => Effect.ignore(leave))
  }

  const take: Locks["take"] = (file, ttl, short = false) => {
    const owner = randomOwner()
    const created = attempt("acquireLease", (now) => create(file, { owner, until: now + ttl, pid: process.pid }))
    const takeOver = guarded("acquireLease", file, async (now) => {
      const held = await read(file)
      const abandoned = isExpired(held, now, short)
      if (Option.isSome(held) && !abandoned) return false
      // Under the guard, an abandoned lock stays as it is until removed here; one
      // that is gone may have been created again since: only the abandoned one goes.
      if (abandoned) await fs.rm(file, { force: true })
      return create(file, { owner, until: now + ttl, pid: process.pid })
    })
    return Effect.map(
      Effect.flatMap(created, (done) => done ? Effect.succeed(true) : takeOver),
      (taken) => taken ? Option.some(owner) : Option.none()
    )
  }

  const holds: Locks["holds"] = (file, owner) => attempt("lease", async (now) => isHeld(await read(file), now, owner))

  const extend: Locks["extend"] = (file, owner, ttl) =>
    guarded("extend", file, async (now) => {
      if (!isHeld(await read(file), now, owner)) return false
      await replace(file, { owner, until: now + ttl, pid: process.pid })
      return true
    })

  const release: Locks["release"] = (file, owner) =>
    guarded("release", file, async () => {
      if (Option.exists(await read(file), (lock) => lock.owner === owner)) await fs.rm(file, { force: true })
    })

  const withLock: Locks["withLock"] = (file, ttl) => (effect) =>
    Effect.acquireUseRelease(waitFor(take(file, ttl, true)), () => effect, (owner) => Effect.ignore(release(file, owner)))

  return { take, holds, extend, release, withLock }
}
