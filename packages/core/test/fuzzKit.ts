/**
 * The fuzz suite's generators and checks (issue 12, section 6): generated and
 * mutated token responses, error bodies, metadata documents and connector
 * specs (the resource server's inputs are in its package), each
 * with the entry points that read it and a check that returns the problems
 * found (empty when the answer is a value or a typed error, in time, with
 * finite expiry and no planted secret in any printed form).
 */
import { afterEach, assert } from "@effect/vitest"
import { Effect, Either, FastCheck, Redacted } from "effect"
import type * as AccessToken from "../src/AccessToken.js"
import * as ConnectorSpec from "../src/ConnectorSpec.js"
import * as TokenError from "../src/TokenError.js"
import * as TokenResponse from "../src/TokenResponse.js"
import * as entry from "./entryPoints.js"
import { clientCredentials } from "./connectorSpecs.js"
import {
  adversarial,
  encoded,
  hostileValue,
  leaks,
  planted,
  plantedValues,
  secretsFor,
  timeBoundMs,
  timed
} from "./hostile.js"

/** What one generated input gives: the problems found, none when all is well. */
export type Problems = ReadonlyArray<string>

export const describeInput = (text: string): string =>
  `${text.length} chars: ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`

const slow = (entryPoint: string, ms: number): Problems =>
  ms > timeBoundMs ? [`${entryPoint}: took ${ms.toFixed(1)} ms`] : []

/** Runs an entry point in time, turning a throw into a problem. */
export const run = <A>(entryPoint: string, f: () => A): { readonly problems: Problems; readonly result?: A } => {
  try {
    const { ms, result } = timed(f)
    return { problems: slow(entryPoint, ms), result }
  } catch (error) {
    return { problems: [`${entryPoint}: threw ${error instanceof Error ? error.name : typeof error}`] }
  }
}

export const leaked = (entryPoint: string, value: unknown, secrets: ReadonlyArray<string>): Problems =>
  leaks(value, secrets).map((found) =>
    found.startsWith("JSON.stringify threw")
      ? `${entryPoint}: ${found}`
      : `${entryPoint}: a printed form shows ${JSON.stringify(found.slice(0, 40))}`
  )

// a C0 or C1 control character, DEL included
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const control = /[\u0000-\u001f\u007f-\u009f]/

/** The checks of an Either from a parser: a typed error without secrets, or a value `checkValue` accepts. */
const checkEither = <A, E>(
  entryPoint: string,
  result: Either.Either<A, E>,
  secrets: ReadonlyArray<string>,
  checkValue: (value: A) => Problems = () => [],
  isTyped: (error: unknown) => boolean = () => true
): Problems => {
  if (!Either.isEither(result)) return [`${entryPoint}: answered something other than an Either`]
  if (Either.isRight(result)) return checkValue(result.right)
  const error: unknown = result.left
  const tag = (error as { readonly _tag?: unknown } | null)?._tag
  if (!(error instanceof Error) || typeof tag !== "string" || !isTyped(error)) {
    return [`${entryPoint}: failed with an untyped error`]
  }
  const { message } = error
  return [
    ...leaked(entryPoint, error, secrets),
    // received text in a message must not forge log lines or flood them
    ...(control.test(message) ? [`${entryPoint}: ${tag}'s message holds a raw control character`] : []),
    ...(message.length > maxMessage ? [`${entryPoint}: ${tag}'s message is ${message.length} chars long`] : [])
  ]
}

/** The longest message any error may print, 16 KiB: whatever was received, messages stay bounded. */
export const maxMessage = 16 * 1024

// ── token responses ─────────────────────────────────────────────────────────

const maxLifetimeMs = 365 * 24 * 3600 * 1000
// RFC 6749 appendix A: VSCHAR for tokens, name-chars for the type
const isVsChars = (text: string) => [...text].every((c) => c >= " " && c <= "~")
const isNameChars = (text: string) => [...text].every((c) => /[\w.-]/.test(c))

