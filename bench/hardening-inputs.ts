/**
 * The inputs of issue 12, section 1, timed one by one at their parsers, each
 * in a child process killed after a timeout: one line per input. The inputs
 * come from packages/core/test/hostile.ts (the ones the tests use); the
 * parsers from the checkout at `--root` (default: this one), so the same
 * script times the code before the hardening in a worktree:
 *
 *   git worktree add /tmp/before 0ecf7dd   # then link node_modules (docs/hardening.md)
 *   npx tsx --conditions=@grantflow/source bench/hardening-inputs.ts --root /tmp/before --timeout 60
 *   npx tsx --conditions=@grantflow/source bench/hardening-inputs.ts
 */
import { spawn } from "node:child_process"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"

const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1] ?? fallback
}

const root = resolve(argument("root", fileURLToPath(new URL("..", import.meta.url))))
const timeoutSeconds = Number(argument("timeout", "60"))

interface Case {
  readonly entryPoint: string
  /** Calls the parser of the checkout at `root` on the input and describes what it answered. */
  readonly run: (input: string) => Promise<unknown>
  readonly input: (inputs: Record<string, string>) => string
}

const load = (path: string, pkg = "core"): Promise<any> => import(`${root}/packages/${pkg}/src/${path}`)

// the header parser is the resource server's; checkouts before its package have it in core
const bearerToken = (): Promise<any> =>
  load("internal/bearerToken.ts", "resource-server").catch(() => load("internal/bearerToken.ts"))

const rawResponse = async (body: string) => {
  const { Option } = await import("effect")
  return { status: 200, contentType: "application/json", body: Option.some(body), retryAfter: Option.none() }
}

const interpret = async (input: string) =>
  (await load("internal/tokenRequest.ts")).interpret(await rawResponse(input), { sentAt: 0 })

const cases: Record<string, Case> = {
  "87-byte form body": {
    entryPoint: "TokenResponse.parseBody (text/html)",
    input: (inputs) => inputs["form87"]!,
    run: async (input) => (await load("TokenResponse.ts")).parseBody("text/html", input)
  },
  "99-byte form body": {
    entryPoint: "TokenResponse.parseBody (text/html)",
    input: (inputs) => inputs["form99"]!,
    run: async (input) => (await load("TokenResponse.ts")).parseBody("text/html", input)
  },
  "16 KiB Authorization header, Bearer + spaces + x": {
    entryPoint: "bearerToken.parseHeader",
    input: (inputs) => inputs["header16k"]!,
    run: async (input) => (await bearerToken()).parseHeader(input)
  },
  "78 KiB body, expires_in digits + x": {
    entryPoint: "tokenRequest.interpret",
    input: (inputs) => inputs["expiresIn78k"]!,
    run: interpret
  },
  "4.4 KB body, expires_in nested arrays": {
    entryPoint: "tokenRequest.interpret",
    input: (inputs) => inputs["deepBody4k"]!,
    run: interpret
  },
  "20 KB connector spec of nested arrays": {
    entryPoint: "ConnectorSpec.parse",
    input: (inputs) => inputs["deepSpec20k"]!,
    run: async (input) => (await load("ConnectorSpec.ts")).parse(input)
  }
}

const outcome = (result: any): string =>
  result?._tag === "Left"
    ? `Left(${result.left?._tag ?? "?"})`
    : result?._tag === "Right"
    ? "Right"
    : typeof result?._tag === "string"
    ? result._tag
    : typeof result

/** In the child: load everything first, then time the one call. */
const child = async (name: string) => {
  const { worstInputs } = await import(new URL("../packages/core/test/hostile.ts", import.meta.url).href)
  const chosen = cases[name]!
  const input = chosen.input(worstInputs)
  await chosen.run("{}").catch(() => undefined)
  const once = async () => {
    const start = performance.now()
    let answer: string
    try {
      answer = outcome(await chosen.run(input))
    } catch (error) {
      answer = `throws ${error instanceof Error ? error.name : typeof error}`
    }
    return { answer, ms: performance.now() - start }
  }
  // the first call also compiles the paths this input takes; a fast input is timed again, warm
  const { answer, ms } = await once()
  const warm: Array<number> = []
  for (let i = 0; i < 5 && ms < 1000; i++) warm.push((await once()).ms)
  warm.sort((a, b) => a - b)
  const median = warm[Math.floor(warm.length / 2)]
  process.stdout.write(`${JSON.stringify({ ms, median, answer, bytes: Buffer.byteLength(input) })}\n`)
}

const duration = (ms: number) => ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(2)} ms`

const parent = async () => {
  console.log(`# ${root} (timeout ${timeoutSeconds} s per input)`)
  for (const [name, { entryPoint }] of Object.entries(cases)) {
    const line = await new Promise<string>((done) => {
      const proc = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child", name, "--root", root], {
        stdio: ["ignore", "pipe", "inherit"]
      })
      let out = ""
      proc.stdout.on("data", (chunk) => (out += chunk))
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutSeconds * 1000)
      proc.on("close", () => {
        clearTimeout(timer)
        const last = out.trim().split("\n").at(-1)
        if (last === undefined || last === "") return done(`> ${timeoutSeconds} s (killed)`)
        const { answer, bytes, median, ms } = JSON.parse(last) as {
          ms: number
          median?: number
          answer: string
          bytes: number
        }
        const warm = median === undefined ? "" : `, warm median ${duration(median)}`
        done(`first ${duration(ms)}${warm} → ${answer} (${bytes} bytes)`)
      })
    })
    console.log(`${name} | ${entryPoint} | ${line}`)
  }
}

const childName = process.argv.indexOf("--child")
if (childName === -1) await parent()
else await child(process.argv[childName + 1]!)
