/**
 * Issue 12, section 1: every parser entry point answers any input up to its
 * size cap within a per-input time bound (the one place a test measures time):
 * the inputs of the security review, their 1 MiB variants, and generated
 * adversarial inputs. Each answer is a value or a typed error, never a throw.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, FastCheck } from "effect"
import * as entry from "./entryPoints.js"
import {
  adversarial,
  deepExpiresInBody,
  expiresInBody,
  formBody,
  nestedArrays,
  timeBoundMs,
  timed,
  worstInputs
} from "./hostile.js"

const KiB = 1024
const MiB = 1024 * KiB

/** An Either's error, read in full (its message too), or the value: what a caller gets. */
const answer = (result: unknown): unknown => {
  if (Either.isEither(result) && Either.isLeft(result)) {
    const error = result.left
    assert.instanceOf(error, Error, "a failure is an error object")
    assert.isString((error as { readonly _tag?: unknown })._tag, "a failure is a tagged error")
    return [error.message, String(error)]
  }
  return result
}

const answers = (result: unknown): unknown => Array.isArray(result) ? result.map(answer) : answer(result)

interface SyncEntryPoint {
  readonly cap: number
  readonly run: (text: string) => unknown
}

const json = "application/json"

/**
 * A JSON body with `text` as the value of `field`, cut so that the body stays
 * within the 1 MiB a token response is read up to (escapes included).
 */
const inBody = (field: string, text: string, base: Record<string, unknown> = { access_token: "x" }): string => {
  const body = (value: string) => JSON.stringify({ ...base, [field]: value })
  let value = text
  let full = body(value)
  while (full.length > MiB) {
    value = value.slice(0, Math.max(0, value.length - (full.length - MiB)))
    full = body(value)
  }
  return full
}

/** The synchronous entry points, each with the size cap of what it reads. */
const syncEntryPoints: Record<string, SyncEntryPoint> = {
  "token response, JSON (tokenRequest.interpret)": { cap: MiB, run: (text) => entry.interpret(text, json) },
  "token response, text/html (tokenRequest.interpret)": { cap: MiB, run: (text) => entry.interpret(text, "text/html") },
  "token response, no content type (TokenResponse.parseBody + decode)": {
    cap: MiB,
    run: (text) => entry.parseAndDecode(text, undefined)
  },
  "token response, form (TokenResponse.parseBody + decode)": {
    cap: MiB,
    run: (text) => entry.parseAndDecode(text, "application/x-www-form-urlencoded")
  },
  "device authorization response (tokenRequest.interpretJson)": {
    cap: MiB,
    run: (text) => entry.interpretJson(text, "text/plain")
  },
  "error body, HTTP 400 (tokenRequest.interpret)": { cap: MiB, run: (text) => entry.interpret(text, json, 400) },
  ...Object.fromEntries(
    ["expires_in", "token_type", "scope", "access_token", "refresh_token"].map((field) => [
      `token response field ${field} (tokenRequest.interpret)`,
      { cap: MiB, run: (text: string) => entry.interpret(inBody(field, text), json) }
    ])
  ),
  ...Object.fromEntries(
    ["error", "error_description", "error_uri"].map((field) => [
      `error body field ${field}, and the OAuthError's message (tokenRequest.interpret)`,
      {
        cap: MiB,
        run: (text: string) => entry.interpret(inBody(field, text, { error: "invalid_grant" }), json, 400)
      }
    ])
  ),
  "connector spec (ConnectorSpec.parse)": { cap: MiB, run: entry.connectorSpec },
  "callback query (AuthorizationCode.callback)": { cap: 8 * KiB, run: entry.callback },
  "Authorization header (bearerToken.parseHeader)": { cap: 8 * KiB, run: entry.authorizationHeader },
  "WWW-Authenticate challenge (bearerAuth.isRejected)": {
    cap: 8 * KiB,
    run: (text) => entry.challenge(entry.asHeaderValue(text))
  },
  "Retry-After header (retryAfter.parse)": { cap: 8 * KiB, run: entry.retryAfterHeader }
}

const megabyteInputs = {
  form1M: formBody(Math.floor((MiB - 3) / 3)),
  spaces1M: " ".repeat(MiB),
  expiresIn1M: expiresInBody(MiB),
  deepBody1M: deepExpiresInBody(MiB),
  deepSpec1M: nestedArrays(MiB / 2)
}

// 78 KiB numeric-looking strings, each a near miss for a number pattern: as a
// raw body and, through the field entry points, as `expires_in`
const digits = "1".repeat(78 * KiB)
const nearNumbers = {
  "digits + x": `${digits}x`,
  ". + digits + x": `.${digits}x`,
  "1. + digits + x": `1.${digits}x`,
  "1e + digits + x": `1e${digits}x`,
  "+ + digits + .": `+${digits}.`,
  ".1 repeated + x": `${".1".repeat(39 * KiB)}x`,
  "digits + e": `${digits}e`
}

