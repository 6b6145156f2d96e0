/**
 * The public modules of every package: packages/<name>/src/*.ts, without
 * index.ts and src/internal/. What the documentation checks read.
 */
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

export const publicModules = (): Array<string> =>
  readdirSync("packages").flatMap((pkg) => {
    const src = join("packages", pkg, "src")
    return existsSync(src)
      ? readdirSync(src).filter((file) => file.endsWith(".ts") && file !== "index.ts").map((file) => join(src, file))
      : []
  })
