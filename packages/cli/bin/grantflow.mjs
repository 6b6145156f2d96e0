#!/usr/bin/env node
// The installed command runs the compiled program. This file is committed
// (dist/ is not) so that a workspace install finds the bin before a build.
import { existsSync } from "node:fs"

const program = new URL("../dist/bin/grantflow.js", import.meta.url)
if (!existsSync(program)) {
  process.stderr.write("grantflow: @grantflow/cli is not built; run `pnpm build` in the grantflow checkout (or `pnpm grantflow` from source)\n")
  process.exit(2)
}
await import(program.href)
