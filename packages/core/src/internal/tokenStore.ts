import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Equivalence from "effect/Equivalence"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import type * as Jose from "jose"
import * as AccessToken from "../AccessToken.js"
import type * as Dpop from "../Dpop.js"
import * as RefreshPolicy from "../RefreshPolicy.js"
import * as TokenError from "../TokenError.js"
import type {
  Backend,
  Entry,
  Key,
  KeyParts,
  Lease,
  PersistentOptions,
  SharedOptions,
  WriteResult
} from "../TokenStore.js"
import * as dpop from "./dpop.js"
import * as json from "./json.js"
import * as oauthError from "./oauthError.js"
import * as pkce from "./pkce.js"
import * as provider from "./tokenProvider.js"
import * as tokenError from "./tokenError.js"

/** @internal */
export class TokenStoreError extends tokenError.TaggedError("TokenStoreError")<{
  readonly reason: "Unavailable" | "Corrupt" | "Undecryptable" | "DpopKeyNotExtractable"
  readonly operation: string
  readonly cause: unknown
  /**
   * The version of the record that could not be decoded, when it was read: 0
   * when the record is too damaged to carry one (an empty or truncated file).
   * `TokenStore.save` writes at this version to replace the record.
   */
  readonly version?: number | undefined
}> {
  override get message(): string {
    switch (this.reason) {
      case "Unavailable":
        return `the token store failed on ${this.operation}; check that it is reachable (the error is the cause)`
      case "Corrupt":
        return `a token record read on ${this.operation} is not a valid record; it was left as it is`
      case "Undecryptable":
        return `a token record read on ${this.operation} could not be decrypted; it was left as it is ` +
          "(the cause says why: usually a key missing from the previous keys)"
      case "DpopKeyNotExtractable":
        return `a token bound to a DPoP key was not written on ${this.operation}: the key cannot be exported, so ` +
          "the store could not keep it with the token; generate it with Dpop.generateKey({ extractable: true })"
    }
  }
}

/** @internal */
export class TokenStore extends Context.Tag("@grantflow/core/TokenStore")<TokenStore, {
  /** The record of `key`, if any. */
  readonly get: (key: Key) => Effect.Effect<Option.Option<Entry>, TokenStoreError>
  /**
   * Writes `token` if the record's version is still `expectedVersion` (0: no
   * record, or one too damaged to carry a version) and, when a lease is
   * given, the lease is still held.
   */
  readonly set: (
    key: Key,
    token: AccessToken.AccessToken,
    options: { readonly expectedVersion: number; readonly lease?: Lease | undefined }
  ) => Effect.Effect<WriteResult, TokenStoreError>
  /** Deletes the record if its version is still `expectedVersion`; `true` if it did. */
  readonly remove: (key: Key, expectedVersion: number) => Effect.Effect<boolean, TokenStoreError>
  /** Takes the refresh lease of `key` for `ttl`, unless another owner holds it. */
  readonly acquireLease: (key: Key, ttl: Duration.Duration) => Effect.Effect<Option.Option<Lease>, TokenStoreError>
}>() {}

/** @internal */
export const key = (parts: KeyParts): Key => {
  const scopes = [...new Set((parts.scopes ?? []).filter((scope) => scope !== ""))].sort()
  return [
    parts.issuer,
    parts.clientId,
    parts.grant,
    scopes.join(" "),
    parts.resource ?? "",
    parts.audience ?? "",
    parts.subject ?? ""
  ].map(encodeURIComponent).join("|") as Key
}

/** A random lease owner: 128 bits, so that no two processes ever share one. */
const randomOwner = (): string => pkce.unsafeRandomToken(16)

// ---------------------------------------------------------------------------
// Records

interface Encoded {
  readonly v: 1
  readonly t: string
  readonly y: string
  readonly i: number
  readonly e: number
  readonly s: ReadonlyArray<string>
  readonly r?: string
  /** The private JWK of the DPoP key the token is bound to. */
  readonly k?: Jose.JWK
}

/**
 * A token as the text of a record; its DPoP key, when it has one, goes with
 * it as a private JWK (the record is sealed as a whole). A key that cannot be
 * exported fails the write: a DPoP-bound refresh token stored without its key
 * would be lost.
 *
 * @internal
 */
