// Fails every resolution of ioredis in this process (`node --import`), so an
// import that succeeds proves that ioredis was not loaded.
import { register } from "node:module"

const hook = `export async function resolve(specifier, context, next) {
  if (specifier === "ioredis" || specifier.startsWith("ioredis/")) throw new Error("ioredis was loaded from " + context.parentURL)
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`)
