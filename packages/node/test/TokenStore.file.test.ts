import { assert, describe, it } from "@effect/vitest"
import { TokenCipher, TokenStore } from "@grantflow/core"
import { FileTokenStore } from "@grantflow/node"
import { Effect, Layer, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { freshKey, storeSuite, tokenOf } from "./tokenStoreSuite.js"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "grantflow-file-store-"))
const cipher = TokenCipher.aesGcm({ current: { id: "k1", secret: Redacted.make(Buffer.alloc(32, 7).toString("base64")) } })
const storeIn = (dir: string) =>
  Layer.unwrapEffect(Effect.map(cipher, (encryption) => FileTokenStore.layer(dir, { encryption })))

storeSuite("file store", storeIn(path.join(directory, "suite")))

describe("file store specifics", () => {
  it.live("files are readable by their owner only, sealed, and written without leftovers", () =>
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
      assert.deepStrictEqual(files, [encodeURIComponent(key)])
      const file = path.join(dir, files[0]!)
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
      const content = fs.readFileSync(file, "utf8")
      assert.notInclude(content, "in-clear")
      assert.strictEqual(JSON.parse(content).version, 2)
    }))

  it.live("a record outlives the process that wrote it: a new store on the directory reads it", () =>
    Effect.gen(function*() {
      const dir = path.join(directory, "restart")
      const key = freshKey()
      yield* Effect.flatMap(TokenStore.TokenStore, (store) =>
        store.set(key, tokenOf("kept", "refresh"), { expectedVersion: 0 })).pipe(Effect.provide(storeIn(dir)))
      const entry = yield* Effect.flatMap(TokenStore.TokenStore, (store) => store.get(key)).pipe(
        Effect.provide(storeIn(dir))
      )
      assert.strictEqual(Redacted.value(Option.getOrThrow(entry).token.token), "kept")
    }))

  it.live("a corrupt file is a typed error, and TokenStore.save replaces it", () =>
    Effect.gen(function*() {
      const dir = path.join(directory, "corrupt")
      const key = freshKey()
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(path.join(dir, encodeURIComponent(key)), "{\"version\":3,\"data\":\"gf1.k1.bad.bad\"}")
      yield* Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const error = yield* Effect.flip(store.get(key))
        assert.strictEqual(error.reason, "Undecryptable")
        assert.strictEqual(error.version, 3)
        assert.strictEqual(yield* TokenStore.save(key, tokenOf("fresh")), 4)
        assert.strictEqual(Redacted.value(Option.getOrThrow(yield* store.get(key)).token.token), "fresh")
      }).pipe(Effect.provide(storeIn(dir)))
    }))
})
