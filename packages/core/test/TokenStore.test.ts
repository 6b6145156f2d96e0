import { KeyValueStore } from "@effect/platform"
import { TokenStore } from "@grantflow/core"
import { Effect, Layer, Option } from "effect"
import { storeSuite } from "./tokenStoreSuite.js"

storeSuite("memory store", TokenStore.layerMemory)
storeSuite(
  "KeyValueStore store",
  TokenStore.layerKeyValueStore({ encryption: "none" }).pipe(Layer.provideMerge(KeyValueStore.layerMemory)),
  (key, how) =>
    Effect.flatMap(KeyValueStore.KeyValueStore, (kv) =>
      Effect.flatMap(kv.get(key), (stored) => {
        const text = Option.getOrThrow(stored)
        return kv.set(key, how === "Empty" ? "" : text.slice(0, text.length >> 1))
      }))
)
