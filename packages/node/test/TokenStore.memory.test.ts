import { KeyValueStore } from "@effect/platform"
import { TokenStore } from "@grantflow/core"
import { Layer } from "effect"
import { storeSuite } from "./tokenStoreSuite.js"

storeSuite("memory store", TokenStore.layerMemory)
storeSuite(
  "KeyValueStore store",
  TokenStore.layerKeyValueStore({ encryption: "none" }).pipe(Layer.provide(KeyValueStore.layerMemory))
)
