// Writes each installed grantflow package README's TypeScript blocks to
// src/readme/<package>-<n>.ts, so that the smoke test type-checks them as a
// consumer would paste them. Blocks that import vitest end in .vitest.ts:
// vitest's own types need moduleResolution node16 or later.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"

mkdirSync("src/readme", { recursive: true })
for (const name of readdirSync("node_modules/@grantflow")) {
  const readme = readFileSync(`node_modules/@grantflow/${name}/README.md`, "utf8")
  const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1])
  if (blocks.length === 0) {
    console.error(`@grantflow/${name}: its README has no TypeScript example`)
    process.exit(1)
  }
  blocks.forEach((code, index) => {
    const extension = /from "(?:@effect\/)?vitest"/.test(code) ? "vitest.ts" : "ts"
    writeFileSync(`src/readme/${name}-${index + 1}.${extension}`, code)
    console.log(`src/readme/${name}-${index + 1}.${extension}`)
  })
}
