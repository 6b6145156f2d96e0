import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as AccessToken from "@grantflow/core/AccessToken"
import * as Grant from "@grantflow/core/Grant"
import type * as RedirectReceiver from "@grantflow/node/RedirectReceiver"
import * as TokenVerifier from "@grantflow/resource-server/TokenVerifier"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import { createHash } from "node:crypto"
import * as Client from "../client.js"
import * as Failure from "../failure.js"
import * as Input from "../input.js"
import * as Interactive from "../interactive.js"
import * as JwtSummary from "../jwtSummary.js"
import * as Output from "../output.js"

/** The grants `--grant` chooses from. */
const grants = [
  "client_credentials",
  "refresh_token",
  "authorization_code",
  "device_code",
  "jwt_bearer",
  "token_exchange"
] as const

type GrantName = typeof grants[number]

/** Short names of the RFC 8693 token types; a full URI is taken as it is. */
const tokenTypeNames: Readonly<Record<string, string>> = {
  access_token: Grant.tokenTypes.accessToken,
  refresh_token: Grant.tokenTypes.refreshToken,
  id_token: Grant.tokenTypes.idToken,
  jwt: Grant.tokenTypes.jwt,
  saml1: Grant.tokenTypes.saml1,
  saml2: Grant.tokenTypes.saml2
}

const tokenType = (value: string): string => tokenTypeNames[value] ?? value

const processListWarning = "A value on the command line is visible to other users in the process list: prefer - " +
  "(read from stdin) or the environment variable"

const target = Args.text({ name: "ISSUER_OR_TOKEN_URL" }).pipe(
  Args.withDescription(
    "The issuer (its endpoints are discovered) or the token endpoint's own URL (used as it is when it has no " +
      "discovery documents)."
  )
)

const credential = (name: string, what: string, env: string) =>
  Options.redacted(name).pipe(
    Options.withDescription(`${what}, or - to read it from stdin. ${processListWarning} ${env}.`),
    Options.optional
  )

const flags = {
  ...Client.flags,
  grant: Options.choice("grant", grants).pipe(
    Options.withDescription("The grant to obtain the token with."),
    Options.withDefault("client_credentials" as GrantName)
  ),
  scope: Interactive.scopeFlag(),
  audience: Client.optionalText(
    "audience",
    "The audience parameter (client_credentials, authorization_code, device_code, token_exchange)."
  ),
  resource: Options.text("resource").pipe(
    Options.withDescription(
      "A resource indicator (RFC 8707; every grant); repeatable."
    ),
    Options.repeated
  ),
  refreshToken: credential(
    "refresh-token",
    "refresh_token: the refresh token",
    "GRANTFLOW_REFRESH_TOKEN"
  ),
  assertion: credential("assertion", "jwt_bearer: the signed JWT assertion", "GRANTFLOW_ASSERTION"),
  assertionFile: Client.optionalText("assertion-file", "jwt_bearer: a file holding the assertion."),
  subjectToken: credential("subject-token", "token_exchange: the token to exchange", "GRANTFLOW_SUBJECT_TOKEN"),
  subjectTokenType: Options.text("subject-token-type").pipe(
    Options.withDescription(
      "token_exchange: the subject token's type, a URI or one of access_token, refresh_token, id_token, jwt, " +
        "saml1, saml2."
    ),
    Options.withDefault("access_token")
  ),
  actorToken: credential("actor-token", "token_exchange: the actor's token (delegation)", "GRANTFLOW_ACTOR_TOKEN"),
  actorTokenType: Client.optionalText("actor-token-type", "token_exchange: the actor token's type (default access_token)."),
  requestedTokenType: Client.optionalText("requested-token-type", "token_exchange: the type of token to ask for."),
  ...Interactive.browserFlags("authorization_code"),
  json: Options.boolean("json").pipe(
    Options.withDescription("Print the whole token response, tokens included, as JSON on stdout.")
  ),
  raw: Options.boolean("raw").pipe(Options.withDescription("Print only the access token on stdout."))
}

type Flags = Command.Command.ParseConfig<typeof flags>

/** Which flags each grant takes, beyond the client's and the scopes: any other is a usage error. */
const grantFlags: Readonly<Record<GrantName, ReadonlyArray<keyof Flags>>> = {
  client_credentials: ["audience", "resource"],
  refresh_token: ["refreshToken", "resource"],
  authorization_code: ["audience", "resource", "authorizationUrl", "redirectPort", "noBrowser", "par"],
  device_code: ["audience", "resource"],
  jwt_bearer: ["assertion", "assertionFile", "resource"],
  token_exchange: [
    "audience",
    "resource",
    "subjectToken",
    "subjectTokenType",
    "actorToken",
    "actorTokenType",
    "requestedTokenType"
  ]
}