/** An access token is usable: finite expiry within the lifetime bounds, RFC characters, and printed redacted. */
export const checkAccessToken = (entryPoint: string, secrets: ReadonlyArray<string>) =>
(token: AccessToken.AccessToken): Problems => {
  const problems: Array<string> = []
  if (!Number.isFinite(token.expiresAt)) problems.push(`${entryPoint}: expiresAt is ${token.expiresAt}`)
  else if (token.expiresAt < token.issuedAt || token.expiresAt > token.issuedAt + maxLifetimeMs) {
    problems.push(`${entryPoint}: expiresAt is ${token.expiresAt - token.issuedAt} ms after issuedAt`)
  }
  if (token.issuedAt !== entry.sentAt) problems.push(`${entryPoint}: issuedAt is not the time the request was sent`)
  const value = Redacted.value(token.token)
  if (value === "" || !isVsChars(value)) problems.push(`${entryPoint}: the access token holds characters outside VSCHAR`)
  if (token.refreshToken._tag === "Some" && !isVsChars(Redacted.value(token.refreshToken.value))) {
    problems.push(`${entryPoint}: the refresh token holds characters outside VSCHAR`)
  }
  if (token.type === "" || !isNameChars(token.type)) problems.push(`${entryPoint}: the token type is not 1*name-char`)
  return [...problems, ...leaked(entryPoint, token, secrets)]
}

/**
 * Runs a token path entry point in time: its failure must be a `TokenError`
 * without secrets, and (when `tokens`) its success a usable access token.
 */
const checked = <A>(
  entryPoint: string,
  f: () => Either.Either<A, unknown>,
  secrets: ReadonlyArray<string>,
  tokens: boolean
): { readonly problems: Problems; readonly result?: Either.Either<A, unknown> } => {
  const { problems, result } = run(entryPoint, f)
  if (result === undefined) return { problems }
  const checkValue = tokens
    ? (value: A) => checkAccessToken(entryPoint, secrets)(value as AccessToken.AccessToken)
    : () => []
  return {
    problems: [...problems, ...checkEither(entryPoint, result, secrets, checkValue, TokenError.isGrantflowError)],
    result
  }
}

// a secret where it belongs, sometimes spoiled: padded, with a control character, wrapped, not a string
const secretValue = (secret: string): FastCheck.Arbitrary<unknown> =>
  FastCheck.oneof(
    { arbitrary: FastCheck.constant(secret), weight: 6 },
    {
      arbitrary: FastCheck.constantFrom(
        ` ${secret} `,
        `${secret}\n`,
        `${secret}\u0000`,
        `\u001b[2J${secret}`,
        `${secret}\u00e9`,
        [secret],
        { value: secret },
        "",
        " ",
        null,
        12345
      ),
      weight: 3
    }
  )

const expiresIn: FastCheck.Arbitrary<unknown> = FastCheck.oneof(
  FastCheck.integer({ min: -5, max: 10 ** 9 }),
  FastCheck.double(),
  FastCheck.constantFrom(
    "3600",
    " 3600 ",
    "",
    "0",
    "-1",
    "-0",
    "1e400",
    "1e308",
    "-1e400",
    "0x10",
    "Infinity",
    "-Infinity",
    "NaN",
    "1_000",
    "\u0663\u0666\u0660\u0660",
    "0.0004",
    "1".repeat(40),
    "9".repeat(400),
    ".5",
    "5.",
    "+5",
    "1e-400",
    "3600s",
    "\t60\n",
    "0004",
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 53,
    1e21
  ),
  adversarial(2048),
  hostileValue
)

const tokenType = FastCheck.oneof(
  FastCheck.constantFrom("bearer", "Bearer", "BEARER", "mac", "DPoP", "N_A", "", " ", "bear er", "Bearer\n", "\u0000", null),
  hostileValue
)

const scope = FastCheck.oneof(
  FastCheck.string({ maxLength: 40 }),
  FastCheck.array(FastCheck.string({ maxLength: 12 }), { maxLength: 5 }),
  hostileValue
)

const junk = FastCheck.dictionary(FastCheck.string({ maxLength: 12 }), hostileValue, { maxKeys: 3 })

const expiresAs = FastCheck.constantFrom<TokenResponse.ExpiresAs>(
  "seconds",
  "milliseconds",
  "epochSeconds",
  "epochMilliseconds",
  "iso8601"
)

/** A generated token response: its fields, and the shape (if any) that says where they are. */
export interface GeneratedTokenResponse {
  readonly value: Record<string, unknown>
  readonly shape: TokenResponse.Shape | undefined
}

