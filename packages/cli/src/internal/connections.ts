/**
 * Named connections of the `grantflow` command: what `login` saves and
 * `request`, `connections` and `logout` use.
 *
 * A connection is its settings (the issuer, the endpoints, the client id and
 * how it authenticates, the scopes; never a secret), kept in clear as
 * `<home>/connections/<name>.json`, and two records sealed with the
 * store's key (AES-256-GCM, `TokenCipher`) in the file token store under
 * `<home>/store`: its tokens (a `TokenStore` record, so that the refresh
 * protocol of `TokenStore.shared` keeps a rotated refresh token) and its
 * client credentials (secret or private key), when it has any. Refreshes
 * take the file store's lease, a lock file beside the records that holds
 * between processes, so that parallel runs refresh a connection once.
 *
 * The home is `$GRANTFLOW_HOME`, else `$XDG_CONFIG_HOME/grantflow`, else
 * `~/.config/grantflow`, created with mode 0700. The key is `GRANTFLOW_KEY`
 * (`<key id>:<base64 of 32 bytes>`, older keys in `GRANTFLOW_PREVIOUS_KEYS`)
 * or else the file `<home>/key` (same format, mode 0600), created on the
 * first save.
 *
 * @internal
 */
import * as Args from "@effect/cli/Args"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import type * as AccessToken from "@grantflow/core/AccessToken"
import * as ClientAuth from "@grantflow/core/ClientAuth"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as TokenCipher from "@grantflow/core/TokenCipher"
import * as TokenStore from "@grantflow/core/TokenStore"
import { FileTokenStore } from "@grantflow/node"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { homedir } from "node:os"
import { join } from "node:path"
import { viaUrl } from "./catalog.js"
import { type AuthMethod, authMethods } from "./client.js"
import * as Failure from "./failure.js"
import * as Output from "./output.js"

/** What a connection name may be: it names a file. @internal */
export const namePattern = /^[\w.-]{1,64}$/

/**
 * Checks a connection name: letters, digits, `.`, `_` and `-`, at most 64,
 * not `.` or `..`. A bad name is a usage error.
 *
 * @internal
 */
export const checkName = (name: string): Effect.Effect<string, Failure.CliFailure> =>
  namePattern.test(name) && name !== "." && name !== ".."
    ? Effect.succeed(name)
    : Failure.usage(
      `${JSON.stringify(name.slice(0, 80))} is not a connection name`,
      "use 1 to 64 letters, digits, '.', '_' or '-'"
    )

/**
 * A connection's settings, saved in clear: no secret, no token.
 *
 * @internal
 */
export class Settings extends Schema.Class<Settings>("Settings")({
  name: Schema.String,
  /** The issuer, or the token endpoint's URL when the server was not discovered. */
  issuer: Schema.String,
  tokenUrl: Schema.String,
  revocationUrl: Schema.optional(Schema.String),
  clientId: Schema.String,
  authMethod: Schema.Literal(...authMethods),
  /** The `kid` of the private key of `private_key_jwt`, when given. */
  keyId: Schema.optional(Schema.String),
  scopes: Schema.Array(Schema.String),
  /** Plain http: allowed to a host that is not loopback. */
  insecure: Schema.Boolean,
  /** Seconds to wait for each answer of the authorization server. */
  timeout: Schema.Number,
  /** Epoch milliseconds. */
  createdAt: Schema.Number,
  /**
   * The catalog entry (`Providers`) the connection was made with, whose
   * connector `request` uses; absent for a connection to an issuer.
   */
  provider: Schema.optional(Schema.String),
  /** The entry's configuration fields other than the client (`--param`): public ones only. */
  params: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  /** The origin the entry's requests are sent to instead of the provider's (`--via`, a twin). */
  via: Schema.optional(Schema.String)
}) {}

/** A connection's client credentials, sealed in the store. @internal */
export interface Credentials {
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  readonly privateKey?: Redacted.Redacted<ClientAuth.PrivateKey> | undefined
}