export const encodeToken = (token: AccessToken.AccessToken): Effect.Effect<string, TokenStoreError> =>
  Effect.map(
    token.dpop === undefined
      ? Effect.succeed(undefined)
      : Effect.mapError(
        dpop.exportKey(token.dpop),
        (cause) => new TokenStoreError({ reason: "DpopKeyNotExtractable", operation: "set", cause })
      ),
    (key) =>
      JSON.stringify(
        {
          v: 1,
          t: Redacted.value(token.token),
          y: token.type,
          i: token.issuedAt,
          e: token.expiresAt,
          s: token.scopes,
          ...Option.match(token.refreshToken, { onNone: () => ({}), onSome: (r) => ({ r: Redacted.value(r) }) }),
          ...(key === undefined ? {} : { k: Redacted.value(key) })
        } satisfies Encoded
      )
  )

const isEncoded = (u: unknown): u is Encoded => {
  if (typeof u !== "object" || u === null) return false
  const o = u as Record<string, unknown>
  return o.v === 1 && typeof o.t === "string" && o.t !== "" && typeof o.y === "string" &&
    typeof o.i === "number" && typeof o.e === "number" && Array.isArray(o.s) &&
    o.s.every((scope) => typeof scope === "string") && (o.r === undefined || typeof o.r === "string") &&
    (o.k === undefined || Predicate.isRecord(o.k))
}

/**
 * The longest record text read, 1 MiB: a token record is a few kilobytes, and
 * what comes from a file or a server is not trusted to be one.
 */
const maxRecordLength = 1_048_576

/** The most DPoP keys a store keeps imported: a deployment has a few, one per client or per connection. */
const maxImportedKeys = 256

/**
 * Imports the DPoP keys of the records read, extractable (they are written
 * again with the next token), and keeps the last ones imported: every read of
 * a connection brings its key back, and the key's object carries the nonces
 * servers gave it. A key that cannot be imported is none: the token it came
 * with is then DPoP-bound to a key that is gone.
 */
const keyImporter = () => {
  const keys = new Map<string, Dpop.DpopKey>()
  return (jwk: Jose.JWK): Effect.Effect<Dpop.DpopKey | undefined> => {
    // the public part names the key (a record holds the private part of that key, sealed)
    const id = JSON.stringify([jwk.alg, jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e])
    const known = keys.get(id)
    if (known !== undefined) return Effect.succeed(known)
    return dpop.importKey(Redacted.make(jwk), { extractable: true }).pipe(
      Effect.map((key) => {
        keys.set(id, key)
        if (keys.size > maxImportedKeys) keys.delete(keys.keys().next().value!)
        return key
      }),
      Effect.orElseSucceed(() => undefined)
    )
  }
}

/** @internal */
export const decodeToken = (
  text: string,
  importKey: (jwk: Jose.JWK) => Effect.Effect<Dpop.DpopKey | undefined> = keyImporter()
): Effect.Effect<Option.Option<AccessToken.AccessToken>> => {
  const parsed = Either.getOrUndefined(json.parse(text, { maxLength: maxRecordLength }))
  if (!isEncoded(parsed)) return Effect.succeedNone
  return Effect.map(parsed.k === undefined ? Effect.succeed(undefined) : importKey(parsed.k), (key) =>
    Option.some(
      new AccessToken.AccessToken({
        token: Redacted.make(parsed.t),
        type: parsed.y,
        issuedAt: parsed.i,
        expiresAt: parsed.e,
        scopes: parsed.s,
        refreshToken: parsed.r === undefined ? Option.none() : Option.some(Redacted.make(parsed.r)),
        ...(key === undefined ? {} : { dpop: key })
      })
    ))
}

// ---------------------------------------------------------------------------
// Leases held in this process

interface HeldLease {
  readonly owner: string
  until: number
}

/**
 * Leases kept in a map, with expiry read from `Clock`: the memory store's,
 * and the `KeyValueStore` store's (which has no atomic primitive to build
 * cross-process leases on).
 */
