import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import * as ProtectedServices from "../protected-services/app.js"

describe("the protected-services example", () => {
  it.scopedLive("billing reaches orders with its token; the others are refused as RFC 6750 says", () =>
    Effect.gen(function*() {
      const steps = yield* ProtectedServices.run
      assert.deepStrictEqual(steps.map((step) => step.status), [200, 403, 401, 401, 204, 204, 401])
      assert.deepStrictEqual(JSON.parse(steps[0]!.body), { caller: "billing", total: 200 })
      assert.strictEqual(steps[2]!.challenge, `Bearer realm="orders"`)
      assert.match(steps[3]!.challenge ?? "", /^Bearer realm="orders", error="invalid_token"/)
      assert.match(steps[6]!.challenge ?? "", /^Bearer realm="webhooks", error="invalid_token"/)
      assert.isTrue(steps.every((step) => !step.body.includes("webhook-token")))
    }).pipe(
      Effect.withConfigProvider(
        ConfigProvider.fromMap(new Map([["WEBHOOK_TOKEN", "webhook-token-v2"], ["WEBHOOK_PREVIOUS_TOKEN", "webhook-token-v1"]]), {
          pathDelim: "_"
        })
      ),
      Effect.provide(NodeHttpClient.layerUndici)
    ))
})
