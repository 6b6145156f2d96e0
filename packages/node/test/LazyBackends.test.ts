import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

const packageRoot = fileURLToPath(new URL("../", import.meta.url))
const guard = fileURLToPath(new URL("./no-backends.mjs", import.meta.url))

/**
 * Runs `code` as an ES module in a fresh Node process (from source, through
 * tsx) in which any resolution of ioredis or @effect/sql fails: its exit
 * code and stderr.
 */
const runWithoutBackends = (code: string) =>
  Effect.async<{ readonly code: number; readonly stderr: string }>((resume) => {
    const child = execFile(
      process.execPath,
      ["--conditions=@grantflow/source", "--import", "tsx", "--import", guard, "--input-type=module", "-e", code],
      { cwd: packageRoot, timeout: 60_000 },
      (error, _stdout, stderr) =>
        resume(Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stderr }))
    )
    return Effect.sync(() => child.kill())
  })

describe("optional backends", () => {
  it.live("importing @grantflow/node loads neither ioredis nor @effect/sql", () =>
    Effect.gen(function*() {
      const result = yield* runWithoutBackends(
        `const { FileTokenStore, RedisTokenStore } = await import("@grantflow/node")
        if (typeof FileTokenStore.layer !== "function" || typeof RedisTokenStore.layer !== "function") process.exit(3)`
      )
      assert.deepStrictEqual(result, { code: 0, stderr: "" })
    }))

  it.live("the Redis store loads ioredis when it is made", () =>
    Effect.gen(function*() {
      // the same guard fails once the store is used: it does see ioredis, and the load is lazy, not absent
      const result = yield* runWithoutBackends(
        `const { Effect } = await import("effect")
        const { RedisTokenStore } = await import("@grantflow/node")
        await Effect.runPromise(Effect.scoped(RedisTokenStore.make({ redis: "redis://127.0.0.1:1", encryption: "none" })))`
      )
      assert.notStrictEqual(result.code, 0)
      assert.include(result.stderr, "ioredis was loaded from")
      assert.include(result.stderr, "redisTokenStore")
    }))

  it.live("the SQL store's module is the one that loads @effect/sql", () =>
    Effect.gen(function*() {
      const result = yield* runWithoutBackends(`await import("@grantflow/node/SqlTokenStore")`)
      assert.notStrictEqual(result.code, 0)
      assert.include(result.stderr, "@effect/sql was loaded from")
      assert.include(result.stderr, "sqlTokenStore")
    }))
})
