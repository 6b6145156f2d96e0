/**
 * Hostile inputs for the parsers (issue 12): the known worst inputs, the
 * per-input time bound, planted secrets, and generators of adversarial and
 * mutated documents. Shared by Hardening.test.ts, Fuzz.test.ts and
 * bench/hardening-inputs.ts (which loads it at run time, so the known worst
 * inputs are built by one piece of code for the tests and the timings).
 */
import { FastCheck } from "effect"

// ── the known worst inputs ──────────────────────────────────────────────────

/** `a=` + `&a=`×`repeats` + `<`: the form-sniffing pattern backtracked exponentially on it. */
export const formBody = (repeats: number): string => `a=${"&a=".repeat(repeats)}<`

/** A token response of `bytes` bytes whose `expires_in` is a string of digits then `x`: quadratic for the old pattern. */
export const expiresInBody = (bytes: number): string => {
  const head = `{"access_token":"x","expires_in":"`
  const tail = `x"}`
  return `${head}${"1".repeat(bytes - head.length - tail.length)}${tail}`
}

/** `[`×depth + `]`×depth. */
export const nestedArrays = (depth: number): string => "[".repeat(depth) + "]".repeat(depth)

/** A token response of about `bytes` bytes whose `expires_in` nests arrays: Schema's message threw a RangeError. */
export const deepExpiresInBody = (bytes: number): string => {
  const head = `{"access_token":"x","expires_in":`
  return `${head}${nestedArrays(Math.floor((bytes - head.length - 1) / 2))}}`
}

/**
 * A 16 KiB header value of spaces between two words: the trim pattern tried
 * every start position of the spaces and scanned to the end from each.
 */
export const spacedHeader = (bytes: number): string => `Bearer${" ".repeat(bytes - 7)}x`

/** The inputs of the security review, by name. */
export const worstInputs = {
  form87: formBody(28),
  form99: formBody(32),
  spaces16k: " ".repeat(16 * 1024),
  header16k: spacedHeader(16 * 1024),
  expiresIn78k: expiresInBody(78 * 1024),
  deepBody4k: deepExpiresInBody(4400),
  deepSpec20k: nestedArrays(10_000)
} as const

/**
 * The time any parser may take on one input up to its size cap, in
 * milliseconds: generous (the fixed parsers take well under a millisecond on
 * most inputs); the defects took seconds to minutes.
 */
export const timeBoundMs = 50

/** How many runs an input over the time bound gets before it counts as too slow. */
export const timingAttempts = 5

/**
 * Starts timing one run; the function returned gives the milliseconds the
 * run took: its wall time (`performance.now()`), or this process's CPU time
 * when that is less. On a busy machine a process waits for a core without
 * using one; a super-linear parser uses one all along.
 */
export const stopwatch = (): (() => number) => {
  const wall = performance.now()
  const cpu = process.cpuUsage()
  return () => {
    const used = process.cpuUsage(cpu)
    return Math.min(performance.now() - wall, (used.user + used.system) / 1000)
  }
}

/**
 * Runs `f` and returns its result and how long it took. A run over the bound
 * is repeated (up to `attempts` runs in all) and the fastest kept: a garbage
 * collection slows one run, a super-linear parser every run.
 */
export const timed = <A>(f: () => A, attempts = timingAttempts): { readonly result: A; readonly ms: number } => {
  let best = Number.POSITIVE_INFINITY
  let result: A
  let n = 0
  do {
    const elapsed = stopwatch()
    result = f()
    best = Math.min(best, elapsed())
    n++
  } while (best > timeBoundMs && n < attempts)
  return { result, ms: best }
}

// ── planted secrets ─────────────────────────────────────────────────────────

/**
 * Secret values planted in generated inputs, only where a secret belongs
 * (`access_token`, `refresh_token`, `client_secret`, a JWK's `d`…). None may
 * appear in any error's message, `String(error)` or `JSON.stringify(error)`.
 * `short` is shorter than the token-like excerpt heuristic catches.
 */
