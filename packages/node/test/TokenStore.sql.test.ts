/**
 * The SQL store against the real PostgreSQL server on 127.0.0.1:5432 (the
 * test database made by scripts/ensure-postgres.sh) and against SQLite in a
 * temporary file: the store contract, the records as they lie in the
 * database, leases as rows, an outage of the database, and the pool.
 * Every suite uses tables of its own (a prefix per run and suite), dropped
 * at the end.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { AccessToken, TokenCipher, TokenStore } from "@grantflow/core"
import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
import { ConfigProvider, Deferred, Duration, Effect, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { dpopStoreSuite } from "../../core/test/dpopStoreSuite.js"
import { printings } from "../../core/test/leakCapture.js"
import { freshKey, member, simulatedServer, storeSuite, tokenOf } from "../../core/test/tokenStoreSuite.js"
import { outageSuite } from "./support/outageSuite.js"
import { dropTables, pgLayer, TEST_DATABASE, testPrefix } from "./support/sql.js"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "grantflow-sql-store-"))
const sqliteLayer = SqliteClient.layer({ filename: path.join(directory, "tokens.db") })
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const keyOf = (id: string) => ({ id, secret: Redacted.make(Buffer.alloc(32, id).toString("base64")) })
const cipher = TokenCipher.aesGcm({ current: keyOf("k1") })

// SQLite's tables go with the temporary directory
const backends: ReadonlyArray<{
  readonly name: "PostgreSQL" | "SQLite"
  readonly client: Layer.Layer<SqlClient.SqlClient, unknown>
  readonly drop: boolean
}> = [
  { name: "PostgreSQL", client: pgLayer(), drop: true },
  { name: "SQLite", client: sqliteLayer, drop: false }
]

/** A SQL store over `client`, its tables made by the layer (`migrate: true`), with the SqlClient beside it. */
const storeLayer = (client: Layer.Layer<SqlClient.SqlClient, unknown>, options: Partial<SqlTokenStore.Options>) =>
  Layer.unwrapEffect(Effect.map(cipher, (encryption) => SqlTokenStore.layer({ encryption, migrate: true, ...options })))
    .pipe(Layer.provideMerge(client))

