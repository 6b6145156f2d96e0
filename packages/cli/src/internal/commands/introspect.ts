import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Introspection from "@grantflow/core/Introspection"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Client from "../client.js"
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
const tokenTypeHint = Options.choice("token-type-hint", ["access_token", "refresh_token"]).pipe(
  Options.withDescription("Tell the server which kind of token it is (RFC 7662 token_type_hint)."),
  Options.optional
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
  { target, token, tokenTypeHint, ...Client.flags },
  (options) =>
    Effect.gen(function*() {
      const value = yield* Input.token(options.token, "token")
      const { endpoint } = yield* Client.resolve(options.target, options, "introspection")
      const url = Either.match(Endpoint.url(endpoint, "introspection"), { onLeft: () => options.target, onRight: (url) => url.href })
      const answer = yield* Introspection.introspect(endpoint, {
        token: value,
        tokenTypeHint: Option.getOrUndefined(options.tokenTypeHint)
      })
      const claims = withoutToken(answer.claims, Redacted.value(value)) as Readonly<Record<string, unknown>>
      const now = yield* Clock.currentTimeMillis
      yield* Output.stdout(JwtSummary.json(claims))
      yield* Output.stderr(
        answer.active
          ? `active: yes, according to ${JwtSummary.display(url)}\n${JwtSummary.summarize(claims, now)}`
          : `active: no, according to ${JwtSummary.display(url)} (revoked, expired, or unknown to it)`
      )
    })
).pipe(
  Command.withDescription(
    "Ask the authorization server about a token (RFC 7662 introspection): the answer as JSON on stdout, a " +
      "summary on stderr (active, client, scopes, expiry). An inactive token is an answer too: exit code 0. " +
      "The client secret comes from --client-secret, GRANTFLOW_CLIENT_SECRET or a prompt." +
      "\n\nExample: GRANTFLOW_CLIENT_SECRET=s3cret grantflow introspect https://auth.example.com --token - " +
      "--client-id orders-api < token.txt"
  )
)
