/**
 * Property tests of an OAuth integration against the simulated authorization
 * server: timelines of API calls, clock advances, token endpoint faults,
 * revocations, token lifetime changes and client restarts, each run against a
 * fresh server on its own test clock, with the {@link Invariants} checked on
 * what went over the wire, what was logged and what the caller saw.
 *
 * The three-line property test:
 *
 * ```ts
 * import { it } from "@effect/vitest"
 * import { BearerAuth, ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
 * import { Scenario } from "@grantflow/testing"
 * import { Layer, Redacted } from "effect"
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "http://127.0.0.1/token",
 *   auth: ClientAuth.clientSecretBasic(Scenario.clientId, Redacted.make(Scenario.clientSecret))
 * })
 * const Integration = BearerAuth.layer().pipe(Layer.provide(TokenProvider.layer(Grant.clientCredentials(endpoint))))
 *
 * it.effect("the integration keeps every invariant", () => Scenario.check(Integration))
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import type { FastCheck } from "effect"
import type * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as AuthServer from "./AuthServer.js"
import * as internal from "./internal/scenario.js"
import * as Steps from "./internal/steps.js"
import type * as Invariants from "./Invariants.js"

/**
 * A scripted fault and how many token requests in a row meet it.
 *
 * @since 0.1.0
 * @category models
 */
export interface FaultPlan {
  readonly fault: AuthServer.Fault
  readonly times: number
}

/**
 * One step of a timeline:
 *
 * - `Call`: `requests` concurrent API calls through the integration (1 is a
 *   single call; more is a burst). The burst runs as far as it can without
 *   the clock moving, then the next step comes: calls are not awaited;
 * - `Advance`: moves the run's clock (`TestClock.adjust`), waking sleepers
 *   such as injected latency, retries and timeouts on the way;
 * - `Fail`: the next `times` token requests meet `fault`, after the faults
 *   already queued;
 * - `FailApi`: the next `times` requests to the protected API meet `fault`
 *   (an outage, latency, a dropped connection, a spurious 401…);
 * - `Revoke`: the server revokes the token the client last sent to the API;
 * - `RevokeAll`: the server revokes every token issued so far;
 * - `SetTokenLifetime`: tokens issued from now on live `lifetime`;
 * - `Restart`: the client restarts: its calls in flight are interrupted, its
 *   layer's scope is closed and the integration is built anew, with nothing
 *   cached (the server keeps its state).
 *
 * @since 0.1.0
 * @category models
 */
export type Step = Data.TaggedEnum<{
  Call: { readonly requests: number }
  Advance: { readonly duration: Duration.DurationInput }
  Fail: FaultPlan
  FailApi: { readonly fault: AuthServer.AnyEndpointFault; readonly times: number }
  Revoke: {}
  RevokeAll: {}
  SetTokenLifetime: { readonly lifetime: Duration.DurationInput }
  Restart: {}
}>


/**
 * A step of `requests` concurrent API calls.
 *
 * @since 0.1.0
 * @category steps
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 *
 * const burst = Scenario.Call({ requests: 10 })
 * ```
 */
export const Call = Steps.Step.Call

/**
 * A step that moves the run's clock.
 *
 * @since 0.1.0
 * @category steps
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 *
 * const later = Scenario.Advance({ duration: "55 minutes" })
 * ```
 */
export const Advance = Steps.Step.Advance

/**
 * A step that scripts a fault for the next `times` token requests.
 *
 * @since 0.1.0
 * @category steps
 * @example
 * ```ts
 * import { AuthServer, Scenario } from "@grantflow/testing"
 *
 * const outage = Scenario.Fail({ fault: AuthServer.Status({ status: 503, retryAfter: "10 seconds" }), times: 3 })
 * ```
 */
export const Fail = Steps.Step.Fail

/**
 * A step that scripts a fault for the next `times` requests to the protected
 * API.
 *
 * @since 0.1.0
 * @category steps
 * @example
 * ```ts
 * import { AuthServer, Scenario } from "@grantflow/testing"
 *
 * const spurious401 = Scenario.FailApi({ fault: AuthServer.Status({ status: 401 }), times: 1 })
 * ```
 */
export const FailApi = Steps.Step.FailApi

/**
 * A step that revokes the token the client last sent to the API.
 *
 * @since 0.1.0
 * @category steps
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 *
 * const revoked = Scenario.Revoke()
 * ```
 */
export const Revoke = Steps.Step.Revoke