export const tokenResponse: FastCheck.Arbitrary<GeneratedTokenResponse> = FastCheck.record({
  junk,
  fields: FastCheck.record({
    access_token: FastCheck.oneof(secretValue(planted.accessToken), secretValue(planted.short)),
    token_type: tokenType,
    expires_in: expiresIn,
    scope,
    refresh_token: secretValue(planted.refreshToken),
    id_token: FastCheck.constant(planted.idToken)
  }, { requiredKeys: [] }),
  shaped: FastCheck.oneof(
    { arbitrary: FastCheck.constant(null), weight: 3 },
    { arbitrary: expiresAs, weight: 1 }
  )
}).map(({ fields, junk, shaped }) => {
  if (shaped === null) return { value: { ...junk, ...fields }, shape: undefined }
  const { access_token, expires_in, refresh_token, token_type, ...rest } = fields
  return {
    value: { ...junk, ...rest, data: { token: access_token, ttl: expires_in, refresh: refresh_token, type: token_type } },
    shape: {
      accessToken: "data.token",
      expiresIn: "data.ttl",
      refreshToken: "data.refresh",
      tokenType: "data.type",
      expiresAs: shaped
    }
  }
})

const contentType = FastCheck.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "application/x-www-form-urlencoded",
  "text/plain",
  "text/html",
  "application/problem+json",
  "",
  undefined
)

const status = FastCheck.oneof(
  { arbitrary: FastCheck.constant(200), weight: 6 },
  { arbitrary: FastCheck.constantFrom(201, 204, 302, 400, 401, 403, 429, 500, 502, 503), weight: 2 }
)

/** A token endpoint answer: a generated response, encoded (maybe mutated), with a content type and a status. */
export const tokenAnswer = FastCheck.record({
  response: tokenResponse,
  contentType,
  status
}).chain(({ contentType, response, status }) =>
  encoded(FastCheck.constant(response.value)).map((document) => ({ ...document, response, contentType, status }))
)

/**
 * The secrets that must stay hidden in an answer. A mutation may move a
 * secret into text that is shown by design: the fields of an OAuth error
 * (`error=…access_token=…` read as a form) or a token's scope and type
 * (`scope=…&refresh_token=…` with the `&refre` cut out). The server chose to
 * show that text, so such a secret is not required to stay hidden.
 */
const secretsOfAnswer = (answer: {
  readonly text: string
  readonly mutated: boolean
  readonly contentType: string | undefined
}): ReadonlyArray<string> => {
  const secrets = secretsFor(answer)
  if (!answer.mutated) return secrets
  const body = Either.getOrUndefined(TokenResponse.parseBody(answer.contentType, answer.text))
  if (typeof body !== "object" || body === null) return secrets
  const shown = ["error", "error_description", "error_uri", "scope", "token_type"].flatMap((field) => {
    const value = (body as Record<string, unknown>)[field]
    return (Array.isArray(value) ? value : [value]).filter((text): text is string => typeof text === "string")
  })
  return secrets.filter((secret) => !shown.some((text) => text.includes(secret)))
}

/** Every entry point that reads a token endpoint answer, checked. */
export const checkTokenAnswer = (answer: {
  readonly text: string
  readonly mutated: boolean
  readonly response: GeneratedTokenResponse
  readonly contentType: string | undefined
  readonly status: number
}): Problems => {
  const secrets = secretsOfAnswer(answer)
  const { contentType, response, status, text } = answer
  const { shape } = response
  const options = { status, sentAt: entry.sentAt, shape }
  const shaped = shape === undefined ? "" : " (shaped)"
  return [
    checked("tokenRequest.interpret", () => entry.interpret(text, contentType, status), secrets, true),
    checked("tokenRequest.interpretJson", () => entry.interpretJson(text, contentType, status), secrets, false),
    checked(
      `TokenResponse.parseBody + decode${shaped}`,
      () => entry.parseAndDecode(text, contentType, status, shape),
      secrets,
      true
    ),
    // decode takes `unknown` from users too: values no JSON text carries (NaN, Infinity, -0)
    checked(
      `TokenResponse.decode of the value${shaped}`,
      () => TokenResponse.decode(response.value, options),
      plantedValues,
      true
    )
  ].flatMap(({ problems }) => problems).map((problem) => `${problem} — input ${describeInput(text)}`)
}

// ── error bodies ────────────────────────────────────────────────────────────

