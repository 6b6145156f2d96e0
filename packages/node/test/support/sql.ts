import * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { type Duration, Effect, type Layer, Redacted } from "effect"

/** The test database that scripts/ensure-postgres.sh makes. */
export const TEST_DATABASE = process.env.GRANTFLOW_TEST_DATABASE_URL ??
  "postgres://grantflow:grantflow@127.0.0.1:5432/grantflow_test"

/** A client of the test database, through `port` when given (a proxy in front of it). */
export const pgLayer = (
  options: {
    readonly port?: number
    readonly maxConnections?: number
    readonly connectTimeout?: Duration.DurationInput
  } = {}
) => {
  const url = new URL(TEST_DATABASE)
  // the URL's port wins over a `port` option in node-postgres
  if (options.port !== undefined) url.port = String(options.port)
  return PgClient.layer({
    url: Redacted.make(url.toString()),
    maxConnections: options.maxConnections,
    connectTimeout: options.connectTimeout
  })
}

let counter = 0
/** Table names of their own for a suite, so that runs and suites sharing the database never meet. */
export const testPrefix = () => `gf_test_${process.pid}_${Date.now().toString(36)}_${++counter}_`

/** Drops the tables of a store whose names start with `prefix`. */
export const dropTables = (client: Layer.Layer<SqlClient.SqlClient, unknown>, prefix: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(
      ["tokens", "leases", "migrations"],
      (table) => sql`DROP TABLE IF EXISTS ${sql(`${prefix}${table}`)}`,
      { discard: true }
    )).pipe(Effect.provide(client), Effect.scoped)
