/**
 * Type-checks every example a reader may paste: each `@example` code block
 * in the JSDoc of a public module (packages/<name>/src/*.ts) and each `ts`
 * code block of README.md, docs/*.md and packages/<name>/README.md that is a
 * program (it imports what it uses). Each is compiled as a module of its
 * own, as if it were a file in examples/ (so `@grantflow/*` resolve to the
 * workspace's sources), with the project's strict settings; unused names are
 * allowed. A docs block without imports is a fragment of the text around it
 * (a line inside `Effect.gen`, a call shown with its result), and so is one
 * fenced ```ts fragment (a cheat-sheet, or a program that needs packages
 * grantflow does not install): it is counted, not compiled. A fragment cut
 * from a type-checked program names it, relative to the repository root:
 * ```ts excerpt=examples/recipes/1-round-trip.ts — its text must occur in
 * that file (whitespace-normalised: each run of whitespace counts as one
 * space), so the docs cannot drift from code that compiles and runs. Run by
 * `pnpm lint`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import ts from "typescript"
import { publicModules } from "./publicModules.js"

interface Example {
  /** Where the block starts, for the report: `path:line`. */
  readonly origin: string
  readonly code: string
  readonly fragment?: boolean
  /** The file this block is cut from, from its fence's `excerpt=<path>`. */
  readonly excerptOf?: string
}

const fence = /^```(\w*)(\s.*)?$/
const excerptInfo = /^excerpt=(\S+)$/

/** The code blocks of a markdown text, with the line each starts on. */
const markdownBlocks = (path: string, lines: ReadonlyArray<string>): Array<Example> => {
  const examples: Array<Example> = []
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]!.trim())
    if (open === null) continue
    let end = i + 1
    while (end < lines.length && lines[end]!.trim() !== "```") end++
    const [, language, info] = open
    if (language === "ts" || language === "typescript") {
      const excerptOf = excerptInfo.exec(info?.trim() ?? "")?.[1]
      examples.push({
        origin: `${path}:${i + 2}`,
        code: lines.slice(i + 1, end).join("\n"),
        fragment: info?.trim() === "fragment",
        ...(excerptOf === undefined ? {} : { excerptOf })
      })
    }
    i = end
  }
  return examples
}

const jsdocExamples = (path: string): Array<Example> => {
  const lines = readFileSync(path, "utf8").split("\n")
  const examples: Array<Example> = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\* @example\s*$/.test(lines[i]!)) continue
    // the JSDoc block's lines without their leading ` * `
    const body: Array<string> = []
    let j = i + 1
    while (j < lines.length && !lines[j]!.trim().startsWith("*/") && !/^\s*\* @\w/.test(lines[j]!)) {
      body.push(lines[j]!.replace(/^\s*\* ?/, ""))
      j++
    }
    for (const example of markdownBlocks(path, body)) {
      const offset = Number(example.origin.slice(path.length + 1)) + i
      examples.push({ origin: `${path}:${offset}`, code: example.code })
    }
    i = j - 1
  }
  return examples
}

const examples: Array<Example> = publicModules().flatMap(jsdocExamples)
const markdownFiles = [
  "README.md",
  ...readdirSync("docs").filter((file) => file.endsWith(".md")).map((file) => join("docs", file)),
  ...readdirSync("packages").map((pkg) => join("packages", pkg, "README.md")).filter(existsSync)
]
const isProgram = (example: Example) =>
  example.fragment !== true && example.excerptOf === undefined && /^import\s/m.test(example.code)
const normalise = (text: string) => text.replace(/\s+/g, " ").trim()
const sources = new Map<string, string | undefined>()
const normalisedSource = (path: string) => {
  if (!sources.has(path)) {
    let text: string | undefined
    try {
      text = normalise(readFileSync(path, "utf8"))
    } catch {
      text = undefined
    }
    sources.set(path, text)
  }
  return sources.get(path)
}
let fragments = 0
let excerpts = 0
const excerptProblems: Array<string> = []
for (const path of markdownFiles) {
  for (const block of markdownBlocks(path, readFileSync(path, "utf8").split("\n"))) {
    if (block.excerptOf !== undefined) {
      const source = normalisedSource(block.excerptOf)
      if (source === undefined) excerptProblems.push(`${block.origin}: this excerpt's file ${block.excerptOf} cannot be read`)
      else if (!source.includes(normalise(block.code))) {
        excerptProblems.push(`${block.origin}: this excerpt is not in ${block.excerptOf}`)
      } else excerpts++
    } else if (isProgram(block)) examples.push(block)
    else fragments++
  }
}

// Each example is a virtual file in examples/, where every grantflow package and its peers resolve.
const virtualDir = resolve("examples", ".examples")
const virtual = new Map(
  examples.map((example, i) => [join(virtualDir, `example${i}.ts`), `${example.code}\nexport {}\n`] as const)
)
const origins = new Map(examples.map((example, i) => [join(virtualDir, `example${i}.ts`), example.origin] as const))

const base = ts.getParsedCommandLineOfConfigFile(resolve("examples", "tsconfig.json"), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))
  }
})!
const options: ts.CompilerOptions = {
  ...base.options,
  noEmit: true,
  composite: false,
  incremental: false,
  declaration: false,
  declarationMap: false,
  noUnusedLocals: false,
  noUnusedParameters: false
}
const host = ts.createCompilerHost(options)
const getSourceFile = host.getSourceFile
host.getSourceFile = (fileName, languageVersion, ...rest) => {
  const text = virtual.get(resolve(fileName))
  return text === undefined
    ? getSourceFile.call(host, fileName, languageVersion, ...rest)
    : ts.createSourceFile(fileName, text, languageVersion, true)
}
const fileExists = host.fileExists
host.fileExists = (fileName) => virtual.has(resolve(fileName)) || fileExists.call(host, fileName)
const readFile = host.readFile
host.readFile = (fileName) => virtual.get(resolve(fileName)) ?? readFile.call(host, fileName)

const program = ts.createProgram([...virtual.keys()], options, host)
const problems = ts.getPreEmitDiagnostics(program).filter((diagnostic) =>
  diagnostic.file !== undefined && virtual.has(resolve(diagnostic.file.fileName))
)

for (const problem of excerptProblems) console.error(problem)
if (problems.length > 0) {
  for (const diagnostic of problems) {
    const file = resolve(diagnostic.file!.fileName)
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
    const [path, start] = origins.get(file)!.split(":")
    console.error(
      `${path}:${Number(start) + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`
    )
  }
  console.error(`\n${problems.length} problem(s) in ${examples.length} examples: each must compile as pasted.`)
}
if (excerptProblems.length > 0) {
  console.error(
    `\n${excerptProblems.length} excerpt(s) not found: copy each from its file again (whitespace may differ, nothing else).`
  )
}
if (problems.length > 0 || excerptProblems.length > 0) process.exit(1)
console.log(
  `examples: all ${examples.length} compile (JSDoc @example blocks and the docs' programs); ` +
    `${excerpts} excerpts found in their type-checked sources; ${fragments} fragments not compiled`
)
