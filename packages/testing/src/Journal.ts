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
import type * as Either from "effect/Either"
import type * as AuthServer from "./AuthServer.js"
import * as internal from "./internal/journalAssertions.js"

/**
 * A journal assertion that did not hold. `message` says what was expected
 * and lists the requests that broke it; `entries` holds them.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Journal } from "@grantflow/testing"
 *
 * const error = new Journal.JournalAssertionError({ expectation: "Expected no token request", entries: [] })
 * error.message // "Expected no token request"
 * ```
 */
export const JournalAssertionError: typeof internal.JournalAssertionError = internal.JournalAssertionError

/**
 * A journal that did not meet an expectation: see the {@link JournalAssertionError}
 * constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type JournalAssertionError = internal.JournalAssertionError

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
export const describe: (entry: AuthServer.JournalEntry) => string = internal.describe

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
export const tokenRequests: (
  journal: ReadonlyArray<AuthServer.JournalEntry>
) => ReadonlyArray<AuthServer.JournalEntry> = internal.tokenRequests

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
export const exactlyOneTokenRequest: (
  journal: ReadonlyArray<AuthServer.JournalEntry>
) => Either.Either<AuthServer.JournalEntry, JournalAssertionError> = internal.exactlyOneTokenRequest

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
export const noRefreshTokenUsedTwice: (
  journal: ReadonlyArray<AuthServer.JournalEntry>
) => Either.Either<ReadonlyArray<string>, JournalAssertionError> = internal.noRefreshTokenUsedTwice

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
export const everyApiRequestCarriedAuth: (
  journal: ReadonlyArray<AuthServer.JournalEntry>
) => Either.Either<ReadonlyArray<AuthServer.JournalEntry>, JournalAssertionError> = internal.everyApiRequestCarriedAuth

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
export const noExpiredTokenSent: (
  journal: ReadonlyArray<AuthServer.JournalEntry>
) => Either.Either<ReadonlyArray<AuthServer.JournalEntry>, JournalAssertionError> = internal.noExpiredTokenSent
