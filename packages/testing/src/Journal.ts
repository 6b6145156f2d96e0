/**
 * Assertions over the journal of a simulated {@link AuthServer.AuthServer}:
 * pure functions that return what they checked, or fail with a
 * {@link JournalAssertionError} whose message shows the offending requests.
 * Each result is an `Either`, which a test yields in `Effect.gen`:
 *
 * ```ts
 * const entry = yield* Journal.exactlyOneTokenRequest(yield* server.journal)
 * ```
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import type * as AuthServer from "./AuthServer.js"

/**
 * A journal assertion that did not hold. `message` says what was expected
 * and lists the requests that broke it; `entries` holds them.
 *
 * @since 0.1.0
 * @category errors
 */
export class JournalAssertionError extends Data.TaggedError("JournalAssertionError")<{
  readonly expectation: string
  readonly entries: ReadonlyArray<AuthServer.JournalEntry>
}> {
  override get message(): string {
    const shown = this.entries.slice(0, 20).map((entry) => `  ${describe(entry)}`)
    const more = this.entries.length > shown.length ? [`  … and ${this.entries.length - shown.length} more`] : []
    return [this.expectation, ...shown, ...more].join("\n")
  }
}

/**
 * One journal entry on one line, for messages: when it arrived, the request,
 * its status and what the server noted about it (never token values).
 *
 * @since 0.1.0
 * @category formatting
 * @example
 * ```ts
 * import { Journal } from "@grantflow/testing"
 *
 * Journal.describe({ at: 1500, endpoint: "token", method: "POST", path: "/token", status: 200, tokenId: "t1" })
 * // "@1500ms POST /token → 200 token=t1"
 * ```
 */
export const describe = (entry: AuthServer.JournalEntry): string => {
  const notes = [
    entry.grantType === undefined ? undefined : `grant=${entry.grantType}`,
    entry.clientId === undefined ? undefined : `client=${entry.clientId}`,
    entry.tokenId === undefined ? undefined : `token=${entry.tokenId}`,
    entry.tokenState === undefined ? undefined : `tokenState=${entry.tokenState}`,
    entry.refreshTokenId === undefined ? undefined : `refreshToken=${entry.refreshTokenId}`,
    entry.issuedRefreshTokenId === undefined ? undefined : `issuedRefreshToken=${entry.issuedRefreshTokenId}`,
    entry.fault === undefined ? undefined : `fault=${entry.fault}`
  ].filter((note) => note !== undefined)
  const status = entry.status === 0 ? "no answer" : String(entry.status)
  return [`@${entry.at}ms ${entry.method} ${entry.path} → ${status}`, ...notes].join(" ")
}

const check = <A>(
  holds: boolean,
  value: A,
  expectation: string,
  entries: ReadonlyArray<AuthServer.JournalEntry>
): Either.Either<A, JournalAssertionError> =>
  holds ? Either.right(value) : Either.left(new JournalAssertionError({ expectation, entries }))

/**
 * The requests to the token endpoint, oldest first.
 *
 * @since 0.1.0
 * @category filters
 * @example
 * ```ts
 * import { AuthServer, Journal } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const refreshes = Effect.gen(function*() {
 *   const server = yield* AuthServer.AuthServer
 *   const requests = Journal.tokenRequests(yield* server.journal)
 *   return requests.filter((entry) => entry.grantType === "refresh_token")
 * })
 * ```
 */
export const tokenRequests = (journal: ReadonlyArray<AuthServer.JournalEntry>): ReadonlyArray<AuthServer.JournalEntry> =>
  journal.filter((entry) => entry.endpoint === "token")

/**
 * The one request to the token endpoint, or a failure listing all of them
 * when there were none or several (e.g. a cache that did not hold, or a
 * refresh that ran twice).
 *
 * @since 0.1.0
 * @category assertions
 * @example
 * ```ts
 * import { AuthServer, Journal } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* AuthServer.AuthServer
 *   const request = yield* Journal.exactlyOneTokenRequest(yield* server.journal)
 *   return request.grantType
 * })
 * ```
 */