const localLeases = () => {
  const leases = new Map<string, HeldLease>()

  const holds = (key: string, owner: string, now: number): HeldLease | undefined => {
    const held = leases.get(key)
    return held !== undefined && held.owner === owner && held.until > now ? held : undefined
  }

  const acquire = (key: Key, ttl: Duration.Duration) =>
    Effect.map(Clock.currentTimeMillis, (now): Option.Option<Lease> => {
      const held = leases.get(key)
      if (held !== undefined && held.until > now) return Option.none()
      const owner = randomOwner()
      const millis = Duration.toMillis(ttl)
      leases.set(key, { owner, until: now + millis })
      return Option.some({
        owner,
        extend: Effect.map(Clock.currentTimeMillis, (now) => {
          const mine = holds(key, owner, now)
          if (mine !== undefined) mine.until = now + millis
          return mine !== undefined
        }),
        release: Effect.sync(() => {
          if (leases.get(key)?.owner === owner) leases.delete(key)
        })
      })
    })

  const check = (key: Key, lease: Lease | undefined) =>
    Effect.map(Clock.currentTimeMillis, (now) => lease === undefined || holds(key, lease.owner, now) !== undefined)

  return { acquire, check }
}

const conflict = (reason: "Version" | "Lease"): WriteResult => ({ _tag: "Conflict", reason })

// ---------------------------------------------------------------------------
// Stores

/**
 * Runs inside a memory store's write once its checks (lease, version) have
 * passed and before it is applied; its failure refuses the write.
 */
type BeforeWrite = (
  key: Key,
  token: AccessToken.AccessToken,
  previous: Option.Option<Entry>
) => Effect.Effect<void, TokenStoreError>

const memory = (
  beforeWrite: BeforeWrite | undefined,
  seed: ReadonlyArray<readonly [Key, AccessToken.AccessToken]>
): Effect.Effect<TokenStore["Type"]> =>
  Effect.map(Effect.makeSemaphore(1), (lock) => {
    const entries = new Map<string, Entry>(seed.map(([key, token]) => [key, { token, version: 1 }]))
    const leases = localLeases()
    return TokenStore.of({
      get: (key) => Effect.sync(() => Option.fromNullable(entries.get(key))),
      // Under one lock, so that a `beforeWrite` that waits never lets another write in between.
      set: (key, token, options) =>
        lock.withPermits(1)(Effect.gen(function*() {
          if (!(yield* leases.check(key, options.lease))) return conflict("Lease")
          const previous = entries.get(key)
          const version = previous?.version ?? 0
          if (version !== options.expectedVersion) return conflict("Version")
          if (beforeWrite !== undefined) yield* beforeWrite(key, token, Option.fromNullable(previous))
          entries.set(key, { token, version: version + 1 })
          return { _tag: "Written", version: version + 1 } as const
        })),
      remove: (key, expectedVersion) =>
        lock.withPermits(1)(Effect.sync(() => entries.get(key)?.version === expectedVersion && entries.delete(key))),
      acquireLease: leases.acquire
    })
  })

/** @internal */
export const makeMemory: Effect.Effect<TokenStore["Type"]> = memory(undefined, [])

const sameSecret = Option.getEquivalence(Redacted.getEquivalence(Equivalence.string))

/**
 * A memory store whose writes of a refresh token that differs from the one
 * the record holds first save it with `onRotate`; if that fails, the write
 * fails (an `Unavailable` error whose cause is `onRotate`'s), and the record
 * stays as it was. `seed` records are there from the start, without
 * `onRotate`: their refresh tokens are saved already.
 *
 * @internal
 */
export const makeRotating = (
  onRotate: (refreshToken: Redacted.Redacted<string>) => Effect.Effect<void, unknown>,
  seed: ReadonlyArray<readonly [Key, AccessToken.AccessToken]> = []
): Effect.Effect<TokenStore["Type"]> =>
  memory((_key, token, previous) =>
    Option.isNone(token.refreshToken) ||
      sameSecret(token.refreshToken, Option.flatMap(previous, (entry) => entry.token.refreshToken))
      ? Effect.void
      : Effect.mapError(
        onRotate(token.refreshToken.value),
        (cause) => new TokenStoreError({ reason: "Unavailable", operation: "onRotate", cause })
      ), seed)

