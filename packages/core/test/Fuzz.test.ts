/**
 * Issue 12, section 6: generated and mutated inputs for every parser of
 * bytes from a server, a header or a file. Each answer must be a value or a
 * typed error within the per-input time bound — never a throw, never a
 * non-finite expiry, never a planted secret in any printed form.
 *
 * 20,000 inputs per run by default, spread over the entry points; set
 * GRANTFLOW_FUZZ_RUNS for a long run (docs/hardening.md):
 *
 *   GRANTFLOW_FUZZ_RUNS=1000000 npx vitest run packages/core/test/Fuzz.test.ts
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as entry from "./entryPoints.js"
import * as fuzz from "./fuzzKit.js"

const total = Number(process.env["GRANTFLOW_FUZZ_RUNS"] ?? 20_000)

// A long run is many rounds of the default size, each a test of its own: one
// synchronous property running for minutes would starve the test runner.
const rounds = Math.ceil(total / 20_000)

/**
 * `property` over its `share` of the inputs, in rounds. Served documents cost
 * a verifier or a discovery and an in-memory request each, several times a
 * parse, so they get smaller shares. fast-check stops at the first failure:
 * shrinking would re-run slow inputs.
 */
const fuzzed = (name: string, share: number, property: (options: {
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
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)))

// a failure prints every problem in full
const none = (problems: fuzz.Problems) => assert.isEmpty(problems, problems.join("\n"))

describe("fuzz", () => {
  fuzzed("token endpoint answers", 0.33, (options, name) =>
    it.prop(name, [fuzz.tokenAnswer], ([answer]) => none(fuzz.checkTokenAnswer(answer)), options))

  fuzzed("OAuth error bodies", 0.15, (options, name) =>
    it.prop(name, [fuzz.errorAnswer], ([answer]) => none(fuzz.checkErrorAnswer(answer)), options))

  fuzzed("Authorization headers", 0.27, (options, name) =>
    it.prop(name, [fuzz.authorizationHeader], ([value]) => none(fuzz.checkAuthorizationHeader(value)), options))

  fuzzed("connector specs", 0.2, (options, name) =>
    it.prop(name, [fuzz.connectorSpec], ([spec]) => none(fuzz.checkConnectorSpec(spec)), options))

  fuzzed("authorization server metadata documents", 0.02, (options, name) =>
    it.effect.prop(
      name,
      [fuzz.metadataDocument],
      ([document]) => Effect.map(fuzz.checkServed("Discovery.fetch", entry.discovery, document), none),
      options
    ))

  fuzzed("JWKS documents", 0.015, (options, name) =>
    it.effect.prop(
      name,
      [fuzz.jwksDocument],
      ([document]) => Effect.map(fuzz.checkServed("TokenVerifier.jwt", (body) => entry.jwks(body), document), none),
      options
    ))

  fuzzed("introspection responses", 0.015, (options, name) =>
    it.effect.prop(
      name,
      [fuzz.introspectionDocument],
      ([document]) =>
        Effect.map(fuzz.checkServed("TokenVerifier.introspection", entry.introspection, document), none),
      options
    ))
})
