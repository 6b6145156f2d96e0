/**
 * Issue 12, section 6: generated and mutated inputs for every parser of
 * bytes from a server, a header or a file. Each answer must be a value or a
 * typed error within the per-input time bound — never a throw, never a
 * non-finite expiry, never a planted secret in any printed form.
 *
 * 20,000 inputs per run by default, spread over the entry points of the
 * client and, in its own suite, the resource server; set GRANTFLOW_FUZZ_RUNS
 * for a long run (docs/hardening.md):
 *
 *   GRANTFLOW_FUZZ_RUNS=1000000 npx vitest run packages/core/test/Fuzz.test.ts packages/resource-server/test/Fuzz.test.ts
 */
import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as entry from "./entryPoints.js"
import * as fuzz from "./fuzzKit.js"

fuzz.yieldToIo()

describe("fuzz", () => {
  fuzz.fuzzed("token endpoint answers", 0.33, (options, name) =>
    it.prop(name, [fuzz.tokenAnswer], ([answer]) => fuzz.none(fuzz.checkTokenAnswer(answer)), options))

  fuzz.fuzzed("OAuth error bodies", 0.15, (options, name) =>
    it.prop(name, [fuzz.errorAnswer], ([answer]) => fuzz.none(fuzz.checkErrorAnswer(answer)), options))

  fuzz.fuzzed("connector specs", 0.2, (options, name) =>
    it.prop(name, [fuzz.connectorSpec], ([spec]) => fuzz.none(fuzz.checkConnectorSpec(spec)), options))

  fuzz.fuzzed("authorization server metadata documents", 0.02, (options, name) =>
    it.effect.prop(
      name,
      [fuzz.metadataDocument],
      ([document]) => Effect.map(fuzz.checkServed("Discovery.fetch", entry.discovery, document), fuzz.none),
      options
    ))
})
