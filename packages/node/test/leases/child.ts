/**
 * One process of the cross-process lease test (FileLeases.test.ts), on the
 * file store in `GF_DIRECTORY`: the store of `FileTokenStore.make`, or with
 * `GF_LOCKS=off` the same files without lock files (`TokenStore.fromKeyValueStore`
 * over the file `KeyValueStore`, whose leases hold within a process).
 *
 * It prints `ready` and waits for `go` on stdin. Then, at the same time, it
 * increments a counter record `GF_WRITES` times with compare-and-set (get,
 * then set at the version read, again on a conflict), and `GF_ROUNDS` times
 * takes the lease of one key (trying again until it gets it), appends `enter <pid>` to
 * `GF_JOURNAL`, holds it for 50 ms, appends `leave <pid>` and releases it.
 * It prints `done`.
 */
import * as AccessToken from "@grantflow/core/AccessToken"
import * as TokenStore from "@grantflow/core/TokenStore"
import * as FileTokenStore from "@grantflow/node/FileTokenStore"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as readline from "node:readline"

const directory = process.env.GF_DIRECTORY!
const journal = process.env.GF_JOURNAL!
const rounds = Number(process.env.GF_ROUNDS)
const writes = Number(process.env.GF_WRITES)

const leaseKey = TokenStore.key({ issuer: "https://issuer.example", clientId: "leases", grant: "refresh_token" })
const counterKey = TokenStore.key({ issuer: "https://issuer.example", clientId: "counter", grant: "refresh_token" })

const tokenOf = (value: number) =>
  new AccessToken.AccessToken({
    token: Redacted.make(String(value)),
    type: "Bearer",
    issuedAt: 0,
    expiresAt: 60_000_000,
    scopes: [],
    refreshToken: Option.none()
  })

const note = (line: string) => Effect.sync(() => fs.appendFileSync(journal, `${line} ${process.pid}\n`))

const program = Effect.gen(function*() {
  const store = process.env.GF_LOCKS === "off"
    ? yield* Effect.flatMap(
      FileTokenStore.makeKeyValueStore(directory),
      (kv) => TokenStore.fromKeyValueStore(kv, { encryption: "none" })
    )
    : yield* FileTokenStore.make(directory, { encryption: "none" })
  const lines = readline.createInterface({ input: process.stdin })
  console.log("ready")
  yield* Effect.async<void>((resume) => void lines.once("line", () => resume(Effect.void)))

  const holdLease: Effect.Effect<void, TokenStore.TokenStoreError> = Effect.flatMap(
    store.acquireLease(leaseKey, Duration.seconds(10)),
    Option.match({
      onNone: () => Effect.zipRight(Effect.sleep("2 millis"), holdLease),
      onSome: (lease) =>
        note("enter").pipe(Effect.zipRight(Effect.sleep("50 millis")), Effect.zipRight(note("leave")), Effect.zipRight(lease.release))
    })
  )
  const increment: Effect.Effect<void, TokenStore.TokenStoreError> = Effect.gen(function*() {
    const version = Option.match(yield* store.get(counterKey), { onNone: () => 0, onSome: (entry) => entry.version })
    const result = yield* store.set(counterKey, tokenOf(version + 1), { expectedVersion: version })
    if (result._tag === "Conflict") return yield* increment
  })

  yield* Effect.all([Effect.repeatN(increment, writes - 1), Effect.repeatN(holdLease, rounds - 1)], { concurrency: 2 })
  console.log("done")
  lines.close()
})

Effect.runPromise(program).catch((error) => {
  console.log(`failed ${error}`)
  process.exit(1)
})
