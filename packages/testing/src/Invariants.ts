/**
 * Checks over a {@link Scenario.Run}: what an OAuth integration must never do,
 * whatever the timeline. Each check returns its violations as data, with a
 * message that says what happened, when (clock time since the run began) and
 * to which call, and never prints a secret.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as internal from "./internal/invariants.js"
import type * as Scenario from "./Scenario.js"

/**
 * One broken rule: the invariant's name, a readable message, and the clock
 * time (milliseconds since the run began) it happened at, when known.
 *
 * @since 0.1.0
 * @category models
 */
export interface Violation {
  readonly invariant: string
  readonly message: string
  readonly at?: number | undefined
}

/**
 * A named check over a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Invariant {
  readonly name: string
  readonly description: string
  readonly check: (run: Scenario.Run) => ReadonlyArray<Violation>
}

/**
 * An invariant of your own, e.g. about what the caller saw.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Invariants } from "@grantflow/testing"
 *
 * const everyCallSucceeds = Invariants.make("everyCallSucceeds", "no call fails", (run) =>
 *   run.calls
 *     .filter((call) => call.outcome === "failure")
 *     .map((call) => ({ invariant: "everyCallSucceeds", message: `call #${call.id} failed`, at: call.startedAt })))
 * ```
 */
export const make = (
  name: string,
  description: string,
  check: (run: Scenario.Run) => ReadonlyArray<Violation>
): Invariant => ({ name, description, check })

/**
 * At most one token request in flight at a time per client: a client that
 * needs a token while a request for one is out waits for that answer.
 * Checked on the order in which token requests started and were answered,
 * per client incarnation (a `Restart` begins a new one).
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.singleFlight.check(run)
 * ```
 */
export const singleFlight: Invariant = internal.singleFlight

/**
 * No expired token sent to the API while the token endpoint was healthy: an
 * API request that arrived at or after its token's expiry (the server's
 * `tokens`) is a violation unless a token request failed (an error status, a
 * fault other than latency, a transport failure, an abandoned or unusable
 * answer) between the token's issue and that request.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.noExpiredToken.check(run)
 * ```
 */
export const noExpiredToken: Invariant = internal.noExpiredToken

/**
 * No rejected (revoked, expired, unknown) token sent again: once the API
 * refused a token (a 401, an `invalid_token` challenge, or the error body of
 * the run's provider quirk: see {@link Scenario.Exchange}'s `rejected`) and
 * the client acted on it (the call that got the answer made its next request
 * or ended), an API request with that token is a violation — sent by that
 * call or by a call started since — unless a token request failed in between.
 * A call already under way by then may have been handed the token before
 * the rejection: it is judged by the rejections of its own requests alone.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.noRejectedTokenReuse.check(run)
 * ```
 */
export const noRejectedTokenReuse: Invariant = internal.noRejectedTokenReuse

/**
 * No refresh token sent again once it was replaced: when an answer the client
 * received (status 200) carried a new refresh token for the one its request
 * sent, a later token request with the old one is a violation — in any client
 * incarnation, since a restart must find the rotated token where it was saved.
 * An answer the client never got (lost, dropped, abandoned) replaced nothing
 * as far as the client could know.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.noRefreshTokenReuse.check(run)
 * ```
 */
export const noRefreshTokenReuse: Invariant = internal.noRefreshTokenReuse

/**
 * At most one replay per API request: a call sends each of its requests
 * (by method and path: a connector that learns its base URL sends the
 * provider's discovery request first) once, and once more with a new token
 * if the first was rejected.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.atMostOneReplay.check(run)
 * ```
 */
export const atMostOneReplay: Invariant = internal.atMostOneReplay

/**
 * No replay with a rejected or older token: when a call's API request was
 * rejected and the call sends it again, the token it sends must come from a
 * token request that started after that rejection was answered. A token the
 * API had rejected (in that answer or an earlier one), or one requested
 * before that answer — it may share the cause of the rejection, e.g. a
 * revocation, or expire as early — is a violation. A token that came by
 * another way than the token endpoint (e.g. the server's `grant`) must not
 * have been sent to the API before the rejection.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.noStaleReplay.check(run)
 * ```
 */
export const noStaleReplay: Invariant = internal.noStaleReplay

