import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as BearerAuth from "@grantflow/core/BearerAuth"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Grant from "@grantflow/core/Grant"
import * as TokenError from "@grantflow/core/TokenError"
import type * as TokenEvent from "@grantflow/core/TokenEvent"
import * as TokenProvider from "@grantflow/core/TokenProvider"
import * as TokenStore from "@grantflow/core/TokenStore"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Connector from "@grantflow/core/Connector"
import * as Catalog from "../catalog.js"
import * as Connections from "../connections.js"
import * as Failure from "../failure.js"
import * as Input from "../input.js"
import * as Output from "../output.js"
import { span } from "../jwtSummary.js"

const url = Args.text({ name: "URL" }).pipe(
  Args.withDescription(
    "The URL to call (https:, or http: on loopback); for a connection to a catalog provider, a path such as /user " +
      "under its API's base URL."
  )
)

const method = Options.text("request").pipe(
  Options.withAlias("X"),
  Options.withDescription("The method (default GET, or POST with --data)."),
  Options.optional
)
const header = Options.text("header").pipe(
  Options.withAlias("H"),
  Options.withDescription("A request header, 'Name: value'; repeatable. Authorization is set by the connection."),
  Options.repeated
)
const data = Options.text("data").pipe(
  Options.withAlias("d"),
  Options.withDescription(
    "The request body, sent as it is: DATA, @FILE for a file's content, or - for stdin. Content-Type defaults to " +
      "application/x-www-form-urlencoded, as with curl."
  ),
  Options.optional
)
const include = Options.boolean("include").pipe(
  Options.withAlias("i"),
  Options.withDescription("Print the status line and the response headers (credentials redacted) before the body.")
)
const fail = Options.boolean("fail").pipe(
  Options.withDescription("Exit with 1, printing no body, when the response status is 400 or more.")
)
const verbose = Options.boolean("verbose").pipe(
  Options.withAlias("v"),
  Options.withDescription("Show the request and what happened to the connection's token on stderr (never its value).")
)
const insecure = Options.boolean("insecure").pipe(
  Options.withDescription("Allow plain http: to a host that is not loopback, where the token can be read on the way.")
)

/** Headers whose values are credentials: never printed. @internal */
export const isCredentialHeader = (name: string): boolean =>
  /^(?:authorization|proxy-authorization|cookie|set-cookie)$/i.test(name) ||
  /token|secret|passw|api[-_]?key|session|credential|signature/i.test(name)

const headerLines = (headers: Headers.Headers, prefix: string): ReadonlyArray<string> =>
  Object.entries(headers).map(([name, value]) =>
    `${prefix}${name}: ${isCredentialHeader(name) ? "<redacted>" : value}`
  )

/** One `-H` line as a header name and value; a usage failure that quotes at most 80 characters of it. @internal */
export const parseHeader = (line: string): Effect.Effect<readonly [string, string], Failure.CliFailure> => {
  const colon = line.indexOf(":")
  const name = colon > 0 ? line.slice(0, colon).trim() : ""
  if (!/^[!#$%&'*+.^\w`|~-]+$/.test(name)) {
    return Failure.usage(`-H ${JSON.stringify(line.slice(0, 80))} is not a header`, "give -H 'Name: value'")
  }
  if (/^(?:authorization|proxy-authorization)$/i.test(name)) {
    return Failure.usage(`-H ${name} cannot be given`, "the connection sets Authorization with its token")
  }
  return Effect.succeed([name, line.slice(colon + 1).trim()] as const)
}

/** The longest request body `--data` takes, 64 MiB: more is refused before anything is sent. */
const maxBodyLength = 64 * 1024 * 1024

const bodyTooLong = (source: string) =>
  Failure.failure(`the request body ${source} is longer than ${maxBodyLength / 1024 / 1024} MiB`, "send a smaller body")

/** The body of `--data`: the text itself, `@file`'s content, or stdin for `-`; at most `maxBodyLength` bytes. */
const bodyOf = (data: string) =>
  Effect.gen(function*() {
    if (data === "-") {
      return yield* Input.readStdin({ limit: maxBodyLength, what: "request body", tooLong: bodyTooLong("on stdin") })
    }
    if (data.startsWith("@")) {
      const path = data.slice(1)
      const fs = yield* FileSystem.FileSystem
      const unreadable = () => Failure.usage(`cannot read --data file ${path}`, "give @ and a readable file")
      const info = yield* Effect.mapError(fs.stat(path), unreadable)
      if (info.size > BigInt(maxBodyLength)) return yield* bodyTooLong(`in ${path}`)
      return yield* Effect.mapError(fs.readFile(path), unreadable)
    }
    return new TextEncoder().encode(data)
  })

/** One line per token event: ids and times, never a value. */
const eventLine = (event: TokenEvent.TokenEvent): string => {
  const now = Date.now()
  const expires = (at: number) => at > now ? `expires in ${span(at - now)}` : `expired ${span(now - at)} ago`
  switch (event._tag) {
    case "Fetched":
      return `* token ${event.tokenId} ready (${event.reason}), ${expires(event.expiresAt)}`
    case "BackgroundRefresh":
      return `* token ${event.tokenId} refreshed in the background, ${expires(event.expiresAt)}`
    case "RefreshFailed":
      return `* token request ${event.attempt} failed: ${event.error.message}`
    case "CoolingDown":
      return `* refreshing failed after ${event.attempts} request(s): ${event.error.message}`
    case "Reauthorize":
      return "* the refresh token was refused: the connection needs a new login"
    case "Rejected":
      return `* token ${event.tokenId} rejected` + Option.match(event.request, {
        onNone: () => "",
        onSome: (request) => ` by ${request.method} ${request.url} (HTTP ${request.status})`
      })
    case "Replayed":
      return `* replayed ${event.request.method} ${event.request.url} with token ${event.tokenId}`
  }
}

const statusLine = (response: HttpClientResponse.HttpClientResponse) =>
  `HTTP ${response.status}${response.status in statusTexts ? ` ${statusTexts[response.status]}` : ""}`

const statusTexts: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable"
}

