import { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as BearerAuth from "../src/BearerAuth.js"
import * as bearerAuth from "../src/internal/bearerAuth.js"

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

  it.effect("a body pattern is a rejection whatever the status; a small body of declared length stays readable", () =>
    Effect.gen(function*() {
      const rules = { bodyPattern: /"code"\s*:\s*"TOKEN_EXPIRED"/g }
      const body = `{"ok":false,"code":"TOKEN_EXPIRED"}`
      const expired = response(200, body, { "content-length": String(body.length) })
      assert.isTrue(yield* BearerAuth.isRejected(expired, rules))
      // a global pattern keeps state between calls; it must not flip the answer
      assert.isTrue(yield* BearerAuth.isRejected(expired, rules))
      assert.strictEqual(yield* expired.text, body)
      assert.isFalse(yield* BearerAuth.isRejected(response(200, `{"ok":true}`), rules))
    }))

  it.effect("the body pattern is looked for in the first 64 KiB only, whatever the declared length", () =>
    Effect.gen(function*() {
      const rules = { bodyPattern: /TOKEN_EXPIRED/ }
      const padding = "a".repeat(bearerAuth.maxRuleBodyBytes)
      assert.isTrue(yield* BearerAuth.isRejected(response(200, `TOKEN_EXPIRED${padding}`), rules))
      assert.isFalse(yield* BearerAuth.isRejected(response(200, `${padding}TOKEN_EXPIRED`), rules))
      const declared = `${padding}TOKEN_EXPIRED`
      assert.isFalse(
        yield* BearerAuth.isRejected(response(200, declared, { "content-length": String(declared.length) }), rules)
      )
    }))

  it("a challenge is found in one scan of at most 8 KiB, whatever the header", () => {
    const hostile = [
      `Bearer ${"error ".repeat(200_000)}`,
      `Bearer error${" ".repeat(1_000_000)}`,
      `Bearer ${"error= ".repeat(150_000)}`,
      `Bearer ${"error=\"invalid_toke".repeat(60_000)}`,
      `${" ".repeat(1_000_000)}Bearer error="invalid_token"`,
      `Bearer ${"a".repeat(1_000_000)} error="invalid_token"`
    ]
    for (const value of hostile) {
      const started = performance.now()
      assert.isFalse(bearerAuth.isInvalidTokenChallenge(value))
      // generous: a linear scan of 8 KiB takes microseconds
      assert.isBelow(performance.now() - started, 50)
    }
    assert.isTrue(bearerAuth.isInvalidTokenChallenge(`Bearer realm="${"r".repeat(7000)}", error="invalid_token"`))
    assert.isTrue(bearerAuth.isInvalidTokenChallenge(`  BEARER error = invalid_token`))
    assert.isTrue(bearerAuth.isInvalidTokenChallenge(`Bearer error_uri="x", error="invalid_token"`))
    assert.isFalse(bearerAuth.isInvalidTokenChallenge(`Bearer myerror="invalid_token"`))
    assert.isFalse(bearerAuth.isInvalidTokenChallenge(`Bearer error="invalid_tokens"`))
    assert.isFalse(bearerAuth.isInvalidTokenChallenge(`Bearers error="invalid_token"`))
  })

  it("TokenRejected names the request without its query and without any token", () => {
    const error = new BearerAuth.TokenRejected({ method: "GET", url: "https://api.example.com/v1/orders", status: 401 })
    assert.include(error.message, "GET https://api.example.com/v1/orders")
    assert.include(error.message, "HTTP 401")
    assert.isFalse(error.retryable)
  })
})
