import { FastCheck } from "effect"
import * as Duration from "effect/Duration"
import type {
  DurationRange,
  FaultCases,
  FaultScheduleOptions,
  FaultWeights,
  ProviderQuirksOptions,
  TimelineOptions
} from "../Arbitraries.js"
import type * as AuthServer from "../AuthServer.js"
import type * as Scenario from "../Scenario.js"
import * as FaultValues from "./fault.js"
import { Step } from "./steps.js"

const millisOf = (input: Duration.DurationInput | undefined, fallback: number): number =>
  input === undefined ? fallback : Duration.toMillis(Duration.decode(input))

/**
 * Integers in `[min, max]` drawn from the bands that intersect it, each band
 * as likely as the others: short, middling and long values all turn up, where
 * a uniform draw over hours would almost never give milliseconds.
 */
const banded = (min: number, max: number, bands: ReadonlyArray<readonly [number, number]>) => {
  const arbitraries = bands
    .map(([low, high]) => [Math.max(low, min), Math.min(high, max)] as const)
    // a band cut down to one value would make that value as likely as a whole band
    .filter(([low, high]) => low < high)
    .map(([low, high]) => FastCheck.integer({ min: low, max: high }))
  return arbitraries.length === 0
    ? FastCheck.integer({ min: Math.min(min, max), max: Math.max(min, max) })
    : FastCheck.oneof(...arbitraries)
}

const second = 1_000
const minute = 60 * second
const hour = 60 * minute

/** @internal */
export const tokenLifetime = (range: DurationRange = {}): FastCheck.Arbitrary<Duration.Duration> => {
  const min = Math.max(1, Math.ceil(millisOf(range.min, second) / second))
  const max = Math.floor(millisOf(range.max, 4 * hour) / second)
  return banded(min, max, [[1, 120], [120, 3600], [3600, Number.POSITIVE_INFINITY]]).map(Duration.seconds)
}

/** @internal */
export const clockAdvance = (range: DurationRange = {}): FastCheck.Arbitrary<Duration.Duration> =>
  banded(
    Math.max(1, millisOf(range.min, 1)),
    millisOf(range.max, 2 * hour),
    [[1, second], [second, 2 * minute], [2 * minute, Number.POSITIVE_INFINITY]]
  ).map(Duration.millis)

/** @internal */
export const issueTimeRounding = (range: Pick<DurationRange, "max"> = {}): FastCheck.Arbitrary<Duration.Duration> =>
  zeroMaxOrBetween(millisOf(range.max, second))

/** @internal */
export const eventLoopLag = (range: Pick<DurationRange, "max"> = {}): FastCheck.Arbitrary<Duration.Duration> =>
  zeroMaxOrBetween(millisOf(range.max, second))

/** 0, `max`, or a whole number of milliseconds between: the edges as likely as the values between them. */
const zeroMaxOrBetween = (max: number) =>
  (max < 1
    ? FastCheck.constant(0)
    : FastCheck.oneof(FastCheck.constant(0), FastCheck.constant(Math.floor(max)), FastCheck.integer({ min: 1, max: Math.floor(max) })))
    .map(Duration.millis)

type StatusFault = Extract<AuthServer.Fault, { readonly _tag: "Status" }>

/** A `Retry-After` within the 30 seconds a client is expected to wait out. */
const shortRetryAfter = FastCheck.integer({ min: 1, max: 30 }).map(Duration.seconds)

/** A `Retry-After` or none; most short, some far longer. */
const retryAfter = FastCheck.option(
  FastCheck.oneof(
    { arbitrary: shortRetryAfter, weight: 2 },
    { arbitrary: FastCheck.integer({ min: 31, max: 300 }).map(Duration.seconds), weight: 1 }
  ),
  { nil: undefined }
)

/**
 * 500, 502, 504; 429 and 503 (with `body`, if any) with or without a
 * `Retry-After`; and `permanent`, if any: each as often as `weights` say.
 */
const statusFaults = (options: {
  readonly body: unknown
  readonly retryAfter: FastCheck.Arbitrary<Duration.Duration | undefined>
  readonly permanent?: StatusFault
  readonly weights: { readonly serverError: number; readonly unavailable: number; readonly permanent?: number }
}): FastCheck.Arbitrary<StatusFault> => {
  const body = options.body === undefined ? {} : { body: options.body }
  return FastCheck.oneof(
    {
      arbitrary: FastCheck.constantFrom(500, 502, 504).map((status) => FaultValues.Fault.Status({ status })),
      weight: options.weights.serverError
    },
    {
      arbitrary: FastCheck.record({ status: FastCheck.constantFrom(429, 503), retryAfter: options.retryAfter }).map((
        { retryAfter, status }
      ) => FaultValues.Fault.Status(retryAfter === undefined ? { status, ...body } : { status, retryAfter, ...body })),
      weight: options.weights.unavailable
    },
    ...(options.permanent === undefined
      ? []
      : [{ arbitrary: FastCheck.constant(options.permanent), weight: options.weights.permanent ?? 1 }])
  )
}