/** A saved connection: its settings and its credentials. @internal */
export interface Connection {
  readonly settings: Settings
  readonly credentials: Credentials
}

/**
 * Where a connection stands, from its stored token alone (the server is not
 * asked):
 *
 * - `ok`: its access token has not expired;
 * - `expired, refreshable`: it has expired, and a refresh token is kept;
 * - `needs login`: no token, or an expired one with no refresh token (a
 *   refused refresh token is removed when it is refused);
 * - `unreadable`: its record cannot be opened with the key given.
 *
 * @internal
 */
export type Health = "ok" | "expired, refreshable" | "needs login" | "unreadable"

/** A connection as `grantflow connections` shows it: no value of a token. @internal */
export interface Status {
  readonly settings: Settings
  readonly health: Health
  /** When the access token expires, epoch milliseconds. */
  readonly expiresAt: Option.Option<number>
  /** When the token was last obtained (login or refresh), epoch milliseconds. */
  readonly refreshedAt: Option.Option<number>
  /** The scopes the server granted; the requested ones when it did not say. */
  readonly scopes: ReadonlyArray<string>
}

/** @internal */
export const health = (token: Option.Option<AccessToken.AccessToken>, now: number): Health =>
  Option.match(token, {
    onNone: () => "needs login",
    onSome: (token) =>
      token.expiresAt > now ? "ok" : Option.isSome(token.refreshToken) ? "expired, refreshable" : "needs login"
  })

/**
 * The key of the connection's token record: the connection's name is its
 * subject, so two connections of one client never share a token.
 *
 * @internal
 */
export const tokenKey = (settings: Settings): TokenStore.Key =>
  TokenStore.key({
    issuer: settings.issuer,
    clientId: settings.clientId,
    grant: "refresh_token",
    scopes: settings.scopes,
    subject: settings.name
  })

const credentialsKey = (name: string) => `grantflow-cli/credentials/${name}`

/**
 * The client authentication of a connection. A credential that the method
 * needs and the store lacks is a failure: the connection must be saved again.
 *
 * @internal
 */
export const clientAuth = (connection: Connection): Effect.Effect<ClientAuth.ClientAuth, Failure.CliFailure> => {
  const { credentials, settings } = connection
  const missing = (what: string) =>
    Failure.failure(
      `connection ${settings.name} has no ${what} for ${settings.authMethod}`,
      `run grantflow login ${settings.name} again`
    )
  const withSecret = (make: (secret: Redacted.Redacted<string>) => ClientAuth.ClientAuth) =>
    credentials.clientSecret === undefined ? missing("client secret") : Effect.succeed(make(credentials.clientSecret))
  switch (settings.authMethod) {
    case "none":
      return Effect.succeed(ClientAuth.none(settings.clientId))
    case "client_secret_basic":
      return withSecret((secret) => ClientAuth.clientSecretBasic(settings.clientId, secret))
    case "client_secret_post":
      return withSecret((secret) => ClientAuth.clientSecretPost(settings.clientId, secret))
    case "client_secret_jwt":
      return withSecret((secret) => ClientAuth.clientSecretJwt(settings.clientId, secret))
    case "private_key_jwt":
      return credentials.privateKey === undefined
        ? missing("private key")
        : Effect.succeed(ClientAuth.privateKeyJwt(settings.clientId, credentials.privateKey, { kid: settings.keyId }))
  }
}

/**
 * The token and revocation endpoints of a connection, with its client
 * authentication; at the `via` origin when the connection has one.
 *
 * @internal
 */
export const endpoint = (connection: Connection): Effect.Effect<Endpoint.Endpoint, Failure.CliFailure> =>
  Effect.map(clientAuth(connection), (auth) => {
    const { revocationUrl, tokenUrl, via } = connection.settings
    const at = (url: string) => via === undefined ? url : viaUrl(url, via).href
    return Endpoint.make({
      tokenUrl: at(tokenUrl),
      revocationUrl: revocationUrl === undefined ? undefined : at(revocationUrl),
      auth,
      timeout: `${connection.settings.timeout} seconds`,
      allowInsecure: connection.settings.insecure
    })
  })

