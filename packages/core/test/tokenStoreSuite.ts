/**
 * What every TokenStore must do, run against each implementation: the
 * compare-and-set record, leases, and the shared fetch (two providers
 * standing in for two processes) against the simulated server in memory.
 */
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenProvider, TokenStore } from "@grantflow/core"
import { AuthServer, Journal } from "@grantflow/testing"
import { Duration, Effect, Layer, Option, Redacted, Schedule } from "effect"

let counter = 0
/** A key of its own for each test, so that stores shared between tests never mix records. */
export const freshKey = (grant = "client_credentials") =>
  TokenStore.key({ issuer: "http://127.0.0.1", clientId: "app", grant, subject: `test-${process.pid}-${++counter}-${Date.now()}` })

export const tokenOf = (value: string, refresh?: string, expiresAt = Date.now() + 3_600_000) =>
  new AccessToken.AccessToken({
    token: Redacted.make(value),
    type: "Bearer",
    issuedAt: expiresAt - 3_600_000,
    expiresAt,
    scopes: ["b", "a"],
    refreshToken: refresh === undefined ? Option.none() : Option.some(Redacted.make(refresh))
  })

const value = (token: AccessToken.AccessToken) => Redacted.value(token.token)

const serverOptions = (extra: Partial<AuthServer.Options> = {}): AuthServer.Options => ({
  clients: [{ clientId: "app", clientSecret: "app-secret", grants: ["client_credentials", "refresh_token"] }],
  refreshTokenForClientCredentials: true,
  ...extra
})

const endpoint = Endpoint.make({
  tokenUrl: "http://127.0.0.1/token",
  auth: ClientAuth.clientSecretBasic("app", Redacted.make("app-secret"))
})
const policy = RefreshPolicy.make({ retry: Schedule.recurs(2) })

/** One "process": a provider over the shared fetch, refreshing with the stored refresh token. */
export const member = (
  key: TokenStore.Key,
  options: { readonly refresh?: boolean; readonly policy?: RefreshPolicy.RefreshPolicy } = {}
) =>
  Effect.flatMap(
    TokenStore.shared({
      key,
      acquire: Grant.clientCredentials(endpoint),
      refresh: options.refresh === false ? undefined : (refreshToken) => Grant.refreshToken(endpoint, { refreshToken }),
      leaseTtl: "1 second",
      poll: Schedule.spaced("20 millis")
    }),
    (fetch) => TokenProvider.make(fetch, { policy: options.policy ?? policy })
  )

const tokenRequests = Effect.flatMap(AuthServer.AuthServer, (server) =>
  Effect.map(server.journal, Journal.tokenRequests))

/** The simulated server in memory, with the client `member` uses. */
export const simulatedServer = (extra?: Partial<AuthServer.Options>) =>
  AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(serverOptions(extra))))

/**
 * Damages the stored record of a key behind the store's back, as a full disk
 * or a crashed editor would: empties it, or cuts it in half.
 */
export type Damage<R> = (key: TokenStore.Key, how: "Empty" | "Truncated") => Effect.Effect<void, unknown, R>

/**
 * Takes a key's refresh lease away from its owner behind the store's back, as
 * its expiry would after a long pause of the owner's process.
 */
export type LoseLease<R> = (key: TokenStore.Key) => Effect.Effect<void, unknown, R>

/**
 * The contract, run against `StoreLive`. `damage` reaches the bytes under the
 * store, `loseLease` its leases; a store that keeps neither outside the
 * process (the memory store) has nothing to reach.
 */