/** The client of a request and the provider of its tokens. */
interface Authenticated {
  readonly client: HttpClient.HttpClient.With<unknown>
  readonly provider: TokenProvider.TokenProvider["Type"]
}

/**
 * A connection to an issuer: its tokens from the store, refreshed at its
 * token endpoint (the store's lease makes parallel runs refresh once), sent
 * as a bearer token.
 */
const issuerClient = (
  connection: Connections.Connection,
  store: Connections.Store,
  verboseLine: (line: string) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const { name } = connection.settings
    const endpoint = yield* Connections.endpoint(connection)
    const fetch = yield* TokenStore.shared({
      key: Connections.tokenKey(connection.settings),
      acquire: Grant.reauthorizationRequired(`connection ${name} holds no refresh token`),
      refresh: (refreshToken) =>
        verboseLine(`* refreshing the token of ${name} at ${connection.settings.tokenUrl}`).pipe(
          Effect.zipRight(Grant.refreshToken(endpoint, { refreshToken })),
          Effect.tap((token) =>
            verboseLine(
              Option.exists(token.refreshToken, (next) => Redacted.value(next) !== Redacted.value(refreshToken))
                ? "* the server rotated the refresh token: the new one is saved"
                : "* the refresh token is kept"
            )
          )
        )
    }).pipe(Effect.provideService(TokenStore.TokenStore, yield* store.tokens))
    const provider = yield* TokenProvider.make(fetch, { name })
    return { client: (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider)), provider } satisfies Authenticated
  })

/**
 * A connection to a catalog provider: the entry's connector — its base URL
 * (paths are resolved against it), headers, token placement and refresh —
 * with its tokens in the store (a rotated refresh token saved before its
 * access token is used), and every request sent to the connection's `via`
 * origin when it has one.
 */
const catalogClient = (connection: Connections.Connection, store: Connections.Store) =>
  Effect.gen(function*() {
    const { settings } = connection
    const { config, entry, http, unusable } = yield* Catalog.opened(connection)
    const key = Connections.tokenKey(settings)
    // the first token comes from the login: without a refresh token the next one needs a new login too
    const definition: Connector.Definition<any, any> = {
      ...entry.definition,
      auth: (config, session) =>
        session.refreshToken === undefined
          ? Connector.fetch(Grant.reauthorizationRequired(`connection ${settings.name} holds no refresh token`))
          : entry.definition.auth(config, session)
    }
    const pool = yield* Connector.pool(definition, { config: () => Effect.succeed(config), key: () => key }).pipe(
      Effect.provideService(TokenStore.TokenStore, yield* store.tokens),
      Effect.provideService(HttpClient.HttpClient, http)
    )
    const opened = yield* Effect.mapError(pool.connection(settings.name), unusable)
    return { client: opened.client, provider: opened.provider } satisfies Authenticated
  })

