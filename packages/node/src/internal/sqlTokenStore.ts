import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as TokenCipher from "@grantflow/core/TokenCipher"
import * as TokenStore from "@grantflow/core/TokenStore"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as SqlTokenStore from "../SqlTokenStore.js"

type Dialect = "pg" | "sqlite"

/** The names of the store's tables and columns, defaults filled in. */
interface Names {
  readonly tokens: string
  readonly leases: string
  readonly migrations: string
  readonly key: string
  readonly version: string
  readonly data: string
  readonly fence: string
  readonly owner: string
  readonly expiresAt: string
}

/** @internal */
export const names = (options: SqlTokenStore.SchemaOptions): Names => {
  const prefix = options.tablePrefix ?? "grantflow_"
  return {
    tokens: options.tables?.tokens ?? `${prefix}tokens`,
    leases: options.tables?.leases ?? `${prefix}leases`,
    migrations: options.tables?.migrations ?? `${prefix}migrations`,
    key: options.columns?.key ?? "key",
    version: options.columns?.version ?? "version",
    data: options.columns?.data ?? "data",
    fence: options.columns?.fence ?? "fence",
    owner: options.columns?.owner ?? "owner",
    expiresAt: options.columns?.expiresAt ?? "expires_at"
  }
}

/**
 * The client without the application's name transforms (the store's names
 * are written as configured, its result columns read as aliased), and the
 * dialect: PostgreSQL or SQLite, the two whose SQL the store speaks.
 */
const client = Effect.gen(function*() {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  const dialect = sql.onDialectOrElse({
    pg: (): Dialect | undefined => "pg",
    sqlite: (): Dialect | undefined => "sqlite",
    orElse: (): Dialect | undefined => undefined
  })
  if (dialect === undefined) {
    return yield* Effect.dieMessage(
      "SqlTokenStore speaks PostgreSQL (@effect/sql-pg) and SQLite (@effect/sql-sqlite-*); this SqlClient is neither"
    )
  }
  return { sql, dialect }
})

// ---------------------------------------------------------------------------
// The schema

/**
 * The tables, created if missing. Leases keep their row when released (its
 * expiry is set to 0): in SQLite the row carries the key's fencing counter.
 * In PostgreSQL fencing tokens come from the sequence of a `bigserial`
 * column; times are milliseconds since the epoch, from the database's clock.
 */
const createTables = (options: SqlTokenStore.SchemaOptions) =>
  Effect.gen(function*() {
    const { dialect, sql } = yield* client
    const n = names(options)
    const [text, integer, fence] = dialect === "pg"
      ? ["text", "bigint", "bigserial"]
      : ["TEXT", "INTEGER", "INTEGER"]
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(n.tokens)} (
  ${sql(n.key)} ${sql.literal(text)} PRIMARY KEY NOT NULL,
  ${sql(n.version)} ${sql.literal(integer)} NOT NULL,
  ${sql(n.data)} ${sql.literal(text)} NOT NULL,
  ${sql(n.fence)} ${sql.literal(integer)} NOT NULL DEFAULT 0
)`
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(n.leases)} (
  ${sql(n.key)} ${sql.literal(text)} PRIMARY KEY NOT NULL,
  ${sql(n.owner)} ${sql.literal(text)} NOT NULL,
  ${sql(n.fence)} ${sql.literal(fence)} NOT NULL,
  ${sql(n.expiresAt)} ${sql.literal(integer)} NOT NULL
)`
  })

/** @internal */
export const migrations = (options: SqlTokenStore.SchemaOptions): Migrator.Loader =>
  Migrator.fromRecord({ "1_create_token_store": createTables(options) })

/**
 * Processes that start together may all run it: the Migrator serialises them
 * with a table lock, but two that find no migrations table both create one,
 * and one fails. The migration is idempotent, so a failed run is tried again
 * (briefly): by then the table is there, and the lock decides.
 *
 * @internal
 */
export const migrate = (options: SqlTokenStore.SchemaOptions) =>
  Migrator.make({})({ loader: migrations(options), table: names(options).migrations }).pipe(
    Effect.retry({ times: 3, schedule: Schedule.spaced("100 millis"), while: (error) => error._tag === "SqlError" }),
    // the migrations table is named as configured, whatever the application's name transforms
    Effect.updateService(SqlClient.SqlClient, (sql) => sql.withoutTransforms())
  )

// ---------------------------------------------------------------------------
// Values read from the database

/**
 * A version or fencing token as the database returns it: a number (SQLite)
 * or a string of digits (PostgreSQL's bigint); 0 for anything else.
 */
const integerOf = (value: unknown): number => {
  const n = typeof value === "number"
    ? value
    : typeof value === "string" && value.length <= 15 && /^[1-9]\d*$/.test(value)
    ? Number(value)
    : typeof value === "bigint"
    ? Number(value)
    : 0
  return Number.isSafeInteger(n) && n > 0 ? n : 0
}

/**
 * What is kept of a database failure in a store error: its name, the
 * driver's message (one line, capped) and its code. The statement and its
 * parameters — the record, in clear with encryption "none" — are not.
 */