/** The review's inputs for every entry point, the 1 MiB variants and near numbers for those whose cap allows them. */
const inputsFor = (cap: number): ReadonlyArray<readonly [string, string]> => [
  ...Object.entries(worstInputs),
  ...(cap >= MiB ? [...Object.entries(megabyteInputs), ...Object.entries(nearNumbers)] : [])
]

// the same bound for every run: the first call of a parser pays for its compilation
const warmUp = (point: SyncEntryPoint) => {
  for (let i = 0; i < 3; i++) {
    try {
      point.run("{\"access_token\":\"x\"}")
    } catch {
      // a throw is reported by the test of the input that causes it
    }
  }
}

const assertBounded = (name: string, input: string, ms: number) =>
  assert.isAtMost(ms, timeBoundMs, `${name} took ${ms.toFixed(1)} ms on ${input}`)

describe("every parser answers the review's inputs within the bound", () => {
  for (const [name, point] of Object.entries(syncEntryPoints)) {
    describe(name, () => {
      warmUp(point)
      for (const [label, text] of inputsFor(point.cap)) {
        it(`${label} (${text.length} chars)`, () => {
          const { ms } = timed(() => answers(point.run(text)))
          assertBounded(name, label, ms)
        })
      }
    })
  }
})

// a field's value put where a parser matches patterns on it, not only as raw text
const inField = (cap: number) =>
  FastCheck.tuple(
    FastCheck.constantFrom("access_token", "expires_in", "token_type", "scope", "refresh_token", "error"),
    adversarial(cap - 64)
  ).map(([field, value]) => inBody(field, value))

describe("every parser answers generated adversarial inputs up to its cap within the bound", () => {
  for (const [name, point] of Object.entries(syncEntryPoints)) {
    it.prop(
      name,
      [FastCheck.oneof(adversarial(point.cap), inField(point.cap))],
      ([text]) => {
        const { ms } = timed(() => answers(point.run(text)))
        assertBounded(name, `a generated input of ${text.length} chars`, ms)
      },
      { fastCheck: { numRuns: 60, seed: 12 } }
    )
  }
})

const documents: Record<string, (body: string) => Effect.Effect<Either.Either<unknown, unknown>>> = {
  "metadata (Discovery.fetch)": entry.discovery,
  "JWKS (TokenVerifier.jwt)": (body) => entry.jwks(body),
  "introspection response (TokenVerifier.introspection)": entry.introspection
}

const documentInputs: ReadonlyArray<readonly [string, string]> = [
  ...inputsFor(MiB),
  ["deep document 4.4 KB", nestedArrays(2200)],
  ["deep objects 1 MiB", `${"{\"a\":".repeat(MiB / 6)}1${"}".repeat(MiB / 6)}`],
  ["deep field 4.4 KB", `{"issuer":"https://auth.example.com","keys":${nestedArrays(2200)},"active":${nestedArrays(2200)}}`]
]

describe("every served document is answered within the bound", () => {
  for (const [name, run] of Object.entries(documents)) {
    describe(name, () => {
      for (const [label, text] of documentInputs) {
        it.effect(`${label} (${text.length} chars)`, () =>
          Effect.gen(function*() {
            yield* run("{}")
            const { ms, result } = yield* entry.timedEffect(run(text))
            answer(result)
            assertBounded(name, label, ms)
          }))
      }
      it.effect.prop(
        "generated adversarial documents",
        [FastCheck.oneof(adversarial(MiB), inField(MiB))],
        ([text]) =>
          Effect.gen(function*() {
            const { ms, result } = yield* entry.timedEffect(run(text))
            answer(result)
            assertBounded(name, `a generated document of ${text.length} chars`, ms)
          }),
        { fastCheck: { numRuns: 30, seed: 12 } }
      )
    })
  }
})

describe("the JWT a client presents", () => {
  const b64url = (value: string) => Buffer.from(value).toString("base64url")
  const tokens = {
    "deep header 4.4 KB": `${b64url(nestedArrays(2200))}.${b64url("{}")}.c2ln`,
    "deep header object": `${b64url(`{"alg":"RS256","x":${nestedArrays(3000)}}`)}.e30.c2ln`,
    "8 KiB of dots": ".".repeat(8 * KiB),
    "16 KiB of spaces": worstInputs.spaces16k
  }
  for (const [label, token] of Object.entries(tokens)) {
    it.effect(`${label} is refused within the bound`, () =>
      Effect.gen(function*() {
        const { ms, result } = yield* entry.timedEffect(entry.jwks("{\"keys\":[]}", token))
        assert.isTrue(Either.isLeft(result), "a malformed token is refused")
        answer(result)
        assertBounded("TokenVerifier.jwt verify", label, ms)
      }))
  }
})
