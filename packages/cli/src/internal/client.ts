import * as Options from "@effect/cli/Options"
import * as Prompt from "@effect/cli/Prompt"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as ClientAuth from "@grantflow/core/ClientAuth"
import * as Discovery from "@grantflow/core/Discovery"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Failure from "./failure.js"

/** An optional text flag: `--name`, described. @internal */
export const optionalText = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)

/** The client authentication methods a command line can choose. @internal */
export const authMethods = [
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
  "private_key_jwt",
  "none"
] as const

/** @internal */
export type AuthMethod = typeof authMethods[number]

/**
 * The flags of every command that talks to the authorization server as a
 * client. The secret may come from the flag (visible in the process list), the
 * environment, or a prompt that does not echo.
 *
 * @internal
 */
export const flags = {
  clientId: Options.text("client-id").pipe(
    Options.withDescription("The client id (or the environment variable GRANTFLOW_CLIENT_ID)."),
    Options.withFallbackConfig(Config.string("GRANTFLOW_CLIENT_ID"))
  ),
  clientSecret: Options.redacted("client-secret").pipe(
    Options.withDescription(
      "The client secret. A flag is visible to other users in the process list: prefer the environment variable " +
        "GRANTFLOW_CLIENT_SECRET, or leave both out to be asked for it (input not echoed)."
    ),
    Options.withFallbackConfig(Config.redacted("GRANTFLOW_CLIENT_SECRET")),
    Options.optional
  ),
  authMethod: Options.choice("auth-method", authMethods).pipe(
    Options.withDescription(
      "How the client authenticates. Default: the first the server's metadata lists that the client's credentials " +
        "allow (private_key_jwt, client_secret_basic, client_secret_post, client_secret_jwt), else client_secret_basic."
    ),
    Options.optional
  ),
  keyFile: optionalText("key-file", "A private key for private_key_jwt: a PKCS#8 PEM file or a JWK (JSON)."),
  keyId: optionalText("key-id", "The `kid` of the private key (default: the JWK's own kid)."),
  timeout: Options.integer("timeout").pipe(
    Options.withDescription("Seconds to wait for each answer of the authorization server."),
    Options.withDefault(30)
  ),
  insecure: Options.boolean("insecure").pipe(
    Options.withDescription("Allow plain http: to a host that is not loopback (never in production).")
  )
}

/** The parsed {@link flags}. @internal */
export interface Flags {
  readonly clientId: string
  readonly clientSecret: Option.Option<Redacted.Redacted<string>>
  readonly authMethod: Option.Option<AuthMethod>
  readonly keyFile: Option.Option<string>
  readonly keyId: Option.Option<string>
  readonly timeout: number
  readonly insecure: boolean
}

/** What a command needs to talk to the server: the endpoint and, when discovered, the metadata. @internal */
export interface Resolved {
  readonly endpoint: Endpoint.Endpoint
  readonly metadata: Option.Option<Discovery.Metadata>
  readonly auth: ClientAuth.ClientAuth
}

const maxKeyFileBytes = 64 * 1024

const readKey = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path)
    if (info.type !== "File" || Number(info.size) > maxKeyFileBytes) {
      return yield* Failure.usage(`--key-file ${path} is not a key file`, "give a PKCS#8 PEM file or a JWK of at most 64 KB")
    }
    const text = (yield* fs.readFileString(path)).trim()
    if (text.startsWith("{")) {
      const jwk = yield* Effect.try({
        try: () => JSON.parse(text) as ClientAuth.PrivateKey,
        catch: () => Failure.usage(`--key-file ${path} is not valid JSON`, "give a PKCS#8 PEM file or a JWK")
      })
      return Redacted.make(jwk)
    }
    if (!text.startsWith("-----BEGIN PRIVATE KEY-----")) {
      return yield* Failure.usage(
        `--key-file ${path} is neither a PKCS#8 PEM key nor a JWK`,
        "convert it with `openssl pkcs8 -topk8 -nocrypt`"
      )
    }
    return Redacted.make<ClientAuth.PrivateKey>(text)
  }).pipe(
    Effect.catchTags({
      SystemError: (error) => Failure.usage(`cannot read --key-file ${path} (${error.reason})`, "give a readable key file"),
      BadArgument: (error) => Failure.usage(`cannot read --key-file ${path} (${error.message})`, "give a readable key file")
    })
  )

const needsSecret = (method: Option.Option<AuthMethod>, hasKey: boolean): boolean =>
  Option.match(method, {
    onNone: () => !hasKey,
    onSome: (method) => method === "client_secret_basic" || method === "client_secret_post" || method === "client_secret_jwt"
  })

/**
 * Asks for the client secret of `clientId` on a terminal, with a prompt that
 * echoes nothing; without a terminal, a usage error with `hint`.
 *
 * @internal
 */
export const askSecret = (
  clientId: string,
  hint: string
): Effect.Effect<Redacted.Redacted<string>, Failure.CliFailure, Prompt.Prompt.Environment> =>
  process.stdin.isTTY
    ? Prompt.run(Prompt.hidden({ message: `Client secret for ${clientId}` })).pipe(
      Effect.catchTag("QuitException", () => Failure.usage("no client secret given", "the prompt was closed"))
    )
    : Failure.usage("no client secret", hint)