/**
 * The credentials a client authentication holds, to be sealed in the store.
 *
 * @internal
 */
export const credentialsOf = (auth: ClientAuth.ClientAuth): Credentials => {
  switch (auth._tag) {
    case "ClientSecretBasic":
    case "ClientSecretPost":
    case "ClientSecretJwt":
      return { clientSecret: auth.clientSecret }
    case "PrivateKeyJwt":
      return { privateKey: auth.key }
    case "None":
      return {}
  }
}

/** The method name of a client authentication, as the settings keep it. @internal */
export const methodOf = (auth: ClientAuth.ClientAuth): AuthMethod => ClientAuth.methodName(auth) as AuthMethod

/** The connections of one home directory. @internal */
export interface Store {
  /** The directory that holds them. */
  readonly home: string
  /** The names of the saved connections, sorted. */
  readonly names: Effect.Effect<ReadonlyArray<string>, Failure.CliFailure>
  /** Every saved connection with its health. */
  readonly list: Effect.Effect<ReadonlyArray<Status>, Failure.CliFailure>
  /** A saved connection's settings (no key is needed); an unknown name is a failure that lists the known ones. */
  readonly settings: (name: string) => Effect.Effect<Settings, Failure.CliFailure>
  /** A saved connection, its credentials opened; an unknown name is a failure that lists the known ones. */
  readonly load: (name: string) => Effect.Effect<Connection, Failure.CliFailure>
  /**
   * Saves a connection and its first token, replacing any connection of that
   * name. Creates the key file if there is no key yet.
   */
  readonly save: (connection: Connection, token: AccessToken.AccessToken) => Effect.Effect<void, Failure.CliFailure>
  /** The stored token of a connection, if any. */
  readonly token: (settings: Settings) => Effect.Effect<Option.Option<AccessToken.AccessToken>, Failure.CliFailure>
  /** Deletes a connection: its settings, token and credentials. */
  readonly remove: (settings: Settings) => Effect.Effect<void, Failure.CliFailure>
  /** The token store the connections' tokens live in (for `TokenStore.shared`). */
  readonly tokens: Effect.Effect<TokenStore.TokenStore["Type"], Failure.CliFailure>
}

/**
 * The home directory: `$GRANTFLOW_HOME`, else `$XDG_CONFIG_HOME/grantflow`,
 * else `~/.config/grantflow`.
 *
 * @internal
 */
export const homeConfig: Config.Config<string> = Config.string("GRANTFLOW_HOME").pipe(
  Config.orElse(() => Config.map(Config.string("XDG_CONFIG_HOME"), (base) => join(base, "grantflow"))),
  Config.orElse(() => Config.succeed(join(homedir(), ".config", "grantflow")))
)

/** The key's environment variables: `GRANTFLOW_KEY`, `GRANTFLOW_PREVIOUS_KEYS`. */
const keyPrefix = "GRANTFLOW"

const decodeSettings = Schema.decodeUnknownEither(Schema.parseJson(Settings))
const encodeSettings = Schema.encodeSync(Schema.parseJson(Settings, { space: 2 }))

const CredentialsJson = Schema.parseJson(Schema.Struct({
  clientSecret: Schema.optional(Schema.String),
  privateKey: Schema.optional(Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown })))
}))

const reasonOf = (error: { readonly message: string }) => error.message.split("\n", 1)[0]

/**
 * Opens the connections of the home directory (see {@link homeConfig}),
 * creating it with mode 0700 and refusing one that other users may write to.
 *
 * @internal
 */
