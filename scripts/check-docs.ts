/**
 * Every export of a public module (packages/<name>/src/*.ts, not internal/)
 * carries JSDoc with `@since` and `@category`, and every exported function or
 * constructor an `@example`. Run by `pnpm lint`.
 */
import { readFileSync } from "node:fs"
import { publicModules } from "./publicModules.js"

const problems: Array<string> = []
const exportLine = /^export (?:declare )?(const|function|class|interface|type|enum) (\w+)/

for (const path of publicModules()) {
  const lines = readFileSync(path, "utf8").split("\n")
  if (!lines[0]?.startsWith("/**")) problems.push(`${path}: the module has no leading JSDoc`)
  lines.forEach((line, i) => {
    const match = exportLine.exec(line)
    if (match === null) return
    const [, kind, name] = match
    // the JSDoc block that ends right above the export
    let end = i - 1
    while (end >= 0 && lines[end]!.trim() === "") end--
    if (end < 0 || !lines[end]!.trim().endsWith("*/")) {
      problems.push(`${path}:${i + 1}: ${name} has no JSDoc`)
      return
    }
    let start = end
    while (start >= 0 && !lines[start]!.trim().startsWith("/**")) start--
    const doc = lines.slice(start, end + 1).join("\n")
    if (!doc.includes("@since")) problems.push(`${path}:${i + 1}: ${name} has no @since`)
    if (!doc.includes("@category")) problems.push(`${path}:${i + 1}: ${name} has no @category`)
    const callable = kind === "function" ||
      (kind === "const" && /=\s*(?:<[^>]*>\s*)?\(|: \{?\s*\(|=\s*\w+\.\w+\(|= internal\./.test(line + (lines[i + 1] ?? "")))
    if (callable && !doc.includes("@example")) problems.push(`${path}:${i + 1}: ${name} has no @example`)
  })
}

if (problems.length > 0) {
  console.error(problems.join("\n"))
  console.error(`\n${problems.length} documentation problem(s): every public export needs JSDoc with @since, @category and, for functions, @example.`)
  process.exit(1)
}
console.log("docs: every public export is documented")
