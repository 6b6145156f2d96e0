/**
 * The hardening suite's machinery (issue 12, section 1), for every package
 * whose parsers read bytes from servers, headers and files: the review's
 * inputs, their 1 MiB variants and generated adversarial inputs, each
 * answered within a per-input time bound (the one place a test measures
 * time), as a value or a typed error, never a throw.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, FastCheck } from "effect"
import { timedEffect } from "./entryPoints.js"
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

export const KiB = 1024
export const MiB = 1024 * KiB

/** An Either's error, read in full (its message too), or the value: what a caller gets. */
export const answer = (result: unknown): unknown => {
  if (Either.isEither(result) && Either.isLeft(result)) {
    const error = result.left
    assert.instanceOf(error, Error, "a failure is an error object")
    assert.isString((error as { readonly _tag?: unknown })._tag, "a failure is a tagged error")
    return [error.message, String(error)]
  }
  return result
}

export const answers = (result: unknown): unknown => Array.isArray(result) ? result.map(answer) : answer(result)

export interface SyncEntryPoint {
  readonly cap: number
  readonly run: (text: string) => unknown
}

export const json = "application/json"

/**
 * A JSON body with `text` as the value of `field`, cut so that the body stays
 * within the 1 MiB a token response is read up to (escapes included).
 */
export const inBody = (field: string, text: string, base: Record<string, unknown> = { access_token: "x" }): string => {
  const body = (value: string) => JSON.stringify({ ...base, [field]: value })
  let value = text
  let full = body(value)
  while (full.length > MiB) {
    value = value.slice(0, Math.max(0, value.length - (full.length - MiB)))
    full = body(value)
  }
  return full
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
export const inputsFor = (cap: number): ReadonlyArray<readonly [string, string]> => [
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

export const assertBounded = (name: string, input: string, ms: number) =>
  assert.isAtMost(ms, timeBoundMs, `${name} took ${ms.toFixed(1)} ms on ${input}`)

// a field's value put where a parser matches patterns on it, not only as raw text
export const inField = (cap: number) =>
  FastCheck.tuple(
    FastCheck.constantFrom("access_token", "expires_in", "token_type", "scope", "refresh_token", "error"),
    adversarial(cap - 64)
  ).map(([field, value]) => inBody(field, value))

/** The review's inputs and generated adversarial inputs, for each synchronous entry point. */
export const describeSyncEntryPoints = (syncEntryPoints: Record<string, SyncEntryPoint>) => {
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
}

export const documentInputs: ReadonlyArray<readonly [string, string]> = [
  ...inputsFor(MiB),
  ["deep document 4.4 KB", nestedArrays(2200)],
  ["deep objects 1 MiB", `${"{\"a\":".repeat(MiB / 6)}1${"}".repeat(MiB / 6)}`],
  ["deep field 4.4 KB", `{"issuer":"https://auth.example.com","keys":${nestedArrays(2200)},"active":${nestedArrays(2200)}}`]
]

/** The review's inputs and generated adversarial documents, served to each entry point that fetches one. */
export const describeDocuments = (
  documents: Record<string, (body: string) => Effect.Effect<Either.Either<unknown, unknown>>>
) => {
  describe("every served document is answered within the bound", () => {
    for (const [name, run] of Object.entries(documents)) {
      describe(name, () => {
        for (const [label, text] of documentInputs) {
          it.effect(`${label} (${text.length} chars)`, () =>
            Effect.gen(function*() {
              yield* run("{}")
              const { ms, result } = yield* timedEffect(run(text))
              answer(result)
              assertBounded(name, label, ms)
            }))
        }
        it.effect.prop(
          "generated adversarial documents",
          [FastCheck.oneof(adversarial(MiB), inField(MiB))],
          ([text]) =>
            Effect.gen(function*() {
              const { ms, result } = yield* timedEffect(run(text))
              answer(result)
              assertBounded(name, `a generated document of ${text.length} chars`, ms)
            }),
          { fastCheck: { numRuns: 30, seed: 12 } }
        )
      })
    }
  })
}
