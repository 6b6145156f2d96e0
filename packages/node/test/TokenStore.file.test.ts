import { assert, describe, it } from "@effect/vitest"
import { TokenCipher, TokenError, TokenStore } from "@grantflow/core"
import { FileTokenStore } from "@grantflow/node"
import { Duration, Effect, Layer, Option, Redacted, TestClock } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { dpopStoreSuite } from "../../core/test/dpopStoreSuite.js"
import { freshKey, member, simulatedServer, storeSuite, tokenOf } from "../../core/test/tokenStoreSuite.js"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "grantflow-file-store-"))
const cipher = TokenCipher.aesGcm({ current: { id: "k1", secret: Redacted.make(Buffer.alloc(32, 7).toString("base64")) } })
const storeIn = (dir: string) =>
  Layer.unwrapEffect(Effect.map(cipher, (encryption) => FileTokenStore.layer(dir, { encryption })))

/** The file of a key: named by the SHA-256 of the key. */
const fileOf = (dir: string, key: string) => path.join(dir, createHash("sha256").update(key).digest("hex"))

const suiteDirectory = path.join(directory, "suite")
storeSuite("file store", storeIn(suiteDirectory), {
  damage: (key, how) =>
    Effect.sync(() => {
      const file = fileOf(suiteDirectory, key)
      fs.truncateSync(file, how === "Empty" ? 0 : fs.statSync(file).size >> 1)
    }),
  loseLease: (key) => Effect.sync(() => fs.rmSync(`${fileOf(suiteDirectory, key)}.lease.lock`))
})

const dpopDirectory = path.join(directory, "dpop")
dpopStoreSuite(
  "file store",
  Effect.flatMap(cipher, (encryption) => FileTokenStore.make(dpopDirectory, { encryption })),
  (key) => Effect.sync(() => fs.readFileSync(fileOf(dpopDirectory, key), "utf8")),
  Layer.empty
)

const stored = (key: TokenStore.Key) =>
  Effect.flatMap(TokenStore.TokenStore, (store) => store.get(key)).pipe(
    Effect.map((entry) => Option.map(entry, (e) => [Redacted.value(e.token.token), e.version] as const))
  )

