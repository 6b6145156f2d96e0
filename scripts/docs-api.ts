/**
 * Builds the API reference of every publishable package under packages/ with
 * `@effect/docgen`: one markdown page per public module in
 * `docs/api/<package>/modules/`, git-ignored, from the JSDoc of `src/`, and
 * `docs/api/README.md`, which lists them. Each
 * package's `docgen.json` says what is read (not `internal/`, not `index.ts`)
 * and where the pages go; a package added later is built without editing this
 * file, and one without a `docgen.json` fails the run. Run: `pnpm docs:api`.
 */
import { spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { join, relative, resolve } from "node:path"

interface Manifest {
  readonly name: string
  readonly private?: boolean
  readonly repository?: { readonly url?: string; readonly directory?: string }
}

interface DocgenConfig {
  readonly srcDir?: string
  readonly outDir?: string
}

const root = process.cwd()
const docgen = resolve(root, "node_modules", ".bin", "docgen")

const packages = readdirSync("packages")
  .map((name) => join("packages", name))
  .filter((dir) => existsSync(join(dir, "package.json")))
  .filter((dir) => (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest).private !== true)

const missing = packages.filter((dir) => !existsSync(join(dir, "docgen.json")))
if (missing.length > 0) {
  console.error(`no docgen.json in ${missing.join(", ")}: every publishable package has an API reference`)
  process.exit(1)
}

/** Runs docgen in `dir`; its output is printed in one piece, so parallel runs do not interleave. */
const build = (dir: string): Promise<boolean> =>
  new Promise((done) => {
    // Examples are not run here: `scripts/check-examples.ts` (in `pnpm lint`)
    // type-checks every @example against the workspace's own tsconfig. docgen
    // would also execute each one with tsx (several start servers or wait on
    // a browser) and copies them into the output first. Its `--no-run-examples`
    // flag and a `runExamples` key in docgen.json are both ignored in 0.5.2;
    // the DOCGEN_ environment configuration is read.
    const child = spawn(docgen, [], {
      cwd: dir,
      env: { ...process.env, DOCGEN_RUN_EXAMPLES: "false" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("error", (error) => {
      console.error(`${dir}: cannot start docgen: ${error.message}`)
      done(false)
    })
    child.on("close", (code) => {
      console.log(`=== ${dir}\n${output.trimEnd()}`)
      done(code === 0)
    })
  })

/**
 * Links each module page to its source file, the repository's `main` branch
 * (docgen 0.5.2 has no source-link option), and restores the page's front
 * matter, which the Prettier docgen formats with turns into a rule (`***`).
 */
const finish = (dir: string): ReadonlyArray<string> => {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest
  const config = JSON.parse(readFileSync(join(dir, "docgen.json"), "utf8")) as DocgenConfig
  const repository = manifest.repository?.url?.replace(/^git\+/, "").replace(/\.git$/, "")
  const srcDir = config.srcDir ?? "src"
  const srcLink = `${repository}/tree/main/${manifest.repository?.directory ?? dir}/${srcDir}/`
  const modules = join(dir, config.outDir ?? "docs", "modules")
  const pages = readdirSync(modules).filter((file) => file.endsWith(".ts.md"))
  for (const page of pages) {
    const path = join(modules, page)
    const source = page.slice(0, -".md".length)
    const text = readFileSync(path, "utf8").replace(/^\*\*\*\n\n/, "---\n")
    const link = `Source: [${srcDir}/${source}](${srcLink}${source})\n\n`
    writeFileSync(path, text.replace(/\n(## .+ overview\n\n)/, `\n$1${link}`))
  }
  return pages.map((page) => `- [${page.slice(0, -".ts.md".length)}](${relative("docs/api", join(modules, page))})`)
}

const started = Date.now()
const queue = [...packages]
const failed: Array<string> = []
const worker = async (): Promise<void> => {
  for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
    if (!(await build(dir))) failed.push(dir)
  }
}
await Promise.all(Array.from({ length: Math.min(availableParallelism(), packages.length) }, worker))

if (failed.length > 0) {
  console.error(`\ndocgen failed in ${failed.join(", ")}`)
  process.exit(1)
}
// docgen's own index pages are stubs for a Jekyll site; this one lists the pages.
const index = packages.map((dir) => {
  const { name } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest
  return { name, modules: finish(dir) }
})
writeFileSync(
  join("docs", "api", "README.md"),
  `# API reference\n\nBuilt by \`pnpm docs:api\` from the JSDoc of each package's \`src/\`; not committed.\n\n` +
    index.map(({ modules, name }) => `## ${name}\n\n${modules.join("\n")}\n`).join("\n")
)
const counts = index.map(({ modules, name }) => `${name} ${modules.length}`)
console.log(`\nAPI reference in docs/api/ (modules: ${counts.join(", ")}; index: docs/api/README.md) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