export const exactlyOneTokenRequest = (
  journal: ReadonlyArray<AuthServer.JournalEntry>
): Either.Either<AuthServer.JournalEntry, JournalAssertionError> => {
  const requests = tokenRequests(journal)
  return check(
    requests.length === 1,
    requests[0]!,
    `Expected exactly one token request, found ${requests.length}`,
    requests
  )
}

/**
 * Checks that no refresh token was presented twice (RFC 9700 §4.14.2: a
 * rotated refresh token that comes back is a sign of theft, and a server that
 * detects it revokes the family). Succeeds with the ids of the refresh tokens
 * presented, oldest first; fails with every request that presented a token
 * more than once, including retries after a lost response.
 *
 * @since 0.1.0
 * @category assertions
 * @example
 * ```ts
 * import { AuthServer, Journal } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* AuthServer.AuthServer
 *   return yield* Journal.noRefreshTokenUsedTwice(yield* server.journal)
 * })
 * ```
 */
export const noRefreshTokenUsedTwice = (
  journal: ReadonlyArray<AuthServer.JournalEntry>
): Either.Either<ReadonlyArray<string>, JournalAssertionError> => {
  const presenting = tokenRequests(journal).filter((entry) => entry.refreshTokenId !== undefined)
  const counts = new Map<string, number>()
  for (const entry of presenting) counts.set(entry.refreshTokenId!, (counts.get(entry.refreshTokenId!) ?? 0) + 1)
  const reused = Array.from(counts).filter(([, count]) => count > 1).map(([id]) => id)
  return check(
    reused.length === 0,
    presenting.map((entry) => entry.refreshTokenId!),
    `Expected every refresh token to be presented once, but ${reused.join(", ")} came back`,
    presenting.filter((entry) => reused.includes(entry.refreshTokenId!))
  )
}

/**
 * Checks that every request to the protected API carried a bearer token.
 * Succeeds with the API requests; fails with those that had none.
 *
 * @since 0.1.0
 * @category assertions
 * @example
 * ```ts
 * import { AuthServer, Journal } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* AuthServer.AuthServer
 *   return yield* Journal.everyApiRequestCarriedAuth(yield* server.journal)
 * })
 * ```
 */
export const everyApiRequestCarriedAuth = (
  journal: ReadonlyArray<AuthServer.JournalEntry>
): Either.Either<ReadonlyArray<AuthServer.JournalEntry>, JournalAssertionError> => {
  const api = journal.filter((entry) => entry.endpoint === "api")
  // the API notes a token state for every bearer token it is shown, recognised or not
  const bare = api.filter((entry) => entry.tokenState === undefined)
  return check(
    bare.length === 0,
    api,
    `Expected every API request to carry a bearer token, but ${bare.length} of ${api.length} did not`,
    bare
  )
}

/**
 * Checks that no request to the protected API carried a token that had
 * expired when the request arrived (a client should refresh ahead of expiry).
 * Succeeds with the API requests; fails with those that carried an expired
 * token.
 *
 * @since 0.1.0
 * @category assertions
 * @example
 * ```ts
 * import { AuthServer, Journal } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* AuthServer.AuthServer
 *   return yield* Journal.noExpiredTokenSent(yield* server.journal)
 * })
 * ```
 */
export const noExpiredTokenSent = (
  journal: ReadonlyArray<AuthServer.JournalEntry>
): Either.Either<ReadonlyArray<AuthServer.JournalEntry>, JournalAssertionError> => {
  const api = journal.filter((entry) => entry.endpoint === "api")
  const expired = api.filter((entry) => entry.tokenState === "expired")
  return check(
    expired.length === 0,
    api,
    `Expected no API request to carry an expired token, but ${expired.length} did`,
    expired
  )
}