/** @internal */
export const fromBackend = (
  backend: Backend,
  options: PersistentOptions
): TokenStore["Type"] => {
  const cipher = options.encryption
  const open = (key: Key, data: string): Effect.Effect<string, TokenStoreError> =>
    cipher === "none"
      ? Effect.succeed(data)
      : Effect.mapError(
        cipher.open(data, key),
        (cause) => new TokenStoreError({ reason: "Undecryptable", operation: "get", cause })
      )
  const seal = (key: Key, plaintext: string) =>
    cipher === "none" ? Effect.succeed(plaintext) : cipher.seal(plaintext, key)
  const importKey = keyImporter()

  return TokenStore.of({
    get: (key) =>
      Effect.flatMap(backend.get(key), (record) => {
        if (Option.isNone(record)) return Effect.succeedNone
        const { data, version } = record.value
        return open(key, data).pipe(
          Effect.flatMap((plaintext) => decodeToken(plaintext, importKey)),
          Effect.flatMap((decoded) =>
            Option.match(decoded, {
              onNone: () =>
                Effect.fail(
                  new TokenStoreError({
                    reason: "Corrupt",
                    operation: "get",
                    cause: new Error(`the record of version ${version} is not a grantflow token record`)
                  })
                ),
              onSome: (token) => Effect.succeedSome({ token, version })
            })
          ),
          Effect.mapError((error) => new TokenStoreError({ ...error, version }))
        )
      }),
    set: (key, token, options) =>
      Effect.flatMap(
        Effect.flatMap(encodeToken(token), (plaintext) => seal(key, plaintext)),
        (data) => backend.compareAndSet(key, options.expectedVersion, data, options.lease)
      ),
    remove: backend.remove,
    acquireLease: backend.acquireLease
  })
}

interface KeyValueRecord {
  readonly version: number
  readonly data: string
}

/** A stored value read as a record, or why it is not one (without any of its content). */
const decodeRecord = (text: string): Either.Either<KeyValueRecord, string> =>
  Either.flatMap(
    Either.mapLeft(json.parse(text, { maxLength: maxRecordLength }), (failure) =>
      `the stored value ${json.describeFailure(failure)}`),
    (parsed) => {
      if (typeof parsed === "object" && parsed !== null) {
        const { data, version } = parsed as Record<string, unknown>
        if (typeof version === "number" && Number.isSafeInteger(version) && version > 0 && typeof data === "string") {
          return Either.right({ version, data })
        }
      }
      return Either.left("the stored value is not a {version, data} record")
    }
  )

/** @internal */
export const fromKeyValueStore = (
  store: KeyValueStore.KeyValueStore,
  options: PersistentOptions
): Effect.Effect<TokenStore["Type"]> =>
  Effect.map(Effect.makeSemaphore(1), (lock) => {
    const leases = localLeases()
    const unavailable = (operation: string) => (cause: unknown) =>
      new TokenStoreError({ reason: "Unavailable", operation, cause })

    const read = (key: Key, operation: string) =>
      store.get(key).pipe(
        Effect.mapError(unavailable(operation)),
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeedNone,
          onSome: (text) =>
            Either.match(decodeRecord(text), {
              // A value too damaged to carry a version (empty, truncated) counts as
              // version 0, so that a deliberate write at 0 (`TokenStore.save`) replaces it.
              onLeft: (why) =>
                Effect.fail(
                  new TokenStoreError({ reason: "Corrupt", operation, cause: new Error(why), version: 0 })
                ),
              onRight: Effect.succeedSome
            })
        }))
      )

    const versionOf = (key: Key, operation: string) =>
      read(key, operation).pipe(
        Effect.map(Option.match({ onNone: () => 0, onSome: (record) => record.version })),
        Effect.catchIf((error) => error.reason === "Corrupt", () => Effect.succeed(0))
      )

    return fromBackend({
      get: (key) => read(key, "get"),
      // Read-compare-write under one lock: atomic for this process's writers.
      compareAndSet: (key, expectedVersion, data, lease) =>
        lock.withPermits(1)(Effect.gen(function*() {
          if (!(yield* leases.check(key, lease))) return conflict("Lease")
          const version = yield* versionOf(key, "set")
          if (version !== expectedVersion) return conflict("Version")
          yield* Effect.mapError(
            store.set(key, JSON.stringify({ version: version + 1, data } satisfies KeyValueRecord)),
            unavailable("set")
          )
          return { _tag: "Written", version: version + 1 } as const
        })),
      remove: (key, expectedVersion) =>
        lock.withPermits(1)(Effect.gen(function*() {
          if ((yield* versionOf(key, "remove")) !== expectedVersion) return false
          yield* Effect.mapError(store.remove(key), unavailable("remove"))
          return true
        })),
      acquireLease: leases.acquire
    }, options)
  })

