/**
 * fast-check arbitraries for property tests against the simulated server:
 * token lifetimes, clock advances, token endpoint and API faults, fault
 * schedules, provider quirks, and whole {@link Scenario.Timeline}s.
 *
 * Faults come from {@link faultCases} (token endpoint) and
 * {@link apiFaultCases} (protected API), one arbitrary per kind of
 * {@link AuthServer.Fault}: a new kind of fault is one more entry there (or in
 * a copy passed to {@link fault} or {@link apiFault}).
 *
 * @since 0.1.0
 */
import type { FastCheck } from "effect"
import type * as Duration from "effect/Duration"
import type * as AuthServer from "./AuthServer.js"
import * as internal from "./internal/arbitraries.js"
import type * as Scenario from "./Scenario.js"

/**
 * Bounds of a generated duration, both included.
 *
 * @since 0.1.0
 * @category models
 */
export interface DurationRange {
  readonly min?: Duration.DurationInput | undefined
  readonly max?: Duration.DurationInput | undefined
}

/**
 * Token lifetimes in whole seconds, from seconds to hours (default 1 second
 * to 4 hours), shrinking towards the shortest.
 *
 * @since 0.1.0
 * @category time
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 * import { FastCheck } from "effect"
 *
 * const lifetimes = FastCheck.sample(Arbitraries.tokenLifetime({ max: "1 hour" }), 5)
 * ```
 */
export const tokenLifetime: (range?: DurationRange) => FastCheck.Arbitrary<Duration.Duration> = internal.tokenLifetime

/**
 * How far to move the clock: milliseconds, seconds or minutes to hours, each
 * about as likely (default 1 millisecond to 2 hours).
 *
 * @since 0.1.0
 * @category time
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 * import { FastCheck } from "effect"
 *
 * const advances = FastCheck.sample(Arbitraries.clockAdvance(), 5)
 * ```
 */
export const clockAdvance: (range?: DurationRange) => FastCheck.Arbitrary<Duration.Duration> = internal.clockAdvance

/**
 * How coarsely a server keeps issue times, for `Timeline.issueTimeRounding`:
 * none, `max` (default 1 second, as for `iat` in whole seconds) or anything
 * between, each band about as likely. A server that rounds issue times down
 * by up to this much issues tokens that really live that much less than
 * `expires_in` says.
 *
 * @since 0.1.0
 * @category time
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 * import { FastCheck } from "effect"
 *
 * const roundings = FastCheck.sample(Arbitraries.issueTimeRounding(), 5)
 * ```
 */
export const issueTimeRounding: (range?: Pick<DurationRange, "max">) => FastCheck.Arbitrary<Duration.Duration> =
  internal.issueTimeRounding

/**
 * How far behind a starved client's event loop runs, for
 * `Timeline.eventLoopLag`: none, `max` (default 1 second) or anything
 * between, each band about as likely. Keep it well below the shortest token
 * lifetime less the issue-time rounding: a process that gets a token only
 * after it has expired cannot succeed, whatever its client does (a 3-second
 * token from a server that rounds issue times down by 1 second may live 2
 * seconds: 1 second of lag leaves it 1 second of use).
 *
 * @since 0.1.0
 * @category time
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 * import { FastCheck } from "effect"
 *
 * const lags = FastCheck.sample(Arbitraries.eventLoopLag({ max: "100 millis" }), 5)
 * ```
 */
export const eventLoopLag: (range?: Pick<DurationRange, "max">) => FastCheck.Arbitrary<Duration.Duration> =
  internal.eventLoopLag

/**
 * The faults of each kind, by tag. Absent kinds are never generated.
 *
 * @since 0.1.0
 * @category faults
 */
export type FaultCases<F extends AuthServer.Fault = AuthServer.Fault> = {
  readonly [Tag in F["_tag"]]?: FastCheck.Arbitrary<Extract<F, { readonly _tag: Tag }>>
}

/**
 * `Status` faults: transient server errors (500, 502, 504), 429 and 503 with
 * or without a `Retry-After` (up to 5 minutes, a third of them past the
 * default 30-second limit of `RefreshPolicy`), and the permanent
 * `400 invalid_client`; those a retry cures five times as often as the
 * permanent one.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * // only outages of the token endpoint
 * const outages = Arbitraries.fault({ Status: Arbitraries.statusFault })
 * ```
 */
