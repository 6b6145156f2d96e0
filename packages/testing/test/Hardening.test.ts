/**
 * The hardening rule for the simulated server: what it reads from a client —
 * a DPoP proof, a token request's form — is answered within the per-input
 * time bound whatever the input, with a verdict or an OAuth error answer,
 * never a throw. The machinery is core's hardening suite (core/test/hardeningKit.ts).
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { timedEffect } from "../../core/test/entryPoints.js"
import { assertBounded, KiB, MiB } from "../../core/test/hardeningKit.js"
import { adversarial, formBody, nestedArrays, worstInputs } from "../../core/test/hostile.js"
import * as AuthServer from "../src/AuthServer.js"
import * as Dpop from "../src/internal/dpop.js"

const b64url = (value: string) => Buffer.from(value).toString("base64url")

const expected: Dpop.Expected = {
  method: "POST",
  urls: ["https://as.example/token"],
  now: 1_700_000_000_000,
  windowMillis: 60_000,
  nonce: undefined,
  accessToken: "token"
}

/** A proof's three parts with `header` as its protected header, cut to the checker's size cap. */
const proofWith = (header: string, payload = "{}") =>
  `${b64url(header)}.${b64url(payload)}.c2ln`.slice(0, Dpop.maxProofLength)

const hostileProofs: Record<string, string> = {
  ...worstInputs,
  "8 KiB of dots": ".".repeat(8 * KiB),
  "deep header": proofWith(nestedArrays(2800)),
  "deep jwk": proofWith(`{"typ":"dpop+jwt","alg":"ES256","jwk":${nestedArrays(2700)}}`),
  "jwk with a long n": proofWith(`{"typ":"dpop+jwt","alg":"RS256","jwk":{"kty":"RSA","e":"AQAB","n":"${"A".repeat(5000)}"}}`),
  "deep payload": `${b64url(`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"a","y":"b"}}`)}.${
    b64url(nestedArrays(2500))
  }.c2ln`,
  "commas": ",".repeat(8 * KiB),
  "over the cap": "a".repeat(MiB)
}

describe("the simulated server's DPoP proof checker", () => {
  for (const [label, proof] of Object.entries(hostileProofs)) {
    it.effect(`${label} (${proof.length} chars): refused within the bound`, () =>
      Effect.gen(function*() {
        const { ms, result } = yield* timedEffect(Dpop.verify(proof, expected))
        assert.strictEqual(result._tag, "Invalid")
        assertBounded("dpop.verify", label, ms)
      }))
  }

  it.effect.prop(
    "generated inputs up to the cap: refused within the bound",
    [adversarial(Dpop.maxProofLength)],
    ([proof]) =>
      Effect.gen(function*() {
        const { ms, result } = yield* timedEffect(Dpop.verify(proof, expected))
        assert.strictEqual(result._tag, "Invalid")
        assertBounded("dpop.verify", `a generated input of ${proof.length} chars`, ms)
      }),
    { fastCheck: { numRuns: 40, seed: 16 } }
  )
})

describe("the simulated server's token endpoint form", () => {
  const bodies: Record<string, string> = {
    "87-byte form": worstInputs.form87,
    "99-byte form": worstInputs.form99,
    "64 KiB form": formBody(Math.floor((64 * KiB - 3) / 3)),
    "64 KiB of one repeatable parameter": "resource=a&".repeat(Math.floor(64 * KiB / 11)),
    "64 KiB of percent signs": "%".repeat(64 * KiB),
    "1 MiB form, over the cap": formBody(Math.floor((MiB - 3) / 3)),
    "16 KiB of spaces": worstInputs.spaces16k
  }
  for (const [label, body] of Object.entries(bodies)) {
    it.effect(`${label}: an OAuth answer within the bound`, () =>
      Effect.gen(function*() {
        const http = yield* HttpClient.HttpClient
        const send = HttpClientRequest.post("http://127.0.0.1/token").pipe(
          HttpClientRequest.bodyText(body, "application/x-www-form-urlencoded"),
          http.execute,
          Effect.flatMap((response) => Effect.map(response.json, (json) => ({ status: response.status, json })))
        )
        const { ms, result } = yield* timedEffect(send)
        assert.include([400, 401], result.status)
        if (body.length > 64 * KiB) {
          assert.deepStrictEqual(result.json, {
            error: "invalid_request",
            error_description: "The request body is longer than 64 KiB"
          })
        }
        assertBounded("token endpoint form", label, ms)
      }).pipe(Effect.provide(AuthServer.layerClient), Effect.provide(AuthServer.layer({ clients: [] }))))
  }
})

describe("the simulated server's registration endpoint", () => {
  const deep = nestedArrays(30 * KiB)
  // each body and its answer: refused, or registered with the metadata the server does not understand ignored
  const bodies: Record<string, readonly [string, 201 | 400]> = {
    "a deep body": [deep, 400],
    "a deep unknown field": [
      `{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"none","x":${deep}}`,
      201
    ],
    "a deep redirect_uris": [`{"redirect_uris":${deep}}`, 400],
    "64 KiB of spaces": [" ".repeat(64 * KiB), 400]
  }
  for (const [label, [body, expected]] of Object.entries(bodies)) {
    it.effect(`${label} (${body.length} chars): a ${expected} within the bound`, () =>
      Effect.gen(function*() {
        const http = yield* HttpClient.HttpClient
        const send = HttpClientRequest.post("http://127.0.0.1/register").pipe(
          HttpClientRequest.bodyText(body, "application/json"),
          http.execute,
          Effect.flatMap((response) => Effect.map(response.text, (text) => ({ status: response.status, text })))
        )
        const { ms, result } = yield* timedEffect(send)
        assert.strictEqual(result.status, expected, result.text.slice(0, 200))
        assert.isAtMost(result.text.length, 1024, "the answer does not repeat the body")
        assertBounded("registration body", label, ms)
      }).pipe(
        Effect.provide(AuthServer.layerClient),
        Effect.provide(AuthServer.layer({ clients: [], registration: {} }))
      ))
  }
})
