import { assert, describe, it } from "@effect/vitest"
import * as safePattern from "../src/internal/safePattern.js"

describe("safePattern.problem", () => {
  it("refuses the shapes of exponential backtracking: a repeated group holding a repetition or an alternation", () => {
    for (const pattern of ["^(a+)+$", "(a|aa)*", "((a|b)c)*", "(?:a?){2,}", "(x(?:y+))+"]) {
      assert.match(safePattern.problem(pattern) ?? "", /exponentially/, pattern)
    }
  })

  it("refuses backreferences, long patterns, and more repetitions than the budget", () => {
    assert.match(safePattern.problem("(\\w)\\1") ?? "", /backreference/)
    assert.match(safePattern.problem("(?<x>a)\\k<x>") ?? "", /backreference/)
    assert.match(safePattern.problem("x".repeat(257)) ?? "", /longer than 256/)
    assert.match(safePattern.problem("a*b*c*") ?? "", /unbounded/)
    assert.match(safePattern.problem("a{2,}b+c{0,65}") ?? "", /unbounded/)
    assert.match(safePattern.problem("a{0,9}b{0,9}c{0,9}d{0,9}") ?? "", /more than 3 repetitions/)
  })

  it("accepts the patterns fields are checked with: classes, anchored alternations, optional groups", () => {
    for (
      const pattern of [
        "^[a-z0-9-]+$",
        "^(?:eu|us|ap)$",
        "^\\d{1,14}(?:\\.\\d{0,6})?$",
        "^[a-z]+\\.[a-z]+$",
        "^(ab)+$",
        "[(*+]+x",
        "\\(+\\)",
        "(?<region>[a-z]{2})-\\d",
        "a+?b"
      ]
    ) {
      assert.isUndefined(safePattern.problem(pattern), pattern)
    }
  })

  it("is one pass: a pattern at the cap is judged at once", () => {
    const started = performance.now()
    for (const unit of ["(", "[", "\\", "{1,", "a*", "(?<"]) safePattern.problem(unit.repeat(256 / unit.length))
    assert.isBelow(performance.now() - started, 50)
  })
})
