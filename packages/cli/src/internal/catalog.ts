/**
 * The provider catalog (`Providers` of `@grantflow/core`) on the command
 * line: `grantflow login github` signs in with the entry's authorization,
 * and `grantflow request` calls with the entry's connector. Entries are
 * configured with the client of the command line and `--param KEY=VALUE`
 * for their other fields, validated by the entry's Schema.
 *
 * `--via ORIGIN` sends the entry's requests — the authorization URL shown to
 * the user, the token, revocation and API requests — to another origin with
 * the same paths: a twin of the provider (`grantflow sim --twin <id>`) for
 * tests and offline use. Only an https: origin or http: on loopback is
 * taken, as tokens and the client secret go there.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Connector from "@grantflow/core/Connector"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Providers from "@grantflow/core/Providers"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Connections from "./connections.js"
import * as Failure from "./failure.js"

/** A catalog entry: what the catalog says of it, and its connector with the default options. @internal */
export interface Entry {
  readonly metadata: Providers.Metadata
  readonly definition: Connector.Definition<any, any>
}

/** The catalog's ids, for hints. */
const known = () => Providers.list.map((entry) => entry.id).join(", ")

/** The entry of `id`, if the catalog has it. @internal */
export const find = (id: string): Entry | undefined => {
  const metadata = Providers.list.find((entry) => entry.id === id)
  const definition = Providers.get(id)
  return metadata === undefined || definition === undefined ? undefined : { metadata, definition }
}

/** The entry of `id`; an id the catalog does not have is a usage error that lists those it has. @internal */
export const entry = (id: string): Effect.Effect<Entry, Failure.CliFailure> => {
  const found = find(id)
  return found === undefined
    ? Failure.usage(`the catalog has no provider ${JSON.stringify(id.slice(0, 80))}`, `its providers are ${known()}`)
    : Effect.succeed(found)
}

/** The hint of a name that is neither a saved connection nor a catalog provider. @internal */
export const catalogHint = (name: string): string =>
  `give its issuer: grantflow login ${name} ISSUER --client-id ID; or a catalog provider with --provider (${known()})`

/** The client fields every entry has: given by --client-id and --client-secret, not by --param. */
const clientFields = new Set(["CLIENT_ID", "CLIENT_SECRET"])

/**
 * The fields `--param` may set: the entry's public fields (saved in clear
 * with the connection) other than the client id.
 */
const paramFields = (entry: Entry): ReadonlyArray<string> =>
  (entry.definition.publicFields ?? []).filter((field) => !clientFields.has(field))

const fieldsText = (entry: Entry) => {
  const fields = paramFields(entry)
  return fields.length === 0
    ? `${entry.metadata.id} takes no --param`
    : `the fields of ${entry.metadata.id} are ${fields.join(", ")}`
}

/**
 * The `--param KEY=VALUE` flags as fields; a flag without `=`, a key given
 * twice, or a key that is not one of the entry's public fields is a usage
 * error.
 *
 * @internal
 */
export const params = (
  entry: Entry,
  flags: ReadonlyArray<string>
): Effect.Effect<Readonly<Record<string, string>>, Failure.CliFailure> =>
  Effect.gen(function*() {
    const allowed = paramFields(entry)
    const result: Record<string, string> = {}
    for (const flag of flags) {
      const equals = flag.indexOf("=")
      const key = equals > 0 ? flag.slice(0, equals) : ""
      if (key === "") {
        return yield* Failure.usage(`--param ${JSON.stringify(flag.slice(0, 80))} is not KEY=VALUE`, fieldsText(entry))
      }
      if (clientFields.has(key)) {
        return yield* Failure.usage(`--param ${key} cannot be given`, `give the client with --client-id and --client-secret`)
      }
      if (!allowed.includes(key)) {
        return yield* Failure.usage(
          `--param ${JSON.stringify(key.slice(0, 80))} is not a field of ${entry.metadata.id}`,
          fieldsText(entry)
        )
      }
      if (key in result) return yield* Failure.usage(`--param ${key} is given twice`, "give each field once")
      result[key] = flag.slice(equals + 1)
    }
    return result
  })