/**
 * No call fails: every call that ends, ends with an answer. Not in
 * {@link all}: a token endpoint or an API that fails, or a token revoked
 * while it is on its way, fails calls whatever the client does. Check it on
 * timelines without such steps, e.g. those of timing only (clock moves,
 * bursts, token lifetimes, restarts) with a server that rounds issue times
 * and a starved process (`Arbitraries.timingTimeline`). The message shows
 * what the call reported, secrets cut out.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Arbitraries, Invariants } from "@grantflow/testing"
 *
 * const invariants = [...Invariants.all, Invariants.noCallerFailure]
 * const timelines = Arbitraries.timingTimeline()
 * // Scenario.check(Integration, { invariants, timelines })
 * ```
 */
export const noCallerFailure: Invariant = internal.noCallerFailure

/**
 * Every API request made for a call carries a token, `Bearer` or `DPoP`. A
 * request made outside any call may carry none: the unauthenticated request
 * whose 401 names a protected resource's metadata (RFC 9728 §5), sent while
 * the integration is built.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.alwaysAuthenticated.check(run)
 * ```
 */
export const alwaysAuthenticated: Invariant = internal.alwaysAuthenticated

/**
 * No DPoP proof sent twice (RFC 9449 §11.1): every request — to the token
 * endpoint or the API, a nonce retry included — carries a proof with a `jti`
 * that no earlier request of the run sent with a proof of the same key. A
 * server that keeps the `jti`s it has seen refuses a replayed proof; one that
 * does not cannot tell a replay by an attacker from the client's.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.noDpopProofReuse.check(run)
 * ```
 */
export const noDpopProofReuse: Invariant = internal.noDpopProofReuse

/**
 * No DPoP-bound token without its proof (RFC 9449 §7): a token that a token
 * response gave as `token_type` `DPoP` goes to the API only as
 * `Authorization: DPoP <token>` (never `Bearer`, never in the query), with a
 * proof signed by the key of the token request that obtained it, naming the
 * token (`ath`) and this request (`htm`, and `htu`: its origin and path).
 * Nothing to check in a run without DPoP.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.noUnprovenDpopToken.check(run)
 * ```
 */
export const noUnprovenDpopToken: Invariant = internal.noUnprovenDpopToken

/**
 * No token request to an issuer that was not validated: each goes to the
 * origin of an authorization server whose metadata (RFC 8414 or OpenID
 * Connect Discovery, `/.well-known/…`, answered 200) the client fetched
 * before — an integration that discovers its authorization server (from a
 * protected resource's 401, say) must not send a grant or its credentials
 * anywhere else. Not in {@link all}: an integration configured with its token
 * URL fetches no metadata.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants } from "@grantflow/testing"
 *
 * // for an integration that discovers its authorization server
 * const invariants = [...Invariants.all, Invariants.noUnvalidatedIssuer]
 * ```
 */
export const noUnvalidatedIssuer: Invariant = internal.noUnvalidatedIssuer

/**
 * `Retry-After` honoured: after a token endpoint answer with `Retry-After`,
 * the same client sends no token request before that time has passed.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.retryAfterHonoured.check(run)
 * ```
 */
export const retryAfterHonoured: Invariant = internal.retryAfterHonoured

/**
 * No secret in any log line (any level) or in what a failed call reported:
 * neither a client secret (nor its Basic or form encoding) nor any access or
 * refresh token seen in the run. The violation shows the line with the
 * secret cut out.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.noSecretInLogs.check(run)
 * ```
 */
export const noSecretInLogs: Invariant = internal.noSecretInLogs

/**
 * Every call ends: with an answer or an error, before the run's drain time
 * is up, rather than hanging.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.callsEnd.check(run)
 * ```
 */
export const callsEnd: Invariant = internal.callsEnd

/**
 * The run itself went as scripted: the integration could be built at every
 * (re)start.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.runCompleted.check(run)
 * ```
 */
export const runCompleted: Invariant = internal.runCompleted

