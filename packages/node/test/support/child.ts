import { afterAll, beforeAll } from "@effect/vitest"
import * as esbuild from "esbuild"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** Where a test file's child script is bundled: a temporary directory of its own, for the file's other files too. */
export interface Bundle {
  readonly directory: string
  readonly script: string
}

/**
 * Bundles the child script `entry` once for the test file that calls it
 * (before its tests, into a temporary directory removed after them): loading
 * the bundle takes a fraction of the CPU that loading the sources through
 * tsx takes. The fields are set once the bundle is built.
 */
export const bundleChild = (entry: URL, prefix: string): Bundle => {
  const bundle = { directory: "", script: "" }
  beforeAll(async () => {
    bundle.directory = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
    bundle.script = path.join(bundle.directory, "child.cjs")
    await esbuild.build({
      entryPoints: [fileURLToPath(entry)],
      outfile: bundle.script,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      conditions: ["@grantflow/source"],
      logLevel: "error"
    })
  }, 60_000)
  afterAll(() => fs.rmSync(bundle.directory, { recursive: true, force: true }))
  return bundle
}