/**
 * The entry's configuration: the client and the `params`, decoded by the
 * entry's Schema. Missing fields are one usage error that lists them all;
 * an invalid one says which (never quoting the secret).
 *
 * @internal
 */
export const config = (
  entry: Entry,
  client: { readonly clientId: string; readonly clientSecret: Redacted.Redacted<string> },
  params: Readonly<Record<string, string>>
): Effect.Effect<unknown, Failure.CliFailure> => {
  const { definition, metadata } = entry
  // the entry's encoded form takes the secret as a string: the Schema makes it Redacted again
  const input = { ...params, CLIENT_ID: client.clientId, CLIENT_SECRET: "set" }
  const checked = Schema.decodeUnknownEither(definition.config, { errors: "all" })(input)
  if (Either.isLeft(checked)) {
    const missing = ParseResult.ArrayFormatter.formatErrorSync(checked.left)
      .filter((issue) => issue._tag === "Missing")
      .map((issue) => String(issue.path[0]))
    if (missing.length > 0) {
      return Failure.usage(
        `${metadata.id} needs ${missing.map((field) => `--param ${field}=…`).join(" ")}`,
        `missing: ${missing.join(", ")}; ${fieldsText(entry)}`
      )
    }
  }
  return Either.match(
    Connector.decodeConfig(definition, {
      ...params,
      CLIENT_ID: client.clientId,
      CLIENT_SECRET: Redacted.value(client.clientSecret)
    }),
    {
      onLeft: (error) => Failure.usage(error.message, fieldsText(entry)),
      onRight: Effect.succeed
    }
  )
}

/**
 * The `--via` origin: an https: origin, or http: on loopback, with no path,
 * query or fragment.
 *
 * @internal
 */
export const checkVia = (via: string): Effect.Effect<string, Failure.CliFailure> =>
  Either.match(Endpoint.checkUrl(via, { name: "--via", allowInsecure: false }), {
    onLeft: (error) =>
      Failure.usage(error.message, "give an https: origin, or http: on loopback, e.g. http://127.0.0.1:9000"),
    onRight: (url) =>
      url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== ""
        ? Failure.usage(`--via ${JSON.stringify(via.slice(0, 80))} is not an origin`, `give its origin alone: ${url.origin}`)
        : Effect.succeed(url.origin)
  })

/** `url` at the `via` origin, path and query kept. @internal */
export const viaUrl = (url: string | URL, via: string): URL => {
  const moved = new URL(url)
  const target = new URL(via)
  moved.protocol = target.protocol
  moved.host = target.host
  return moved
}

/**
 * An HTTP client that sends every request to `via`, path and query kept: it
 * carries only the entry's own requests (a connector's client refuses any
 * origin but its API's before anything is sent).
 *
 * @internal
 */
export const viaClient = (http: HttpClient.HttpClient, via: string): HttpClient.HttpClient =>
  HttpClient.mapRequest(http, (request) => HttpClientRequest.setUrl(request, viaUrl(request.url, via).href))

/**
 * What a connection saved by a catalog login is used with: its entry, its
 * configuration, an HTTP client sending to its `via` origin when it has one,
 * and the failure of a connection that cannot be used (one saved by a
 * version whose catalog had another entry or fields: log in again).
 *
 * @internal
 */
export const opened = (connection: Connections.Connection) =>
  Effect.gen(function*() {
    const { credentials, settings } = connection
    const loginAgain = `run grantflow login ${settings.name} again`
    const found = yield* Effect.mapError(entry(settings.provider!), (error) => Failure.failure(error.message, loginAgain))
    if (credentials.clientSecret === undefined) {
      return yield* Failure.failure(`connection ${settings.name} has no client secret`, loginAgain)
    }
    const unusable = (error: { readonly message: string }) =>
      Failure.failure(`connection ${settings.name} cannot be used: ${error.message}`, loginAgain)
    const configured = yield* Effect.mapError(
      config(found, { clientId: settings.clientId, clientSecret: credentials.clientSecret }, settings.params ?? {}),
      unusable
    )
    const http = yield* HttpClient.HttpClient
    return {
      entry: found,
      config: configured,
      http: settings.via === undefined ? http : viaClient(http, settings.via),
      unusable
    }
  })
