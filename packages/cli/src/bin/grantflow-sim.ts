#!/usr/bin/env node
/**
 * grantflow-sim [--config FILE] [--port N] [--host ADDRESS]
 *
 * Runs the simulated authorization server and protected API until stopped.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import * as SimServer from "../SimServer.js"

// Bad input ends the program with one line on stderr that says what is wrong
// and what to do, and exit code 2: no stack trace, no usage dump.
const badInput: (line: string) => never = (line) => {
  process.stderr.write(`grantflow-sim: ${line}\n`)
  return process.exit(2)
}

const usage = "usage: grantflow-sim [--config FILE] [--port N] [--host ADDRESS]"

const parseArgs = (args: ReadonlyArray<string>): SimServer.Options | string => {
  const options: { configPath?: string; port?: number; host?: string } = {}
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]]
    if (value === undefined) return `${flag} needs a value (${usage})`
    switch (flag) {
      case "--config":
        options.configPath = value
        break
      case "--host":
        options.host = value
        break
      case "--port": {
        const port = /^\d{1,5}$/.test(value) ? Number(value) : undefined
        if (port === undefined || port > 65535) return `--port must be 0–65535, got ${value}: give a free port, or 0 for any`
        options.port = port
        break
      }
      default:
        return `unknown option ${flag} (${usage})`
    }
  }
  return options
}

const options = parseArgs(process.argv.slice(2))
if (typeof options === "string") badInput(options)
const { configPath, host = "127.0.0.1", port = 0 } = options

/** The listening socket's error code, e.g. EADDRINUSE. */
const codeOf = (cause: unknown) =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "unknown error"

const unreadable = (why: string) =>
  Effect.sync(() => badInput(`cannot read the configuration ${configPath} (${why}): give --config a readable JSON file`))

SimServer.start(options).pipe(
  Effect.zipRight(Effect.never),
  Effect.scoped,
  Effect.catchTags({
    ServerConfigError: (error) => Effect.sync(() => badInput(`${error.message}: fix ${configPath}`)),
    SystemError: (error) => unreadable(error.reason),
    BadArgument: (error) => unreadable(error.message),
    ServeError: (error) =>
      Effect.sync(() =>
        badInput(`cannot listen on ${host}:${port} (${codeOf(error.cause)}): choose another --port or --host`)
      )
  }),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