/** @internal */
export const layerMemory: Layer.Layer<TokenStore> = Layer.effect(TokenStore, makeMemory)

/** @internal */
export const layerKeyValueStore = (
  options: PersistentOptions
): Layer.Layer<TokenStore, never, KeyValueStore.KeyValueStore> =>
  Layer.effect(
    TokenStore,
    Effect.flatMap(KeyValueStore.KeyValueStore, (kv) => fromKeyValueStore(kv, options))
  )

/**
 * Writes `token` over whatever the record holds — a record that cannot be
 * decoded too, since it is being replaced on purpose — retrying when another
 * writer slips in between the read and the write.
 *
 * @internal
 */
export const save = (key: Key, token: AccessToken.AccessToken) =>
  Effect.flatMap(TokenStore, (store) => {
    const currentVersion = store.get(key).pipe(
      Effect.map(Option.match({ onNone: () => 0, onSome: (entry) => entry.version })),
      Effect.catchIf(
        (error) => error.reason !== "Unavailable" && error.version !== undefined,
        (error) => Effect.succeed(error.version!)
      )
    )
    const attempt: Effect.Effect<number, TokenStoreError> = Effect.flatMap(
      currentVersion,
      (expectedVersion) =>
        Effect.flatMap(store.set(key, token, { expectedVersion }), (result) =>
          result._tag === "Written" ? Effect.succeed(result.version) : attempt)
    )
    return attempt
  })

/**
 * A record that holds only `refreshToken`: its access token is a placeholder
 * that expired at the epoch, so that a shared fetch never serves it and
 * refreshes with the refresh token on its first run.
 *
 * @internal
 */
export const refreshTokenRecord = (refreshToken: Redacted.Redacted<string>): AccessToken.AccessToken =>
  new AccessToken.AccessToken({
    token: Redacted.make("(none)"),
    type: "Bearer",
    issuedAt: 0,
    expiresAt: 0,
    scopes: [],
    refreshToken: Option.some(refreshToken)
  })

/** @internal */
export const saveRefreshToken = (key: Key, refreshToken: Redacted.Redacted<string>) =>
  save(key, refreshTokenRecord(refreshToken))

// ---------------------------------------------------------------------------
// The shared fetch

/** What the store told us: a record, no record, or nothing (it failed). */
type Read =
  | { readonly _tag: "Known"; readonly entry: Option.Option<Entry> }
  | { readonly _tag: "Unknown"; readonly error: TokenStoreError }

const ERROR_LOG_WINDOW_MILLIS = 60_000

/**
 * What the shared fetch remembers of one connection between runs. It is
 * plain data so that a pool can keep it in each connection's record.
 *
 * @internal
 */
export interface SharedState {
  /** The token this fetch returned last: the provider never wants it back. */
  lastReturned: AccessToken.AccessToken | undefined
  /** A token whose rotated refresh token has not been written yet. */
  unsaved: AccessToken.AccessToken | undefined
}

/**
 * The settings of shared fetches, common to every connection that uses them.
 *
 * @internal
 */
export interface SharedEnv {
  readonly store: TokenStore["Type"]
  readonly leaseTtl: Duration.Duration
  readonly waitFor: Duration.Duration
  readonly poll: Schedule.Schedule<unknown>
  /** When a store error was last logged: at most one a minute. */
  loggedAt: number
}

/** @internal */
export const sharedEnv = (
  store: TokenStore["Type"],
  options: Pick<SharedOptions<never>, "leaseTtl" | "waitFor" | "poll">
): SharedEnv => ({
  store,
  leaseTtl: Duration.decode(options.leaseTtl ?? "10 seconds"),
  waitFor: Duration.decode(options.waitFor ?? "15 seconds"),
  poll: options.poll ?? Schedule.spaced("100 millis"),
  loggedAt: Number.NEGATIVE_INFINITY
})

