/**
 * What the crash-safety harness (CrashSafety.test.ts) and its child process
 * (child.ts) agree on: the settings passed in the environment, and the lines
 * they exchange.
 */
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
  store: Schema.Literal("file", "redis"),
  path: Path,
  /** The directory of the file store, or the key prefix in Redis. */
  location: Schema.String,
  redis: Schema.String,
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