export const planted = {
  accessToken: "at_PLANTED_7Q2w9xZkLm3v",
  refreshToken: "rt_PLANTED_4Jm8vBnQe1s",
  idToken: "eyJhbGciOiJub25lIn0.PLANTEDidtoken.c2ln",
  clientSecret: "cs_PLANTED_3Hq7Rt5Yu9",
  deviceCode: "dc_PLANTED_8Kt2Pw6Lx0",
  privateKey: "PLANTEDprivateKeyD5Ws1Zx8Nc",
  short: "Pl4nt9"
} as const

/** Every planted secret. */
export const plantedValues: ReadonlyArray<string> = Object.values(planted)

/** The printed forms of a value that leaves a parser: its message, `String` and `JSON.stringify`. */
export const printedForms = (value: unknown): ReadonlyArray<string> => {
  const message = typeof value === "object" && value !== null && "message" in value ? String(value.message) : ""
  let json: string
  try {
    json = JSON.stringify(value) ?? ""
  } catch (error) {
    json = `JSON.stringify threw ${error instanceof Error ? error.name : typeof error}`
  }
  return [message, String(value), json]
}

/** The planted secrets that any printed form of `value` shows, and a `JSON.stringify` that threw. */
export const leaks = (value: unknown, secrets: ReadonlyArray<string> = plantedValues): ReadonlyArray<string> =>
  printedForms(value).flatMap((text) => [
    ...secrets.filter((secret) => text.includes(secret)),
    ...(text.startsWith("JSON.stringify threw") ? [text] : [])
  ])

// ── adversarial strings ─────────────────────────────────────────────────────

// Pieces that make patterns backtrack, confuse a scanner or a printer.
const units = [
  "a=",
  "&a=",
  "<",
  " ",
  "\t",
  "1",
  ".1",
  "1.",
  "e1",
  "e",
  "+",
  "[",
  "]",
  "{",
  "}",
  "\"",
  "\\",
  "=",
  ",",
  ";",
  "%",
  "%2",
  "Bearer ",
  "error=",
  "error=\"invalid_token\"",
  "invalid_token",
  "{{",
  "}}",
  "{{ x }}",
  "a",
  "-",
  "_",
  "/",
  "..",
  "\u0000",
  "\u001b[31m",
  "\r\n",
  "\n",
  "é",
  "\uD800",
  "\u202E"
] as const

const unit = FastCheck.constantFrom(...units)

/**
 * A string of at most `maxLength` characters shaped like the inputs that
 * defeat a backtracking pattern: a prefix, one to three units repeated a few
 * or very many times, a suffix.
 */
export const adversarial = (maxLength: number): FastCheck.Arbitrary<string> =>
  FastCheck.record({
    prefix: FastCheck.oneof(unit, FastCheck.string({ maxLength: 8 })),
    repeated: FastCheck.array(unit, { minLength: 1, maxLength: 3 }).map((parts) => parts.join("")),
    count: FastCheck.oneof(FastCheck.integer({ min: 1, max: 40 }), FastCheck.integer({ min: 1, max: maxLength })),
    suffix: FastCheck.oneof(unit, FastCheck.string({ maxLength: 8 }), FastCheck.constant(""))
  }).map(({ count, prefix, repeated, suffix }) => {
    const room = Math.max(0, maxLength - prefix.length - suffix.length)
    return `${prefix}${repeated.repeat(Math.min(count, Math.floor(room / repeated.length)))}${suffix}`
  })

/** Arrays (or objects) nested `depth` levels around `inner`, built without recursion. */
export const nestedValue = (depth: number, objects: boolean, inner: unknown = null): unknown => {
  let value = inner
  for (let i = 0; i < depth; i++) value = objects ? { a: value } : [value]
  return value
}

/** A value of any JSON type that a field should not hold, deep nesting and long adversarial strings included. */
export const hostileValue: FastCheck.Arbitrary<unknown> = FastCheck.oneof(
  adversarial(4096),
  FastCheck.string({ maxLength: 40 }),
  FastCheck.tuple(
    FastCheck.oneof(
      { arbitrary: FastCheck.integer({ min: 0, max: 80 }), weight: 3 },
      { arbitrary: FastCheck.integer({ min: 0, max: 2200 }), weight: 1 }
    ),
    FastCheck.boolean()
  ).map(([depth, objects]) => nestedValue(depth, objects)),
  FastCheck.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, "", " "),
  // a new object each time: one instance set at two places of a document could make it circular
  FastCheck.boolean().map((array) => array ? [] : {}),
  FastCheck.double(),
  FastCheck.jsonValue({ maxDepth: 4 })
)

