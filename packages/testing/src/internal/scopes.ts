import * as Either from "effect/Either"
import type { Client } from "./state.js"

/** The scopes of a space-separated `scope` parameter, each once. @internal */
export const parse = (scope: string | undefined): ReadonlyArray<string> =>
  Array.from(new Set((scope ?? "").split(" ").filter((s) => s !== "")))

/**
 * The scopes granted to a client that asks for `scope`: what it asked for,
 * which must lie within the client's scopes when it has any, or else all of
 * the client's scopes. Fails with the scopes it may not have.
 *
 * @internal
 */
export const forClient = (
  client: Client,
  scope: string | undefined
): Either.Either<ReadonlyArray<string>, ReadonlyArray<string>> => {
  const requested = parse(scope)
  if (client.scopes.length === 0) return Either.right(requested)
  const unknown = requested.filter((s) => !client.scopes.includes(s))
  if (unknown.length > 0) return Either.left(unknown)
  return Either.right(requested.length > 0 ? requested : client.scopes)
}

/**
 * The scopes of a request that may only narrow what was granted before
 * (RFC 6749 §6): a subset of `granted`, or all of it when it asks for none.
 * Fails with the scopes that were not granted.
 *
 * @internal
 */
export const narrow = (
  granted: ReadonlyArray<string>,
  scope: string | undefined
): Either.Either<ReadonlyArray<string>, ReadonlyArray<string>> => {
  const requested = parse(scope)
  const unknown = requested.filter((s) => !granted.includes(s))
  if (unknown.length > 0) return Either.left(unknown)
  return Either.right(requested.length > 0 ? requested : granted)
}