/**
 * The secret from the flag or the environment or, on a terminal, a prompt
 * that echoes nothing. Without a terminal a missing secret is a usage error.
 */
const secretOf = (flags: Flags, hasKey: boolean) =>
  Option.isSome(flags.clientSecret) || !needsSecret(flags.authMethod, hasKey)
    ? Effect.succeed(flags.clientSecret)
    : Effect.map(
      askSecret(
        flags.clientId,
        "give --client-secret or GRANTFLOW_CLIENT_SECRET, use --key-file, or --auth-method none for a public client"
      ),
      Option.some
    )

const authOf = (
  flags: Flags,
  metadata: Option.Option<Discovery.Metadata>,
  secret: Option.Option<Redacted.Redacted<string>>,
  key: Option.Option<Redacted.Redacted<ClientAuth.PrivateKey>>
): Effect.Effect<ClientAuth.ClientAuth, Failure.CliFailure> => {
  const { clientId } = flags
  const kid = Option.getOrUndefined(flags.keyId)
  const missing = (what: string, method: string) =>
    Failure.usage(`--auth-method ${method} needs ${what}`, `give ${what}`)
  if (Option.isSome(flags.authMethod)) {
    switch (flags.authMethod.value) {
      case "none":
        return Effect.succeed(ClientAuth.none(clientId))
      case "private_key_jwt":
        return Option.match(key, {
          onNone: () => missing("--key-file", "private_key_jwt"),
          onSome: (key) => Effect.succeed(ClientAuth.privateKeyJwt(clientId, key, { kid }))
        })
      case "client_secret_jwt":
      case "client_secret_basic":
      case "client_secret_post": {
        const method = flags.authMethod.value
        return Option.match(secret, {
          onNone: () => missing("a client secret", method),
          onSome: (secret) =>
            Effect.succeed(
              method === "client_secret_jwt"
                ? ClientAuth.clientSecretJwt(clientId, secret)
                : method === "client_secret_post"
                ? ClientAuth.clientSecretPost(clientId, secret)
                : ClientAuth.clientSecretBasic(clientId, secret)
            )
        })
      }
    }
  }
  const credentials: Discovery.ClientCredentials = {
    clientId,
    clientSecret: Option.getOrUndefined(secret),
    privateKey: Option.getOrUndefined(key),
    kid
  }
  return Option.match(metadata, {
    onSome: (metadata) =>
      Either.match(Discovery.chooseClientAuth(metadata, credentials), {
        onLeft: (error) => Effect.fail(Failure.failure(error.message, "choose one with --auth-method")),
        onRight: Effect.succeed
      }),
    onNone: () =>
      Effect.succeed(
        credentials.privateKey !== undefined
          ? ClientAuth.privateKeyJwt(clientId, credentials.privateKey, { kid })
          : credentials.clientSecret !== undefined
          ? ClientAuth.clientSecretBasic(clientId, credentials.clientSecret)
          : ClientAuth.none(clientId)
      )
  })
}

/**
 * The issuer's metadata, or none when `target` is not an issuer but an
 * endpoint's own URL: its discovery documents do not exist (404) and it has
 * a path.
 */
const discover = (target: string, flags: Flags) =>
  Discovery.fetch(target, { timeout: `${flags.timeout} seconds`, allowInsecure: flags.insecure }).pipe(
    Effect.map(Option.some),
    Effect.catchIf(
      (error) =>
        error._tag === "EndpointUnavailable" && Option.contains(error.status, 404) &&
        new URL(target).pathname !== "/",
      () => Effect.succeed(Option.none<Discovery.Metadata>())
    )
  )

const checkTarget = (target: string, flags: Flags) =>
  Either.match(Endpoint.checkUrl(target, { name: "the issuer or endpoint URL", allowInsecure: flags.insecure }), {
    onLeft: (error) => Failure.usage(error.message, "give the issuer's URL (https:, or http: on loopback)"),
    onRight: () => Effect.void
  })

/**
 * The endpoint for `target`, an issuer (discovered, RFC 8414 or OpenID
 * Connect) or an endpoint's own URL (for `purpose`, the token endpoint by
 * default), with the client authentication the flags and the metadata call
 * for.
 *
 * @internal
 */
export const resolve = (
  target: string,
  flags: Flags,
  purpose: Endpoint.Purpose = "token"
): Effect.Effect<
  Resolved,
  Discovery.DiscoveryError | Failure.CliFailure,
  HttpClient.HttpClient | FileSystem.FileSystem | Prompt.Prompt.Environment
> =>
  Effect.gen(function*() {
    yield* checkTarget(target, flags)
    // the command line's own mistakes first, before anything is sent
    const key = Option.isSome(flags.keyFile) ? Option.some(yield* readKey(flags.keyFile.value)) : Option.none()
    const secret = yield* secretOf(flags, Option.isSome(key))
    const metadata = yield* discover(target, flags)
    const auth = yield* authOf(flags, metadata, secret, key)
    const settings: Endpoint.Settings = { auth, timeout: `${flags.timeout} seconds`, allowInsecure: flags.insecure }
    const endpoint = Option.match(metadata, {
      onSome: (metadata) => Endpoint.fromMetadata(metadata, settings),
      onNone: () => Endpoint.make({ ...settings, [`${purpose}Url`]: target })
    })
    return { endpoint, metadata, auth }
  })
