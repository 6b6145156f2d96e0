import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as AccessToken from "@grantflow/core/AccessToken"
import * as Connector from "@grantflow/core/Connector"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as RedirectReceiver from "@grantflow/node/RedirectReceiver"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Catalog from "../catalog.js"
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
  ...Interactive.browserFlags(),
  provider: Client.optionalText(
    "provider",
    "Log in to a provider of the catalog (github, salesforce, …; see docs/providers.md) with its own authorization: " +
      "no issuer is given. Without it, a NAME that is a catalog id and no saved connection does the same."
  ),
  param: Options.text("param").pipe(
    Options.withDescription(
      "A catalog provider's configuration field, KEY=VALUE; repeatable (e.g. --param INSTANCE_URL=https://acme.my.salesforce.com, " +
        "--param SHOP=acme). The error for a missing one lists them."
    ),
    Options.repeated
  ),
  via: Client.optionalText(
    "via",
    "Send a catalog provider's requests (sign-in, tokens, API) to this origin instead of the provider's, with the same " +
      "paths: a twin of the provider (grantflow sim --twin ID) for tests and offline use. https:, or http: on loopback."
  )
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
          Catalog.catalogHint(name)
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

/** The flags that the catalog entry decides instead: they do not apply to a catalog login. */
const catalogDecides = (flags: Flags): string | undefined =>
  [
    flags.device ? "--device" : undefined,
    flags.par ? "--par" : undefined,
    Option.isSome(flags.authorizationUrl) ? "--authorization-url" : undefined,
    Option.isSome(flags.authMethod) ? "--auth-method" : undefined,
    Option.isSome(flags.keyFile) ? "--key-file" : undefined,
    Option.isSome(flags.keyId) ? "--key-id" : undefined,
    flags.insecure ? "--insecure" : undefined
  ].find((flag) => flag !== undefined)

/**
 * Signs in to a catalog provider with its entry's authorization — its
 * authorization URL and parameters, PKCE, its token endpoint, client
 * authentication and token response shape — through the browser and the
 * loopback receiver, and saves the connection with the entry's id, the
 * public `--param` fields and `--via`. A saved connection of the same entry
 * gives what the command line leaves out (client, secret, fields, via,
 * scopes).
 */
const catalogLogin = (
  name: string,
  id: string,
  options: Flags,
  store: Connections.Store,
  given: ReadonlyArray<string>,
  saved: Option.Option<Connections.Settings>
) =>
  Effect.gen(function*() {
    const entry = yield* Catalog.entry(id)
    const decided = catalogDecides(options)
    if (decided !== undefined) {
      return yield* Failure.usage(
        `${decided} does not apply to a catalog provider`,
        `the ${id} entry says how to sign in: leave it out`
      )
    }
    const authorizationOf = entry.definition.authorization
    if (authorizationOf === undefined) {
      return yield* Failure.usage(
        `${id}, as the catalog makes it by default, connects an application with its own credentials, not a user's sign-in`,
        `use it as a connector (Providers.${id}), or get a token with grantflow token`
      )
    }
    // the command line's own mistakes first, before a secret is asked for
    const givenParams = yield* Catalog.params(entry, options.param)
    const givenVia = Option.isSome(options.via) ? Option.some(yield* Catalog.checkVia(options.via.value)) : Option.none()
    // only a connection of the same entry is opened (with the key): another is replaced, whatever its key
    const previous = Option.isSome(saved) && saved.value.provider === id
      ? Option.some(yield* store.load(name))
      : Option.none<Connections.Connection>()
    const savedSettings = Option.map(previous, (saved) => saved.settings)
    const clientId = yield* Option.match(
      Option.orElse(options.clientId, () => Option.map(savedSettings, (settings) => settings.clientId)),
      {
        onNone: () =>
          Failure.usage(
            "--client-id is missing",
            `give the client id of your ${entry.metadata.name} OAuth app with --client-id or GRANTFLOW_CLIENT_ID`
          ),
        onSome: Effect.succeed
      }
    )
    const clientSecret = yield* Option.match(
      Option.orElse(
        options.clientSecret,
        () => Option.flatMap(previous, (saved) => Option.fromNullable(saved.credentials.clientSecret))
      ),
      {
        onNone: () => Client.askSecret(clientId, "give --client-secret or GRANTFLOW_CLIENT_SECRET, the OAuth app's secret"),
        onSome: Effect.succeed
      }
    )
    const params = {
      ...Option.getOrUndefined(Option.flatMap(savedSettings, (settings) => Option.fromNullable(settings.params))),
      ...givenParams
    }
    const via = Option.getOrUndefined(
      Option.orElse(givenVia, () => Option.flatMap(savedSettings, (settings) => Option.fromNullable(settings.via)))
    )
    const config = yield* Catalog.config(entry, { clientId, clientSecret }, params)
    const authorization = authorizationOf(config)
    const scopes = given.length > 0
      ? given
      : Option.match(savedSettings, { onNone: () => authorization.scopes ?? [], onSome: (settings) => settings.scopes })
    const definition: Connector.Definition<any, any> = {
      ...entry.definition,
      authorization: () => ({ ...authorization, scopes })
    }
    const http = yield* HttpClient.HttpClient
    const token: AccessToken.AccessToken = yield* Effect.scoped(Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make({ port: options.redirectPort }).pipe(
        Effect.catchTag("ServeError", (error) => Interactive.receiverFailure(options.redirectPort, error))
      )
      const { pending, url } = yield* Connector.authorize(definition, config, { redirectUri: receiver.redirectUri })
      yield* Interactive.showAuthorizeUrl(
        via === undefined ? url : Catalog.viaUrl(url, via),
        Interactive.canOpen(!options.noBrowser),
        Output.stderr
      )
      const received = yield* receiver.receive(pending.state)
      return yield* Connector.exchange(definition, config, pending, received)
    })).pipe(Effect.provideService(HttpClient.HttpClient, via === undefined ? http : Catalog.viaClient(http, via)))
    const { endpoint } = authorization
    const settings = new Connections.Settings({
      name,
      issuer: new URL(authorization.authorizeUrl).origin,
      tokenUrl: (yield* Endpoint.url(endpoint, "token")).href,
      // where logout revokes: the provider's own revocation request, or its RFC 7009 endpoint
      revocationUrl: definition.revoke?.(config).url ?? Either.getOrUndefined(Endpoint.url(endpoint, "revocation"))?.href,
      clientId,
      authMethod: endpoint.auth === undefined ? "none" : Connections.methodOf(endpoint.auth),
      scopes,
      insecure: false,
      timeout: options.timeout,
      createdAt: Date.now(),
      provider: id,
      params: Object.keys(params).length === 0 ? undefined : params,
      via
    })
    yield* store.save({ settings, credentials: { clientSecret } }, token)
    return {
      settings,
      token,
      about: `  ${entry.metadata.name} from the catalog${via === undefined ? "" : `, its requests sent to ${via}`}`,
      example: Connector.connectionTest(entry.definition, config)?.path ?? "/PATH"
    }
  })

