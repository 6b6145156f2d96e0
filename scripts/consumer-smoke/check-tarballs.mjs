// Checks packed tarballs the way a registry consumer meets them, and prints
// each one's size and files. Usage: node check-tarballs.mjs <pack.tgz>...
// Plain Node and the system `tar`: it runs before anything is installed.
import { execFileSync } from "node:child_process"
import { statSync } from "node:fs"
import { basename } from "node:path"

const tar = (args) => execFileSync("tar", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })

/** Every string target of an `exports` value, whatever the conditions. */
const targets = (value) =>
  typeof value === "string" ? [value] : value === null ? [] : Object.values(value).flatMap(targets)

/** The files a target names; a `*` target names one file per module of `src/`. */
const expand = (target, modules) =>
  target.includes("*") ? modules.map((module) => target.replace("*", module)) : [target]

const problems = []
for (const tarball of process.argv.slice(2)) {
  const files = tar(["-tzf", tarball]).split("\n").filter(Boolean).map((file) => file.replace(/^package\//, ""))
  const has = new Set(files)
  const manifest = JSON.parse(tar(["-xzOf", tarball, "package/package.json"]))
  const fail = (message) => problems.push(`${manifest.name}: ${message}`)
  const need = (file, why) => {
    if (!has.has(file.replace(/^\.\//, ""))) fail(`${why}: ${file} is not in the tarball`)
  }

  for (const file of ["package.json", "README.md", "LICENSE", "CHANGELOG.md"]) need(file, "every package ships it")
  // the public modules: what a `./*` export or a typesVersions path may name
  const sources = files.filter((file) => /^src\/.*\.ts$/.test(file) && !file.endsWith(".d.ts"))
  const modules = sources.map((file) => file.slice("src/".length, -".ts".length))
  for (const module of modules) {
    for (const extension of [".js", ".js.map", ".d.ts", ".d.ts.map"]) need(`dist/${module}${extension}`, `src/${module}.ts is built`)
  }
  // files an export names directly (the generated Node entry, dist/index.node.js) have no source of their own
  const exported = new Set(Object.values(manifest.exports ?? {}).flatMap(targets).filter((target) => !target.includes("*")))
  for (const file of files.filter((file) => file.startsWith("dist/") && !exported.has(`./${file}`))) {
    const module = file.slice("dist/".length).replace(/(?:\.d)?\.js(?:\.map)?$|\.d\.ts(?:\.map)?$/, "")
    if (!modules.includes(module)) fail(`${file} has no source in src/: a stale build (remove dist/ and pack again)`)
  }
  // under Node the root is the entry that checks for Effect 3 first (scripts/node-entry.mjs); the loop below needs its file
  if (manifest.exports?.["."]?.node !== "./dist/index.node.js") fail(`exports["."].node is not ./dist/index.node.js`)
  for (const [subpath, value] of Object.entries(manifest.exports ?? {})) {
    const publicModules = modules.filter((module) => !module.startsWith("internal/"))
    for (const target of targets(value)) {
      for (const file of expand(target, subpath.includes("*") ? publicModules : [])) need(file, `exports["${subpath}"]`)
    }
  }
  for (const field of ["main", "types"]) {
    if (manifest[field] === undefined) fail(`no "${field}": moduleResolution node10 finds nothing`)
    else need(manifest[field], `"${field}"`)
  }
  for (const [name, file] of Object.entries(manifest.bin ?? {})) need(file, `bin ${name}`)
  for (const file of files) {
    if (/(?:^|\/)(?:test|\.tsbuild|node_modules)\//.test(file) || /\.tsbuildinfo$|\.test\.[jt]s$/.test(file)) {
      fail(`ships ${file}, which is not for consumers`)
    }
  }
  for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    if (String(range).startsWith("workspace:")) fail(`${name} is still ${range}: pack with pnpm`)
  }
  for (const peer of ["effect", "@effect/platform", "@effect/platform-node"]) {
    if (manifest.dependencies?.[peer] !== undefined) fail(`${peer} is a dependency: it must be a peer, or consumers get two copies`)
  }

  const kilobytes = (statSync(tarball).size / 1024).toFixed(1)
  console.log(`${manifest.name}@${manifest.version}  ${basename(tarball)}  ${kilobytes} kB packed, ${files.length} files`)
  // one line per directory; a module's build outputs share one entry: Name.{d.ts,d.ts.map,js,js.map}
  const byDirectory = new Map()
  for (const file of files) {
    const directory = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "."
    const [, stem, extension] = /^(.*?)((?:\.d)?\.[jt]s(?:\.map)?)?$/.exec(basename(file))
    const stems = byDirectory.get(directory) ?? new Map()
    stems.set(stem, [...(stems.get(stem) ?? []), (extension ?? "").slice(1)])
    byDirectory.set(directory, stems)
  }
  for (const [directory, stems] of [...byDirectory].sort(([a], [b]) => a.localeCompare(b))) {
    const entries = [...stems].sort(([a], [b]) => a.localeCompare(b)).map(([stem, extensions]) =>
      extensions.length === 1 ? `${stem}${extensions[0] === "" ? "" : `.${extensions[0]}`}` : `${stem}.{${extensions.sort().join(",")}}`
    )
    console.log(`  ${directory}/ (${[...stems.values()].flat().length} files): ${entries.join(" ")}`)
  }
}

if (problems.length > 0) {
  console.error(`\n${problems.length} problem(s) in the tarballs:\n${problems.map((p) => `  - ${p}`).join("\n")}`)
  process.exit(1)
}