export const statusFault: FastCheck.Arbitrary<Extract<AuthServer.Fault, { readonly _tag: "Status" }>> =
  internal.statusFault

/**
 * `Status` faults of the protected API: outages (500, 502, 504), 429 and 503
 * with or without a `Retry-After`, and a spurious `401 invalid_token` for a
 * token that is still good (a provider's glitch: the client must get a new
 * token and may replay once).
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * const apiOutages = Arbitraries.apiFault({ Status: Arbitraries.apiStatusFault })
 * ```
 */
export const apiStatusFault: FastCheck.Arbitrary<Extract<AuthServer.Fault, { readonly _tag: "Status" }>> =
  internal.apiStatusFault

/**
 * One arbitrary per kind of fault the token endpoint can meet; spread it to
 * change or add one:
 * `Arbitraries.fault({ ...Arbitraries.faultCases, Latency: myLatencies })`.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * // outages and slow answers only
 * const faults = Arbitraries.fault({ Status: Arbitraries.faultCases.Status, Latency: Arbitraries.faultCases.Latency })
 * ```
 */
export const faultCases: Required<FaultCases> = internal.faultCases

/**
 * One arbitrary per kind of fault the protected API can meet (those of
 * {@link AuthServer.AnyEndpointFault}): {@link apiStatusFault}, latency, a
 * malformed body, a dropped connection, a 200 with an error body, and an
 * answer lost after the call was served.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * // a slow API only
 * const faults = Arbitraries.apiFault({ Latency: Arbitraries.apiFaultCases.Latency })
 * ```
 */
export const apiFaultCases: Required<FaultCases<AuthServer.AnyEndpointFault>> = internal.apiFaultCases

/**
 * How often each kind of token endpoint fault comes, relative to the others;
 * a kind not named has weight 1, and 0 leaves it out.
 *
 * @since 0.1.0
 * @category faults
 */
export type FaultWeights = { readonly [Tag in AuthServer.Fault["_tag"]]?: number | undefined }

/**
 * The default {@link FaultWeights} of {@link fault}: `Status` 6, `DropConnection`
 * 2, `Latency` 2, the others 1. With {@link statusFault}'s own weighting, about
 * half the faults are of a kind a retry cures (a 500, 502, 504, a 429 or 503
 * with no or a short `Retry-After`, a dropped connection, a time-out), so the
 * default timelines exercise a client's retry policy.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * // more malformed answers than by default
 * const faults = Arbitraries.fault(Arbitraries.faultCases, { ...Arbitraries.faultWeights, MalformedJson: 4 })
 * ```
 */
export const faultWeights: FaultWeights = internal.faultWeights

/**
 * Any one token endpoint fault of the given kinds (default {@link faultCases}),
 * each as often as `weights` say (default {@link faultWeights}).
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * // only outages
 * const outages = Arbitraries.fault({ Status: Arbitraries.statusFault })
 * // every kind, each as likely
 * const even = Arbitraries.fault(Arbitraries.faultCases, {})
 * ```
 */
export const fault: (cases?: FaultCases, weights?: FaultWeights) => FastCheck.Arbitrary<AuthServer.Fault> =
  internal.fault

/**
 * Token endpoint faults a retry cures, and only those: 500, 502 and 504; 429
 * and 503 with no `Retry-After` or one of up to 30 seconds; a dropped
 * connection; and an answer 31 seconds to 2 minutes late (a time-out for a
 * client that waits 30 seconds, as grantflow's `Endpoint` does by default).
 * A good retry policy outlasts a few of them in a row.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * const timelines = Arbitraries.timeline({ fault: Arbitraries.transientFault, weights: { Fail: 8 } })
 * ```
 */
export const transientFault: FastCheck.Arbitrary<AuthServer.Fault> = internal.transientFault

/**
 * Any one API fault of the given kinds (default {@link apiFaultCases}).
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * // a slow or flaky API, but never a spurious 401
 * const flaky = Arbitraries.apiFault({ Latency: Arbitraries.apiFaultCases.Latency, DropConnection: Arbitraries.apiFaultCases.DropConnection })
 * ```
 */
export const apiFault: (
  cases?: FaultCases<AuthServer.AnyEndpointFault>
) => FastCheck.Arbitrary<AuthServer.AnyEndpointFault> = internal.apiFault

