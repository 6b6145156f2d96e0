import { assert, describe, it } from "@effect/vitest"
import * as JwtSummary from "../src/internal/jwtSummary.js"

// 2026-12-04T12:00:00Z
const now = Date.UTC(2026, 11, 4, 12, 0, 0)
const seconds = (offset: number) => Math.floor(now / 1000) + offset

describe("jwtSummary", () => {
  it("shows the times as ISO dates with how soon or how long ago", () => {
    const summary = JwtSummary.summarize({
      iss: "https://auth.example.com",
      sub: "user-1",
      aud: ["https://api.example.com", "https://orders.example.com"],
      client_id: "orders-app",
      scope: "orders.read orders.write",
      iat: seconds(-120),
      nbf: seconds(-120),
      exp: seconds(14 * 60 + 30)
    }, now)
    assert.strictEqual(
      summary,
      [
        "  iss         https://auth.example.com",
        "  sub         user-1",
        "  aud         https://api.example.com https://orders.example.com",
        "  client_id   orders-app",
        "  scope       orders.read orders.write",
        "  iat         2026-12-04T11:58:00Z (issued 2 min ago)",
        "  nbf         2026-12-04T11:58:00Z (valid since 2 min ago)",
        "  exp         2026-12-04T12:14:30Z (expires in 14 min)"
      ].join("\n")
    )
  })

  it("says expired, not yet valid, and issued in the future", () => {
    const summary = JwtSummary.summarize({ iat: seconds(90), nbf: seconds(3 * 86400), exp: seconds(-3 * 3600 - 59) }, now)
    assert.include(summary, "(issued in 1 min: in the future, the clocks disagree)")
    assert.include(summary, "(not valid yet: valid in 3 days)")
    assert.include(summary, "2026-12-04T08:59:01Z (expired 3 h ago)")
  })

  it("rounds spans down, from seconds to years", () => {
    assert.deepStrictEqual(
      [0, 59_999, 60_000, 3_599_999, 3_600_000, 48 * 3_600_000 - 1, 48 * 3_600_000, 800 * 86_400_000, -42_000].map(
        JwtSummary.span
      ),
      ["0 s", "59 s", "1 min", "59 min", "1 h", "47 h", "2 days", "2 years", "42 s"]
    )
  })

  it("shows a time claim that is not a time as it is", () => {
    const summary = JwtSummary.summarize({ exp: "tomorrow", iat: 1e306, nbf: null }, now)
    assert.include(summary, "exp         tomorrow (not a time: exp is a number of seconds since 1970)")
    assert.include(summary, "iat         1e+306 (not a time: iat is a number of seconds since 1970)")
    assert.include(summary, "nbf         null (not a time")
  })

  it("says so when there is nothing to summarize", () => {
    assert.strictEqual(JwtSummary.summarize({ active: false }, now), "  (no issuer, subject, scope or time claims)")
  })

  it("escapes what would change the terminal's display, and cuts long values", () => {
    const summary = JwtSummary.summarize({ sub: "evil\u001b[2J\nuser\u202e", iss: "x".repeat(1000) }, now)
    assert.include(summary, "sub         evil\\u001b[2J\\u000auser\\u202e")
    assert.notInclude(summary, "\u001b")
    assert.strictEqual(summary.split("\n").length, 2)
    assert.include(summary, `${"x".repeat(199)}…`)
    assert.notInclude(summary, "x".repeat(200))
  })

  it("renders JSON that means the same, with no character that changes the display", () => {
    const value = { sub: "a\u009b31mb\u2028c\u001bd", n: 1 }
    const text = JwtSummary.json(value)
    for (const c of ["\u001b", "\u009b", "\u2028"]) assert.notInclude(text, c)
    assert.deepStrictEqual(JSON.parse(text), value)
  })
})
