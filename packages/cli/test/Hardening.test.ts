/**
 * The hardening rule for the command's own parsers: a `-H` line (a command
 * line argument is at most 128 KiB on Linux) and the admin API's JSON bodies
 * (at most 16 KiB) are answered within the per-input time bound whatever they
 * hold, with a value or a one-line failure, never a throw. The machinery is
 * core's hardening suite (core/test/hardeningKit.ts).
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { timedEffect } from "../../core/test/entryPoints.js"
import { assertBounded, describeSyncEntryPoints, KiB } from "../../core/test/hardeningKit.js"
import { nestedArrays, worstInputs } from "../../core/test/hostile.js"
import * as Admin from "../src/internal/admin.js"
import { parseHeader } from "../src/internal/commands/request.js"
import * as SimServer from "../src/SimServer.js"

describeSyncEntryPoints({
  "request -H (parseHeader)": { cap: 128 * KiB, run: (text) => Effect.runSync(Effect.either(parseHeader(text))) }
})

describe("the admin API's bodies", () => {
  const config = join(mkdtempSync(join(tmpdir(), "grantflow-hardening-")), "sim.json")
  writeFileSync(config, JSON.stringify({ clients: [{ clientId: "app", clientSecret: "app-secret" }] }))
  const cap = Admin.maxBodyBytes
  // each body and the status it gets: refused, or one that is a valid fault
  const bodies: Record<string, readonly [string, 204 | 400]> = {
    "nested arrays": [nestedArrays(cap / 2 - 8), 400],
    "a fault nested in arrays": [`{"fault":${nestedArrays(cap / 2 - 16)}}`, 400],
    "a fault nested in objects": [`{"fault":${"{\"type\":".repeat(cap / 10)}null${"}".repeat(cap / 10)}}`, 400],
    "a description of escapes": [JSON.stringify({ fault: { type: "error-body", description: "\u0000".repeat(cap / 7) } }), 204],
    "a status of a long string": [JSON.stringify({ fault: { type: "status", status: "9".repeat(cap - 64) } }), 400],
    "many unknown fields": [JSON.stringify(Object.fromEntries(Array.from({ length: cap / 12 }, (_, i) => [`f${i}`, 0]))), 400],
    "spaces": [worstInputs.spaces16k.slice(0, cap), 400],
    "digits": ["1".repeat(cap), 400]
  }
  for (const [label, [body, expected]] of Object.entries(bodies)) {
    it.scopedLive(`${label} (${body.length} chars): a ${expected} within the bound`, () =>
      Effect.gen(function*() {
        assert.isAtMost(body.length, cap)
        const { url } = yield* SimServer.start({ configPath: config, admin: true })
        const send = HttpClient.execute(
          HttpClientRequest.post(new URL("/__grantflow/faults", url)).pipe(
            HttpClientRequest.bodyText(body, "application/json")
          )
        ).pipe(Effect.flatMap((response) => Effect.map(response.text, (text) => ({ status: response.status, text }))))
        const { ms, result } = yield* timedEffect(send)
        assert.strictEqual(result.status, expected, result.text.slice(0, 200))
        assert.isAtMost(result.text.length, 2 * KiB, "the answer names the fields, it does not repeat the body")
        assertBounded("admin faults body", label, ms)
      }).pipe(Effect.provide(Layer.merge(NodeContext.layer, NodeHttpClient.layerUndici))))
  }
})