/** One connection's run: its key, how to obtain a token, and its state. */
interface Connection<R> {
  readonly key: Key
  readonly state: SharedState
  readonly acquire: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>
  readonly refresh:
    | ((refreshToken: Redacted.Redacted<string>) => Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>)
    | undefined
}

const logOnce = (env: SharedEnv, key: Key, error: TokenStoreError) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    if (now - env.loggedAt < ERROR_LOG_WINDOW_MILLIS) return Effect.void
    env.loggedAt = now
    return Effect.logWarning("grantflow: token store error; going on without it").pipe(
      Effect.annotateLogs({ key, reason: error.reason, operation: error.operation, error: error.message })
    )
  })

const read = (env: SharedEnv, key: Key): Effect.Effect<Read> =>
  env.store.get(key).pipe(
    Effect.map((entry): Read => ({ _tag: "Known", entry })),
    Effect.catchAll((error) => Effect.as(logOnce(env, key, error), { _tag: "Unknown", error } as Read))
  )

/**
 * A stored token the connection may return: fresh, not the one it returned
 * last, and not older than that one — a store that missed a write (it was
 * down) still holds a token this process has already replaced — nor issued
 * at or before the provider last asked for a new one (`Cell.renewedAt`).
 */
const usable = (state: SharedState, read: Read) =>
  Effect.zipWith(Clock.currentTimeMillis, FiberRef.get(provider.currentFetch), (now, run) => {
    if (read._tag === "Unknown" || Option.isNone(read.entry)) return undefined
    const token = read.entry.value.token
    // judged by the policy of the provider that runs the fetch
    if (AccessToken.freshness(token, now, run?.policy ?? RefreshPolicy.defaultPolicy) !== "Fresh") return undefined
    // a DPoP-bound token is worth nothing without its key
    if (dpopKeyLost(token)) return undefined
    // the provider wants a token requested after a rejection: one issued before may be rejected too
    if (run?.cell.renewedAt !== undefined && token.issuedAt <= run.cell.renewedAt) return undefined
    const last = state.lastReturned
    if (last !== undefined && (AccessToken.sameToken(last, token) || token.issuedAt < last.issuedAt)) return undefined
    return token
  })

const returning = (state: SharedState, token: AccessToken.AccessToken) =>
  Effect.sync(() => {
    state.lastReturned = token
    state.unsaved = undefined
    return token
  })

/**
 * A token whose rotated refresh token could not be written: it is kept, and
 * written before anything else on the next run (the old refresh token is
 * spent).
 */
const notSaved = (state: SharedState, token: AccessToken.AccessToken, cause: TokenStoreError) =>
  Effect.suspend(() => {
    state.unsaved = token
    return Effect.fail(new TokenError.RefreshTokenNotSaved({ cause }))
  })