/** What a login says once the connection is saved: never a token's value. */
const report = (
  settings: Connections.Settings,
  token: AccessToken.AccessToken,
  about: ReadonlyArray<string>,
  example: string
) => {
  const left = token.expiresAt - Date.now()
  const { name, scopes } = settings
  return Output.stderr(
    [
      `Logged in: connection ${name} to ${settings.issuer} as client ${settings.clientId}.`,
      ...about,
      `  access token ${left > 0 ? `expires in ${span(left)}` : "has expired"}; ` +
      `scopes: ${token.scopes.length > 0 ? token.scopes.join(" ") : scopes.length > 0 ? scopes.join(" ") : "(none stated)"}`,
      Option.isSome(token.refreshToken)
        ? "  a refresh token is kept: grantflow request refreshes the access token"
        : "  no refresh token was issued: log in again when the access token expires",
      `Use it: grantflow request ${name} ${example}`
    ].join("\n")
  )
}

/** @internal */
export const login = Command.make("login", { name: Connections.nameArg, target, ...flags }, (options) =>
  Effect.gen(function*() {
    const name = yield* Connections.checkName(options.name)
    yield* checkFlags(options)
    const store = yield* Connections.open
    const given = options.scope.flatMap((scope) => scope.split(/\s+/)).filter((scope) => scope !== "")
    if (Option.isSome(options.provider) && Option.isSome(options.target)) {
      return yield* Failure.usage(
        "an issuer and --provider were both given",
        "give the issuer of a server, or --provider for a catalog provider"
      )
    }
    const saved = (yield* store.names).includes(name) ? Option.some(yield* store.settings(name)) : Option.none()
    // a saved connection first: `grantflow login NAME` logs in to it again, a catalog one with its entry
    const provider = Option.isSome(options.provider) || Option.isSome(options.target)
      ? options.provider
      : Option.match(saved, {
        onSome: (settings) => Option.fromNullable(settings.provider),
        onNone: () => Catalog.find(name) === undefined ? Option.none() : Option.some(name)
      })
    if (Option.isSome(provider)) {
      const done = yield* catalogLogin(name, provider.value, options, store, given, saved)
      return yield* report(done.settings, done.token, [done.about], done.example)
    }
    if (options.param.length > 0 || Option.isSome(options.via)) {
      return yield* Failure.usage(
        `${options.param.length > 0 ? "--param" : "--via"} applies to a catalog provider only`,
        "name one with --provider, or log in to it by its id: grantflow login github …"
      )
    }
    const client = yield* clientOf(name, options, options.target, store)
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
    yield* report(settings, token, [], "URL")
  })).pipe(
    Command.withDescription(
      "Sign in and save the result as a named connection: through a browser (the authorization code flow with " +
        "PKCE, the browser coming back to a receiver on 127.0.0.1; the URL is printed, and opened on a terminal) or " +
        "with --device (the device flow). The connection's tokens and client secret are saved encrypted in " +
        "$GRANTFLOW_HOME (default $XDG_CONFIG_HOME/grantflow or ~/.config/grantflow) with the key in GRANTFLOW_KEY " +
        "(<key id>:<base64 of 32 bytes>) or, without it, a key file created there on first use (mode 0600). " +
        "Logging in to a saved name replaces it; without an issuer, logs in again with the saved settings.\n\n" +
        "A provider of the catalog (docs/providers.md) needs no issuer: `grantflow login github --client-id ID` (the " +
        "name is the catalog id), or any name with --provider ID, signs in with the entry's own authorization URL, " +
        "parameters, token endpoint and client authentication; its other fields come from --param KEY=VALUE. " +
        "grantflow request NAME /PATH then calls the provider's API with the entry's connector, refreshing as the " +
        "entry says. --via sends the entry's requests to a twin (grantflow sim --twin ID) instead.\n\n" +
        "Example: grantflow login work https://auth.example.com --client-id my-cli --auth-method none --device\n" +
        "Example: grantflow login github --client-id Iv1.0123 --scope repo\n" +
        "Example: grantflow login acme --provider salesforce --client-id ID --param INSTANCE_URL=https://acme.my.salesforce.com"
    )
  )
