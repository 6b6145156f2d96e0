import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ConnectAccount from "../connect-account/app.js"
import { launchBrowser } from "../../packages/testing/test/chromium.js"

describe("the connect-account example in a real browser", () => {
  it.scopedLive("connect, approve on the consent page, see the API's answer; later calls work and refresh", () =>
    Effect.gen(function*() {
      const { provider, providerUrl, url } = yield* ConnectAccount.start()
      const browser = yield* launchBrowser
      const page = yield* Effect.promise(() => browser.newPage())
      const text = (selector: string) => Effect.promise(() => page.textContent(selector))
      const result = Effect.map(text("#result"), (json) => JSON.parse(json ?? "null") as Record<string, unknown>)

      yield* Effect.promise(() => page.goto(url.href))
      assert.strictEqual(yield* Effect.promise(() => page.title()), "Orders dashboard")
      yield* Effect.promise(() => Promise.all([page.waitForURL(`${providerUrl.origin}/authorize?**`), page.click("#connect")]))
      assert.strictEqual(yield* Effect.promise(() => page.title()), "Authorize access")
      assert.strictEqual(yield* text("#client"), "orders-dashboard")
      assert.strictEqual(yield* text("#scopes"), "orders.read")

      yield* Effect.promise(() => Promise.all([page.waitForURL(`${url.origin}/callback?**`), page.click("#approve")]))
      assert.strictEqual(yield* Effect.promise(() => page.title()), "Account connected")
      assert.deepStrictEqual(yield* result, { ok: true, path: "/api/orders", clientId: "orders-dashboard", call: 1 })
      assert.strictEqual(yield* text("#rotations"), "0")

      yield* Effect.promise(() => page.goto(new URL("/orders", url).href))
      assert.strictEqual(yield* Effect.promise(() => page.title()), "Your orders")
      assert.deepStrictEqual(yield* result, { ok: true, path: "/api/orders", clientId: "orders-dashboard", call: 2 })
      yield* Effect.promise(() => page.goto(url.href))
      assert.strictEqual(yield* text("#orders"), "See your orders")

      // one code exchange, and every API call made with the token it issued
      const journal = (yield* provider.journal).filter((e) => e.endpoint !== "other")
      assert.deepStrictEqual(journal.map((e) => [e.endpoint, e.method, e.grantType, e.status]), [
        ["authorize", "GET", undefined, 200],
        ["authorize", "POST", undefined, 302],
        ["token", "POST", "authorization_code", 200],
        ["api", "GET", undefined, 200],
        ["api", "GET", undefined, 200]
      ])
      const issued = journal[2]!.tokenId
      assert.isString(issued)
      assert.deepStrictEqual(journal.slice(3).map((e) => e.tokenId), [issued, issued])

      // the provider revokes the access token: the next call refreshes, and the rotated refresh token is saved
      yield* provider.revokeAll
      yield* provider.clearJournal
      yield* Effect.promise(() => page.goto(new URL("/orders", url).href))
      assert.deepStrictEqual(yield* result, { ok: true, path: "/api/orders", clientId: "orders-dashboard", call: 3 })
      assert.strictEqual(yield* text("#rotations"), "1")
      const after = (yield* provider.journal).filter((e) => e.endpoint !== "other")
      assert.deepStrictEqual(after.map((e) => [e.endpoint, e.grantType, e.status]), [
        ["api", undefined, 401],
        ["token", "refresh_token", 200],
        ["api", undefined, 200]
      ])
      assert.notStrictEqual(after[2]!.tokenId, issued)
      assert.strictEqual(after[2]!.tokenId, after[1]!.tokenId)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)), { timeout: 30_000 })
})
