import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { resolve } from "node:path"
import * as Cli from "./support/cli.js"

const root = resolve(__dirname, "../../..")

describe("the admin API from another language's test suite", () => {
  it.live("node --test other-language/admin.test.mjs passes, speaking only HTTP to grantflow sim --admin", () =>
    Effect.gen(function*() {
      const result = yield* Effect.async<{ readonly code: number | null; readonly output: string }>((resume) => {
        const child = spawn(process.execPath, ["--test", "packages/cli/test/other-language/admin.test.mjs"], {
          cwd: root,
          // the command as the other tests run it (bundle.ts); its own default is tsx and the source
          env: { ...process.env, GRANTFLOW_SIM_COMMAND: Cli.command(["sim"]).flat().join(" "), NODE_OPTIONS: undefined }
        })
        let output = ""
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
        child.on("close", (code) => resume(Effect.succeed({ code, output })))
        return Effect.sync(() => child.kill("SIGKILL"))
      })
      assert.strictEqual(result.code, 0, result.output)
      assert.match(result.output, /^# pass 2$/m, result.output)
    }))
})
