/**
 * Issue 12, section 6, for the resource server: generated and mutated
 * Authorization headers, JWKS and introspection responses. Each answer must
 * be a value or a typed error within the per-input time bound — never a
 * throw, never a planted secret in any printed form. Its shares of
 * GRANTFLOW_FUZZ_RUNS and core's suite's add up to the whole run.
 */
import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { checkServed, fuzzed, none, yieldToIo } from "../../core/test/fuzzKit.js"
import * as entry from "./entryPoints.js"
import * as fuzz from "./fuzzKit.js"

yieldToIo()

describe("fuzz", () => {
  fuzzed("Authorization headers", 0.27, (options, name) =>
    it.prop(name, [fuzz.authorizationHeader], ([value]) => none(fuzz.checkAuthorizationHeader(value)), options))

  fuzzed("JWKS documents", 0.015, (options, name) =>
    it.effect.prop(
      name,
      [fuzz.jwksDocument],
      ([document]) => Effect.map(checkServed("TokenVerifier.jwt", (body) => entry.jwks(body), document), none),
      options
    ))

  fuzzed("introspection responses", 0.015, (options, name) =>
    it.effect.prop(
      name,
      [fuzz.introspectionDocument],
      ([document]) => Effect.map(checkServed("TokenVerifier.introspection", entry.introspection, document), none),
      options
    ))
})