for (const backend of backends) {
  const tablePrefix = testPrefix()
  if (backend.drop) afterAll(() => Effect.runPromise(dropTables(backend.client, tablePrefix)))
  const tokens = `${tablePrefix}tokens`
  const leases = `${tablePrefix}leases`
  const StoreLive = storeLayer(backend.client, { tablePrefix })

  storeSuite(`${backend.name} store`, StoreLive, {
    damage: (key, how) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        how === "Empty"
          ? sql`UPDATE ${sql(tokens)} SET data = '' WHERE key = ${key}`
          : sql`UPDATE ${sql(tokens)} SET data = substr(data, 1, 20) WHERE key = ${key}`),
    loseLease: (key) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.flatMap(
          sql`DELETE FROM ${sql(leases)} WHERE key = ${key} AND expires_at > 0 RETURNING key`,
          (rows) => rows.length === 1 ? Effect.void : Effect.dieMessage("no lease to lose")
        ))
  })

  dpopStoreSuite(
    `${backend.name} store`,
    Effect.flatMap(cipher, (encryption) => SqlTokenStore.make({ encryption, migrate: true, tablePrefix })),
    (key) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ data: string }>`SELECT data FROM ${sql(tokens)} WHERE key = ${key}`)
        .pipe(Effect.map((rows) => rows[0]?.data ?? assert.fail("no record"))),
    backend.client
  )

  describe(`${backend.name} store specifics`, () => {
    it.live("records are sealed: neither the access token nor the refresh token is in the database in clear", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const sql = yield* SqlClient.SqlClient
        const key = freshKey()
        yield* store.set(key, tokenOf("access-in-clear", "refresh-in-clear"), { expectedVersion: 0 })
        const rows = yield* sql<{ version: unknown; data: string }>`SELECT version, data FROM ${sql(tokens)} WHERE key = ${key}`
        assert.strictEqual(Number(rows[0]!.version), 1)
        assert.match(rows[0]!.data, /^gf1\.k1\./)
        assert.notInclude(rows[0]!.data, "in-clear")
      }).pipe(Effect.provide(StoreLive)))

    it.live("fencing tokens grow with every lease, and a record carries the fence of the lease it was written under", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const sql = yield* SqlClient.SqlClient
        const key = freshKey()
        const fenceOf = Effect.map(
          sql<{ fence: unknown }>`SELECT fence FROM ${sql(leases)} WHERE key = ${key}`,
          (rows) => Number(rows[0]!.fence)
        )
        const fences: Array<number> = []
        for (let version = 0; version < 3; version++) {
          const lease = Option.getOrThrow(yield* store.acquireLease(key, Duration.seconds(5)))
          fences.push(yield* fenceOf)
          assert.strictEqual((yield* store.set(key, tokenOf(`t${version}`), { expectedVersion: version, lease }))._tag, "Written")
          yield* lease.release
        }
        assert.isTrue(fences[0]! < fences[1]! && fences[1]! < fences[2]!, `fences ${fences.join(", ")}`)
        const written = yield* sql<{ fence: unknown }>`SELECT fence FROM ${sql(tokens)} WHERE key = ${key}`
        assert.strictEqual(Number(written[0]!.fence), fences[2])
      }).pipe(Effect.provide(StoreLive)))

    it.effect("a lease's expiry is read from the database's clock, not the process's", () =>
      Effect.gen(function*() {
        // the process's clock is a century ahead: the lease still lasts its 30 seconds by the database's
        yield* TestClock.setTime(Date.UTC(2126, 0, 1))
        const store = yield* TokenStore.TokenStore
        const sql = yield* SqlClient.SqlClient
        const key = freshKey()
        const databaseNow = Effect.map(
          sql.onDialectOrElse({
            pg: () => sql<{ now: unknown }>`SELECT (extract(epoch from now()) * 1000)::bigint AS now`,
            orElse: () => sql<{ now: unknown }>`SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) AS now`
          }),
          (rows) => Number(rows[0]!.now)
        )
        const before = yield* databaseNow
        yield* store.acquireLease(key, Duration.seconds(30))
        const after = yield* databaseNow
        const rows = yield* sql<{ expires: unknown }>`SELECT expires_at AS expires FROM ${sql(leases)} WHERE key = ${key}`
        const expires = Number(rows[0]!.expires)
        assert.isAtLeast(expires, before + 30_000)
        assert.isAtMost(expires, after + 30_000)
      }).pipe(Effect.provide(StoreLive)))

    it.live("a failing statement is an Unavailable store error that shows neither the record nor the statement", () =>
      Effect.gen(function*() {
        // tables that were never made: every statement fails
        const store = yield* SqlTokenStore.make({ encryption: "none", tablePrefix: testPrefix() })
        const key = freshKey()
        const error = yield* Effect.flip(store.set(key, tokenOf("access-in-clear", "refresh-in-clear"), { expectedVersion: 0 }))
        assert.strictEqual(error.reason, "Unavailable")
        assert.strictEqual(error.operation, "set")
        assert.match(String((error.cause as Error).message), /tokens/)
        for (const text of printings(error)) {
          assert.notInclude(text, "in-clear")
          assert.notInclude(text, "INSERT")
        }
      }).pipe(Effect.provide(backend.client)))

    it.live("layerConfig reads its table prefix, the migration switch and the cipher keys from Config", () =>
      Effect.gen(function*() {
        const configured = testPrefix()
        if (backend.drop) yield* Effect.addFinalizer(() => Effect.orDie(dropTables(backend.client, configured)))
        const secret = Buffer.alloc(32, "c").toString("base64")
        const StoreFromConfig = SqlTokenStore.layerConfig("GF_SQL_TEST").pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(
            new Map([
              ["GF_SQL_TEST_SQL_TABLE_PREFIX", configured],
              ["GF_SQL_TEST_SQL_MIGRATE", "true"],
              ["GF_SQL_TEST_KEY", `from-config:${secret}`]
            ])
          )))
        )
        const key = freshKey()
        yield* Effect.flatMap(TokenStore.TokenStore, (store) => store.set(key, tokenOf("configured"), { expectedVersion: 0 }))
          .pipe(Effect.provide(StoreFromConfig))
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ data: string }>`SELECT data FROM ${sql(`${configured}tokens`)} WHERE key = ${key}`
        assert.match(rows[0]!.data, /^gf1\.from-config\./)
      }).pipe(Effect.scoped, Effect.provide(backend.client)))

    if (backend.name !== "PostgreSQL") return
    it.live("the application's name transforms on its client do not reach the store's tables and columns", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const key = freshKey()
        yield* store.set(key, tokenOf("one"), { expectedVersion: 0 })
        assert.strictEqual(Option.getOrThrow(yield* store.get(key)).version, 1)
      }).pipe(Effect.provide(storeLayer(
        PgClient.layer({
          url: Redacted.make(TEST_DATABASE),
          transformQueryNames: (name) => name.toUpperCase(),
          transformResultNames: (name) => `${name}_`
        }),
        { tablePrefix }
      ))))

    it.live("processes that start together may all run the migration: each succeeds, and it runs once", () =>
      Effect.gen(function*() {
        const together = testPrefix()
        yield* Effect.addFinalizer(() => Effect.orDie(dropTables(backend.client, together)))
        // a client each, as separate processes have
        const ran = yield* Effect.all(
          Array.from({ length: 6 }, () => Effect.provide(SqlTokenStore.migrate({ tablePrefix: together }), pgLayer())),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(ran.flat().length, 1)
      }).pipe(Effect.scoped))

    it.live("the store's statements run outside the caller's transaction: a rollback takes none of its writes", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const sql = yield* SqlClient.SqlClient
        const key = freshKey()
        yield* sql.withTransaction(Effect.gen(function*() {
          assert.isTrue(Option.isSome(yield* store.acquireLease(key, Duration.seconds(5))))
          yield* store.set(key, tokenOf("one"), { expectedVersion: 0 })
          // read by another connection (PostgreSQL) while the transaction is open
          const rows = yield* Effect.flatMap(store.get(key), (entry) => Effect.succeed(Option.map(entry, (e) => e.version)))
          assert.deepStrictEqual(rows, Option.some(1))
          return yield* Effect.fail("roll back")
        })).pipe(Effect.ignore)
        // the rollback took nothing of the store's with it
        assert.strictEqual(Option.getOrThrow(yield* store.get(key)).version, 1)
        assert.isTrue(Option.isNone(yield* store.acquireLease(key, Duration.seconds(5))))
      }).pipe(Effect.provide(StoreLive)))
  })
}