class SqlFailure extends Error {
  readonly code: string | undefined
  constructor(cause: unknown) {
    const inner = (cause as { readonly cause?: unknown } | null)?.cause ?? cause
    const message = inner instanceof Error ? inner.message : String((cause as Error | null)?.message ?? "")
    super(message.replace(/\s+/g, " ").slice(0, 300) || "the SQL client failed")
    this.name = inner instanceof Error ? inner.name : "SqlFailure"
    const code = (inner as { readonly code?: unknown } | null)?.code
    this.code = typeof code === "string" ? code : undefined
  }
}

// ---------------------------------------------------------------------------
// The store

const randomOwner = () => Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)))

/** @internal */
export const makeStore = (
  options: SqlTokenStore.Options
): Effect.Effect<TokenStore.TokenStore["Type"], never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const { dialect, sql } = yield* client
    const n = names(options)
    const timeout = Duration.decode(options.timeout ?? "5 seconds")
    const [tokens, leases, key, version, data, fence, owner, expiresAt] = [
      n.tokens,
      n.leases,
      n.key,
      n.version,
      n.data,
      n.fence,
      n.owner,
      n.expiresAt
    ].map((name) => sql(name))
    const lit = (text: string) => sql.literal(text)
    // the database's clock, in milliseconds since the epoch
    const now = lit(
      dialect === "pg"
        ? "(extract(epoch from now()) * 1000)::bigint"
        : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
    )
    const greatest = lit(dialect === "pg" ? "GREATEST" : "max")
    // a stored version that is not a positive integer counts as 0, so that a write at 0 replaces it
    const versionOf = (column: unknown) =>
      dialect === "pg"
        ? sql`(CASE WHEN ${column} > 0 THEN ${column} ELSE 0 END)`
        : sql`(CASE WHEN typeof(${column}) = 'integer' AND ${column} > 0 THEN ${column} ELSE 0 END)`
    const param = (value: string | number | undefined, type: "TEXT" | "BIGINT") =>
      sql`CAST(${value ?? null} AS ${lit(type)})`
    const heldBy = (k: string, o: string | undefined) =>
      sql`${leases}.${key} = ${param(k, "TEXT")} AND ${leases}.${owner} = ${param(o, "TEXT")} AND ${leases}.${expiresAt} > ${now}`

    /**
     * One statement, bounded by the timeout, its failure an `Unavailable`
     * store error. In PostgreSQL it runs on a connection of its own, outside
     * any transaction of the caller's: a lease taken inside one would not be
     * seen by other processes until it commits, and a rollback would take a
     * saved refresh token with it. SQLite's client has one connection, held
     * by an open transaction: there a statement can only join it.
     */
    const run = <A extends object>(operation: string, statement: Statement.Statement<A>) => {
      // disconnected: the timeout answers at once, while the statement's cancellation goes on apart
      const bounded = Effect.disconnect(statement).pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new Error(`no answer from the database within ${Duration.format(timeout)}`)
        }),
        Effect.mapError((cause: SqlError.SqlError | Error) =>
          new TokenStore.TokenStoreError({ reason: "Unavailable", operation, cause: new SqlFailure(cause) })
        )
      )
      return dialect === "pg"
        ? Effect.mapInputContext(bounded, (context: Context.Context<never>) =>
          Context.omit(SqlClient.TransactionConnection)(context))
        : bounded
    }

    const acquireLease = (k: TokenStore.Key, ttl: Duration.Duration) => {
      const o = randomOwner()
      const millis = param(Math.max(1, Math.round(Duration.toMillis(ttl))), "BIGINT")
      // PostgreSQL: the next value of the column's sequence; SQLite: the key's counter, one up
      const [columns, first, next] = dialect === "pg"
        ? [sql`${key}, ${owner}, ${expiresAt}`, sql``, sql`EXCLUDED.${fence}`]
        : [sql`${key}, ${owner}, ${expiresAt}, ${fence}`, sql`, 1`, sql`${leases}.${fence} + 1`]
      const statement = sql<{ readonly fence: unknown }>`INSERT INTO ${leases} (${columns})
VALUES (${param(k, "TEXT")}, ${param(o, "TEXT")}, ${now} + ${millis}${first})
ON CONFLICT (${key}) DO UPDATE SET ${owner} = EXCLUDED.${owner}, ${fence} = ${next}, ${expiresAt} = EXCLUDED.${expiresAt}
WHERE ${leases}.${expiresAt} <= ${now}
RETURNING ${fence} AS fence`
      return Effect.map(run("lease", statement), (rows): Option.Option<TokenStore.Lease> =>
        rows.length === 0 ? Option.none() : Option.some({
          owner: o,
          extend: Effect.map(
            run(
              "lease",
              sql`UPDATE ${leases} SET ${expiresAt} = ${now} + ${millis} WHERE ${heldBy(k, o)} RETURNING ${fence} AS fence`
            ),
            (extended) => extended.length === 1
          ),
          release: Effect.ignore(run(
            "lease",
            sql`UPDATE ${leases} SET ${expiresAt} = 0 WHERE ${leases}.${key} = ${param(k, "TEXT")} AND ${leases}.${owner} = ${
              param(o, "TEXT")
            }`
          ))
        }))
    }

    const leaseHeld = (k: TokenStore.Key, o: string) =>
      Effect.map(run("set", sql`SELECT 1 AS held FROM ${leases} WHERE ${heldBy(k, o)}`), (rows) => rows.length === 1)

    return TokenStore.fromBackend({
      get: (k) =>
        Effect.flatMap(
          run(
            "get",
            sql<{ readonly version: unknown; readonly data: unknown }>`SELECT ${versionOf(version)} AS version, ${data} AS data
FROM ${tokens} WHERE ${key} = ${param(k, "TEXT")}`
          ),
          (rows) => {
            const row = rows[0]
            if (row === undefined) return Effect.succeedNone
            const v = integerOf(row.version)
            return v > 0 && typeof row.data === "string"
              ? Effect.succeedSome({ version: v, data: row.data })
              : Effect.fail(
                new TokenStore.TokenStoreError({
                  reason: "Corrupt",
                  operation: "get",
                  cause: new Error("the record row lacks a valid version or data"),
                  version: v
                })
              )
          }
        ),
      // Compare-and-set in one statement: the row is inserted (version 0: no
      // record) or updated only if its version is still the expected one and,
      // with a lease, the lease row is still this owner's, unexpired, and its
      // fencing token is not older than the one the record was written under.
      compareAndSet: (k, expectedVersion, d, lease) => {
        const o = lease?.owner
        const held = sql`SELECT ${leases}.${fence} FROM ${leases} WHERE ${heldBy(k, o)}`
        const statement = sql<{ readonly version: unknown }>`INSERT INTO ${tokens} (${key}, ${version}, ${data}, ${fence})
SELECT ${param(k, "TEXT")}, ${param(expectedVersion + 1, "BIGINT")}, ${param(d, "TEXT")}, COALESCE((${held}), 0)
WHERE ${param(o, "TEXT")} IS NULL OR EXISTS (${held})
ON CONFLICT (${key}) DO UPDATE SET ${version} = EXCLUDED.${version}, ${data} = EXCLUDED.${data},
  ${fence} = ${greatest}(${tokens}.${fence}, EXCLUDED.${fence})
WHERE ${versionOf(sql`${tokens}.${version}`)} = ${param(expectedVersion, "BIGINT")}
  AND (${param(o, "TEXT")} IS NULL OR ${tokens}.${fence} <= EXCLUDED.${fence})
RETURNING ${version} AS version`
        return Effect.flatMap(run("set", statement), (rows): Effect.Effect<TokenStore.WriteResult, TokenStore.TokenStoreError> => {
          if (rows.length === 1) return Effect.succeed({ _tag: "Written", version: integerOf(rows[0]!.version) })
          // Refused: say why. A lease lost since the statement ran reads as "Lease"; the caller then
          // writes again without it at the same version, which the version check still decides.
          return o === undefined
            ? Effect.succeed({ _tag: "Conflict", reason: "Version" })
            : Effect.map(leaseHeld(k, o), (stillHeld) => ({ _tag: "Conflict", reason: stillHeld ? "Version" : "Lease" }))
        })
      },
      remove: (k, expectedVersion) =>
        Effect.map(
          run(
            "remove",
            sql`DELETE FROM ${tokens} WHERE ${key} = ${param(k, "TEXT")} AND ${versionOf(version)} = ${
              param(expectedVersion, "BIGINT")
            } AND ${param(expectedVersion, "BIGINT")} > 0 RETURNING ${key} AS key`
          ),
          (rows) => rows.length === 1
        ),
      acquireLease
    }, options)
  })

