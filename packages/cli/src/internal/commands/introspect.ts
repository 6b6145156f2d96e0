import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as ClientAuth from "@grantflow/core/ClientAuth"
import * as Discovery from "@grantflow/core/Discovery"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Introspection from "@grantflow/core/Introspection"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Failure from "../failure.js"
import * as Input from "../input.js"
import * as JwtSummary from "../jwtSummary.js"
import * as Output from "../output.js"

const target = Args.text({ name: "ISSUER_OR_INTROSPECTION_URL" }).pipe(
  Args.withDescription(
    "The issuer, whose metadata names its introspection endpoint, or the introspection endpoint's URL itself."
  )
)
const token = Options.text("token").pipe(
  Options.withDescription(
    "The token to introspect, or - to read it from stdin (a token given here is visible in the process list and the " +
      "shell history)."
  )
)
const clientId = Options.text("client-id").pipe(
  Options.withDescription("The client that asks (introspection is for confidential clients, RFC 7662 §2.1).")
)
const clientSecret = Options.redacted("client-secret").pipe(
  Options.withDescription(
    "The client's secret, sent with HTTP Basic authentication. Defaults to the environment variable " +
      "GRANTFLOW_CLIENT_SECRET: prefer it, since a flag's value is visible to every user in the process list."
  ),
  Options.withFallbackConfig(Config.redacted("GRANTFLOW_CLIENT_SECRET")),
  Options.optional
)
const tokenTypeHint = Options.choice("token-type-hint", ["access_token", "refresh_token"]).pipe(
  Options.withDescription("Tell the server which kind of token it is (RFC 7662 token_type_hint)."),
  Options.optional
)

/**
 * The introspection URL: the one the issuer's metadata names, or the
 * argument itself when no metadata is published under it (a 404 at both
 * well-known places), i.e. when it is not an issuer.
 */
const introspectionUrl = (argument: string): Effect.Effect<string, Failure.CliFailure, HttpClient.HttpClient> =>
  Discovery.fetch(argument, { timeout: "10 seconds" }).pipe(
    Effect.flatMap((metadata) =>
      Option.match(metadata.introspectionEndpoint, {
        onSome: Effect.succeed,
        onNone: () =>
          Failure.failure(
            "the issuer's metadata names no introspection_endpoint",
            "give the introspection endpoint's URL instead of the issuer"
          )
      })
    ),
    Effect.catchAll((error) => {
      if (error._tag === "CliFailure") return Effect.fail(error)
      if (error._tag === "EndpointUnavailable" && Option.contains(error.status, 404)) return Effect.succeed(argument)
      if (error._tag === "InvalidIssuer") {
        return Failure.usage(
          `${JwtSummary.display(argument)} is not a usable URL: ${error.reason}`,
          "give an https: URL; http: only on loopback"
        )
      }
      return Effect.fail(Failure.describe(error))
    })
  )

/**
 * The answer without the token: RFC 7662 answers never carry it, but an
 * answer is the server's text, so any string that holds the token is
 * replaced. Nesting is bounded by the JSON reader (64 levels).
 */
const withoutToken = (value: unknown, secret: string): unknown => {
  // a made-up token of a few characters would match every other string
  if (typeof value === "string") return (secret.length >= 8 ? value.includes(secret) : value === secret) ? "[token removed]" : value
  if (Array.isArray(value)) return value.map((item) => withoutToken(item, secret))
  if (Predicate.isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutToken(item, secret)]))
  }
  return value
}

/** @internal */
export const introspect = Command.make(
  "introspect",
  { target, token, clientId, clientSecret, tokenTypeHint },
  (options) =>
    Effect.gen(function*() {
      if (Option.isNone(options.clientSecret)) {
        return yield* Failure.usage(
          "no client secret",
          "set GRANTFLOW_CLIENT_SECRET, or give --client-secret, whose value the process list shows"
        )
      }
      const value = yield* Input.token(options.token, "token")
      const url = yield* introspectionUrl(options.target)
      const endpoint = Endpoint.make({
        introspectionUrl: url,
        auth: ClientAuth.clientSecretBasic(options.clientId, options.clientSecret.value),
        timeout: "10 seconds"
      })
      const answer = yield* Introspection.introspect(endpoint, {
        token: value,
        tokenTypeHint: Option.getOrUndefined(options.tokenTypeHint)
      }).pipe(Effect.mapError(Failure.describe))
      const claims = withoutToken(answer.claims, Redacted.value(value)) as Readonly<Record<string, unknown>>
      const now = yield* Clock.currentTimeMillis
      yield* Output.stdout(JwtSummary.json(claims))
      yield* Output.stderr(
        answer.active
          ? `active: yes, according to ${JwtSummary.display(url)}\n${JwtSummary.summarize(claims, now)}`
          : `active: no, according to ${JwtSummary.display(url)} (revoked, expired, or unknown to it)`
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
).pipe(
  Command.withDescription(
    "Ask the authorization server about a token (RFC 7662 introspection): the answer as JSON on stdout, a " +
      "summary on stderr (active, client, scopes, expiry). An inactive token is an answer too: exit code 0. " +
      "The client secret comes from --client-secret or GRANTFLOW_CLIENT_SECRET." +
      "\n\nExample: GRANTFLOW_CLIENT_SECRET=s3cret grantflow introspect https://auth.example.com --token - " +
      "--client-id orders-api < token.txt"
  )
)