const serverText = FastCheck.oneof(
  FastCheck.string({ maxLength: 60 }),
  FastCheck.constantFrom(
    "invalid_grant",
    "invalid_client",
    "temporarily_unavailable",
    "line\nbreak",
    "\u001b[31mred\u001b[0m",
    "\r\nSet-Cookie: x",
    "tab\tand\u0000nul",
    "\u202Eevil"
  ),
  adversarial(4096)
)

/** An OAuth error body (RFC 6749 §5.2) with hostile text, next to planted secrets. */
export const errorAnswer = FastCheck.record({
  body: FastCheck.record({
    error: FastCheck.oneof({ arbitrary: serverText, weight: 4 }, { arbitrary: hostileValue, weight: 1 }),
    error_description: serverText,
    error_uri: serverText,
    access_token: FastCheck.constant(planted.accessToken),
    refresh_token: FastCheck.constant(planted.short),
    client_secret: FastCheck.constant(planted.clientSecret)
  }, { requiredKeys: ["error"] }),
  contentType,
  status: FastCheck.constantFrom(200, 400, 401, 403, 429, 500, 503)
}).chain(({ body, contentType, status }) =>
  encoded(FastCheck.constant(body)).map((document) => ({ ...document, contentType, status }))
)

/** The longest message an OAuthError may print: its server-provided fields are bounded. */
export const maxOAuthErrorMessage = 4 * 1024

export const checkErrorAnswer = (answer: {
  readonly text: string
  readonly mutated: boolean
  readonly contentType: string | undefined
  readonly status: number
}): Problems => {
  const secrets = secretsOfAnswer(answer)
  const { problems, result } = checked(
    "tokenRequest.interpret (error body)",
    () => entry.interpret(answer.text, answer.contentType, answer.status),
    secrets,
    true
  )
  const found = [...problems]
  if (result !== undefined && Either.isLeft(result) && result.left instanceof TokenError.OAuthError) {
    const length = result.left.message.length
    if (length > maxOAuthErrorMessage) found.push(`OAuthError.message is ${length} chars long`)
  }
  return found.map((p) => `${p} — input ${describeInput(answer.text)}`)
}

// ── Authorization headers ───────────────────────────────────────────────────
// ── connector specs ─────────────────────────────────────────────────────────

// a valid spec (recipe 3's shape); the secrets come in through the replacements
const baseSpec = () => {
  const spec = clientCredentials()
  // one more text to replace
  return { ...spec, fields: { ...spec.fields, CLIENT_ID: { description: "the client id" } } }
}

// every path to a value of the base spec, to replace one at a time
const leafPaths = (value: unknown, path: ReadonlyArray<string> = []): ReadonlyArray<ReadonlyArray<string>> =>
  typeof value === "object" && value !== null
    ? [path, ...Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...path, key]))]
    : [path]

const specPaths = leafPaths(baseSpec()).filter((path) => path.length > 0)

// a planted secret as a string, a number, inside an object or a list: the ways a file may hold one
export const plantedAnyType = FastCheck.oneof(
  FastCheck.constantFrom(...plantedValues),
  FastCheck.constantFrom(...plantedValues).map((secret) => ({ value: secret })),
  FastCheck.constantFrom(...plantedValues).map((secret) => [secret, secret]),
  FastCheck.constant(31_415_926_535_897)
)

const setAt = (root: Record<string, unknown>, path: ReadonlyArray<string>, value: unknown) => {
  let node: Record<string, unknown> = root
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== "object" || next === null) return
    node = next as Record<string, unknown>
  }
  node[path[path.length - 1]!] = value
}

/** A connector spec with one to five values replaced by hostile values or planted secrets of any type. */
export const connectorSpec = FastCheck.array(
  FastCheck.tuple(
    FastCheck.constantFrom(...specPaths),
    FastCheck.oneof(hostileValue, plantedAnyType, FastCheck.constant(undefined))
  ),
  { minLength: 1, maxLength: 5 }
).chain((replacements) => {
  const spec = baseSpec() as Record<string, unknown>
  for (const [path, value] of replacements) setAt(spec, path, value)
  return encoded(FastCheck.constant(spec))
})

// planted secrets of a spec file are `31415926535897` as well as the strings
const specSecrets = (document: { readonly mutated: boolean }) => [...secretsFor(document), "31415926535897"]

