/**
 * Checks every publishable package under packages/ for what a release needs:
 * the manifest fields a registry and a consumer read, the supported Effect
 * peers, and the README, LICENSE and CHANGELOG beside it. A package added
 * later is checked without editing this file. Run: `tsx scripts/check-packages.ts`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

/** The supported Effect line (README, Install): a peer of any package that uses it. */
const supportedPeers: Readonly<Record<string, string>> = {
  "effect": "^3.22.4",
  "@effect/platform": "^0.97.2",
  "@effect/platform-node": "^0.108.2"
}

/**
 * The root entry: the sources in the workspace, the guarded entry under Node (it says which Effect to
 * install instead of crashing on a missing `effect/*` file; docs/effect-4.md), the static one elsewhere.
 * The order matters: the first matching condition wins.
 */
const rootExport = {
  "@grantflow/source": "./src/index.ts",
  "types": "./dist/index.d.ts",
  "node": "./dist/index.node.js",
  "default": "./dist/index.js"
}
/** Writes the Node entry after `tsc`, so a build and a pack both ship it. */
const buildScript = "tsc -b && node ../../scripts/node-entry.mjs"

const repository = "git+https://github.com/grantflow/grantflow.git"
const expected = {
  license: "MIT",
  homepage: "https://github.com/grantflow/grantflow#readme",
  bugs: "https://github.com/grantflow/grantflow/issues",
  main: "./dist/index.js",
  types: "./dist/index.d.ts"
} as const

interface Manifest {
  readonly name: string
  readonly private?: boolean
  readonly keywords?: ReadonlyArray<string>
  readonly repository?: { readonly type?: string; readonly url?: string; readonly directory?: string }
  readonly engines?: Readonly<Record<string, string>>
  readonly publishConfig?: { readonly access?: string }
  readonly sideEffects?: boolean | ReadonlyArray<string>
  readonly typesVersions?: unknown
  readonly exports?: Readonly<Record<string, unknown>>
  readonly files?: ReadonlyArray<string>
  readonly scripts?: Readonly<Record<string, string>>
  readonly bin?: Readonly<Record<string, string>>
  readonly dependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
  readonly devDependencies?: Readonly<Record<string, string>>
  readonly [field: string]: unknown
}

const root = join(import.meta.dirname, "..")
const license = readFileSync(join(root, "LICENSE"), "utf8")
const problems: Array<string> = []

for (const directory of readdirSync(join(root, "packages")).sort()) {
  const dir = join(root, "packages", directory)
  if (!existsSync(join(dir, "package.json"))) continue
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest
  if (manifest.private === true) continue
  const fail = (message: string) => problems.push(`packages/${directory} (${manifest.name}): ${message}`)

  for (const [field, value] of Object.entries(expected)) {
    if (manifest[field] !== value) fail(`"${field}" must be ${JSON.stringify(value)}`)
  }
  const repo = manifest.repository
  if (repo?.type !== "git" || repo.url !== repository || repo.directory !== `packages/${directory}`) {
    fail(`"repository" must be { type: "git", url: "${repository}", directory: "packages/${directory}" }`)
  }
  if ((manifest.keywords ?? []).length === 0) fail(`"keywords" is empty`)
  if (manifest.engines?.node !== ">=20") fail(`"engines.node" must be ">=20"`)
  if (manifest.publishConfig?.access !== "public") fail(`"publishConfig.access" must be "public" (a scoped package is private by default)`)
  if (manifest.sideEffects === undefined || manifest.sideEffects === true) fail(`"sideEffects" must be false or a list`)
  if (manifest.typesVersions === undefined) fail(`no "typesVersions": deep imports do not resolve under moduleResolution node10`)
  if (JSON.stringify(manifest.exports?.["."]) !== JSON.stringify(rootExport)) {
    fail(`exports["."] must be ${JSON.stringify(rootExport)}, in that order`)
  }
  if (manifest.exports?.["./internal/*"] !== null) fail(`exports must close "./internal/*" (null)`)
  for (const file of ["dist", "README.md", "LICENSE", "CHANGELOG.md"]) {
    if (!(manifest.files ?? []).includes(file)) fail(`"files" must list ${file}`)
  }
  if (manifest.scripts?.prepack !== buildScript) fail(`"prepack" must be "${buildScript}": a pack from a clean clone ships dist/ with its Node entry`)
  if (manifest.scripts?.build !== buildScript) fail(`"build" must be "${buildScript}"`)
  for (const [name, file] of Object.entries(manifest.bin ?? {})) {
    // pnpm links bins at install, before any build: a bin under dist/ would be missing then
    if (!existsSync(join(dir, file))) fail(`bin ${name} (${file}) is not in the repository`)
  }
  for (const [name, range] of Object.entries(supportedPeers)) {
    if (manifest.dependencies?.[name] !== undefined) fail(`${name} is a dependency: it must be a peer (one copy in a consumer's tree)`)
    const peer = manifest.peerDependencies?.[name]
    if (peer !== undefined && peer !== range) fail(`peer ${name} is ${peer}; the supported range is ${range}`)
  }
  const readme = join(dir, "README.md")
  if (!existsSync(readme)) fail("no README.md")
  else if (!new RegExp(`npm install (--save-dev )?${manifest.name} `).test(readFileSync(readme, "utf8"))) {
    fail("README.md does not show how to install it (`npm install <name> <peers>`)")
  }
  if (!existsSync(join(dir, "CHANGELOG.md"))) fail("no CHANGELOG.md")
  if (!existsSync(join(dir, "LICENSE")) || readFileSync(join(dir, "LICENSE"), "utf8") !== license) {
    fail("LICENSE is missing or differs from the repository's")
  }
}

if (problems.length > 0) {
  console.error(`check-packages: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`)
  process.exit(1)
}
console.log("check-packages: every package is ready to publish")