/**
 * What {@link makeTransientFailuresRetried} expects of a client's retry
 * policy:
 *
 * - `failures`: how many failed token requests in a row, each of a kind a
 *   retry cures, a call must survive (default 2: a client makes at least 3
 *   attempts before it fails a call);
 * - `maxRetryAfter`: the longest `Retry-After` a client must wait out
 *   (default 30 seconds, as `RefreshPolicy`'s `maxRetryAfter`); a longer one
 *   may end its retries.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransientFailuresOptions {
  readonly failures?: number | undefined
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * Transient token endpoint failures are retried: a call that failed for want
 * of a token (it sent no API request, or sent one and it was rejected) is a
 * violation when the token requests its client had made by then ended in
 * at most `failures` failures in a row (counted back from the last one before
 * the call failed to the last that gave a token, per client incarnation), the
 * last of a kind a retry cures: no answer (a dropped connection, a time-out),
 * or 408, 429, 500, 502, 503 or 504 with no `Retry-After` longer than
 * `maxRetryAfter`. A client may fail calls when the endpoint stays down
 * longer, when it fails for good (`400 invalid_client`, an unusable token
 * response) or asks for a longer wait, and while it cools down after such a
 * failure. A client whose calls have deadlines of their own, shorter than its
 * retries, should lower `maxRetryAfter` or `failures`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Invariants } from "@grantflow/testing"
 *
 * // a client that makes 5 attempts and waits out a Retry-After of up to a minute
 * const patient = Invariants.makeTransientFailuresRetried({ failures: 4, maxRetryAfter: "1 minute" })
 * ```
 */
export const makeTransientFailuresRetried: (options?: TransientFailuresOptions) => Invariant =
  internal.makeTransientFailuresRetried

/**
 * {@link makeTransientFailuresRetried} with its defaults: a call survives 2
 * transient token endpoint failures in a row, each with a `Retry-After` of
 * at most 30 seconds. It catches a retry policy that gives up at the first
 * 503.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.transientFailuresRetried.check(run)
 * ```
 */
export const transientFailuresRetried: Invariant = internal.transientFailuresRetried

/**
 * What {@link makeRetriesBackOff} allows after a failed token request:
 * `requests` more token requests (default 1: a prompt retry, as after a
 * stale connection, is fine) within `window` (default 100 milliseconds).
 *
 * @since 0.1.0
 * @category models
 */
export interface BackOffOptions {
  readonly window?: Duration.DurationInput | undefined
  readonly requests?: number | undefined
}

/**
 * Retries back off: after a token request failed (any failure), the same
 * client incarnation sends at most `requests` token requests within
 * `window` of the failure's answer. A policy that retries at once, again and
 * again, hammers an endpoint that is struggling already; a `Retry-After` is
 * {@link retryAfterHonoured}'s business.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Invariants } from "@grantflow/testing"
 *
 * // no more than one retry within a second of a failure
 * const patient = Invariants.makeRetriesBackOff({ window: "1 second", requests: 1 })
 * ```
 */
export const makeRetriesBackOff: (options?: BackOffOptions) => Invariant = internal.makeRetriesBackOff

/**
 * {@link makeRetriesBackOff} with its defaults: at most one token request
 * within 100 milliseconds of a failed one. It catches a retry policy with no
 * delay between attempts.
 *
 * @since 0.1.0
 * @category invariants
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const violations = Invariants.retriesBackOff.check(run)
 * ```
 */
export const retriesBackOff: Invariant = internal.retriesBackOff

/**
 * Every invariant of this module but {@link noCallerFailure}, which holds
 * only on timelines without faults, and {@link noUnvalidatedIssuer}, which
 * holds only for integrations that discover their authorization server.
 *
 * @since 0.1.0
 * @category invariants
 */
export const all: ReadonlyArray<Invariant> = [
  runCompleted,
  singleFlight,
  noExpiredToken,
  noRejectedTokenReuse,
  noRefreshTokenReuse,
  atMostOneReplay,
  noStaleReplay,
  alwaysAuthenticated,
  noDpopProofReuse,
  noUnprovenDpopToken,
  retryAfterHonoured,
  transientFailuresRetried,
  retriesBackOff,
  noSecretInLogs,
  callsEnd
]

/**
 * The violations of `invariants` (default {@link all}) in a run.
 *
 * @since 0.1.0
 * @category checking
 * @example
 * ```ts
 * import { Invariants, type Scenario } from "@grantflow/testing"
 *
 * declare const run: Scenario.Run
 * const broken = Invariants.check(run, [Invariants.singleFlight, Invariants.atMostOneReplay])
 * ```
 */
export const check = (run: Scenario.Run, invariants: ReadonlyArray<Invariant> = all): ReadonlyArray<Violation> =>
  invariants.flatMap((invariant) => invariant.check(run))
