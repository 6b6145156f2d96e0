/**
 * A `TokenStore` in the application's own SQL database, through
 * `@effect/sql`'s `SqlClient`: PostgreSQL (`@effect/sql-pg`) for a fleet, or
 * SQLite (`@effect/sql-sqlite-node`) for one process. It gives what the Redis
 * store gives: records written with compare-and-set on their version in one
 * statement, and refresh leases as rows (owner, expiry, fencing token) whose
 * expiry is read from the database's clock, released and extended only by
 * their owner — so one process refreshes each token for the whole fleet.
 *
 * Every operation is one statement on a connection taken from the pool and
 * given back at once, outside any transaction of the caller's: no
 * connection is held while a token request is in flight. A database that
 * fails or does not answer in time is a store miss for grantflow, which keeps
 * serving from its in-process cache.
 *
 * The tables come from a migration: run {@link migrate} (it keeps its own
 * migrations table), or let the layer run it with `migrate: true`.
 *
 * Import it as `@grantflow/node/SqlTokenStore`: the package's root does not
 * load `@effect/sql`, which users of the other stores need not install.
 *
 * @since 0.1.0
 */
import type * as Migrator from "@effect/sql/Migrator"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as TokenCipher from "@grantflow/core/TokenCipher"
import type * as TokenStore from "@grantflow/core/TokenStore"
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as internal from "./internal/sqlTokenStore.js"

/**
 * Where the store keeps its rows:
 *
 * - `tablePrefix` (default `grantflow_`): the tables are `<prefix>tokens`,
 *   `<prefix>leases` and `<prefix>migrations`, so that deployments and tests
 *   can share a database; a prefix may name a PostgreSQL schema
 *   (`auth.grantflow_`);
 * - `tables`: any of the three names in full, over the prefix;
 * - `columns`: the column names, when the defaults (`key`, `version`,
 *   `data`, `fence`, `owner`, `expires_at`) clash with a naming convention.
 *
 * The same options must be given to {@link migrate} and to the store.
 *
 * @since 0.1.0
 * @category models
 */
export interface SchemaOptions {
  readonly tablePrefix?: string | undefined
  readonly tables?: {
    readonly tokens?: string | undefined
    readonly leases?: string | undefined
    readonly migrations?: string | undefined
  } | undefined
  readonly columns?: {
    readonly key?: string | undefined
    readonly version?: string | undefined
    readonly data?: string | undefined
    readonly fence?: string | undefined
    readonly owner?: string | undefined
    readonly expiresAt?: string | undefined
  } | undefined
}

/**
 * Options of a SQL store: the {@link SchemaOptions}, and
 *
 * - `encryption`: a `TokenCipher`, or `"none"`;
 * - `migrate` (default `false`): run {@link migrate} when the store is made;
 * - `timeout` (default 5 s): how long one statement may take before it
 *   counts as a store miss.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends TokenStore.PersistentOptions, SchemaOptions {
  readonly migrate?: boolean | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The store over the `SqlClient` in context (PostgreSQL or SQLite; another
 * dialect is a defect). With `migrate: true` it first creates its tables.
 * The store keeps using that client: use it while the client's layer is
 * open (or use {@link layer}).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
 * import type { TokenStore } from "@grantflow/core"
 * import { PgClient } from "@effect/sql-pg"
 * import { Effect, Redacted } from "effect"
 *
 * declare const key: TokenStore.Key
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* SqlTokenStore.make({ encryption: "none", migrate: true })
 *   return yield* store.get(key)
 * }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make("postgres://app@127.0.0.1:5432/app") })))
 * ```
 */
export const make: (
  options: Options
) => Effect.Effect<TokenStore.TokenStore["Type"], Migrator.MigrationError | SqlError.SqlError, SqlClient.SqlClient> =
  internal.make

/**
 * A layer of the SQL store over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { TokenCipher } from "@grantflow/core"
 * import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
 * import { PgClient } from "@effect/sql-pg"
 * import { Config, Effect, Layer } from "effect"
 *
 * const StoreLive = Layer.unwrapEffect(
 *   Effect.map(Effect.flatMap(TokenCipher.keysConfig(), TokenCipher.aesGcm), (cipher) =>
 *     SqlTokenStore.layer({ encryption: cipher, tablePrefix: "billing_", migrate: true }))
 * ).pipe(Layer.provide(PgClient.layerConfig({ url: Config.redacted("DATABASE_URL") })))
 * ```
 */
export const layer: (
  options: Options
) => Layer.Layer<TokenStore.TokenStore, Migrator.MigrationError | SqlError.SqlError, SqlClient.SqlClient> =
  internal.layer

/**
 * A layer of the SQL store over the `SqlClient` in context, configured from
 * `Config`: `<PREFIX>_SQL_TABLE_PREFIX` (default `grantflow_`),
 * `<PREFIX>_SQL_MIGRATE` (default `false`), and the encryption keys of
 * `TokenCipher.keysConfig(prefix)` (`<PREFIX>_KEY`, `<PREFIX>_PREVIOUS_KEYS`).
 * The prefix defaults to `GRANTFLOW_STORE`. Records are always encrypted in
 * this form.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
 * import { PgClient } from "@effect/sql-pg"
 * import { Config, Layer } from "effect"
 *
 * // GRANTFLOW_STORE_KEY=2026-11:… GRANTFLOW_STORE_SQL_MIGRATE=true
 * const StoreLive = SqlTokenStore.layerConfig().pipe(
 *   Layer.provide(PgClient.layerConfig({ url: Config.redacted("DATABASE_URL") }))
 * )
 * ```
 */
export const layerConfig: (
  prefix?: string
) => Layer.Layer<
  TokenStore.TokenStore,
  ConfigError.ConfigError | TokenCipher.InvalidKey | Migrator.MigrationError | SqlError.SqlError,
  SqlClient.SqlClient
> = internal.layerConfig

/**
 * Creates the store's tables if they are missing, through `@effect/sql`'s
 * `Migrator`, recording what it ran in its own migrations table
 * (`<prefix>migrations`), apart from the application's. Returns the
 * migrations it ran: none when the tables are up to date. Run it once per
 * deployment (a release step), or let the store run it (`migrate: true`).
 *
 * @since 0.1.0
 * @category migrations
 * @example
 * ```ts
 * import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect } from "effect"
 *
 * const migrated = SqlTokenStore.migrate({ tablePrefix: "grantflow_" }).pipe(
 *   Effect.provide(SqliteClient.layer({ filename: "tokens.db" }))
 * )
 * ```
 */
export const migrate: (
  options: SchemaOptions
) => Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  Migrator.MigrationError | SqlError.SqlError,
  SqlClient.SqlClient
> = internal.migrate

/**
 * The store's migrations as a `Migrator` loader, for an application that
 * runs them with its own migrator (e.g. `PgMigrator.run`, which can also dump
 * the schema). Give them a migrations table of their own: their ids start at
 * 1, like the application's.
 *
 * @since 0.1.0
 * @category migrations
 * @example
 * ```ts
 * import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
 * import { PgMigrator } from "@effect/sql-pg"
 *
 * const migrated = PgMigrator.run({ loader: SqlTokenStore.migrations({}), table: "grantflow_migrations" })
 * ```
 */
export const migrations: (options: SchemaOptions) => Migrator.Loader = internal.migrations
