import * as Data from "effect/Data"
import * as Either from "effect/Either"
import type * as AuthServer from "../AuthServer.js"

/** @internal */
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

/** @internal */
export const describe = (entry: AuthServer.JournalEntry): string => {
  const notes = [
    entry.grantType === undefined ? undefined : `grant=${entry.grantType}`,
    entry.clientId === undefined ? undefined : `client=${entry.clientId}`,
    entry.tokenId === undefined ? undefined : `token=${entry.tokenId}`,
    entry.tokenState === undefined ? undefined : `tokenState=${entry.tokenState}`,
    entry.refreshTokenId === undefined ? undefined : `refreshToken=${entry.refreshTokenId}`,
    entry.issuedRefreshTokenId === undefined ? undefined : `issuedRefreshToken=${entry.issuedRefreshTokenId}`,
    entry.pushedRequestId === undefined ? undefined : `pushedRequest=${entry.pushedRequestId}`,
    entry.dpop === undefined ? undefined : `dpop=${entry.dpop}`,
    entry.dpopJkt === undefined ? undefined : `jkt=${entry.dpopJkt}`,
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

/** @internal */
export const tokenRequests = (journal: ReadonlyArray<AuthServer.JournalEntry>): ReadonlyArray<AuthServer.JournalEntry> =>
  journal.filter((entry) => entry.endpoint === "token")

/** @internal */
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

/** @internal */
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

/** @internal */
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

/** @internal */
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