describe("file store specifics", () => {
  it.live("files are readable by their owner only, sealed, named by a hash of the key, and written without leftovers", () =>
    Effect.gen(function*() {
      const dir = path.join(directory, "modes")
      const key = freshKey()
      yield* Effect.flatMap(TokenStore.TokenStore, (store) =>
        Effect.zipRight(
          store.set(key, tokenOf("access-in-clear", "refresh-in-clear"), { expectedVersion: 0 }),
          store.set(key, tokenOf("second", "refresh-in-clear"), { expectedVersion: 1 })
        )).pipe(Effect.provide(storeIn(dir)))
      assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700)
      const files = fs.readdirSync(dir)
      assert.deepStrictEqual(files, [path.basename(fileOf(dir, key))])
      assert.match(files[0]!, /^[\da-f]{64}$/)
      const file = path.join(dir, files[0]!)
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
      const content = fs.readFileSync(file, "utf8")
      assert.notInclude(content, "in-clear")
      assert.strictEqual(JSON.parse(content).version, 2)
    }))

  it.live("a realistic key (a Google client id, three scope URLs) is stored, and its connection gets its tokens", () =>
    Effect.gen(function*() {
      const dir = path.join(directory, "long-keys")
      const key = TokenStore.key({
        issuer: "https://accounts.google.com",
        clientId: "123456789012-0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p.apps.googleusercontent.com",
        grant: "refresh_token",
        scopes: [
          "https://www.googleapis.com/auth/calendar.readonly",
          "https://www.googleapis.com/auth/drive.file",
          "https://www.googleapis.com/auth/gmail.send"
        ],
        subject: `user-${Date.now()}`
      })
      // named after the key itself, its file would exceed the 255 bytes a file name may have
      assert.isAbove(Buffer.byteLength(encodeURIComponent(key)), 255)
      yield* Effect.gen(function*() {
        const provider = yield* member(key)
        const first = yield* provider.get
        yield* provider.invalidate(first)
        const second = yield* provider.get
        assert.deepStrictEqual(yield* stored(key), Option.some([Redacted.value(second.token), 2] as const))
      }).pipe(Effect.scoped, Effect.provide(Layer.merge(simulatedServer(), storeIn(dir))))
    }))

  it.live("a record under its former name (the key, URL-encoded) is read, and moves to the hashed name when written", () =>
    Effect.gen(function*() {
      const dir = path.join(directory, "former-names")
      const key = freshKey()
      yield* Effect.flatMap(TokenStore.TokenStore, (store) => store.set(key, tokenOf("old-layout"), { expectedVersion: 0 }))
        .pipe(Effect.provide(storeIn(dir)))
      const former = path.join(dir, encodeURIComponent(key))
      fs.renameSync(fileOf(dir, key), former)
      yield* Effect.gen(function*() {
        assert.deepStrictEqual(yield* stored(key), Option.some(["old-layout", 1] as const))
        const store = yield* TokenStore.TokenStore
        assert.deepStrictEqual(yield* store.set(key, tokenOf("new-layout"), { expectedVersion: 1 }), {
          _tag: "Written",
          version: 2
        })
        assert.deepStrictEqual(fs.readdirSync(dir), [path.basename(fileOf(dir, key))])
        assert.deepStrictEqual(yield* stored(key), Option.some(["new-layout", 2] as const))
      }).pipe(Effect.provide(storeIn(dir)))
    }))

  for (const mode of [0o777, 0o770, 0o722]) {
    it.live(`a directory others may write to (mode ${mode.toString(8)}) is refused: the error says to chmod 700`, () =>
      Effect.gen(function*() {
        const dir = path.join(directory, `writable-${mode.toString(8)}`)
        fs.mkdirSync(dir)
        fs.chmodSync(dir, mode)
        const error = yield* Effect.flip(
          Effect.flatMap(TokenStore.TokenStore, (store) => store.get(freshKey())).pipe(Effect.provide(storeIn(dir)))
        )
        assert.strictEqual(error._tag, "StoreDirectoryError")
        assert.isTrue(TokenError.isGrantflowError(error))
        if (error._tag === "StoreDirectoryError") {
          assert.strictEqual(error.reason, "WritableByOthers")
          assert.strictEqual(error.mode, mode)
          assert.include(error.message, `chmod 700 ${dir}`)
        }
        // nothing was written there, and the directory is as it was
        assert.deepStrictEqual(fs.readdirSync(dir), [])
        assert.strictEqual(fs.statSync(dir).mode & 0o777, mode)
      }))
  }

  it.live("a path that is a file is refused", () =>
    Effect.gen(function*() {
      const file = path.join(directory, "a-file")
      fs.writeFileSync(file, "")
      const error = yield* Effect.flip(FileTokenStore.makeKeyValueStore(file))
      assert.strictEqual(error.reason, "NotADirectory")
    }))

  it.live("a record outlives the process that wrote it: a new store on the directory reads it", () =>
    Effect.gen(function*() {
      const dir = path.join(directory, "restart")
      const key = freshKey()
      yield* Effect.flatMap(TokenStore.TokenStore, (store) =>
        store.set(key, tokenOf("kept", "refresh"), { expectedVersion: 0 })).pipe(Effect.provide(storeIn(dir)))
      assert.deepStrictEqual(yield* stored(key).pipe(Effect.provide(storeIn(dir))), Option.some(["kept", 1] as const))
    }))

  it.live("a file sealed with a key the store does not hold is a typed error, and TokenStore.save replaces it", () =>
    Effect.gen(function*() {
      const dir = path.join(directory, "corrupt")
      const key = freshKey()
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      fs.writeFileSync(fileOf(dir, key), "{\"version\":3,\"data\":\"gf1.k1.bad.bad\"}")
      yield* Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const error = yield* Effect.flip(store.get(key))
        assert.strictEqual(error.reason, "Undecryptable")
        assert.strictEqual(error.version, 3)
        assert.strictEqual(yield* TokenStore.save(key, tokenOf("fresh")), 4)
        assert.deepStrictEqual(yield* stored(key), Option.some(["fresh", 4] as const))
      }).pipe(Effect.provide(storeIn(dir)))
    }))
})

describe("file store leases (lock files)", () => {
  const key = TokenStore.key({ issuer: "https://issuer.example", clientId: "app", grant: "refresh_token" })
  const leased = Effect.suspend(() =>
    FileTokenStore.make(fs.mkdtempSync(path.join(directory, "leases-")), { encryption: "none" })
  )

  it.effect("one owner at a time; released, the lease can be taken again", () =>
    Effect.gen(function*() {
      const store = yield* leased
      const first = Option.getOrThrow(yield* store.acquireLease(key, Duration.seconds(10)))
      assert.isTrue(Option.isNone(yield* store.acquireLease(key, Duration.seconds(10))))
      assert.isTrue(yield* first.extend)
      yield* first.release
      assert.isFalse(yield* first.extend)
      assert.isTrue(Option.isSome(yield* store.acquireLease(key, Duration.seconds(10))))
    }))

  it.effect("a lease whose owner died is taken over once it expires, and the old owner can no longer write", () =>
    Effect.gen(function*() {
      const store = yield* leased
      const dead = Option.getOrThrow(yield* store.acquireLease(key, Duration.seconds(10)))
      yield* TestClock.adjust("11 seconds")
      const next = Option.getOrThrow(yield* store.acquireLease(key, Duration.seconds(10)))
      const token = tokenOf("t")
      assert.deepStrictEqual(yield* store.set(key, token, { expectedVersion: 0, lease: dead }), { _tag: "Conflict", reason: "Lease" })
      assert.deepStrictEqual(yield* store.set(key, token, { expectedVersion: 0, lease: next }), { _tag: "Written", version: 1 })
    }))
})