export const checkConnectorSpec = (document: { readonly text: string; readonly mutated: boolean }): Problems => {
  const name = "ConnectorSpec.parse"
  const { problems, result } = run(name, () => ConnectorSpec.parse(document.text))
  const found = [...problems]
  if (result !== undefined) {
    found.push(...checkEither(name, result, specSecrets(document)))
  }
  return found.map((p) => `${p} — input ${describeInput(document.text)}`)
}

// ── served documents ─────────────────────────────────────────────

// a base document with up to four values replaced; a path `mayHoldSecrets` refuses gets a hostile value only
export const replaceSome = (
  base: () => Record<string, unknown>,
  values: FastCheck.Arbitrary<unknown>,
  mayHoldSecrets: (path: ReadonlyArray<string>) => boolean = () => true
) =>
  FastCheck.array(
    FastCheck.constantFrom(...leafPaths(base()).filter((p) => p.length > 0)).chain((path) =>
      FastCheck.tuple(FastCheck.constant(path), mayHoldSecrets(path) ? values : hostileValue)
    ),
    { minLength: 0, maxLength: 4 }
  ).chain((replacements) => {
    const document = base()
    for (const [path, value] of replacements) setAt(document, path, value)
    return encoded(FastCheck.constant(document))
  })

const metadataBase = () => ({
  issuer: entry.issuer,
  authorization_endpoint: `${entry.issuer}/authorize`,
  token_endpoint: `${entry.issuer}/token`,
  jwks_uri: `${entry.issuer}/jwks`,
  introspection_endpoint: `${entry.issuer}/introspect`,
  grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"],
  token_endpoint_auth_methods_supported: ["client_secret_basic", "private_key_jwt"],
  code_challenge_methods_supported: ["S256"],
  registration_access_token: planted.accessToken
})

/**
 * An RFC 8414 metadata document with values replaced by hostile ones (or
 * planted secrets, except in `issuer`: a mismatch names the issuer received,
 * escaped and bounded, by design).
 */
export const metadataDocument = replaceSome(
  metadataBase,
  FastCheck.oneof(hostileValue, plantedAnyType),
  (path) => path[0] !== "issuer"
)

/** A served document's entry point, in time, answering a value or a typed error without planted secrets. */
export const checkServed = <A, E>(
  name: string,
  read: (body: string) => Effect.Effect<Either.Either<A, E>>,
  document: { readonly text: string; readonly mutated: boolean }
): Effect.Effect<Problems> =>
  entry.timedEffect(read(document.text)).pipe(
    Effect.map(({ ms, result }) => [...slow(name, ms), ...checkEither(name, result, secretsFor(document))]),
    Effect.catchAllDefect((defect) =>
      Effect.succeed([`${name}: died with ${defect instanceof Error ? defect.name : typeof defect}`])
    ),
    Effect.map((problems) => problems.map((p) => `${p} — input ${describeInput(document.text)}`))
  )

// ── running ──────────────────────────────────────────────────────────────────

const total = Number(process.env["GRANTFLOW_FUZZ_RUNS"] ?? 20_000)

// A long run is many rounds of the default size, each a test of its own: one
// synchronous property running for minutes would starve the test runner.
const rounds = Math.ceil(total / 20_000)

/**
 * `property` over its `share` of the `GRANTFLOW_FUZZ_RUNS` inputs (20,000 by
 * default; the shares of both packages' suites add up to 1), in rounds. Served documents cost
 * a verifier or a discovery and an in-memory request each, several times a
 * parse, so they get smaller shares. fast-check stops at the first failure:
 * shrinking would re-run slow inputs.
 */
export const fuzzed = (name: string, share: number, property: (options: {
  readonly timeout: number
  readonly fastCheck: { readonly numRuns: number; readonly endOnFailure: true }
}, name: string) => void) => {
  for (let round = 1; round <= rounds; round++) {
    property(
      { timeout: 120_000, fastCheck: { numRuns: Math.ceil((total * share) / rounds), endOnFailure: true } },
      rounds === 1 ? name : `${name} (round ${round} of ${rounds})`
    )
  }
}

// Synchronous rounds back to back never let the event loop reach its I/O
// phase, where the runner's replies wait; a runner that hears nothing for a
// minute reports an error. After each round, the I/O phase runs.
export const yieldToIo = () => afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Asserts that a check found nothing; a failure prints every problem in full. */
export const none = (problems: Problems) => assert.isEmpty(problems, problems.join("\n"))
