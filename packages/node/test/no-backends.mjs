// Fails every resolution of a store backend's client in this process (`node --import`): ioredis, and
// @effect/sql with its drivers. An import that succeeds proves that none of them was loaded.
import { register } from "node:module"

const hook = `export async function resolve(specifier, context, next) {
  const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]
  if (name === "ioredis" || name === "@effect/sql" || name.startsWith("@effect/sql-")) {
    throw new Error(name + " was loaded from " + context.parentURL)
  }
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`)