// ── mutation of a document's text ───────────────────────────────────────────

type Mutation =
  | { readonly _tag: "Truncate"; readonly at: number }
  | { readonly _tag: "Insert"; readonly at: number; readonly text: string }
  | { readonly _tag: "Delete"; readonly at: number; readonly length: number }
  | { readonly _tag: "Repeat"; readonly at: number; readonly length: number; readonly times: number }
  | { readonly _tag: "Wrap"; readonly depth: number }

const position = FastCheck.double({ min: 0, max: 1, noNaN: true })

const mutation: FastCheck.Arbitrary<Mutation> = FastCheck.oneof(
  position.map((at) => ({ _tag: "Truncate" as const, at })),
  FastCheck.record({ at: position, text: FastCheck.oneof(unit, adversarial(256)) }).map((m) => ({
    _tag: "Insert" as const,
    ...m
  })),
  FastCheck.record({ at: position, length: FastCheck.integer({ min: 1, max: 16 }) }).map((m) => ({
    _tag: "Delete" as const,
    ...m
  })),
  FastCheck.record({
    at: position,
    length: FastCheck.integer({ min: 1, max: 8 }),
    times: FastCheck.integer({ min: 2, max: 2000 })
  }).map((m) => ({ _tag: "Repeat" as const, ...m })),
  FastCheck.integer({ min: 1, max: 2000 }).map((depth) => ({ _tag: "Wrap" as const, depth }))
)

const apply = (text: string, m: Mutation): string => {
  const at = m._tag === "Wrap" ? 0 : Math.floor(m.at * text.length)
  switch (m._tag) {
    case "Truncate":
      return text.slice(0, at)
    case "Insert":
      return text.slice(0, at) + m.text + text.slice(at)
    case "Delete":
      return text.slice(0, at) + text.slice(at + m.length)
    case "Repeat":
      return text.slice(0, at) + text.slice(at, at + m.length).repeat(m.times) + text.slice(at + m.length)
    case "Wrap":
      return `${"[".repeat(m.depth)}${text}${"]".repeat(m.depth)}`
  }
}

/** `text` with one to four random mutations applied: cut, insertions, deletions, repetitions, nesting. */
export const mutated = (text: FastCheck.Arbitrary<string>): FastCheck.Arbitrary<string> =>
  FastCheck.tuple(text, FastCheck.array(mutation, { minLength: 1, maxLength: 4 })).map(([original, mutations]) =>
    mutations.reduce(apply, original)
  )

/**
 * A document as text: JSON, or (its string fields) a form, as it is or mutated.
 * `mutated` says whether the text was mutated: a mutation may cut a field's
 * name off its value, so only secrets long enough for the token-like excerpt
 * heuristic can be required to stay hidden in such text.
 */
export const encoded = (
  value: FastCheck.Arbitrary<Record<string, unknown>>
): FastCheck.Arbitrary<{ readonly text: string; readonly mutated: boolean }> => {
  const json = value.map((v) => JSON.stringify(v))
  const form = value.map((v) =>
    new URLSearchParams(
      Object.entries(v).flatMap(([key, field]) => typeof field === "string" ? [[key, field]] : [])
    ).toString()
  )
  return FastCheck.oneof(
    { arbitrary: json.map((text) => ({ text, mutated: false })), weight: 4 },
    { arbitrary: form.map((text) => ({ text, mutated: false })), weight: 1 },
    { arbitrary: mutated(FastCheck.oneof(json, form)).map((text) => ({ text, mutated: true })), weight: 3 }
  )
}

/** The planted secrets that must stay hidden in a document, mutated or not. */
export const secretsFor = (document: { readonly mutated: boolean }): ReadonlyArray<string> =>
  document.mutated ? plantedValues.filter((secret) => secret !== planted.short) : plantedValues
