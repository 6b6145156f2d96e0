import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))

/** Runs an example as its pnpm script does, with `args` and `env`: its exit code and stderr. */
const runExample = (file: string, args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}) =>
  Effect.async<{ readonly code: number; readonly stderr: string }>((resume) => {
    const child = execFile(
      "node_modules/.bin/tsx",
      ["--conditions=@grantflow/source", file, ...args],
      { cwd: root, timeout: 60_000, env: { ...process.env, ...env } },
      (error, _stdout, stderr) =>
        resume(Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stderr }))
    )
    return Effect.sync(() => child.kill())
  })

/** Bad input ends an example with exactly this line on stderr and exit code 2: no stack trace. */
const rejects = (
  file: string,
  input: { readonly args?: ReadonlyArray<string>; readonly env?: Readonly<Record<string, string>> },
  line: string
) =>
  Effect.map(runExample(file, input.args ?? [], input.env), (result) =>
    assert.deepStrictEqual(result, { code: 2, stderr: `${line}\n` }))

/** A port that a listener on 127.0.0.1 holds while `use` runs. */
const withBusyPort = <A, E>(use: (port: number) => Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.async<ReturnType<typeof createServer>>((resume) => {
      const server = createServer()
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) => use((server.address() as { readonly port: number }).port),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

describe("examples on bad input", () => {
  const connect = "examples/connect-account.ts"

  it.live("connect-account: a PORT out of range", () =>
    rejects(
      connect,
      { env: { PORT: "70000" } },
      `connect-account: PORT must be a port number from 1 to 65535, got "70000": set a free port, or unset PORT for any`
    ))

  it.live("connect-account: a PORT that is not a number", () =>
    rejects(
      connect,
      { env: { PORT: "eighty" } },
      `connect-account: PORT must be a port number from 1 to 65535, got "eighty": set a free port, or unset PORT for any`
    ))

  it.live("connect-account: a PORT in use", () =>
    withBusyPort((port) =>
      rejects(
        connect,
        { env: { PORT: String(port) } },
        `connect-account: cannot listen on port ${port} (it is in use): set another PORT`
      )
    ))

  it.live("cli-login: an argument it does not take", () =>
    rejects(
      "examples/cli-login.ts",
      { args: ["--port", "80"] },
      "cli-login: unknown argument --port: run it with --browser (the default) or --device"
    ))
})