/**
 * A step that revokes every token issued so far.
 *
 * @since 0.1.0
 * @category steps
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 *
 * const allRevoked = Scenario.RevokeAll()
 * ```
 */
export const RevokeAll = Steps.Step.RevokeAll

/**
 * A step that changes the lifetime of the tokens issued from now on.
 *
 * @since 0.1.0
 * @category steps
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 *
 * const shortLived = Scenario.SetTokenLifetime({ lifetime: "30 seconds" })
 * ```
 */
export const SetTokenLifetime = Steps.Step.SetTokenLifetime

/**
 * A step that restarts the client: a new scope, an empty cache.
 *
 * @since 0.1.0
 * @category steps
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 *
 * const restarted = Scenario.Restart()
 * ```
 */
export const Restart = Steps.Step.Restart

/**
 * What one run does: the lifetime of the tokens the server issues at first,
 * the steps, the seed of the run's `Random` (retry jitter), so that a run
 * replays exactly, the provider quirks of its API, if any (they take the
 * place of those in the run's server options), and its timing:
 *
 * - `issueTimeRounding`: the server rounds issue times down to a multiple of
 *   it, so its tokens really expire up to that much earlier than `expires_in`
 *   says (`AuthServer.Options`; it takes the place of the run's server option);
 * - `eventLoopLag`: the client process is starved: it handles the answer to
 *   each of its requests that much later on the run's clock than the server
 *   gave it, as an event loop running that far behind gets to each I/O
 *   completion late. A refresh (in the background or awaited) obtains its
 *   token that late — the server issued it, and its lifetime started, when
 *   the request arrived — and a rejection is seen that late. What the client
 *   does without waiting for I/O — serve a cached token, put it on a request
 *   and send it — is not delayed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Timeline {
  readonly tokenLifetime: Duration.DurationInput
  readonly steps: ReadonlyArray<Step>
  readonly seed: number
  readonly quirks?: AuthServer.ProviderQuirks | undefined
  readonly issueTimeRounding?: Duration.DurationInput | undefined
  readonly eventLoopLag?: Duration.DurationInput | undefined
}

/**
 * A timeline from its steps; the token lifetime defaults to 1 hour, the
 * seed to 0, the API follows RFC 6750 unless `quirks` say otherwise, and
 * issue times are exact and the process never lags unless
 * `issueTimeRounding` and `eventLoopLag` say otherwise.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 *
 * const expiry = Scenario.timeline([
 *   Scenario.Call({ requests: 1 }),
 *   Scenario.Advance({ duration: "2 minutes" }),
 *   Scenario.Call({ requests: 5 })
 * ], { tokenLifetime: "1 minute", quirks: { expiredTokenStatus: 403 } })
 *
 * // 3-second tokens from a server that keeps whole seconds, used by a process 300 ms behind
 * const starved = Scenario.timeline([Scenario.Call({ requests: 1 }), Scenario.Advance({ duration: "2 seconds" })], {
 *   tokenLifetime: "3 seconds",
 *   issueTimeRounding: "1 second",
 *   eventLoopLag: "300 millis"
 * })
 * ```
 */
export const timeline: (
  steps: ReadonlyArray<Step>,
  options?: {
    readonly tokenLifetime?: Duration.DurationInput | undefined
    readonly seed?: number | undefined
    readonly quirks?: AuthServer.ProviderQuirks | undefined
    readonly issueTimeRounding?: Duration.DurationInput | undefined
    readonly eventLoopLag?: Duration.DurationInput | undefined
  }
) => Timeline = internal.timeline

/**
 * A timeline as numbered lines (`3. advance 1m 30s`), the way failures print
 * it.
 *
 * @since 0.1.0
 * @category formatting
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 *
 * console.log(Scenario.format(Scenario.timeline([Scenario.Call({ requests: 3 })])))
 * ```
 */
export const format: (timeline: Timeline) => string = internal.formatTimeline

