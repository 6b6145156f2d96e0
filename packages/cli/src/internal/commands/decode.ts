import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as TokenVerifier from "@grantflow/resource-server/TokenVerifier"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Failure from "../failure.js"
import * as Input from "../input.js"
import * as JwtSummary from "../jwtSummary.js"
import * as Output from "../output.js"

const token = Args.text({ name: "TOKEN" }).pipe(
  Args.withDescription(
    "The JWT, or - to read it from stdin (then it appears in neither the shell history nor the process list); " +
      "options go before it."
  )
)
const jwks = Options.text("jwks").pipe(
  Options.withDescription("Verify the signature with the keys published at this JWKS URL."),
  Options.optional
)
const issuer = Options.text("issuer").pipe(
  Options.withDescription(
    "Verify: the token's iss must be this issuer, whose keys are found through its metadata unless --jwks is given."
  ),
  Options.optional
)
const audience = Options.text("audience").pipe(
  Options.withDescription("Verify: the token's aud must contain this (without it, aud is not checked)."),
  Options.optional
)

interface Verification {
  readonly jwks: Option.Option<string>
  readonly issuer: Option.Option<string>
  readonly audience: Option.Option<string>
}

const verificationHint = (reason: TokenVerifier.FailureReason): string => {
  switch (reason) {
    case "Signature":
    case "UnknownKey":
    case "Algorithm":
      return "the token was not signed by these keys: check --jwks or --issuer"
    case "Issuer":
      return "check --issuer, exact spelling and trailing slash included"
    case "Audience":
      return "check --audience"
    case "Expired":
    case "NotYetValid":
      return "the token is not valid now; run grantflow decode without --jwks and --issuer to see its times"
    default:
      return "run grantflow decode without --jwks and --issuer to see what it holds"
  }
}

const strings = (value: unknown): ReadonlyArray<string> =>
  typeof value === "string" ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []

/**
 * Verifies the token with the resource server's JWT verifier: signature,
 * algorithm, `exp`, `nbf`, and `iss` and `aud` when they were given (else
 * the token's own, i.e. not checked). Any `typ` is accepted: decode also
 * reads ID tokens. Succeeds with the line that says what was checked.
 */
const verify = (
  value: Redacted.Redacted<string>,
  claims: Readonly<Record<string, unknown>>,
  options: Verification
): Effect.Effect<string, Failure.CliFailure> =>
  Effect.gen(function*() {
    const verifier = yield* TokenVerifier.jwt({
      // without --issuer, the token's own iss is expected: not checked, but required (RFC 9068 §2.2), as aud is
      issuer: Option.getOrElse(options.issuer, () => typeof claims["iss"] === "string" ? claims["iss"] : ""),
      audience: Option.match(options.audience, { onSome: (aud) => [aud], onNone: () => strings(claims["aud"]) }),
      jwksUri: Option.getOrUndefined(options.jwks),
      maxTokenLength: Input.maxTokenLength,
      requireAtJwtType: false,
      timeout: "10 seconds"
    })
    yield* verifier.verify(value)
    const keys = Option.getOrElse(options.jwks, () => `the metadata of ${Option.getOrThrow(options.issuer)}`)
    const checked = [
      Option.isSome(options.issuer) ? "iss checked" : "iss not checked (no --issuer)",
      Option.isSome(options.audience) ? "aud checked" : "aud not checked (no --audience)",
      "exp and nbf checked"
    ]
    return `signature verified with the keys from ${JwtSummary.display(keys)}; ${checked.join(", ")}`
  }).pipe(
    Effect.catchAll((error) =>
      Effect.fail(
        error._tag === "VerificationFailed"
          ? Failure.failure(
            `verification failed: ${error.description.replace(/^The /, "the ")}`,
            verificationHint(error.reason)
          )
          : Failure.describe(error)
      )
    ),
    Effect.provide(NodeHttpClient.layerUndici)
  )

const headerLine = (header: Readonly<Record<string, unknown>>): string =>
  "JWT  " + ["alg", "typ", "kid"].filter((name) => header[name] !== undefined)
    .map((name) => `${name} ${JwtSummary.display(header[name])}`).join(", ")

/** @internal */
export const decode = Command.make("decode", { token, jwks, issuer, audience }, (options) =>
  Effect.gen(function*() {
    const verifying = Option.isSome(options.jwks) || Option.isSome(options.issuer)
    if (Option.isSome(options.audience) && !verifying) {
      return yield* Failure.usage("--audience is checked only when verifying", "add --issuer or --jwks")
    }
    const value = yield* Input.token(options.token, "token")
    const decoded = TokenVerifier.decodeUnverified(Redacted.value(value), { maxTokenLength: Input.maxTokenLength })
    if (Either.isLeft(decoded)) {
      return yield* Failure.failure(
        `the token ${TokenVerifier.describeDecodeFailure(decoded.left)}`,
        decoded.left._tag === "Parts" && decoded.left.count === 1
          ? "an opaque token can be checked with grantflow introspect"
          : "give a compact JWT, header.payload.signature"
      )
    }
    const { claims, header } = decoded.right
    // verified before anything is printed: a failure is one line
    const verified = verifying ? Option.some(yield* verify(value, claims, options)) : Option.none()
    const now = yield* Clock.currentTimeMillis
    // the signature is never printed: it adds nothing to read, and with the rest it is the token
    yield* Output.stdout(JwtSummary.json({ header, claims }))
    yield* Output.stderr(
      [
        headerLine(header),
        JwtSummary.summarize(claims, now),
        Option.getOrElse(verified, () => "signature not verified (give --jwks URL or --issuer URL to verify it)")
      ].join("\n")
    )
  })).pipe(
    Command.withDescription(
      "Show a JWT's header and claims: JSON on stdout, a summary with its times on stderr. Nothing is verified " +
        "unless --jwks or --issuer is given; the signature is never printed. TOKEN may be - to read it from stdin." +
        "\n\nExample: grantflow decode --issuer https://auth.example.com - < token.txt"
    )
  )