export const storeSuite = <R = never>(
  name: string,
  StoreLive: Layer.Layer<TokenStore.TokenStore | R, unknown>,
  reach: { readonly damage?: Damage<R>; readonly loseLease?: LoseLease<R> } = {}
) => {
  const { damage, loseLease } = reach
  const withServer = (extra?: Partial<AuthServer.Options>) => simulatedServer(extra).pipe(Layer.merge(StoreLive))

  describe(`${name}: records`, () => {
    it.live("writes with compare-and-set on the version", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const key = freshKey()
        assert.isTrue(Option.isNone(yield* store.get(key)))
        assert.deepStrictEqual(yield* store.set(key, tokenOf("one"), { expectedVersion: 0 }), { _tag: "Written", version: 1 })
        assert.deepStrictEqual(yield* store.set(key, tokenOf("stale"), { expectedVersion: 0 }), {
          _tag: "Conflict",
          reason: "Version"
        })
        assert.deepStrictEqual(yield* store.set(key, tokenOf("two"), { expectedVersion: 1 }), { _tag: "Written", version: 2 })
        const entry = Option.getOrThrow(yield* store.get(key))
        assert.strictEqual(entry.version, 2)
        assert.strictEqual(value(entry.token), "two")
      }).pipe(Effect.provide(StoreLive)))

    it.live("keeps every field of a token, the refresh token included", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const key = freshKey()
        const token = tokenOf("access", "refresh", 1_900_000_000_123)
        yield* store.set(key, token, { expectedVersion: 0 })
        const stored = Option.getOrThrow(yield* store.get(key)).token
        assert.isTrue(AccessToken.sameToken(stored, token))
        assert.strictEqual(stored.type, "Bearer")
        assert.strictEqual(stored.issuedAt, token.issuedAt)
        assert.strictEqual(stored.expiresAt, 1_900_000_000_123)
        assert.deepStrictEqual(stored.scopes, ["b", "a"])
        assert.deepStrictEqual(Option.map(stored.refreshToken, Redacted.value), Option.some("refresh"))
      }).pipe(Effect.provide(StoreLive)))

    it.live("removes a record only at the version it was read at", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const key = freshKey()
        yield* store.set(key, tokenOf("one"), { expectedVersion: 0 })
        yield* store.set(key, tokenOf("two"), { expectedVersion: 1 })
        assert.isFalse(yield* store.remove(key, 1))
        assert.isTrue(Option.isSome(yield* store.get(key)))
        assert.isTrue(yield* store.remove(key, 2))
        assert.isTrue(Option.isNone(yield* store.get(key)))
      }).pipe(Effect.provide(StoreLive)))

    it.live("grants a lease to one owner at a time, and fences writes with it", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const key = freshKey()
        const ttl = Duration.millis(300)
        const first = Option.getOrThrow(yield* store.acquireLease(key, ttl))
        assert.isTrue(Option.isNone(yield* store.acquireLease(key, ttl)))
        assert.deepStrictEqual(yield* store.set(key, tokenOf("one"), { expectedVersion: 0, lease: first }), {
          _tag: "Written",
          version: 1
        })
        assert.isTrue(yield* first.extend)
        yield* first.release
        const second = Option.getOrThrow(yield* store.acquireLease(key, ttl))
        assert.notStrictEqual(second.owner, first.owner)
        // The first owner's lease is gone: its write is refused, and it cannot release the second's.
        assert.deepStrictEqual(yield* store.set(key, tokenOf("late"), { expectedVersion: 1, lease: first }), {
          _tag: "Conflict",
          reason: "Lease"
        })
        assert.isFalse(yield* first.extend)
        yield* first.release
        assert.isTrue(Option.isNone(yield* store.acquireLease(key, ttl)))
        // An owner that stops extending loses the lease when it expires.
        yield* Effect.sleep("450 millis")
        assert.isFalse(yield* second.extend)
        assert.isTrue(Option.isSome(yield* store.acquireLease(key, ttl)))
      }).pipe(Effect.provide(StoreLive)))

    if (damage !== undefined) {
      for (const how of ["Empty", "Truncated"] as const) {
        it.live(`a record damaged (${how}) is a typed error, left as it is, and TokenStore.save replaces it`, () =>
          Effect.gen(function*() {
            const store = yield* TokenStore.TokenStore
            const key = freshKey()
            yield* store.set(key, tokenOf("one"), { expectedVersion: 0 })
            yield* store.set(key, tokenOf("two"), { expectedVersion: 1 })
            yield* damage(key, how)
            const error = yield* Effect.flip(store.get(key))
            assert.strictEqual(error._tag, "TokenStoreError")
            assert.include(["Corrupt", "Undecryptable"], error.reason)
            assert.isNumber(error.version)
            assert.strictEqual((yield* Effect.flip(store.get(key))).reason, error.reason, "still there, unchanged")
            const version = yield* TokenStore.save(key, tokenOf("fresh"))
            const entry = Option.getOrThrow(yield* store.get(key))
            assert.strictEqual(value(entry.token), "fresh")
            assert.strictEqual(entry.version, version)
          }).pipe(Effect.provide(StoreLive)))
      }
    }
  })

  describe(`${name}: shared by several processes`, () => {
    it.live("two processes: one token request, and the second serves the first's token", () =>
      Effect.gen(function*() {
        const key = freshKey()
        const a = yield* member(key)
        const b = yield* member(key)
        const [ta, tb] = yield* Effect.all([a.get, b.get], { concurrency: "unbounded" })
        assert.isTrue(AccessToken.sameToken(ta, tb))
        assert.strictEqual((yield* tokenRequests).length, 1)
      }).pipe(Effect.scoped, Effect.provide(withServer())))

    it.live("ten processes asking at once for an expired token: one token request", () =>
      Effect.gen(function*() {
        const key = freshKey()
        const store = yield* TokenStore.TokenStore
        yield* store.set(key, tokenOf("expired", undefined, Date.now() - 1), { expectedVersion: 0 })
        const processes = yield* Effect.all(Array.from({ length: 10 }, () => member(key, { refresh: false })))
        const tokens = yield* Effect.all(processes.map((p) => p.get), { concurrency: "unbounded" })
        assert.strictEqual(new Set(tokens.map(value)).size, 1)
        assert.strictEqual((yield* tokenRequests).length, 1)
      }).pipe(Effect.scoped, Effect.provide(withServer())))

    it.live("a refresh longer than the lease keeps it by extending it; another process waits for its token", () =>
      Effect.gen(function*() {
        const key = freshKey()
        const server = yield* AuthServer.AuthServer
        // leaseTtl is 1 second: the token request takes 1.6 seconds
        yield* server.fail(AuthServer.Latency({ duration: "1600 millis" }))
        const a = yield* member(key, { refresh: false })
        const b = yield* member(key, { refresh: false })
        const first = yield* Effect.fork(a.get)
        yield* Effect.sleep("1200 millis")
        const [ta, tb] = yield* Effect.all([Effect.flatten(first.await), b.get], { concurrency: "unbounded" })
        assert.isTrue(AccessToken.sameToken(ta, tb))
        assert.strictEqual((yield* tokenRequests).length, 1)
      }).pipe(Effect.scoped, Effect.provide(withServer())))

    it.live("a rejected token is replaced, not served again from the store", () =>
      Effect.gen(function*() {
        const key = freshKey()
        const a = yield* member(key)
        const b = yield* member(key)
        const first = yield* a.get
        yield* a.invalidate(first)
        const second = yield* a.get
        assert.isFalse(AccessToken.sameToken(first, second))
        // b has never seen a token: it takes the newest from the store.
        assert.isTrue(AccessToken.sameToken(yield* b.get, second))
        assert.strictEqual((yield* tokenRequests).length, 2)
      }).pipe(Effect.scoped, Effect.provide(withServer())))

    it.live("rotating refresh tokens pass from process to process: no refresh token is ever sent twice", () =>
      Effect.gen(function*() {
        const key = freshKey("refresh_token")
        const processes = [yield* member(key), yield* member(key), yield* member(key)]
        for (let round = 0; round < 9; round++) {
          const p = processes[round % 3]!
          const rejected = yield* p.get
          yield* p.invalidate(rejected)
          assert.isFalse(AccessToken.sameToken(yield* p.get, rejected))
        }
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        yield* Journal.noRefreshTokenUsedTwice(journal)
        const refreshes = Journal.tokenRequests(journal).filter((entry) => entry.grantType === "refresh_token")
        // A process whose rejected token another process has already replaced takes the
        // replacement from the store: rounds 3, 4, 6 and 7 send nothing.
        assert.strictEqual(refreshes.length, 5)
        assert.isTrue(refreshes.every((entry) => entry.status === 200))
        const families = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.families)
        assert.strictEqual(families.length, 1)
        assert.isFalse(families[0]!.revoked)
        assert.strictEqual(families[0]!.generation, 6)
      }).pipe(Effect.scoped, Effect.provide(withServer({ refreshRotation: true }))))

    it.live("a record seeded with a bare refresh token (TokenStore.saveRefreshToken): the first get refreshes with it", () =>
      Effect.gen(function*() {
        const key = freshKey("refresh_token")
        const store = yield* TokenStore.TokenStore
        const refreshToken = Option.getOrThrow((yield* Grant.clientCredentials(endpoint)).refreshToken)
        const version = yield* TokenStore.saveRefreshToken(key, refreshToken)
        const seeded = Option.getOrThrow(yield* store.get(key))
        assert.strictEqual(seeded.version, version)
        assert.deepStrictEqual(Option.map(seeded.token.refreshToken, Redacted.value), Option.some(Redacted.value(refreshToken)))
        assert.isAtMost(seeded.token.expiresAt, Date.now())
        const token = yield* (yield* member(key)).get
        const grants = (yield* tokenRequests).map((entry) => [entry.grantType, entry.status])
        assert.deepStrictEqual(grants, [["client_credentials", 200], ["refresh_token", 200]])
        assert.isTrue(AccessToken.sameToken(Option.getOrThrow(yield* store.get(key)).token, token))
        // the seeded refresh token was the one sent: the server rotated it, and no refresh token was reused
        const journal = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.journal)
        yield* Journal.noRefreshTokenUsedTwice(journal)
        assert.strictEqual((yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.families))[0]!.generation, 2)
      }).pipe(Effect.scoped, Effect.provide(withServer({ refreshRotation: true }))))

    it.live("invalid_grant fails with ReauthorizationRequired and removes the record that held the refused refresh token", () =>
      Effect.gen(function*() {
        const key = freshKey("refresh_token")
        const server = yield* AuthServer.AuthServer
        const store = yield* TokenStore.TokenStore
        const p = yield* member(key)
        const first = yield* p.get
        const families = yield* server.families
        yield* server.revokeFamily(families[0]!.id)
        yield* p.invalidate(first)
        const error = yield* Effect.flip(p.get)
        assert.strictEqual(error._tag, "ReauthorizationRequired")
        const grants = (yield* tokenRequests).map((entry) => [entry.grantType, entry.status])
        assert.deepStrictEqual(grants, [["client_credentials", 200], ["refresh_token", 400]])
        assert.isTrue(Option.isNone(yield* store.get(key)))
      }).pipe(Effect.scoped, Effect.provide(withServer())))

    if (loseLease !== undefined) {
      it.live("a refresh that outlives its lease still stores the rotated refresh token when nobody wrote meanwhile", () =>
        Effect.gen(function*() {
          const server = yield* AuthServer.AuthServer
          const store = yield* TokenStore.TokenStore
          const key = freshKey("refresh_token")
          const provider = yield* member(key)
          const first = yield* provider.get
          yield* server.fail(AuthServer.Latency({ duration: "300 millis" }))
          yield* provider.invalidate(first)
          const refreshing = yield* Effect.fork(provider.get)
          yield* Effect.sleep("100 millis")
          // The lease is lost while the request is in flight, as after a long pause of the process.
          yield* loseLease(key)
          const second = yield* refreshing.await.pipe(Effect.flatten)
          const stored = Option.getOrThrow(yield* store.get(key))
          assert.isTrue(AccessToken.sameToken(stored.token, second))
          // the chain goes on from the stored record
          yield* provider.invalidate(second)
          yield* provider.get
          const journal = yield* server.journal
          yield* Journal.noRefreshTokenUsedTwice(journal)
          assert.isTrue(Journal.tokenRequests(journal).every((entry) => entry.status === 200))
          assert.isFalse((yield* server.families)[0]!.revoked)
        }).pipe(Effect.scoped, Effect.provide(withServer())))
    }
  })
}
