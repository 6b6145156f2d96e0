import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as json from "../src/internal/json.js"

const nested = (depth: number, kind: "array" | "object"): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = kind === "array" ? [value] : { a: value }
  return value
}

const tooDeep = (failure: json.Failure | undefined): boolean => failure?._tag === "TooDeep"

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

describe("json.valueFailure", () => {
  it("checks an already-parsed value without recursion, however deep", () => {
    for (const kind of ["array", "object"] as const) {
      assert.isFalse(tooDeep(json.valueFailure(nested(64, kind))))
      assert.isTrue(tooDeep(json.valueFailure(nested(65, kind))))
      assert.isTrue(tooDeep(json.valueFailure(nested(1_000_000, kind))))
    }
    assert.isFalse(tooDeep(json.valueFailure("text")))
    assert.isFalse(tooDeep(json.valueFailure(null)))
  })

  it("a cycle is not followed twice", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    assert.isFalse(tooDeep(json.valueFailure(cyclic)))
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
          assert.strictEqual(tooDeep(json.valueFailure(value, { maxDepth })), deep)
          assert.strictEqual(tooDeep(json.textFailure(JSON.stringify(value), { maxDepth })), deep)
          assert.strictEqual(Either.isLeft(json.parse(JSON.stringify(value), { maxDepth })), deep)
        }
      )
    )
  })
})

describe("json: value bounds", () => {
  it("counts values in the text and in a parsed value alike, and stops at the bound", () => {
    // (the text check counts an empty array or object as holding one value: a bound may overcount)
    const texts = ["[1,2,3]", `{"a":1,"b":[true,null]}`, `{"a":"x,y,[z]"}`, `[[1],[{"a":2}]]`, `"a,b"`]
    for (const text of texts) {
      const value = JSON.parse(text) as unknown
      for (let maxValues = 1; maxValues <= 8; maxValues++) {
        const overText = json.textFailure(text, { maxValues })?._tag === "TooMany"
        const overValue = json.valueFailure(value, { maxValues })?._tag === "TooMany"
        assert.strictEqual(overText, overValue, `${text} with at most ${maxValues}`)
      }
    }
    assert.deepStrictEqual(failureOf(json.parse(`[${"0,".repeat(100)}0]`, { maxValues: 100 })), {
      _tag: "TooMany",
      maxValues: 100
    })
    assert.strictEqual(json.describeFailure({ _tag: "TooMany", maxValues: 100 }), "holds more than 100 values")
  })
})