export const open: Effect.Effect<Store, Failure.CliFailure, FileSystem.FileSystem> = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const home = yield* Effect.orDie(homeConfig)
  const settingsDir = join(home, "connections")
  const storeDir = join(home, "store")
  const keyFile = join(home, "key")
  const fileOf = (name: string) => join(settingsDir, `${name}.json`)

  const unusable = (what: string, hint = `check ${home} and its permissions`) => (error: { readonly message: string }) =>
    Failure.failure(`${what} (${reasonOf(error)})`, hint)

  yield* fs.makeDirectory(settingsDir, { recursive: true, mode: 0o700 }).pipe(
    Effect.mapError(unusable(`cannot create ${settingsDir}`))
  )
  // whoever may write the settings may point a connection's token endpoint elsewhere, and receive its secrets
  for (const directory of [home, settingsDir]) {
    const info = yield* Effect.mapError(fs.stat(directory), unusable(`cannot examine ${directory}`))
    if (process.platform === "win32") continue
    const foreign = Option.filter(info.uid, (uid) => uid !== process.getuid?.())
    if ((info.mode & 0o022) !== 0 || Option.isSome(foreign)) {
      return yield* Failure.failure(
        Option.isSome(foreign)
          ? `${directory} belongs to another user (uid ${foreign.value})`
          : `${directory} can be written by other users (mode ${(info.mode & 0o777).toString(8)})`,
        `run chmod 700 ${directory}, or set GRANTFLOW_HOME to a directory of your own`
      )
    }
  }
  const storeUnusable = (error: FileTokenStore.StoreDirectoryError) =>
    Failure.failure(error.message, "or set GRANTFLOW_HOME to another directory")
  const kv: KeyValueStore.KeyValueStore = yield* Effect.mapError(FileTokenStore.makeKeyValueStore(storeDir), storeUnusable)

  /** The key from the environment, else from the key file; created there when `create` and there is none. */
  const notAKey = (where: string) => () =>
    Failure.usage(`${where} is not a key`, "it holds <key id>:<base64 of 32 bytes>, e.g. local:$(openssl rand -base64 32)")
  // read now: the environment of the command, whenever the key is needed
  const envKeys = Option.isSome(yield* Effect.orDie(Config.option(Config.string(`${keyPrefix}_KEY`))))
    ? Option.some(yield* Effect.either(TokenCipher.keysConfig(keyPrefix)))
    : Option.none()

  const keys = (create: boolean) =>
    Effect.gen(function*() {
      if (Option.isSome(envKeys)) {
        return Option.some(yield* Effect.mapError(envKeys.value, notAKey(`${keyPrefix}_KEY`)))
      }
      const text = yield* fs.readFileString(keyFile).pipe(
        Effect.map(Option.some),
        Effect.catchIf(
          (error) => error._tag === "SystemError" && error.reason === "NotFound",
          () => Effect.succeedNone
        ),
        Effect.mapError(unusable(`cannot read the key file ${keyFile}`))
      )
      if (Option.isSome(text)) {
        const info = yield* Effect.mapError(fs.stat(keyFile), unusable(`cannot read the key file ${keyFile}`))
        if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
          return yield* Failure.failure(
            `the key file ${keyFile} can be read by other users (mode ${(info.mode & 0o777).toString(8)})`,
            `run chmod 600 ${keyFile}`
          )
        }
        // the file holds what GRANTFLOW_KEY would: read it the same way
        const provider = ConfigProvider.fromMap(new Map([[`${keyPrefix}_KEY`, text.value.trim()]]))
        return Option.some(
          yield* Effect.mapError(
            Effect.withConfigProvider(TokenCipher.keysConfig(keyPrefix), provider),
            notAKey(`the key file ${keyFile}`)
          )
        )
      }
      if (!create) return Option.none()
      const secret = Encoding.encodeBase64(crypto.getRandomValues(new Uint8Array(32)))
      yield* fs.writeFileString(keyFile, `local:${secret}\n`, { flag: "wx", mode: 0o600 }).pipe(
        Effect.mapError(unusable(`cannot create the key file ${keyFile}`))
      )
      yield* Output.stderr(
        `grantflow: created the key ${keyFile} (mode 0600) that encrypts the saved tokens and secrets; ` +
          "keep it, or set GRANTFLOW_KEY instead"
      )
      return Option.some({ current: { id: "local", secret: Redacted.make(secret) }, previous: [] })
    })

  const noKey = Failure.failure(
    `no key to open the saved connections: GRANTFLOW_KEY is not set and ${keyFile} does not exist`,
    "set GRANTFLOW_KEY to the key they were saved with, or log in again"
  )

  const cipherOf = (create: boolean) =>
    Effect.flatMap(keys(create), (keys) =>
      Option.match(keys, {
        onNone: () => Effect.fail(noKey),
        onSome: (keys) =>
          Effect.mapError(
            TokenCipher.aesGcm(keys),
            (error) =>
              Failure.usage(error.message, "it holds <key id>:<base64 of 32 bytes>, e.g. local:$(openssl rand -base64 32)")
          )
      }))

  const storeOf = (create: boolean) =>
    Effect.flatMap(cipherOf(create), (cipher) =>
      FileTokenStore.make(storeDir, { encryption: cipher }).pipe(
        Effect.mapError(storeUnusable),
        Effect.map((tokens) => ({ cipher, tokens }))
      ))

  const unreadable = (name: string) => (error: { readonly message: string }) =>
    Failure.failure(
      `cannot open the saved connection ${name} (${reasonOf(error)})`,
      `set GRANTFLOW_KEY to the key it was saved with, or run grantflow login ${name} again`
    )

  const names = fs.readDirectory(settingsDir).pipe(
    Effect.map((files) =>
      files.filter((file) => file.endsWith(".json")).map((file) => file.slice(0, -".json".length)).filter((name) =>
        namePattern.test(name)
      ).sort()
    ),
    Effect.mapError(unusable(`cannot list ${settingsDir}`))
  )

  const readSettings = (name: string) =>
    fs.readFileString(fileOf(name)).pipe(
      Effect.catchIf(
        (error) => error._tag === "SystemError" && error.reason === "NotFound",
        () =>
          Effect.flatMap(names, (known) =>
            Failure.failure(
              `no connection named ${name}`,
              known.length === 0
                ? `run grantflow login ${name} first`
                : `the connections are ${known.join(", ")}; or run grantflow login ${name}`
            ))
      ),
      Effect.mapError((error) =>
        error instanceof Failure.CliFailure ? error : unusable(`cannot read connection ${name}`)(error)
      ),
      Effect.flatMap((text) =>
        Either.match(decodeSettings(text), {
          onLeft: () =>
            Failure.failure(`the settings of connection ${name} are damaged (${fileOf(name)})`, `run grantflow login ${name} again`),
          onRight: Effect.succeed
        })
      )
    )

  const tokenOf = (settings: Settings) =>
    Effect.flatMap(storeOf(false), ({ tokens }) => tokens.get(tokenKey(settings))).pipe(
      Effect.map(Option.map((entry) => entry.token)),
      Effect.mapError((error) => error instanceof Failure.CliFailure ? error : unreadable(settings.name)(error))
    )

  const readCredentials = (name: string) =>
    Effect.gen(function*() {
      const sealed = yield* Effect.mapError(kv.get(credentialsKey(name)), unreadable(name))
      if (Option.isNone(sealed)) return {}
      const { cipher } = yield* storeOf(false)
      const text = yield* Effect.mapError(cipher.open(sealed.value, credentialsKey(name)), unreadable(name))
      const decoded = yield* Effect.mapError(Schema.decodeUnknown(CredentialsJson)(text), unreadable(name))
      return {
        clientSecret: decoded.clientSecret === undefined ? undefined : Redacted.make(decoded.clientSecret),
        privateKey: decoded.privateKey === undefined
          ? undefined
          : Redacted.make(decoded.privateKey as ClientAuth.PrivateKey)
      } satisfies Credentials
    })

  const load = (name: string) =>
    Effect.flatMap(readSettings(name), (settings) =>
      Effect.map(readCredentials(name), (credentials): Connection => ({ settings, credentials })))

  /** Deletes the sealed records as files: no key is needed to delete them. */
  const removeRecords = (settings: Settings) =>
    Effect.zipRight(kv.remove(tokenKey(settings)), kv.remove(credentialsKey(settings.name))).pipe(
      Effect.mapError(unusable(`cannot delete connection ${settings.name}`))
    )

  const writeSettings = (settings: Settings) => {
    const file = fileOf(settings.name)
    const temporary = `${file}.${Encoding.encodeHex(crypto.getRandomValues(new Uint8Array(6)))}.tmp`
    return fs.writeFileString(temporary, `${encodeSettings(settings)}\n`, { mode: 0o600 }).pipe(
      Effect.zipRight(fs.rename(temporary, file)),
      Effect.tapError(() => Effect.ignore(fs.remove(temporary))),
      Effect.mapError(unusable(`cannot save connection ${settings.name}`))
    )
  }

  const save = (connection: Connection, token: AccessToken.AccessToken) =>
    Effect.gen(function*() {
      const { settings } = connection
      const previous = yield* Effect.option(readSettings(settings.name))
      const { cipher, tokens } = yield* storeOf(true)
      const { clientSecret, privateKey } = connection.credentials
      const credentials = {
        clientSecret: clientSecret === undefined ? undefined : Redacted.value(clientSecret),
        privateKey: privateKey === undefined ? undefined : Redacted.value(privateKey)
      }
      if (clientSecret === undefined && privateKey === undefined) {
        yield* Effect.mapError(kv.remove(credentialsKey(settings.name)), unusable(`cannot save connection ${settings.name}`))
      } else {
        const sealed = yield* cipher.seal(JSON.stringify(credentials), credentialsKey(settings.name))
        yield* Effect.mapError(kv.set(credentialsKey(settings.name), sealed), unusable(`cannot save connection ${settings.name}`))
      }
      yield* Effect.mapError(
        TokenStore.save(tokenKey(settings), token).pipe(Effect.provideService(TokenStore.TokenStore, tokens)),
        unusable(`cannot save the token of connection ${settings.name}`)
      )
      // a connection saved again with other scopes or another issuer: its old token goes
      if (Option.isSome(previous) && tokenKey(previous.value) !== tokenKey(settings)) {
        yield* Effect.ignore(kv.remove(tokenKey(previous.value)))
      }
      yield* writeSettings(settings)
    })

  const list = Effect.flatMap(names, (names) =>
    Effect.forEach(names, (name) =>
      Effect.gen(function*() {
        const settings = yield* readSettings(name)
        const token = yield* Effect.either(tokenOf(settings))
        const now = Date.now()
        return Either.match(token, {
          onLeft: (): Status => ({
            settings,
            health: "unreadable",
            expiresAt: Option.none(),
            refreshedAt: Option.none(),
            scopes: settings.scopes
          }),
          onRight: (token): Status => ({
            settings,
            health: health(token, now),
            expiresAt: Option.map(token, (token) => token.expiresAt),
            refreshedAt: Option.map(token, (token) => token.issuedAt),
            scopes: Option.match(token, {
              onNone: () => settings.scopes,
              onSome: (token) => token.scopes.length > 0 ? token.scopes : settings.scopes
            })
          })
        })
      })))

  const remove = (settings: Settings) =>
    Effect.zipRight(
      removeRecords(settings),
      Effect.mapError(fs.remove(fileOf(settings.name)), unusable(`cannot delete connection ${settings.name}`))
    )

  return {
    home,
    names,
    list,
    settings: readSettings,
    load,
    save,
    token: tokenOf,
    remove,
    tokens: Effect.map(storeOf(false), ({ tokens }) => tokens)
  } satisfies Store
})

/** The connection-name argument of `login`, `logout` and `request`. @internal */
export const nameArg = Args.text({ name: "NAME" }).pipe(
  Args.withDescription("The connection's name: 1 to 64 letters, digits, '.', '_' or '-'.")
)