/** @internal */
export const make = (
  options: SqlTokenStore.Options
): Effect.Effect<
  TokenStore.TokenStore["Type"],
  Migrator.MigrationError | SqlError.SqlError,
  SqlClient.SqlClient
> =>
  options.migrate === true
    ? Effect.zipRight(migrate(options), makeStore(options))
    : makeStore(options)

/** @internal */
export const layer = (
  options: SqlTokenStore.Options
): Layer.Layer<TokenStore.TokenStore, Migrator.MigrationError | SqlError.SqlError, SqlClient.SqlClient> =>
  Layer.effect(TokenStore.TokenStore, make(options))

/** @internal */
export const layerConfig = (
  prefix = "GRANTFLOW_STORE"
): Layer.Layer<
  TokenStore.TokenStore,
  ConfigError.ConfigError | TokenCipher.InvalidKey | Migrator.MigrationError | SqlError.SqlError,
  SqlClient.SqlClient
> =>
  Layer.effect(
    TokenStore.TokenStore,
    Effect.flatMap(
      Effect.all([
        Config.all({
          tablePrefix: Config.string(`${prefix}_SQL_TABLE_PREFIX`).pipe(Config.withDefault("grantflow_")),
          migrate: Config.boolean(`${prefix}_SQL_MIGRATE`).pipe(Config.withDefault(false))
        }),
        Effect.flatMap(TokenCipher.keysConfig(prefix), TokenCipher.aesGcm)
      ]),
      ([options, encryption]) => make({ ...options, encryption })
    )
  )
