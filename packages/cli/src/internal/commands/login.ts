import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Client from "../client.js"
import * as Connections from "../connections.js"
import * as Failure from "../failure.js"
import * as Interactive from "../interactive.js"
import { span } from "../jwtSummary.js"
import * as Output from "../output.js"

const target = Args.text({ name: "ISSUER_OR_TOKEN_URL" }).pipe(
  Args.withDescription(
    "The issuer (its endpoints are discovered) or the token endpoint's own URL. Leave it out to log in again to a " +
      "saved connection with its settings and client secret."
  ),
  Args.optional
)

const flags = {
  ...Client.flags,
  clientId: Client.flags.clientId.pipe(Options.optional),
  scope: Interactive.scopeFlag("a saved connection's scopes"),
  device: Options.boolean("device").pipe(
    Options.withDescription(
      "Sign in with the device flow (RFC 8628): a code to enter on another device, for machines without a browser."
    )
  ),
  ...Interactive.browserFlags()
}

type Flags = Command.Command.ParseConfig<typeof flags>

const checkFlags = (flags: Flags): Effect.Effect<void, Failure.CliFailure> => {
  if (flags.device) {
    const browserOnly = [
      Option.isSome(flags.authorizationUrl) ? "--authorization-url" : undefined,
      flags.redirectPort !== 0 ? "--redirect-port" : undefined,
      flags.noBrowser ? "--no-browser" : undefined,
      flags.par ? "--par" : undefined
    ].find((flag) => flag !== undefined)
    if (browserOnly !== undefined) {
      return Failure.usage(`${browserOnly} does not apply to --device`, "leave it out, or sign in through the browser")
    }
  }
  if (flags.redirectPort < 0 || flags.redirectPort > 65535) {
    return Failure.usage(`--redirect-port must be 0–65535, got ${flags.redirectPort}`, "give a free port, or 0 for any")
  }
  return Effect.void
}

/**
 * What to log in to: the issuer and client of the command line, or those of
 * the saved connection (its secret too, unless one is given) when the
 * command line names none.
 */
const clientOf = (name: string, flags: Flags, target: Option.Option<string>, store: Connections.Store) =>
  Option.match(target, {
    onSome: (target) =>
      Option.match(flags.clientId, {
        onSome: (clientId) => Effect.succeed({ target, flags: { ...flags, clientId }, scopes: Option.none<ReadonlyArray<string>>() }),
        onNone: () => Failure.usage("--client-id is missing", "give --client-id or GRANTFLOW_CLIENT_ID")
      }),
    onNone: () =>
      Effect.flatMap(store.names, (names) =>
        names.includes(name) ? store.load(name) : Failure.usage(
          `no connection named ${name} to log in to again`,
          `give its issuer: grantflow login ${name} ISSUER --client-id ID`
        )).pipe(
        Effect.map(({ credentials, settings }) => ({
          target: settings.issuer,
          flags: {
            ...flags,
            clientId: Option.getOrElse(flags.clientId, () => settings.clientId),
            clientSecret: Option.orElse(flags.clientSecret, () => Option.fromNullable(credentials.clientSecret)),
            authMethod: Option.orElse(flags.authMethod, () => Option.some(settings.authMethod)),
            keyId: Option.orElse(flags.keyId, () => Option.fromNullable(settings.keyId)),
            timeout: settings.timeout,
            insecure: flags.insecure || settings.insecure
          },
          scopes: Option.some(settings.scopes)
        }))
      )
  })

/** @internal */
export const login = Command.make("login", { name: Connections.nameArg, target, ...flags }, (options) =>
  Effect.gen(function*() {
    const name = yield* Connections.checkName(options.name)
    yield* checkFlags(options)
    const store = yield* Connections.open
    const client = yield* clientOf(name, options, options.target, store)
    const given = options.scope.flatMap((scope) => scope.split(/\s+/)).filter((scope) => scope !== "")
    const scopes = given.length > 0 ? given : Option.getOrElse(client.scopes, () => [])
    const resolved = yield* Client.resolve(client.target, client.flags)
    const interactive = { resolved, scopes, print: Output.stderr }
    const token = yield* options.device
      ? Interactive.deviceAuthorization(interactive)
      : Interactive.browserAuthorization({
        ...interactive,
        authorizationUrl: Option.getOrUndefined(options.authorizationUrl),
        port: options.redirectPort,
        openBrowser: !options.noBrowser,
        pushedAuthorization: options.par
      })
    const { endpoint, metadata } = resolved
    const settings = new Connections.Settings({
      name,
      issuer: Option.match(metadata, { onNone: () => client.target, onSome: (metadata) => metadata.issuer }),
      tokenUrl: (yield* Endpoint.url(endpoint, "token")).href,
      revocationUrl: Either.getOrUndefined(Endpoint.url(endpoint, "revocation"))?.href,
      clientId: client.flags.clientId,
      authMethod: Connections.methodOf(resolved.auth),
      keyId: Option.getOrUndefined(client.flags.keyId),
      scopes,
      insecure: client.flags.insecure,
      timeout: client.flags.timeout,
      createdAt: Date.now()
    })
    yield* store.save({ settings, credentials: Connections.credentialsOf(resolved.auth) }, token)
    const left = token.expiresAt - Date.now()
    yield* Output.stderr(
      [
        `Logged in: connection ${name} to ${settings.issuer} as client ${settings.clientId}.`,
        `  access token ${left > 0 ? `expires in ${span(left)}` : "has expired"}; ` +
        `scopes: ${token.scopes.length > 0 ? token.scopes.join(" ") : scopes.length > 0 ? scopes.join(" ") : "(none stated)"}`,
        Option.isSome(token.refreshToken)
          ? "  a refresh token is kept: grantflow request refreshes the access token"
          : "  no refresh token was issued: log in again when the access token expires",
        `Use it: grantflow request ${name} URL`
      ].join("\n")
    )
  })).pipe(
    Command.withDescription(
      "Sign in and save the result as a named connection: through a browser (the authorization code flow with " +
        "PKCE, the browser coming back to a receiver on 127.0.0.1; the URL is printed, and opened on a terminal) or " +
        "with --device (the device flow). The connection's tokens and client secret are saved encrypted in " +
        "$GRANTFLOW_HOME (default $XDG_CONFIG_HOME/grantflow or ~/.config/grantflow) with the key in GRANTFLOW_KEY " +
        "(<key id>:<base64 of 32 bytes>) or, without it, a key file created there on first use (mode 0600). " +
        "Logging in to a saved name replaces it; without an issuer, logs in again with the saved settings.\n\n" +
        "Example: grantflow login work https://auth.example.com --client-id my-cli --auth-method none --device"
    )
  )
