/**
 * The command as the process tests run it: the source bundled once per test
 * run into one ES module that plain `node` starts. Started through tsx, each
 * process spent about 2.5 s of CPU loading and transforming modules; the
 * bundle starts in about 0.3 s. The packed package's own `dist/` is run by the
 * consumer smoke test (scripts/consumer-smoke.sh).
 */
import { build } from "esbuild"
import { resolve } from "node:path"

// two levels below the package, as src/bin/ is: the command reads ../../package.json
const directory = resolve(__dirname, "../../.test-bin/bin")

/** The bundled entry point of each command. */
export const entries = {
  "grantflow": resolve(directory, "grantflow.mjs"),
  "grantflow-sim": resolve(directory, "grantflow-sim.mjs")
} as const

/** Vitest's global setup for the cli project: bundles both commands. */
export const setup = async (): Promise<void> => {
  await build({
    entryPoints: Object.keys(entries).map((name) => ({ in: resolve(__dirname, `../../src/bin/${name}.ts`), out: name })),
    outdir: directory,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@grantflow/source"],
    // the command never uses the Redis store, which loads ioredis only when made
    external: ["ioredis"],
    // CommonJS dependencies inside an ES module bundle still call require
    banner: { js: "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" },
    logLevel: "warning"
  })
}