/**
 * One HTTP exchange between the integration and the simulated server, as
 * the client's transport saw it. `startSeq` and `endSeq` order every start
 * and end of every exchange, call and step of the run (the clock alone cannot:
 * much happens within one instant); `startedAt` and `endedAt` are clock
 * milliseconds since the run began. `call` is the id of the API call it served
 * (token requests made for a call included), `generation` the client
 * incarnation (0, then one more per `Restart`). Token values are `Redacted`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Exchange {
  readonly id: number
  readonly generation: number
  readonly call: number | undefined
  readonly endpoint: "token" | "api" | "other"
  readonly method: string
  /** The origin the request went to (`http://127.0.0.1`: the issuer's, for a relative URL). */
  readonly origin: string
  readonly path: string
  readonly startSeq: number
  readonly endSeq: number
  readonly startedAt: number
  readonly endedAt: number
  /**
   * The access token the request carried, if any: in `Authorization`, whatever
   * its scheme, or bare in the header of the server's `apiTokenHeader`.
   */
  readonly bearer: Redacted.Redacted<string> | undefined
  /** The scheme of that token: `Bearer` (RFC 6750) or `DPoP` (RFC 9449). */
  readonly scheme: "Bearer" | "DPoP" | undefined
  /** The request's `DPoP` proof, if it had one. */
  readonly dpop: DpopProof | undefined
  /** `response`: an answer arrived; `failure`: the transport failed; `interrupted`: the request was abandoned. */
  readonly outcome: "response" | "failure" | "interrupted"
  readonly status: number | undefined
  /**
   * For API requests: the answer refused the token presented — a 401 (but
   * for a `DPoP` challenge with `error="use_dpop_nonce"`, which asks for a
   * proof with a new nonce, RFC 9449 §9), a `WWW-Authenticate` challenge with
   * `error="invalid_token"` whatever its status, or the error body of the
   * run's `errorBodyOnInvalidToken` quirk.
   */
  readonly rejected: boolean
  /**
   * The answer asked for a DPoP proof with the server's nonce (RFC 9449 §8,
   * §9): a token endpoint's `400 use_dpop_nonce`, an API's `401` DPoP
   * challenge with `error="use_dpop_nonce"`. A step of the protocol, answered
   * by sending the request once more: the invariants count it neither as a
   * failure of the token endpoint nor as a rejection of the token.
   */
  readonly dpopNonce: boolean
  /** The answer's `Retry-After`, in milliseconds. */
  readonly retryAfter: number | undefined
  /** For token requests: the refresh token the request presented (the refresh token grant). */
  readonly sentRefreshToken: Redacted.Redacted<string> | undefined
  /** For token requests: the access token of the answer, when it had a non-empty one. */
  readonly accessToken: Redacted.Redacted<string> | undefined
  readonly refreshToken: Redacted.Redacted<string> | undefined
  /** For token requests: the answer's `token_type` (`DPoP` for a DPoP-bound token). */
  readonly tokenType: string | undefined
}

/**
 * A request's `DPoP` proof (RFC 9449 §4.2) as the client sent it — decoded,
 * not verified (the server verifies it): its claims, and `key`, the public
 * key in its header as RFC 7638's canonical JSON (the same for every proof
 * of one key; its SHA-256 is the key's `jkt`). A field the proof lacks, or
 * that is not a string, is `undefined`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DpopProof {
  readonly key: string | undefined
  readonly jti: string | undefined
  readonly htm: string | undefined
  readonly htu: string | undefined
  readonly ath: string | undefined
  readonly nonce: string | undefined
}

/**
 * One API call, as the caller saw it. `error` is what a failure reports
 * (each error's message and fields), kept to be searched for secrets;
 * `pending` means it never ended before the run did.
 *
 * @since 0.1.0
 * @category models
 */
export interface Call {
  readonly id: number
  readonly generation: number
  readonly startSeq: number
  readonly endSeq: number | undefined
  readonly startedAt: number
  readonly endedAt: number | undefined
  readonly outcome: "success" | "failure" | "interrupted" | "pending"
  readonly status: number | undefined
  readonly error: string | undefined
}

/**
 * Everything recorded by one run: its timeline and when each step ran, the
 * server's journal and tokens, the exchanges, the calls, every log line (all
 * levels, logfmt), the values that must never be printed (client secrets and
 * their encodings, every token seen), and problems of the run itself (an
 * integration that could not be built).
 *
 * @since 0.1.0
 * @category models
 */
export interface Run {
  readonly timeline: Timeline
  readonly steps: ReadonlyArray<{ readonly index: number; readonly step: Step; readonly seq: number; readonly at: number }>
  readonly journal: ReadonlyArray<AuthServer.JournalEntry>
  readonly tokens: ReadonlyArray<AuthServer.IssuedToken>
  readonly exchanges: ReadonlyArray<Exchange>
  readonly calls: ReadonlyArray<Call>
  readonly logs: ReadonlyArray<string>
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  readonly problems: ReadonlyArray<string>
}