const poolPrefix = testPrefix()
afterAll(() => Effect.runPromise(dropTables(pgLayer(), poolPrefix)))
// a short timeout: a connection held elsewhere makes the store's statements fail, not the test hang
const poolOfOne = storeLayer(pgLayer({ maxConnections: 1 }), { tablePrefix: poolPrefix, timeout: "3 seconds" })

describe("the PostgreSQL store and its connection pool", () => {
  it.live("no connection is held while a token request is in flight: with a pool of one, others use the store meanwhile", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.TokenStore
      const key = freshKey()
      const other = freshKey()
      // the token request waits at the gate until the store has been used from another fiber
      const reached = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const provider = yield* member(key, { refresh: false }).pipe(
        Effect.updateService(HttpClient.HttpClient, (client) =>
          HttpClient.mapRequestEffect(client, (request) =>
            Effect.as(Effect.zipRight(Deferred.succeed(reached, undefined), Deferred.await(gate)), request)))
      )
      const refreshing = yield* Effect.fork(provider.get)
      yield* Deferred.await(reached)
      // the refresh holds the key's lease and waits for its answer; the one connection is free
      assert.isTrue(Option.isNone(yield* store.acquireLease(key, Duration.seconds(5))))
      assert.deepStrictEqual(yield* store.set(other, tokenOf("other"), { expectedVersion: 0 }), { _tag: "Written", version: 1 })
      assert.strictEqual(Option.getOrThrow(yield* store.get(other)).version, 1)
      assert.isTrue(Option.isNone(yield* Fiber.poll(refreshing)))
      yield* Deferred.succeed(gate, undefined)
      const token = yield* Fiber.join(refreshing)
      assert.isTrue(AccessToken.sameToken(Option.getOrThrow(yield* store.get(key)).token, token))
    }).pipe(Effect.scoped, Effect.provide(simulatedServer()), Effect.provide(poolOfOne)))
})

const outagePrefix = testPrefix()
afterAll(() => Effect.runPromise(dropTables(pgLayer(), outagePrefix)))
outageSuite(
  "PostgreSQL",
  { host: new URL(TEST_DATABASE).hostname, port: Number(new URL(TEST_DATABASE).port || 5432) },
  (port) =>
    Effect.flatMap(Layer.build(pgLayer({ port, connectTimeout: "2 seconds" })), (context) =>
      SqlTokenStore.make({ tablePrefix: outagePrefix, encryption: "none", migrate: true, timeout: "2 seconds" }).pipe(
        Effect.provide(context),
        Effect.orDie
      ))
)
