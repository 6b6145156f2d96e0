import { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as BearerAuth from "../src/BearerAuth.js"

const request = HttpClientRequest.get("https://api.example.com/v1/orders?page=2&api_key=hidden")

const response = (status: number, body = "", headers: Record<string, string> = {}) =>
  HttpClientResponse.fromWeb(request, new Response(body, { status, headers }))

describe("BearerAuth.isRejected", () => {
  it.effect("401 is a rejection by default; 403 is not", () =>
    Effect.gen(function*() {
      assert.isTrue(yield* BearerAuth.isRejected(response(401)))
      assert.isFalse(yield* BearerAuth.isRejected(response(403)))
      assert.isFalse(yield* BearerAuth.isRejected(response(200)))
    }))

  it.effect("statuses are configurable, e.g. refresh_on: [401, 403]", () =>
    Effect.gen(function*() {
      const rules = { statuses: [401, 403] }
      assert.isTrue(yield* BearerAuth.isRejected(response(403), rules))
      assert.isTrue(yield* BearerAuth.isRejected(response(401), rules))
      assert.isFalse(yield* BearerAuth.isRejected(response(404), rules))
    }))

  it.effect("a Bearer invalid_token challenge is a rejection whatever the status", () =>
    Effect.gen(function*() {
      const challenge = (value: string) => response(400, "", { "www-authenticate": value })
      assert.isTrue(yield* BearerAuth.isRejected(challenge(`Bearer realm="api", error="invalid_token"`)))
      assert.isTrue(yield* BearerAuth.isRejected(challenge(`bearer error=invalid_token, error_description="expired"`)))
      assert.isFalse(yield* BearerAuth.isRejected(challenge(`Bearer realm="api", error="insufficient_scope"`)))
      assert.isFalse(yield* BearerAuth.isRejected(challenge(`Basic realm="api"`)))
      assert.isFalse(
        yield* BearerAuth.isRejected(challenge(`Bearer error="invalid_token"`), { invalidTokenChallenge: false })
      )
    }))

  it.effect("a body pattern is a rejection whatever the status, and the body stays readable", () =>
    Effect.gen(function*() {
      const rules = { bodyPattern: /"code"\s*:\s*"TOKEN_EXPIRED"/g }
      const expired = response(200, `{"ok":false,"code":"TOKEN_EXPIRED"}`)
      assert.isTrue(yield* BearerAuth.isRejected(expired, rules))
      // a global pattern keeps state between calls; it must not flip the answer
      assert.isTrue(yield* BearerAuth.isRejected(expired, rules))
      assert.strictEqual(yield* expired.text, `{"ok":false,"code":"TOKEN_EXPIRED"}`)
      assert.isFalse(yield* BearerAuth.isRejected(response(200, `{"ok":true}`), rules))
    }))

  it("TokenRejected names the request without its query and without any token", () => {
    const error = new BearerAuth.TokenRejected({ method: "GET", url: "https://api.example.com/v1/orders", status: 401 })
    assert.include(error.message, "GET https://api.example.com/v1/orders")
    assert.include(error.message, "HTTP 401")
    assert.isFalse(error.retryable)
  })
})