/**
 * A run and the invariants it broke.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly run: Run
  readonly violations: ReadonlyArray<Invariants.Violation>
}

/**
 * What a run provides to the integration: the `HttpClient` that reaches the
 * simulated server, the {@link AuthServer.AuthServer} (its issuer; `grant`
 * for a connected account to start from) and a `KeyValueStore` of the run's
 * own, which outlives `Restart`s as a disk would (e.g. for a
 * `TokenStore.layerKeyValueStore` that keeps a rotated refresh token).
 *
 * @since 0.1.0
 * @category models
 */
export type Services = HttpClient.HttpClient | AuthServer.AuthServer | KeyValueStore.KeyValueStore

/**
 * The integration under test: a layer that provides an authenticated
 * `HttpClient` and may use the run's {@link Services}.
 *
 * @since 0.1.0
 * @category models
 */
export type Integration<E = unknown> = Layer.Layer<HttpClient.HttpClient, E, Services>

/**
 * The client id the default server registers.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { Scenario } from "@grantflow/testing"
 * import { Redacted } from "effect"
 *
 * const auth = ClientAuth.clientSecretPost(Scenario.clientId, Redacted.make(Scenario.clientSecret))
 * ```
 */
export const clientId: string = internal.clientId

/**
 * The client secret the default server registers (a test value, checked to
 * never appear in a log line).
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { ClientAuth } from "@grantflow/core"
 * import { Scenario } from "@grantflow/testing"
 * import { Redacted } from "effect"
 *
 * const auth = ClientAuth.clientSecretBasic(Scenario.clientId, Redacted.make(Scenario.clientSecret))
 * ```
 */
export const clientSecret: string = internal.clientSecret

/**
 * Options of a run:
 *
 * - `server`: the server's options but the token lifetime, which the
 *   timeline sets (default: one client, {@link clientId} / {@link clientSecret},
 *   issuer `http://127.0.0.1`);
 * - `request`: what one API call does (default: `GET {issuer}/api/scenario/{id}`);
 * - `invariants`: which to check (default {@link Invariants.all});
 * - `secrets`: more values that must never be printed;
 * - `drain`: after the last step, how long the clock may move on for the calls
 *   still running to end (default 1 hour).
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  readonly server?: Omit<AuthServer.Options, "tokenLifetime"> | undefined
  readonly request?:
    | ((
      client: HttpClient.HttpClient,
      call: { readonly id: number; readonly issuer: string }
    ) => Effect.Effect<HttpClientResponse.HttpClientResponse, unknown>)
    | undefined
  readonly invariants?: ReadonlyArray<Invariants.Invariant> | undefined
  readonly secrets?: ReadonlyArray<string | Redacted.Redacted<string>> | undefined
  readonly drain?: Duration.DurationInput | undefined
}

/**
 * Runs one timeline against a fresh simulated server and checks the
 * invariants. The run has its own `TestClock`, starting at 0 (the caller's
 * clock does not move), and its own seeded `Random`; its log lines are
 * captured, not printed. It never fails: what went wrong is in the report.
 *
 * @since 0.1.0
 * @category running
 * @example
 * ```ts
 * import { BearerAuth, ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
 * import { Scenario } from "@grantflow/testing"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "http://127.0.0.1/token",
 *   auth: ClientAuth.clientSecretBasic(Scenario.clientId, Redacted.make(Scenario.clientSecret))
 * })
 * const Integration = BearerAuth.layer().pipe(Layer.provide(TokenProvider.layer(Grant.clientCredentials(endpoint))))
 *
 * const program = Effect.gen(function*() {
 *   const report = yield* Scenario.run(Integration, Scenario.timeline([
 *     Scenario.Call({ requests: 3 }),
 *     Scenario.RevokeAll(),
 *     Scenario.Call({ requests: 3 })
 *   ]))
 *   return report.violations // []
 * })
 * ```
 */
export const run: <E, RIn extends Services>(
  integration: Layer.Layer<HttpClient.HttpClient, E, RIn>,
  timeline: Timeline,
  options?: RunOptions
) => Effect.Effect<Report> = internal.run