const flagNames: Readonly<Partial<Record<keyof Flags, string>>> = {
  audience: "--audience",
  resource: "--resource",
  refreshToken: "--refresh-token",
  assertion: "--assertion",
  assertionFile: "--assertion-file",
  subjectToken: "--subject-token",
  subjectTokenType: "--subject-token-type",
  actorToken: "--actor-token",
  actorTokenType: "--actor-token-type",
  requestedTokenType: "--requested-token-type",
  authorizationUrl: "--authorization-url",
  redirectPort: "--redirect-port",
  noBrowser: "--no-browser",
  par: "--par"
}

/** Whether a grant-specific flag was given (its value differs from "not given"). */
const given = (flags: Flags, key: keyof Flags): boolean => {
  const value: unknown = flags[key]
  return Option.isOption(value)
    ? Option.isSome(value)
    : Array.isArray(value)
    ? value.length > 0
    : key === "subjectTokenType"
    ? value !== "access_token"
    : key === "redirectPort"
    ? value !== 0
    : value === true
}

const checkFlags = (flags: Flags): Effect.Effect<void, Failure.CliFailure> =>
  Effect.gen(function*() {
    if (flags.json && flags.raw) return yield* Failure.usage("--json and --raw together", "choose one")
    const allowed = grantFlags[flags.grant]
    const stray = (Object.keys(flagNames) as Array<keyof Flags>).find((key) => given(flags, key) && !allowed.includes(key))
    if (stray !== undefined) {
      return yield* Failure.usage(
        `${flagNames[stray]} does not apply to --grant ${flags.grant}`,
        "leave it out, or choose the grant it belongs to: see grantflow token --help"
      )
    }
    if (flags.redirectPort < 0 || flags.redirectPort > 65535) {
      return yield* Failure.usage(`--redirect-port must be 0–65535, got ${flags.redirectPort}`, "give a free port, or 0 for any")
    }
    const stdin = [flags.refreshToken, flags.assertion, flags.subjectToken, flags.actorToken].filter((value) =>
      Option.exists(value, (value) => Redacted.value(value) === "-")
    )
    if (stdin.length > 1) return yield* Failure.usage("more than one value is - (stdin)", "read at most one from stdin")
    if (Option.isSome(flags.assertion) && Option.isSome(flags.assertionFile)) {
      return yield* Failure.usage("--assertion and --assertion-file together", "choose one")
    }
  })

/**
 * A credential from its flag (`-`: stdin) or, without the flag, its
 * environment variable; `None` when neither is there.
 */
const credentialOf = (flag: Option.Option<Redacted.Redacted<string>>, env: string, what: string) =>
  Option.match(flag, {
    onSome: (value) => Effect.map(Input.token(Redacted.value(value), what), Option.some),
    onNone: () => {
      const value = process.env[env]
      return value === undefined || value === "" ? Effect.succeedNone : Effect.map(Input.token(value, what), Option.some)
    }
  })

const required = (
  grant: GrantName,
  flag: Option.Option<Redacted.Redacted<string>>,
  name: string,
  env: string,
  what: string
) =>
  Effect.flatMap(credentialOf(flag, env, what), (value) =>
    Option.match(value, {
      onSome: Effect.succeed,
      onNone: () => Failure.usage(`--grant ${grant} needs the ${what}`, `give ${name} (- for stdin) or ${env}`)
    }))

const readAssertionFile = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path)).pipe(
    Effect.catchTags({
      SystemError: (error) => Failure.usage(`cannot read --assertion-file ${path} (${error.reason})`, "give a readable file"),
      BadArgument: (error) => Failure.usage(`cannot read --assertion-file ${path} (${error.message})`, "give a readable file")
    }),
    Effect.flatMap((text) => Input.token(text, "assertion"))
  )

/** What a token request gave: the token, and for token exchange the issued token type. */
interface Obtained {
  readonly token: AccessToken.AccessToken
  readonly issuedTokenType: Option.Option<string>
}

const plain = (token: AccessToken.AccessToken): Obtained => ({ token, issuedTokenType: Option.none() })

const print = (text: string) => Output.stderr(text)

/** The chosen grant, ready to run at the resolved endpoint. */
type Request = (
  resolved: Client.Resolved
) => Effect.Effect<Obtained, RedirectReceiver.AuthorizeError | Failure.CliFailure, HttpClient.HttpClient>

/**
 * The chosen grant with its own inputs read (the tokens it sends, from
 * their flag, stdin or environment): a missing one is a usage error before
 * anything is sent or the client secret is asked for.
 */