/** @internal */
export const request = Command.make(
  "request",
  { name: Connections.nameArg, url, method, header, data, include, fail, verbose, insecure },
  (options) =>
    Effect.gen(function*() {
      const name = yield* Connections.checkName(options.name)
      // a path is resolved by a catalog connection's connector, against its API's base URL
      const isPath = options.url.startsWith("/") && !options.url.startsWith("//")
      if (!isPath) {
        yield* Either.match(Endpoint.checkUrl(options.url, { name: "the URL", allowInsecure: options.insecure }), {
          onLeft: (error) => Failure.usage(error.message, "give an https: URL (http: only on loopback, or with --insecure)"),
          onRight: () => Effect.void
        })
      }
      const method = Option.getOrElse(options.method, () => Option.isSome(options.data) ? "POST" : "GET").toUpperCase()
      if (!/^[A-Z]+$/.test(method)) return yield* Failure.usage(`-X ${method} is not a method`, "give e.g. -X POST")
      const headers = yield* Effect.forEach(options.header, parseHeader)
      const body = Option.isSome(options.data) ? Option.some(yield* bodyOf(options.data.value)) : Option.none()

      const store = yield* Connections.open
      const connection = yield* store.load(name)
      // a record this key cannot open says so, rather than looking like a missing login
      yield* store.token(connection.settings)
      if (isPath && connection.settings.provider === undefined) {
        return yield* Failure.usage(
          `${options.url.slice(0, 80)} is a path, and connection ${name} is not to a catalog provider`,
          "give the full https: URL"
        )
      }
      const verboseLine = (line: string) => options.verbose ? Output.stderr(line) : Effect.void
      const { client, provider } = connection.settings.provider === undefined
        ? yield* issuerClient(connection, store, verboseLine)
        : yield* catalogClient(connection, store)
      if (options.verbose) {
        const events = yield* provider.subscribe
        yield* Effect.forkScoped(Stream.runForEach(events, (event) => Output.stderr(eventLine(event))))
      }

      let outgoing = HttpClientRequest.make(method as HttpClientRequest.HttpClientRequest["method"])(options.url, {
        headers: Headers.fromInput(headers)
      })
      if (Option.isSome(body)) {
        const contentType = headers.find(([name]) => name.toLowerCase() === "content-type")?.[1] ??
          "application/x-www-form-urlencoded"
        outgoing = HttpClientRequest.bodyUint8Array(outgoing, body.value, contentType)
      }
      // the token goes on inside the client
      yield* verboseLine(
        [`> ${method} ${options.url}`, ...headerLines(outgoing.headers, "> "), "> authorization: <redacted>"].join("\n")
      )

      const result = yield* Effect.either(client.execute(outgoing))
      // the event printer runs on its own fiber: let it print what came before the answer
      yield* Effect.yieldNow()
      if (Either.isLeft(result)) return yield* Effect.fail(explain(name, method, options.url, result.left))
      const response = result.right
      yield* verboseLine([`< ${statusLine(response)}`, ...headerLines(response.headers, "< ")].join("\n"))
      if (options.fail && response.status >= 400) {
        return yield* Failure.failure(
          `${method} ${options.url} answered ${statusLine(response)}`,
          "run it without --fail to see the body"
        )
      }
      const bytes = new Uint8Array(yield* Effect.mapError(response.arrayBuffer, (error) => explain(name, method, options.url, error)))
      if (options.include) yield* Output.stdout(`${[statusLine(response), ...headerLines(response.headers, "")].join("\n")}\n\n`)
      yield* Output.stdoutBytes(bytes)
    }).pipe(
      Effect.scoped,
      // the provider's own warnings would go to stdout: --verbose shows the same as events, on stderr
      Logger.withMinimumLogLevel(LogLevel.None)
    )
).pipe(
  Command.withDescription(
    "Call a URL with a saved connection's access token, like curl: the body goes to stdout. The token is refreshed " +
      "before it expires and when the API rejects it (then the request is sent once more); a rotated refresh token " +
      "is saved. Credential headers (Authorization, cookies, token and key headers) are always redacted in what is " +
      "printed. Exits with 0 whatever the HTTP status, unless --fail.\n\n" +
      "Example: grantflow request work https://api.example.com/v1/me -i\n" +
        "Example: grantflow request github /user   (a catalog connection: a path under its API)"
  )
)

/** Why the call failed, as one line: the token (log in again), or the API. */
const explain = (name: string, method: string, url: string, error: unknown): Failure.CliFailure => {
  if (error instanceof BearerAuth.TokenRejected) {
    return Failure.failure(error.message.split(";", 1)[0]!, "check the connection's scopes and the API's permissions")
  }
  if (error instanceof TokenError.ReauthorizationRequired) {
    return Failure.failure(`connection ${name} needs a new login`, `run grantflow login ${name}`)
  }
  if (TokenError.isGrantflowError(error)) {
    return Failure.failure(
      `cannot get a token for connection ${name}: ${Failure.describe(error).message}`,
      `check that ${name}'s issuer is reachable, or run grantflow login ${name}`
    )
  }
  return Failure.failure(`${method} ${url} failed: ${Failure.describe(error).message}`, "check the URL and the network")
}