/**
 * Options of {@link check}, besides those of a run:
 *
 * - `numRuns`: how many timelines (default {@link defaultNumRuns}, 100);
 * - `timeLimit`: start no new timeline once this long has passed (by the
 *   wall clock), and after a failure, shrink it for as long again at most.
 *   Default: {@link defaultTimeLimit} (2 seconds) when neither `numRuns` nor
 *   `path` is given, so that `check` with no options fits a test runner's
 *   default timeout (vitest's is 5 seconds) however loaded the machine; none
 *   otherwise: a replay ends at the timeline its failure printed, and the
 *   timelines asked for all run — the test's timeout must allow for them (20 to 100 ms a timeline for grantflow on client credentials on a
 *   loaded 2-core machine). {@link CheckReport}'s `numRuns` says how many ran;
 * - `seed` and `path`: replay a failure, as its message says;
 * - `timelines`: the timelines to try (default {@link Arbitraries.timeline});
 * - `shrink`: look for a smaller failing timeline (default `true`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckOptions extends RunOptions {
  readonly numRuns?: number | undefined
  readonly timeLimit?: Duration.DurationInput | undefined
  readonly seed?: number | undefined
  readonly path?: string | undefined
  readonly timelines?: FastCheck.Arbitrary<Timeline> | undefined
  readonly shrink?: boolean | undefined
}

/**
 * How many timelines {@link check} tries at most when not told otherwise:
 * 100.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 *
 * const tenTimesMore = { numRuns: 10 * Scenario.defaultNumRuns }
 * ```
 */
export const defaultNumRuns: number = internal.defaultNumRuns

/**
 * How long {@link check} runs timelines for when no `numRuns` is given:
 * 2 seconds, well inside vitest's default 5-second timeout.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 * import { Duration } from "effect"
 *
 * Duration.toMillis(Scenario.defaultTimeLimit) // 2000
 * ```
 */
export const defaultTimeLimit: Duration.Duration = internal.defaultTimeLimit

/**
 * What a passing {@link check} did: how many timelines it ran, with which
 * seed.
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckReport {
  readonly numRuns: number
  readonly seed: number
}

/**
 * A timeline broke an invariant. The message shows the (shrunk) timeline,
 * the violations, and the `seed` and `path` that replay it:
 * `Scenario.check(integration, { seed, path })`.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { Scenario } from "@grantflow/testing"
 * import { Effect } from "effect"
 *
 * declare const check: Effect.Effect<Scenario.CheckReport, Scenario.ScenarioFailed>
 * const seedOfFailure = check.pipe(Effect.catchTag("ScenarioFailed", (failure) => Effect.succeed(failure.seed)))
 * ```
 */
export const ScenarioFailed: typeof internal.ScenarioFailed = internal.ScenarioFailed

/**
 * A broken invariant: see the {@link ScenarioFailed} constructor. `numRuns`
 * counts the timelines run up to and including the first failing one;
 * `shrunkFully` is `false` when shrinking stopped at the time limit (the
 * replay, with `seed` and `path`, has none and shrinks further).
 *
 * @since 0.1.0
 * @category errors
 */
export type ScenarioFailed = internal.ScenarioFailed

/**
 * Checks the integration over generated timelines (fast-check), each on a
 * fresh server and its own clock; fails with {@link ScenarioFailed} on the
 * first timeline that breaks an invariant, shrunk to a small one: by
 * fast-check, then by merging adjacent clock advances and dropping each step
 * that the failure does not need.
 *
 * @since 0.1.0
 * @category running
 * @example
 * ```ts
 * import { it } from "@effect/vitest"
 * import { BearerAuth, ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
 * import { Scenario } from "@grantflow/testing"
 * import { Layer, Redacted } from "effect"
 *
 * const endpoint = Endpoint.make({
 *   tokenUrl: "http://127.0.0.1/token",
 *   auth: ClientAuth.clientSecretBasic(Scenario.clientId, Redacted.make(Scenario.clientSecret))
 * })
 * const Integration = BearerAuth.layer().pipe(Layer.provide(TokenProvider.layer(Grant.clientCredentials(endpoint))))
 *
 * // up to 100 timelines, as many as 2 seconds allow: within vitest's default timeout
 * it.effect("keeps every invariant", () => Scenario.check(Integration))
 * // 1,000 timelines, all of them: about 50 s on a loaded 2-core machine, so the test's timeout says 2 minutes
 * it.effect("keeps every invariant, 1,000 times", () => Scenario.check(Integration, { numRuns: 1000 }), 120_000)
 * // replay a failure: Scenario.check(Integration, { seed: 1234, path: "17:3:0" })
 * ```
 */
export const check: <E, RIn extends Services>(
  integration: Layer.Layer<HttpClient.HttpClient, E, RIn>,
  options?: CheckOptions
) => Effect.Effect<CheckReport, ScenarioFailed> = internal.check
