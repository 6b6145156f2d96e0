import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as json from "../src/internal/json.js"

const nested = (depth: number, kind: "array" | "object"): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = kind === "array" ? [value] : { a: value }
  return value
}

const failureOf = (result: Either.Either<unknown, json.Failure>): json.Failure => {
  assert.isTrue(Either.isLeft(result), "expected a failure")
  return (result as Either.Left<json.Failure, unknown>).left
}

describe("json.parse", () => {
  it("parses JSON nesting up to 64 levels", () => {
    assert.deepStrictEqual(json.parse(`{"a":[1,"x",null]}`), Either.right({ a: [1, "x", null] }))
    for (const kind of ["array", "object"] as const) {
      const text = JSON.stringify(nested(64, kind))
      assert.deepStrictEqual(json.parse(text), Either.right(nested(64, kind)))
      assert.deepStrictEqual(failureOf(json.parse(JSON.stringify(nested(65, kind)))), { _tag: "TooDeep", maxDepth: 64 })
    }
  })

  it("the 4.4 KB body of nested arrays is TooDeep, not a RangeError later", () => {
    assert.strictEqual(failureOf(json.parse("[".repeat(2200) + "]".repeat(2200)))._tag, "TooDeep")
    assert.strictEqual(failureOf(json.parse("[".repeat(1024 * 1024)))._tag, "TooDeep")
  })

  it("brackets inside strings, escaped quotes included, do not count", () => {
    const text = JSON.stringify({ a: "[".repeat(1000), b: `\\"${"{".repeat(1000)}` })
    assert.isTrue(Either.isRight(json.parse(text)))
    // depth goes down again: many shallow values are fine
    assert.isTrue(Either.isRight(json.parse(`[${Array.from({ length: 1000 }, () => "[[[]]]").join(",")}]`)))
  })

  it("a syntax error carries nothing of the text", () => {
    const failure = failureOf(json.parse(`{"access_token": "secret-value", oops`))
    assert.deepStrictEqual(failure, { _tag: "Syntax" })
    assert.strictEqual(json.describeFailure(failure), "is not valid JSON")
  })

  it("maxLength and maxDepth bound what is read", () => {
    assert.deepStrictEqual(failureOf(json.parse(`"${"x".repeat(100)}"`, { maxLength: 50 })), {
      _tag: "TooLarge",
      maxLength: 50
    })
    assert.deepStrictEqual(failureOf(json.parse("[[[1]]]", { maxDepth: 2 })), { _tag: "TooDeep", maxDepth: 2 })
    assert.isTrue(Either.isRight(json.parse("[[[1]]]", { maxDepth: 3 })))
  })

  it("describeFailure names the bound, never the text", () => {
    assert.strictEqual(json.describeFailure({ _tag: "TooDeep", maxDepth: 64 }), "nests deeper than 64 levels")
    assert.strictEqual(json.describeFailure({ _tag: "TooLarge", maxLength: 10 }), "is longer than 10 characters")
  })

  it("answers any 1 MiB text within the bound (50 ms)", () => {
    const MiB = 1024 * 1024
    const texts = ["[".repeat(MiB), `"${"[".repeat(MiB - 2)}"`, `[${"1,".repeat(MiB / 2 - 1)}1]`, "{".repeat(MiB / 2) + "x"]
    for (const text of texts) {
      let best = Infinity
      for (let attempt = 0; attempt < 5 && best > 50; attempt++) {
        const start = performance.now()
        json.parse(text)
        best = Math.min(best, performance.now() - start)
      }
      assert.isAtMost(best, 50)
    }
  })
})

describe("json.valueTooDeep", () => {
  it("checks an already-parsed value without recursion, however deep", () => {
    for (const kind of ["array", "object"] as const) {
      assert.isFalse(json.valueTooDeep(nested(64, kind)))
      assert.isTrue(json.valueTooDeep(nested(65, kind)))
      assert.isTrue(json.valueTooDeep(nested(1_000_000, kind)))
    }
    assert.isFalse(json.valueTooDeep("text"))
    assert.isFalse(json.valueTooDeep(null))
  })

  it("a cycle is not followed twice", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    assert.isFalse(json.valueTooDeep(cyclic))
  })

  it("property: the text check and the value check agree on every depth and bound", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.integer({ min: 0, max: 80 }),
        FastCheck.integer({ min: 1, max: 80 }),
        FastCheck.constantFrom("array" as const, "object" as const),
        (depth, maxDepth, kind) => {
          const value = nested(depth, kind)
          const deep = depth > maxDepth
          assert.strictEqual(json.valueTooDeep(value, maxDepth), deep)
          assert.strictEqual(json.textTooDeep(JSON.stringify(value), maxDepth), deep)
          assert.strictEqual(Either.isLeft(json.parse(JSON.stringify(value), { maxDepth })), deep)
        }
      )
    )
  })
})
