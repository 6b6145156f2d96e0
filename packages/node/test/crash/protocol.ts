/**
 * What the crash-safety harness (CrashSafety.test.ts) and its child process
 * (child.ts) agree on: the settings passed in the environment, and the lines
 * they exchange.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as TokenCipher from "@grantflow/core/TokenCipher"
import * as FileTokenStore from "@grantflow/node/FileTokenStore"
import * as RedisTokenStore from "@grantflow/node/RedisTokenStore"
import * as SqlTokenStore from "@grantflow/node/SqlTokenStore"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

export const clientSecret = "crash-secret"

/**
 * Where a stepping child stops and waits for `go`: before it sends the token
 * request, before it writes the store, after it wrote it.
 */
export type Point = "request" | "write" | "written"

/** One user's connection: its own client, token endpoint (a port of its own) and store key. */
export const Connection = Schema.Struct({
  tokenUrl: Schema.String,
  clientId: Schema.String,
  /** The connection key (`TokenStore.key`) its chain is stored under. */
  key: Schema.String
})
export type Connection = typeof Connection.Type

/**
 * How a connection keeps its rotating refresh token: `TokenStore.shared` on
 * the store, or `Grant.refreshTokenFlow` whose `onRotate` writes it there.
 */
export const Path = Schema.Literal("shared", "refreshTokenFlow")
export type Path = typeof Path.Type

export const Settings = Schema.Struct({
  store: Schema.Literal("file", "redis", "postgres"),
  path: Path,
  /** The directory of the file store, the key prefix in Redis, or the table prefix in PostgreSQL. */
  location: Schema.String,
  /** The URL of the Redis or PostgreSQL server. */
  server: Schema.String,
  leaseTtl: Schema.DurationFromMillis,
  connections: Schema.Array(Connection)
})
export type Settings = typeof Settings.Type

/** The cipher keys, read by the child with `TokenCipher.keysConfig(cipherPrefix)`. */
export const cipherPrefix = "GF_CRASH"

const SETTINGS = "GF_CRASH_SETTINGS"

/** The environment of a child: its settings, and its cipher key (`<id>:<base64 of 32 bytes>`). */
export const toEnv = (settings: Settings, cipherKey: string): Record<string, string> => ({
  [SETTINGS]: JSON.stringify(Schema.encodeSync(Settings)(settings)),
  [`${cipherPrefix}_KEY`]: cipherKey
})

/** The settings, as the child reads them from its environment. */
export const settingsConfig = Schema.Config(SETTINGS, Schema.parseJson(Settings))

/** The store the settings name, as the harness and its children make it. */
export const storeLayer = (settings: Settings, encryption: TokenCipher.TokenCipher) => {
  switch (settings.store) {
    case "file":
      return FileTokenStore.layer(settings.location, { encryption })
    case "redis":
      return RedisTokenStore.layer({ redis: settings.server, prefix: settings.location, encryption })
    case "postgres":
      return SqlTokenStore.layer({ tablePrefix: settings.location, encryption }).pipe(
        Layer.provide(PgClient.layer({ url: Redacted.make(settings.server) })),
        Layer.orDie
      )
  }
}