const prepare = (
  flags: Flags,
  scopes: ReadonlyArray<string>
): Effect.Effect<Request, Failure.CliFailure, FileSystem.FileSystem> => {
  const audience = Option.getOrUndefined(flags.audience)
  const resource = flags.resource
  // the authorization request's own parameters (the interactive grants)
  const extraParams = audience === undefined ? {} : { audience }
  const need = (flag: Option.Option<Redacted.Redacted<string>>, name: string, env: string, what: string) =>
    required(flags.grant, flag, name, env, what)
  switch (flags.grant) {
    case "client_credentials":
      return Effect.succeed(({ endpoint }) =>
        Effect.map(Grant.clientCredentials(endpoint, { scopes, audience, resource }), plain)
      )
    case "refresh_token":
      return Effect.map(
        need(flags.refreshToken, "--refresh-token", "GRANTFLOW_REFRESH_TOKEN", "refresh token"),
        (refreshToken) => ({ endpoint }) => Effect.map(Grant.refreshToken(endpoint, { refreshToken, scopes, resource }), plain)
      )
    case "authorization_code":
      return Effect.succeed((resolved) =>
        Effect.map(
          Interactive.browserAuthorization({
            resolved,
            scopes,
            resource,
            extraParams,
            print,
            authorizationUrl: Option.getOrUndefined(flags.authorizationUrl),
            port: flags.redirectPort,
            openBrowser: !flags.noBrowser,
            pushedAuthorization: flags.par
          }),
          plain
        )
      )
    case "device_code":
      return Effect.succeed((resolved) =>
        Effect.map(Interactive.deviceAuthorization({ resolved, scopes, resource, extraParams, print }), plain)
      )
    case "jwt_bearer":
      return Effect.map(
        Option.match(flags.assertionFile, {
          onSome: readAssertionFile,
          onNone: () => need(flags.assertion, "--assertion", "GRANTFLOW_ASSERTION", "assertion")
        }),
        (assertion) => ({ endpoint }) => Effect.map(Grant.jwtBearer(endpoint, { assertion, scopes, resource }), plain)
      )
    case "token_exchange":
      return Effect.gen(function*() {
        const subjectToken = yield* need(flags.subjectToken, "--subject-token", "GRANTFLOW_SUBJECT_TOKEN", "subject token")
        const actorToken = yield* credentialOf(flags.actorToken, "GRANTFLOW_ACTOR_TOKEN", "actor token")
        const options: Grant.TokenExchangeOptions = {
          subjectToken,
          subjectTokenType: tokenType(flags.subjectTokenType),
          actorToken: Option.getOrUndefined(actorToken),
          actorTokenType: Option.isSome(actorToken)
            ? tokenType(Option.getOrElse(flags.actorTokenType, () => "access_token"))
            : undefined,
          requestedTokenType: Option.getOrUndefined(Option.map(flags.requestedTokenType, tokenType)),
          audience,
          resource,
          scopes
        }
        return ({ endpoint }: Client.Resolved) => Grant.tokenExchange(endpoint, options)
      })
  }
}

/** The token response (RFC 6749 §5.1) as grantflow read it, secrets included. */
const response = ({ issuedTokenType, token }: Obtained): Record<string, unknown> => ({
  access_token: Redacted.value(token.token),
  token_type: token.type,
  expires_in: Math.round((token.expiresAt - token.issuedAt) / 1000),
  ...(token.scopes.length > 0 ? { scope: token.scopes.join(" ") } : {}),
  ...Option.match(token.refreshToken, {
    onNone: () => ({}),
    onSome: (refreshToken) => ({ refresh_token: Redacted.value(refreshToken) })
  }),
  ...Option.match(issuedTokenType, { onNone: () => ({}), onSome: (type) => ({ issued_token_type: type }) })
})

/**
 * A secret replaced by what identifies it without giving it away: its length
 * and the start of its SHA-256, to tell two tokens apart.
 *
 * @internal
 */
export const fingerprint = (secret: string): string =>
  `(redacted: ${secret.length} chars, sha256 ${createHash("sha256").update(secret).digest("hex").slice(0, 8)})`

const secretFields = ["access_token", "refresh_token"]

const masked = (body: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(body).map(([key, value]) =>
      secretFields.includes(key) && typeof value === "string" ? [key, fingerprint(value)] : [key, value]
    )
  )

const utc = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

