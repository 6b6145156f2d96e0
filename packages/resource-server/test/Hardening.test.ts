/**
 * Issue 12, section 1, for the resource server: its parsers (the
 * `Authorization` header, the JWKS, introspection answers, the JWT a client
 * presents, the DPoP proof and its `htu`) answer any input up to its size cap
 * within the per-input time bound, with a value or a typed error, never a
 * throw.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { timedEffect } from "../../core/test/entryPoints.js"
import { answer, assertBounded, describeDocuments, describeSyncEntryPoints, KiB } from "../../core/test/hardeningKit.js"
import { nestedArrays, worstInputs } from "../../core/test/hostile.js"
import * as entry from "./entryPoints.js"

describeSyncEntryPoints({
  "Authorization header (bearerToken.parseHeader)": { cap: 8 * KiB, run: entry.authorizationHeader },
  "Authorization header, DPoP taken (bearerToken.parseHeader)": { cap: 8 * KiB, run: entry.dpopAuthorizationHeader },
  "DPoP htu (DpopProof.normalizeUrl)": { cap: 8 * KiB, run: entry.proofUrl }
})

describeDocuments({
  "JWKS (TokenVerifier.jwt)": (body) => entry.jwks(body),
  "introspection response (TokenVerifier.introspection)": entry.introspection
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
        const { ms, result } = yield* timedEffect(entry.jwks("{\"keys\":[]}", token))
        assert.isTrue(Either.isLeft(result), "a malformed token is refused")
        answer(result)
        assertBounded("TokenVerifier.jwt verify", label, ms)
      }))
  }
})

describe("the DPoP proof a client presents", () => {
  const b64url = (value: string) => Buffer.from(value).toString("base64url")
  const claims = b64url(JSON.stringify({ jti: "j-1", htm: "GET", htu: "https://api.example.com/orders", iat: 1 }))
  const withJwk = (jwk: string) => `${b64url(`{"alg":"RS256","typ":"dpop+jwt","jwk":${jwk}}`)}.${claims}.c2ln`
  const proofs: Record<string, string> = {
    ...worstInputs,
    "deep jwk 4.4 KB": withJwk(nestedArrays(2200)),
    "RSA jwk with a 3 KiB exponent": withJwk(JSON.stringify({ kty: "RSA", n: "w".repeat(342), e: "_".repeat(3 * KiB) })),
    "RSA jwk with a 30 000-bit modulus": withJwk(JSON.stringify({ kty: "RSA", n: "w".repeat(5000), e: "AQAB" })),
    "8 KiB of dots": ".".repeat(8 * KiB),
    "8 KiB of commas (joined headers)": ",".repeat(8 * KiB)
  }
  for (const [label, proof] of Object.entries(proofs)) {
    it.effect(`${label} is refused within the bound`, () =>
      Effect.gen(function*() {
        const { ms, result } = yield* timedEffect(entry.dpopProof(proof))
        assert.isTrue(Either.isLeft(result), "a hostile proof is refused")
        answer(result)
        assertBounded("DpopProof verify", label, ms)
      }))
  }
})