/**
 * The error bodies {@link providerQuirks} picks from for APIs that answer an
 * unusable token with a body instead of a challenge: `{ ok: false, error:
 * "invalid_auth" }`, `{ ok: false, error: "token_expired" }` and `{ error: {
 * code: "InvalidAuthenticationToken", … } }`. A client's rejection rule has to
 * recognise each, e.g.
 * `bodyPattern: /invalid_auth|token_expired|InvalidAuthenticationToken/`.
 *
 * @since 0.1.0
 * @category quirks
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * const quirks = Arbitraries.providerQuirks({ bodies: Arbitraries.invalidTokenBodies.slice(0, 1) })
 * ```
 */
export const invalidTokenBodies: ReadonlyArray<unknown> = internal.invalidTokenBodies

/**
 * Options of {@link providerQuirks}: the error bodies (default
 * {@link invalidTokenBodies}) and statuses (default 200, 400 and 403) of the
 * `errorBodyOnInvalidToken` quirk.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProviderQuirksOptions {
  readonly bodies?: ReadonlyArray<unknown> | undefined
  readonly statuses?: ReadonlyArray<number> | undefined
}

/**
 * How a provider's API answers an unusable token, each about as likely:
 * by RFC 6750 (no quirk), a 403 for an expired token, or a status and an
 * error body for any unusable token ({@link AuthServer.ProviderQuirks}).
 *
 * @since 0.1.0
 * @category quirks
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * const timelines = Arbitraries.timeline({ quirks: Arbitraries.providerQuirks() })
 * // Scenario.check(Integration, { timelines })
 * ```
 */
export const providerQuirks: (options?: ProviderQuirksOptions) => FastCheck.Arbitrary<AuthServer.ProviderQuirks> =
  internal.providerQuirks

/**
 * Options of {@link faultPlan} and {@link faultSchedule}: the faults (default
 * {@link fault}()), the most token requests in a row one fault meets (default
 * 3) and, for a schedule, its longest length (default 5).
 *
 * @since 0.1.0
 * @category models
 */
export interface FaultScheduleOptions {
  readonly fault?: FastCheck.Arbitrary<AuthServer.Fault> | undefined
  readonly maxTimes?: number | undefined
  readonly maxLength?: number | undefined
}

/**
 * A fault and how many token requests in a row meet it.
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * const plans = Arbitraries.faultPlan({ maxTimes: 10 })
 * ```
 */
export const faultPlan: (options?: FaultScheduleOptions) => FastCheck.Arbitrary<Scenario.FaultPlan> = internal.faultPlan

/**
 * A sequence of faults with counts, in the order the token endpoint meets
 * them (`AuthServer.fail` each in turn).
 *
 * @since 0.1.0
 * @category faults
 * @example
 * ```ts
 * import { Arbitraries, AuthServer } from "@grantflow/testing"
 * import { Effect, FastCheck } from "effect"
 *
 * const [schedule] = FastCheck.sample(Arbitraries.faultSchedule(), 1)
 * const script = Effect.gen(function*() {
 *   const server = yield* AuthServer.AuthServer
 *   for (const { fault, times } of schedule!) yield* server.fail(fault, { times })
 * })
 * ```
 */
export const faultSchedule: (
  options?: FaultScheduleOptions
) => FastCheck.Arbitrary<ReadonlyArray<Scenario.FaultPlan>> = internal.faultSchedule

/**
 * Options of {@link step} and {@link timeline}:
 *
 * - `minSteps`, `maxSteps`: the shortest and the longest timeline (default 0
 *   and 100);
 * - `maxBurst`: the most concurrent calls in one step (default 8);
 * - `tokenLifetime`, `advance`, `fault`, `apiFault`: the arbitraries of
 *   lifetimes (for the server and `SetTokenLifetime`), clock advances, token
 *   endpoint faults and API faults;
 * - `maxFaultTimes`: the most requests one `Fail` or `FailApi` step affects
 *   (default 3);
 * - `quirks`: the provider quirks of each timeline's API (default: none
 *   generated, so the run's server options decide), e.g. {@link providerQuirks};
 * - `issueTimeRounding`, `eventLoopLag`: the timing of each timeline (default:
 *   none generated: exact issue times, no lag), e.g. {@link issueTimeRounding}
 *   and {@link eventLoopLag};
 * - `weights`: how often each kind of step comes, relative to the others
 *   (default `Call` 10, `Advance` 8, `Fail` 3, `FailApi` 2, the others 1); 0
 *   leaves a kind out.
 *
 * @since 0.1.0
 * @category models
 */