/** The summary for a person, on stderr: no token value in it. */
const summary = ({ issuedTokenType, token }: Obtained, now: number): string => {
  const value = Redacted.value(token.token)
  const left = token.expiresAt - now
  const jwt = value.split(".").length === 3
    ? TokenVerifier.decodeUnverified(value, { maxTokenLength: Input.maxTokenLength })
    : Either.left(undefined)
  return [
    `${JwtSummary.display(token.type)} token, ${
      left > 0 ? `expires in ${JwtSummary.span(left)}` : `expired ${JwtSummary.span(left)} ago`
    } (${utc(token.expiresAt)})`,
    `scopes: ${token.scopes.length > 0 ? JwtSummary.display(token.scopes) : "(none stated by the server)"}`,
    `refresh token: ${Option.isSome(token.refreshToken) ? "issued" : "none"}`,
    ...Option.match(issuedTokenType, { onNone: () => [], onSome: (type) => [`issued token type: ${JwtSummary.display(type)}`] }),
    ...Either.match(jwt, {
      onLeft: () => ["the access token is opaque (not a JWT)"],
      onRight: ({ claims }) => ["the access token is a JWT (not verified):", JwtSummary.summarize(claims, now)]
    })
  ].join("\n")
}

const signInAgain = "sign in again: --grant authorization_code or device_code"

/**
 * What to do after a failure, in this command's terms (its flags); `None`
 * for a failure whose own message says all there is.
 */
const hintFor = (error: unknown, grant: GrantName): Option.Option<string> => {
  if (!Predicate.hasProperty(error, "_tag")) return Option.none()
  switch (error._tag) {
    case "OAuthError": {
      const code = Predicate.hasProperty(error, "error") ? error.error : undefined
      switch (code) {
        case "invalid_client":
          return Option.some("check --client-id, the client secret and --auth-method")
        case "unauthorized_client":
          return Option.some(`check that the client is registered for --grant ${grant}`)
        case "unsupported_grant_type":
          return Option.some(`the server does not offer --grant ${grant}`)
        case "invalid_scope":
          return Option.some("ask only for scopes the client is registered for (--scope)")
        case "invalid_grant":
          return Option.some(
            grant === "jwt_bearer"
              ? "check the assertion: its issuer, subject, audience and expiry"
              : grant === "token_exchange"
              ? "check --subject-token and --subject-token-type"
              : signInAgain
          )
        default:
          return Option.none()
      }
    }
    case "ReauthorizationRequired":
      return Option.some(signInAgain)
    case "EndpointUnavailable": {
      const reason = Predicate.hasProperty(error, "reason") ? error.reason : undefined
      return reason === "Timeout"
        ? Option.some("give a slow server a longer --timeout")
        : reason === "Transport"
        ? Option.some("check ISSUER_OR_TOKEN_URL: is the server running there?")
        : Option.none()
    }
    case "AuthorizationFailed":
    case "DeviceAccessDenied":
    case "DeviceCodeExpired":
    case "RedirectTimeout":
      return Option.some("run the command again to sign in")
    default:
      return Option.none()
  }
}

/** A failure as one line, with a hint in this command's terms where there is one. */
const describe = (grant: GrantName) => (error: unknown): Failure.CliFailure => {
  const described = Failure.describe(error)
  return described.usage
    ? described
    : Option.match(hintFor(error, grant), {
      onNone: () => described,
      onSome: (hint) => Failure.failure(described.message, hint)
    })
}

/** @internal */
export const token = Command.make("token", { target, ...flags }, (flags) =>
  Effect.gen(function*() {
    yield* checkFlags(flags)
    const scopes = flags.scope.flatMap((scope) => scope.split(/\s+/)).filter((scope) => scope !== "")
    const request = yield* prepare(flags, scopes)
    const obtained = yield* request(yield* Client.resolve(flags.target, flags))
    const now = yield* Clock.currentTimeMillis
    yield* print(summary(obtained, now))
    if (flags.raw) return yield* Output.stdout(Redacted.value(obtained.token.token))
    const body = response(obtained)
    // as JSON whose text holds no character that rewrites a terminal: the values are the server's
    yield* Output.stdout(JwtSummary.json(flags.json ? body : masked(body)))
  }).pipe(Effect.mapError(describe(flags.grant)))).pipe(
    Command.withDescription(
      "Obtain a token with any grant and print the token response as JSON on stdout, its tokens redacted unless " +
        "--json or --raw asks for them, and a summary on stderr (expiry, scopes, a JWT's claims). The client " +
        "secret comes from --client-secret, GRANTFLOW_CLIENT_SECRET or a prompt that does not echo; tokens " +
        "given to the command from -, stdin, or their environment variable. Flags are visible in the process list." +
        "\n\nExample: grantflow token https://auth.example.com --client-id my-app --scope orders.read --raw"
    )
  )