/** @internal */
export const statusFault: FastCheck.Arbitrary<StatusFault> = statusFaults({
  body: { error: "temporarily_unavailable" },
  retryAfter,
  permanent: FaultValues.Fault.Status({ status: 400, body: { error: "invalid_client" } }),
  // a retry policy is put to the test by faults it can outlast, so those come most
  weights: { serverError: 2, unavailable: 3, permanent: 1 }
})

/** @internal */
export const apiStatusFault: FastCheck.Arbitrary<StatusFault> = statusFaults({
  body: undefined,
  retryAfter,
  permanent: FaultValues.Fault.Status({ status: 401, body: { error: "invalid_token" } }),
  weights: { serverError: 1, unavailable: 1, permanent: 1 }
})

const latency = clockAdvance({ min: "1 millis", max: "2 minutes" }).map((duration) => FaultValues.Fault.Latency({ duration }))
const malformedJson = FastCheck.constant(FaultValues.Fault.MalformedJson())
const dropConnection = FastCheck.constant(FaultValues.Fault.DropConnection())
const errorBody = FastCheck.constantFrom(FaultValues.ErrorBody(), FaultValues.ErrorBody({ error: "temporarily_unavailable" }))
const lostResponse = FastCheck.boolean().map((drop) => FaultValues.LostResponse({ drop }))

/** @internal */
export const faultCases: Required<FaultCases> = {
  Status: statusFault,
  Latency: latency,
  MalformedJson: malformedJson,
  BlankToken: FastCheck.constant(FaultValues.Fault.BlankToken()),
  DropConnection: dropConnection,
  ErrorBody: errorBody,
  ExpiresIn: FastCheck.constantFrom("string" as const, "missing" as const, "huge" as const).map((as) =>
    FaultValues.Fault.ExpiresIn({ as })
  ),
  MissingTokenType: FastCheck.constant(FaultValues.Fault.MissingTokenType()),
  LostResponse: lostResponse
}

/** @internal */
export const apiFaultCases: Required<FaultCases<AuthServer.AnyEndpointFault>> = {
  Status: apiStatusFault,
  Latency: latency,
  MalformedJson: malformedJson,
  DropConnection: dropConnection,
  ErrorBody: errorBody,
  LostResponse: lostResponse
}

/** @internal */
export const faultWeights: FaultWeights = { Status: 6, DropConnection: 2, Latency: 2 }

const oneOfCases = <F extends AuthServer.Fault>(
  name: string,
  cases: FaultCases<F>,
  weights: FaultWeights
): FastCheck.Arbitrary<F> => {
  const arbitraries = (Object.entries(cases) as ReadonlyArray<[F["_tag"], FastCheck.Arbitrary<F> | undefined]>)
    .flatMap(([tag, arbitrary]) => {
      const weight = weights[tag] ?? 1
      return arbitrary === undefined || weight <= 0 ? [] : [{ arbitrary, weight }]
    })
  if (arbitraries.length === 0) throw new RangeError(`Arbitraries.${name}: no kind of fault to generate`)
  return FastCheck.oneof(...arbitraries)
}

/** @internal */
export const fault = (
  cases: FaultCases = faultCases,
  weights: FaultWeights = faultWeights
): FastCheck.Arbitrary<AuthServer.Fault> => oneOfCases("fault", cases, weights)

/** @internal */
export const apiFault = (
  cases: FaultCases<AuthServer.AnyEndpointFault> = apiFaultCases
): FastCheck.Arbitrary<AuthServer.AnyEndpointFault> => oneOfCases("apiFault", cases, {})

/** @internal */
export const transientFault: FastCheck.Arbitrary<AuthServer.Fault> = FastCheck.oneof(
  {
    arbitrary: statusFaults({
      body: { error: "temporarily_unavailable" },
      retryAfter: FastCheck.option(shortRetryAfter, { nil: undefined }),
      weights: { serverError: 2, unavailable: 3 }
    }),
    weight: 5
  },
  { arbitrary: dropConnection, weight: 1 },
  {
    // past the 30 seconds a client (grantflow's Endpoint, by default) waits for an answer: a time-out
    arbitrary: clockAdvance({ min: "31 seconds", max: "2 minutes" }).map((duration) => FaultValues.Fault.Latency({ duration })),
    weight: 1
  }
)

/** @internal */
export const invalidTokenBodies: ReadonlyArray<unknown> = [
  { ok: false, error: "invalid_auth" },
  { ok: false, error: "token_expired" },
  { error: { code: "InvalidAuthenticationToken", message: "Access token has expired or is not yet valid." } }
]

/** @internal */
export const providerQuirks = (options: ProviderQuirksOptions = {}): FastCheck.Arbitrary<AuthServer.ProviderQuirks> => {
  const bodies = options.bodies ?? invalidTokenBodies
  const statuses = options.statuses ?? [200, 400, 403]
  const quirks: Array<FastCheck.Arbitrary<AuthServer.ProviderQuirks>> = [
    FastCheck.constant({}),
    FastCheck.constant({ expiredTokenStatus: 403 as const })
  ]
  if (bodies.length > 0 && statuses.length > 0) {
    quirks.push(
      FastCheck.record({ status: FastCheck.constantFrom(...statuses), body: FastCheck.constantFrom(...bodies) }).map((
        errorBodyOnInvalidToken
      ) => ({ errorBodyOnInvalidToken }))
    )
  }
  return FastCheck.oneof(...quirks)
}

