/**
 * The file store's leases and compare-and-set between processes: two child
 * processes (leases/child.ts) on one directory, released at once, each
 * increment a counter record with compare-and-set while they take the lease
 * of one key again and again, holding it 50 ms. With the store's lock files, no two
 * ever hold the lease at once and no increment is lost; without them (the
 * same files through `TokenStore.fromKeyValueStore`, whose leases hold within
 * a process), the two hold it together — which shows that the test sees it.
 *
 * The child is bundled once with esbuild (support/child.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { TokenStore } from "@grantflow/core"
import { FileTokenStore } from "@grantflow/node"
import { Effect, Option, Redacted } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as readline from "node:readline"
import { bundleChild } from "./support/child.js"

const ROUNDS = 8
const WRITES = 100

const bundle = bundleChild(new URL("./leases/child.ts", import.meta.url), "grantflow-leases-")

interface Child {
  /** Resolves once the child printed `ready`. */
  readonly ready: Promise<void>
  readonly go: () => void
  /** Resolves once the child printed `done`. */
  readonly done: Promise<void>
}

const spawnChild = (env: Record<string, string>): Child => {
  const child = spawn(process.execPath, [bundle.script], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] })
  const stderr: Array<string> = []
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")))
  const lines = readline.createInterface({ input: child.stdout })
  const said = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      lines.on("line", (line) => {
        const match = pattern.exec(line)
        if (match !== null) resolve(match)
        else if (line.startsWith("failed")) reject(new Error(`child ${child.pid}: ${line}`))
      })
      child.on("exit", (code) => reject(new Error(`child ${child.pid} exited with ${code}: ${stderr.join("")}`)))
    })
  const ready = said(/^ready$/).then(() => undefined)
  const done = said(/^done$/).then(() => undefined)
  return { ready, done, go: () => child.stdin.write("go\n") }
}

/** Two children on a fresh directory, started together; the journal of their leases. */
const contend = (locks: "on" | "off") =>
  Effect.promise(async () => {
    const directory = fs.mkdtempSync(path.join(bundle.directory, `store-${locks}-`))
    const journal = path.join(directory, "..", `${path.basename(directory)}.journal`)
    const env = { GF_DIRECTORY: directory, GF_JOURNAL: journal, GF_ROUNDS: String(ROUNDS), GF_WRITES: String(WRITES), GF_LOCKS: locks }
    const children = [spawnChild(env), spawnChild(env)]
    await Promise.all(children.map((child) => child.ready))
    children.forEach((child) => child.go())
    await Promise.all(children.map((child) => child.done))
    return { directory, journal: fs.readFileSync(journal, "utf8").trim().split("\n") }
  })

/** Whether the journal shows each lease entered and left before the next one was entered. */
const oneAtATime = (journal: ReadonlyArray<string>) =>
  journal.every((line, i) => i % 2 === 0 ? line.startsWith("enter ") : line === `leave ${journal[i - 1]!.slice(6)}`)

const counter = TokenStore.key({ issuer: "https://issuer.example", clientId: "counter", grant: "refresh_token" })

describe("the file store between processes", () => {
  it.live("two processes never hold one lease at once, and no compare-and-set write is lost", () =>
    Effect.gen(function*() {
      const { directory, journal } = yield* contend("on")
      assert.strictEqual(journal.length, 2 * 2 * ROUNDS)
      assert.isTrue(oneAtATime(journal), `the lease was held by both processes at once:\n${journal.join("\n")}`)
      const store = yield* FileTokenStore.make(directory, { encryption: "none" })
      const entry = Option.getOrThrow(yield* store.get(counter))
      assert.strictEqual(entry.version, 2 * WRITES)
      assert.strictEqual(Redacted.value(entry.token.token), String(entry.version))
      // released: no lock file is left
      assert.deepStrictEqual(fs.readdirSync(directory).filter((name) => name.endsWith(".lock")), [])
    }), 60_000)

  it.live("without the lock files, the two processes hold the lease at once", () =>
    Effect.gen(function*() {
      const { journal } = yield* contend("off")
      assert.strictEqual(journal.length, 2 * 2 * ROUNDS)
      assert.isFalse(oneAtATime(journal))
    }), 60_000)
})