export interface TimelineOptions {
  readonly minSteps?: number | undefined
  readonly maxSteps?: number | undefined
  readonly maxBurst?: number | undefined
  readonly tokenLifetime?: FastCheck.Arbitrary<Duration.Duration> | undefined
  readonly advance?: FastCheck.Arbitrary<Duration.Duration> | undefined
  readonly fault?: FastCheck.Arbitrary<AuthServer.Fault> | undefined
  readonly apiFault?: FastCheck.Arbitrary<AuthServer.AnyEndpointFault> | undefined
  readonly maxFaultTimes?: number | undefined
  readonly quirks?: FastCheck.Arbitrary<AuthServer.ProviderQuirks> | undefined
  readonly issueTimeRounding?: FastCheck.Arbitrary<Duration.Duration> | undefined
  readonly eventLoopLag?: FastCheck.Arbitrary<Duration.Duration> | undefined
  readonly weights?: { readonly [Tag in Scenario.Step["_tag"]]?: number | undefined } | undefined
}


/**
 * One step of a timeline.
 *
 * @since 0.1.0
 * @category timelines
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * // calls and clock moves only
 * const quiet = Arbitraries.step({ weights: { Fail: 0, Revoke: 0, RevokeAll: 0, SetTokenLifetime: 0, Restart: 0 } })
 * ```
 */
export const step: (options?: TimelineOptions) => FastCheck.Arbitrary<Scenario.Step> = internal.step

/**
 * Whole timelines: the initial token lifetime, `minSteps` to `maxSteps`
 * steps (the lengths spread over the whole range), the seed of the run's
 * `Random` and, with the `quirks`, `issueTimeRounding` and `eventLoopLag`
 * options, the API's provider quirks and the timeline's timing. Shrinking
 * makes them shorter (down to `minSteps`) and their values smaller.
 *
 * @since 0.1.0
 * @category timelines
 * @example
 * ```ts
 * import { Arbitraries, Scenario } from "@grantflow/testing"
 *
 * const short = Arbitraries.timeline({ maxSteps: 20, maxBurst: 3 })
 * const long = Arbitraries.timeline({ minSteps: 100, maxSteps: 100 })
 * // Scenario.check(Integration, { timelines: short })
 * ```
 */
export const timeline: (options?: TimelineOptions) => FastCheck.Arbitrary<Scenario.Timeline> = internal.timeline

/**
 * Timelines of timing alone, where a good client never fails a call: bursts
 * of calls, clock moves, token lifetime changes and restarts (no faults, no
 * revocations), tokens living 3 seconds to 10 minutes, a server that rounds
 * issue times down by up to 1 second ({@link issueTimeRounding}) and a client
 * whose event loop runs up to 1 second behind ({@link eventLoopLag}),
 * each drawn per timeline. Any option of {@link timeline} overrides these.
 * Check them with `Invariants.noCallerFailure` on top of the others.
 *
 * @since 0.1.0
 * @category timelines
 * @example
 * ```ts
 * import { Arbitraries, Invariants } from "@grantflow/testing"
 *
 * const timelines = Arbitraries.timingTimeline({ maxSteps: 40 })
 * const invariants = [...Invariants.all, Invariants.noCallerFailure]
 * // Scenario.check(Integration, { timelines, invariants, numRuns: 1000 })
 * ```
 */
export const timingTimeline: (options?: TimelineOptions) => FastCheck.Arbitrary<Scenario.Timeline> =
  internal.timingTimeline

/**
 * Timelines focused on token endpoint outages, to put a retry policy to the
 * test: {@link timeline}s whose `Fail` steps (weight 8 instead of 3) script
 * {@link transientFault}s only. Any option of {@link timeline} overrides
 * these.
 *
 * @since 0.1.0
 * @category timelines
 * @example
 * ```ts
 * import { Arbitraries } from "@grantflow/testing"
 *
 * const timelines = Arbitraries.tokenFaultTimeline({ maxSteps: 40 })
 * // Scenario.check(Integration, { timelines })
 * ```
 */
export const tokenFaultTimeline: (options?: TimelineOptions) => FastCheck.Arbitrary<Scenario.Timeline> =
  internal.tokenFaultTimeline