/** @internal */
export const faultPlan = (options: FaultScheduleOptions = {}): FastCheck.Arbitrary<Scenario.FaultPlan> =>
  FastCheck.record({ fault: options.fault ?? fault(), times: faultTimes(options.maxTimes) })

const faultTimes = (max: number | undefined) => FastCheck.integer({ min: 1, max: Math.max(1, max ?? 3) })

/** @internal */
export const faultSchedule = (
  options: FaultScheduleOptions = {}
): FastCheck.Arbitrary<ReadonlyArray<Scenario.FaultPlan>> =>
  FastCheck.array(faultPlan(options), { maxLength: Math.max(0, options.maxLength ?? 5) })

const defaultWeights: { readonly [Tag in Scenario.Step["_tag"]]: number } = {
  Call: 10,
  Advance: 8,
  Fail: 3,
  FailApi: 2,
  Revoke: 1,
  RevokeAll: 1,
  SetTokenLifetime: 1,
  Restart: 1
}

/** @internal */
export const step = (options: TimelineOptions = {}): FastCheck.Arbitrary<Scenario.Step> => {
  const lifetimes = options.tokenLifetime ?? tokenLifetime()
  const cases: { readonly [Tag in Scenario.Step["_tag"]]: FastCheck.Arbitrary<Scenario.Step> } = {
    Call: FastCheck.integer({ min: 1, max: Math.max(1, options.maxBurst ?? 8) }).map((requests) =>
      Step.Call({ requests })
    ),
    Advance: (options.advance ?? clockAdvance()).map((duration) => Step.Advance({ duration })),
    Fail: faultPlan({ fault: options.fault, maxTimes: options.maxFaultTimes }).map(Step.Fail),
    FailApi: FastCheck.record({ fault: options.apiFault ?? apiFault(), times: faultTimes(options.maxFaultTimes) }).map(
      Step.FailApi
    ),
    Revoke: FastCheck.constant(Step.Revoke()),
    RevokeAll: FastCheck.constant(Step.RevokeAll()),
    SetTokenLifetime: lifetimes.map((lifetime) => Step.SetTokenLifetime({ lifetime })),
    Restart: FastCheck.constant(Step.Restart())
  }
  const weighted = (Object.keys(cases) as Array<Scenario.Step["_tag"]>)
    .map((tag) => ({ arbitrary: cases[tag], weight: options.weights?.[tag] ?? defaultWeights[tag] }))
    .filter(({ weight }) => weight > 0)
  if (weighted.length === 0) throw new RangeError("Arbitraries.step: every kind of step has weight 0")
  return FastCheck.oneof(...weighted)
}

/** @internal */
export const timeline = (options: TimelineOptions = {}): FastCheck.Arbitrary<Scenario.Timeline> => {
  const minSteps = Math.max(0, options.minSteps ?? 0)
  const maxSteps = Math.max(minSteps, options.maxSteps ?? 100)
  const timelines = FastCheck.record({
    tokenLifetime: options.tokenLifetime ?? tokenLifetime(),
    steps: FastCheck.array(step(options), { minLength: minSteps, maxLength: maxSteps, size: "max" }),
    seed: FastCheck.integer()
  })
  const none = FastCheck.constant(undefined)
  const { eventLoopLag, issueTimeRounding, quirks } = options
  if (quirks === undefined && issueTimeRounding === undefined && eventLoopLag === undefined) return timelines
  return FastCheck.tuple(timelines, quirks ?? none, issueTimeRounding ?? none, eventLoopLag ?? none).map((
    [timeline, quirks, issueTimeRounding, eventLoopLag]
  ) => ({
    ...timeline,
    ...(quirks === undefined ? {} : { quirks }),
    ...(issueTimeRounding === undefined ? {} : { issueTimeRounding }),
    ...(eventLoopLag === undefined ? {} : { eventLoopLag })
  }))
}

/** @internal */
export const timingTimeline = (options: TimelineOptions = {}): FastCheck.Arbitrary<Scenario.Timeline> => {
  const lifetimes = tokenLifetime({ min: "3 seconds", max: "10 minutes" })
  return timeline({
    tokenLifetime: lifetimes,
    advance: clockAdvance({ max: "15 minutes" }),
    issueTimeRounding: issueTimeRounding(),
    eventLoopLag: eventLoopLag(),
    ...options,
    weights: {
      Call: 10,
      Advance: 8,
      SetTokenLifetime: 1,
      Restart: 1,
      Fail: 0,
      FailApi: 0,
      Revoke: 0,
      RevokeAll: 0,
      ...options.weights
    }
  })
}

/** @internal */
export const tokenFaultTimeline = (options: TimelineOptions = {}): FastCheck.Arbitrary<Scenario.Timeline> =>
  timeline({ fault: transientFault, ...options, weights: { Fail: 8, ...options.weights } })