/** Writes a token whose refresh token rotated over whatever is stored: it is the newest the server issued. */
const saveUnsaved = (
  env: SharedEnv,
  connection: Connection<unknown>,
  token: AccessToken.AccessToken
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError> =>
  save(connection.key, token).pipe(
    Effect.provideService(TokenStore, env.store),
    Effect.matchEffect({
      onFailure: (cause) => notSaved(connection.state, token, cause),
      onSuccess: () => returning(connection.state, token)
    })
  )

/**
 * Whether a token is DPoP-bound (`token_type` `DPoP`) but holds no key: its
 * record held none, or one that could not be read back.
 */
const dpopKeyLost = (token: AccessToken.AccessToken): boolean => token.type === "DPoP" && token.dpop === undefined

/** @internal */
export const dpopKeyLostError = oauthError.reauthorizationRequired(
  "the refresh token is bound to a DPoP key that is gone",
  "DpopKeyLost"
)

/** A refresh proves the key the refresh token is bound to, whatever key the endpoint has. */
const refreshWith = <A, E, R>(refresh: Effect.Effect<A, E, R>, key: Dpop.DpopKey | undefined) =>
  key === undefined ? refresh : Effect.locally(refresh, dpop.currentRefreshKey, key)

/** Obtains a token from the server and writes it; `lease` fences the write when held. */
const renew = <R>(env: SharedEnv, connection: Connection<R>, read: Read, lease: Lease | undefined) =>
  Effect.uninterruptibleMask((restore) => {
    const { key, state } = connection
    const entry = read._tag === "Known" ? read.entry : Option.none()
    const base = read._tag === "Known"
      ? Option.map(entry, (e) => e.token)
      : Option.fromNullable(state.lastReturned)
    if (read._tag === "Unknown" && connection.refresh !== undefined && Option.isNone(base)) {
      return Effect.fail(read.error)
    }
    const usedRefreshToken = Option.flatMap(base, (token) => token.refreshToken)
    const refreshing = connection.refresh !== undefined && Option.isSome(usedRefreshToken)
    const bound = Option.getOrUndefined(base)
    // Sent with any other key (or none), a DPoP-bound refresh token is refused at best: it is never sent.
    if (refreshing && bound !== undefined && dpopKeyLost(bound)) return dpopKeyLostError
    const obtain = refreshing
      ? refreshWith(connection.refresh!(usedRefreshToken.value), bound?.dpop)
      : connection.acquire
    return restore(obtain).pipe(
      // Compare and discard: the record is removed only if it still holds the
      // refresh token that was refused; the token returned last is forgotten
      // with it, or if it holds that refresh token. A refusal of a refresh
      // token that another run has replaced meanwhile leaves the new one.
      Effect.tapError((error) =>
        error._tag === "ReauthorizationRequired"
          ? Effect.flatMap(
            Option.isSome(entry)
              ? Effect.orElseSucceed(env.store.remove(key, entry.value.version), () => false)
              : Effect.succeed(false),
            (removed) =>
              Effect.sync(() => {
                const last = state.lastReturned
                if (removed || (last !== undefined && sameSecret(last.refreshToken, usedRefreshToken))) {
                  state.lastReturned = undefined
                }
              })
          )
          : Effect.void
      ),
      Effect.flatMap((token) => {
        // A refresh token matters only to a connection that refreshes with it.
        const rotated = connection.refresh !== undefined && Option.isSome(token.refreshToken) &&
          !sameSecret(token.refreshToken, usedRefreshToken)
        if (read._tag === "Unknown") return rotated ? saveUnsaved(env, connection, token) : returning(state, token)
        const expectedVersion = Option.match(entry, { onNone: () => 0, onSome: (e) => e.version })
        const write = (fence: Lease | undefined): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError> =>
          env.store.set(key, token, { expectedVersion, lease: fence }).pipe(
            Effect.matchEffect({
              onFailure: (error) =>
                rotated
                  ? notSaved(state, token, error)
                  : Effect.zipRight(logOnce(env, key, error), returning(state, token)),
              onSuccess: (result) => {
                if (result._tag === "Written") return returning(state, token)
                // The lease ran out while the request was in flight (a long pause, a
                // stalled process), but nobody wrote since: the server has spent the
                // refresh token this run used, so its successor must be stored. The
                // version check still keeps any newer record.
                if (result.reason === "Lease" && rotated) return write(undefined)
                // Another writer got there first: its record stays (it is newer than
                // what this run read); the token obtained is valid and is served.
                return Effect.logWarning("grantflow: token store changed during a refresh; keeping the stored record")
                  .pipe(
                    Effect.annotateLogs({ key, reason: result.reason }),
                    Effect.zipRight(returning(state, token))
                  )
              }
            })
          )
        return write(lease)
      })
    )
  })

/** Holds `lease` while the refresh runs: extended every third of its time to live, released at the end. */
const withLease = <R>(env: SharedEnv, connection: Connection<R>, lease: Lease) => {
  const every = Option.getOrElse(Duration.divide(env.leaseTtl, 3), () => env.leaseTtl)
  return Effect.gen(function*() {
    yield* Effect.forkScoped(Effect.ignore(lease.extend).pipe(Effect.repeat(Schedule.spaced(every)), Effect.delay(every)))
    const again = yield* read(env, connection.key)
    const theirs = yield* usable(connection.state, again)
    return theirs !== undefined ? yield* returning(connection.state, theirs) : yield* renew(env, connection, again, lease)
  }).pipe(Effect.ensuring(lease.release), Effect.scoped)
}

type Waited =
  | { readonly _tag: "Theirs"; readonly token: AccessToken.AccessToken }
  | { readonly _tag: "Lease"; readonly lease: Lease }

/** Another process holds the lease: wait for its token, or for the lease to be free. */
const awaitOther = (env: SharedEnv, connection: Connection<unknown>): Effect.Effect<Option.Option<Waited>> =>
  Effect.gen(function*() {
    const theirs = yield* usable(connection.state, yield* read(env, connection.key))
    if (theirs !== undefined) return { _tag: "Theirs", token: theirs } as const
    const lease = yield* Effect.orElseSucceed(env.store.acquireLease(connection.key, env.leaseTtl), Option.none)
    return Option.isSome(lease) ? { _tag: "Lease", lease: lease.value } as const : yield* Effect.fail("held")
  }).pipe(
    Effect.retry(env.poll),
    Effect.timeoutOption(env.waitFor),
    Effect.orElseSucceed(() => Option.none<Waited>())
  )

/**
 * One run of a shared fetch for one connection: see `TokenStore.shared`.
 *
 * @internal
 */
export const sharedRun = <R>(
  env: SharedEnv,
  connection: Connection<R>
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R> =>
  Effect.gen(function*() {
    const { key, state } = connection
    if (state.unsaved !== undefined) return yield* saveUnsaved(env, connection, state.unsaved)
    const current = yield* read(env, key)
    const stored = yield* usable(state, current)
    if (stored !== undefined) return yield* returning(state, stored)
    if (current._tag === "Unknown") return yield* renew(env, connection, current, undefined)
    const lease = yield* Effect.either(env.store.acquireLease(key, env.leaseTtl))
    if (Either.isLeft(lease)) {
      // The store cannot grant leases right now: in-process single flight still holds.
      yield* logOnce(env, key, lease.left)
      return yield* renew(env, connection, current, undefined)
    }
    if (Option.isSome(lease.right)) return yield* withLease(env, connection, lease.right.value)
    const waited = yield* awaitOther(env, connection)
    if (Option.isNone(waited)) {
      yield* Effect.logWarning("grantflow: waited too long for another process's refresh; refreshing here")
        .pipe(Effect.annotateLogs({ key }))
      return yield* renew(env, connection, yield* read(env, key), undefined)
    }
    return waited.value._tag === "Theirs"
      ? yield* returning(state, waited.value.token)
      : yield* withLease(env, connection, waited.value.lease)
  })

/** @internal */
export const shared = <R>(options: SharedOptions<R>) =>
  Effect.map(TokenStore, (store) => {
    const env = sharedEnv(store, options)
    const connection: Connection<R> = {
      key: options.key,
      state: { lastReturned: undefined, unsaved: undefined },
      acquire: options.acquire,
      refresh: options.refresh
    }
    return sharedRun(env, connection)
  })

// ---------------------------------------------------------------------------
// The refresh token flow: the shared fetch over a store of its own

/** The key of the one record of a refresh token flow's store. */
export const flowKey = "refresh-token-flow" as Key

/**
 * The fetch of `Grant.refreshTokenFlow`: a shared fetch over `store`, whose
 * record at {@link flowKey} holds the current refresh token (a
 * {@link makeRotating} store, whose writes save rotated refresh tokens with
 * `onRotate`). Once a refusal has removed the record, every run fails at once
 * with that refusal.
 *
 * @internal
 */
export const refreshTokenFlow = <R>(
  store: TokenStore["Type"],
  refresh: (refreshToken: Redacted.Redacted<string>) => Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R>
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, R> => {
  let refused: TokenError.ReauthorizationRequired | undefined
  return sharedRun(sharedEnv(store, {}), {
    key: flowKey,
    state: { lastReturned: undefined, unsaved: undefined },
    // the record is gone only after a refusal
    acquire: Effect.suspend(() =>
      refused === undefined ? oauthError.reauthorizationRequired("the refresh token was discarded") : Effect.fail(refused)
    ),
    refresh: (refreshToken) =>
      Effect.tapError(refresh(refreshToken), (error) =>
        Effect.sync(() => {
          if (error._tag === "ReauthorizationRequired") refused = error
        }))
  })
}
