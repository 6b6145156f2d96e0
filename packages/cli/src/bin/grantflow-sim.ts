#!/usr/bin/env node
/**
 * grantflow-sim [--config FILE] [--port N] [--host ADDRESS]
 *
 * Runs the simulated authorization server and protected API until stopped.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import * as SimServer from "../SimServer.js"

const usage = "usage: grantflow-sim [--config FILE] [--port N] [--host ADDRESS]"

const parseArgs = (args: ReadonlyArray<string>): SimServer.Options | string => {
  const options: { configPath?: string; port?: number; host?: string } = {}
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]]
    if (value === undefined) return `${flag} needs a value\n${usage}`
    switch (flag) {
      case "--config":
        options.configPath = value
        break
      case "--host":
        options.host = value
        break
      case "--port": {
        const port = Number(value)
        if (!Number.isInteger(port) || port < 0 || port > 65535) return `--port must be 0–65535, got ${value}`
        options.port = port
        break
      }
      default:
        return `unknown option ${flag}\n${usage}`
    }
  }
  return options
}

const options = parseArgs(process.argv.slice(2))
if (typeof options === "string") {
  process.stderr.write(`${options}\n`)
  process.exit(2)
}

SimServer.start(options).pipe(
  Effect.zipRight(Effect.never),
  Effect.scoped,
  Effect.tapErrorTag("ServerConfigError", (error) => Effect.sync(() => process.stderr.write(`${error.message}\n`))),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
