import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { FastCheck } from "effect"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as AuthServer from "../AuthServer.js"
import * as Invariants from "../Invariants.js"
import type * as Scenario from "../Scenario.js"
import * as arbitraries from "./arbitraries.js"
import * as InMemoryClient from "./inMemoryClient.js"
import { time } from "./invariants.js"
import * as Recorder from "./recorder.js"
import { Step } from "./steps.js"
import * as VirtualClock from "./virtualClock.js"

/** @internal */
export const clientId = "scenario-client"

/** @internal */
export const clientSecret = "scenario-secret-5f0c2a9e-never-printed"

const defaultServer: Omit<AuthServer.Options, "tokenLifetime"> = { clients: [{ clientId, clientSecret }] }

const defaultRequest = (
  client: HttpClient.HttpClient,
  call: { readonly id: number; readonly issuer: string }
): Effect.Effect<HttpClientResponse.HttpClientResponse, unknown> => client.get(`${call.issuer}/api/scenario/${call.id}`)

// Bounds the clock-driving loops: a client that polls every millisecond would
// otherwise keep one busy for millions of rounds.
const maxRounds = 10_000

/** A client secret as it may leak: itself, form-encoded, and inside a Basic credential. */
const encodings = (id: string, secret: string): ReadonlyArray<string> => {
  const form = (text: string) => encodeURIComponent(text).replace(/%20/g, "+")
  return [
    secret,
    encodeURIComponent(secret),
    form(secret),
    Encoding.encodeBase64(`${id}:${secret}`),
    Encoding.encodeBase64(`${form(id)}:${form(secret)}`)
  ]
}

/**
 * The transport of a starved client process: the server handles each request
 * when it is sent, and the client handles the answer (or the failure) `lag`
 * later on the run's clock, as an event loop that far behind gets to each
 * I/O completion late. What the client does without waiting for I/O — serve
 * a cached token, put it on a request and send it — is not delayed.
 */
const starved = (client: HttpClient.HttpClient, lag: Duration.DurationInput | undefined): HttpClient.HttpClient =>
  lag === undefined || !Duration.greaterThan(Duration.decode(lag), Duration.zero)
    ? client
    : HttpClient.transformResponse(client, (answer) => Effect.flatten(Effect.zipLeft(Effect.exit(answer), Effect.sleep(lag))))

const execute = (
  integration: Layer.Layer<HttpClient.HttpClient, unknown, Scenario.Services>,
  timeline: Scenario.Timeline,
  options: Scenario.RunOptions,
  clock: VirtualClock.VirtualClock,
  logs: ReadonlyArray<string>
): Effect.Effect<Scenario.Run> =>
  Effect.gen(function*() {
    const serverOptions: AuthServer.Options = {
      ...(options.server ?? defaultServer),
      ...timeline.quirks,
      ...(timeline.issueTimeRounding === undefined ? {} : { issueTimeRounding: timeline.issueTimeRounding }),
      tokenLifetime: timeline.tokenLifetime
    }

    const server = yield* AuthServer.make(serverOptions)
    const recorder = Recorder.make({
      now: () => clock.unsafeCurrentTimeMillis(),
      issuer: server.issuer,
      invalidTokenAnswer: serverOptions.errorBodyOnInvalidToken,
      tokenHeader: serverOptions.apiTokenHeader,
      routes: serverOptions.routes
    })
    // the run's disk: it outlives restarts of the client
    const storage = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)
    const transport = starved(InMemoryClient.make(server.app, server.issuer), timeline.eventLoopLag)
    const context = Context.make(HttpClient.HttpClient, recorder.wrap(transport))
      .pipe(Context.add(AuthServer.AuthServer, server), Context.add(KeyValueStore.KeyValueStore, storage))
    const request = options.request ?? defaultRequest
    const problems: Array<string> = []
    const steps: Array<Scenario.Run["steps"][number]> = []

    /** Lets the clock run, one sleeper at a time, until `done` or `deadline`. */
    const drive = (done: () => boolean, deadline: number) =>
      Effect.gen(function*() {
        for (let round = 0; round < maxRounds; round++) {
          yield* clock.settle
          if (done()) return true
          const next = clock.nextWake()
          if (next === undefined || next > deadline) return false
          yield* clock.setTime(next)
        }
        return done()
      })

    /**
     * Runs a lifecycle effect of the integration (building or closing its
     * layer), moving the clock if it waits on it, for at most an hour.
     */
    const driven = <A>(what: string, effect: Effect.Effect<A>) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(effect)
        const ended = yield* drive(() => fiber.unsafePoll() !== null, clock.unsafeCurrentTimeMillis() + 3_600_000)
        if (ended) return yield* Fiber.join(fiber)
        yield* Fiber.interruptFork(fiber)
        problems.push(`${what} at ${time(clock.unsafeCurrentTimeMillis())} did not end within an hour`)
        return undefined
      })

    let generation = 0
    let scope: Scope.CloseableScope | undefined = undefined
    let client: HttpClient.HttpClient | undefined = undefined
    let fibers: Array<Fiber.RuntimeFiber<unknown>> = []
    let calls = 0

    const start = Effect.gen(function*() {
      recorder.setGeneration(generation)
      const opened = yield* Scope.make()
      scope = opened
      const built = yield* driven(
        `building the integration (client ${generation})`,
        Effect.exit(Layer.buildWithScope(integration, opened).pipe(Effect.provide(context)))
      )
      client = built !== undefined && Exit.isSuccess(built) ? Context.get(built.value, HttpClient.HttpClient) : undefined
      if (built !== undefined && Exit.isFailure(built)) {
        problems.push(
          `the integration could not be built (client ${generation}, at ${time(clock.unsafeCurrentTimeMillis())}): ` +
            Cause.pretty(built.cause)
        )
      }
    })

    const stop = Effect.gen(function*() {
      const running = fibers
      fibers = []
      yield* driven(`interrupting the calls of client ${generation}`, Fiber.interruptAll(running))
      if (scope !== undefined) {
        yield* driven(`closing the integration's scope (client ${generation})`, Scope.close(scope, Exit.void))
      }
    })

    yield* start
    for (const [index, step] of timeline.steps.entries()) {
      steps.push({ index, step, seq: recorder.nextSeq(), at: clock.unsafeCurrentTimeMillis() })
      switch (step._tag) {
        case "Call": {
          if (client === undefined) break
          for (let i = 0; i < step.requests; i++) {
            const id = ++calls
            recorder.startCall(id)
            const fiber = yield* request(client, { id, issuer: server.issuer }).pipe(
              Effect.onExit((exit) =>
                Effect.withFiberRuntime((fiber) => Effect.sync(() => recorder.endCall(id, exit, fiber.getFiberRefs())))
              ),
              // the outcome is recorded; an unjoined failure would only be logged
              Effect.exit,
              Effect.locally(Recorder.currentCall, id),
              Effect.fork
            )
            fibers.push(fiber)
          }
          // the burst runs as far as it can before the next step
          yield* clock.settle
          break
        }
        case "Advance":
          // the run's clock is the TestClock here
          yield* TestClock.adjust(step.duration)
          break
        case "Fail":
          yield* server.fail(step.fault, { times: step.times })
          break
        case "FailApi":
          yield* server.fail(step.fault, { times: step.times, endpoint: "api" })
          break
        case "Revoke": {
          const bearer = recorder.lastBearer()
          if (bearer !== undefined) yield* server.revoke(bearer)
          break
        }
        case "RevokeAll":
          yield* server.revokeAll
          break
        case "SetTokenLifetime":
          yield* server.setTokenLifetime(step.lifetime)
          break
        case "Restart":
          yield* stop
          generation++
          yield* start
          break
      }
    }

    const drain = Duration.toMillis(Duration.decode(options.drain ?? "1 hour"))
    yield* drive(
      () => !recorder.calls.some((call) => call.outcome === "pending"),
      clock.unsafeCurrentTimeMillis() + drain
    )
    recorder.abandonCalls()
    yield* stop

    const secrets = new Set<string>([
      ...serverOptions.clients.flatMap((registered) =>
        registered.clientSecret === undefined ? [] : encodings(registered.clientId, registered.clientSecret)
      ),
      ...recorder.tokens,
      ...(options.secrets ?? []).map((secret) => Redacted.isRedacted(secret) ? Redacted.value(secret) : secret)
    ])
    return {
      timeline,
      steps,
      journal: yield* server.journal,
      tokens: yield* server.tokens,
      exchanges: recorder.exchanges,
      calls: recorder.calls,
      logs,
      secrets: Array.from(secrets, (secret) => Redacted.make(secret)),
      problems
    }
  })

/** @internal */
export const run = <E, RIn extends Scenario.Services>(
  integration: Layer.Layer<HttpClient.HttpClient, E, RIn>,
  timeline: Scenario.Timeline,
  options: Scenario.RunOptions = {}
): Effect.Effect<Scenario.Report> =>
  Effect.suspend(() => {
    const clock = VirtualClock.make()
    const logs: Array<string> = []
    const capture = Logger.map(Logger.logfmtLogger, (line) => {
      logs.push(line)
    })
    return execute(integration, timeline, options, clock, logs).pipe(
      Effect.withClock(clock),
      Effect.withRandom(Random.make(timeline.seed)),
      Effect.locally(FiberRef.currentLoggers, HashSet.make(capture)),
      Logger.withMinimumLogLevel(LogLevel.All),
      Effect.map((run): Scenario.Report => ({ run, violations: Invariants.check(run, options.invariants) }))
    )
  })

/** @internal */
export const timeline = (
  steps: ReadonlyArray<Scenario.Step>,
  options: {
    readonly tokenLifetime?: Duration.DurationInput | undefined
    readonly seed?: number | undefined
    readonly quirks?: AuthServer.ProviderQuirks | undefined
    readonly issueTimeRounding?: Duration.DurationInput | undefined
    readonly eventLoopLag?: Duration.DurationInput | undefined
  } = {}
): Scenario.Timeline => ({
  tokenLifetime: options.tokenLifetime ?? "1 hour",
  steps,
  seed: options.seed ?? 0,
  ...(options.quirks === undefined ? {} : { quirks: options.quirks }),
  ...(options.issueTimeRounding === undefined ? {} : { issueTimeRounding: options.issueTimeRounding }),
  ...(options.eventLoopLag === undefined ? {} : { eventLoopLag: options.eventLoopLag })
})

/** @internal */
export class ScenarioFailed extends Data.TaggedError("ScenarioFailed")<{
  readonly seed: number
  readonly path: string
  /** Timelines run up to and including the first failing one. */
  readonly numRuns: number
  readonly numShrinks: number
  /** Whether shrinking ran to its end, rather than stopping at the time limit. */
  readonly shrunkFully: boolean
  readonly timeline: Scenario.Timeline
  readonly violations: ReadonlyArray<Invariants.Violation>
}> {
  override get message(): string {
    return failureMessage(this)
  }
}

/** @internal */
export const defaultNumRuns = 100

/** @internal */
export const defaultTimeLimit: Duration.Duration = Duration.seconds(2)

/** @internal */
export const check = <E, RIn extends Scenario.Services>(
  integration: Layer.Layer<HttpClient.HttpClient, E, RIn>,
  options: Scenario.CheckOptions = {}
): Effect.Effect<Scenario.CheckReport, ScenarioFailed> =>
  Effect.gen(function*() {
    const timelines = options.timelines ?? arbitraries.timeline()
    // the latest failing timeline: after shrinking, the counterexample
    let last: { readonly timeline: Scenario.Timeline; readonly violations: ReadonlyArray<Invariants.Violation> } | undefined
    const property = FastCheck.asyncProperty(timelines, async (timeline) => {
      const exit = await Effect.runPromiseExit(run(integration, timeline, options))
      const violations = Exit.isSuccess(exit)
        ? exit.value.violations
        : [{ invariant: "runCompleted", message: `the run died: ${Cause.pretty(exit.cause)}` }]
      if (violations.length === 0) return true
      last = { timeline, violations }
      return false
    })
    // without a number of runs asked for, the check fits a test runner's default timeout (vitest's: 5 s): the
    // search for a failing timeline and, once one is found, its shrinking get the time limit each. A replay
    // (a path) has none: it must end at the timeline the failure printed
    const timeLimit = options.timeLimit ??
      (options.numRuns === undefined && options.path === undefined ? defaultTimeLimit : undefined)
    const limit = timeLimit === undefined
      ? {}
      : { interruptAfterTimeLimit: Math.max(1, Duration.toMillis(Duration.decode(timeLimit))) }
    const found = yield* Effect.promise(() =>
      FastCheck.check(property, {
        numRuns: options.numRuns ?? defaultNumRuns,
        endOnFailure: true,
        ...limit,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.path === undefined ? {} : { path: options.path })
      })
    )
    if (!found.failed || last === undefined) return { numRuns: found.numRuns, seed: found.seed }
    const shrinkingEnds = timeLimit === undefined ? undefined : Date.now() + limit.interruptAfterTimeLimit!
    // fast-check replays the failing timeline from its path and shrinks it from there
    const shrunk = options.shrink === false ? found : yield* Effect.promise(() =>
      FastCheck.check(property, { ...limit, seed: found.seed, path: found.counterexamplePath ?? "" })
    )
    const failure = options.shrink === false ? last : yield* simplify(integration, last, options, shrinkingEnds)
    return yield* Effect.fail(new ScenarioFailed({
      seed: shrunk.seed,
      path: shrunk.counterexamplePath ?? found.counterexamplePath ?? "",
      numRuns: found.numRuns,
      numShrinks: shrunk.numShrinks,
      shrunkFully: options.shrink === false ||
        (!shrunk.interrupted && (shrinkingEnds === undefined || Date.now() < shrinkingEnds)),
      timeline: failure.timeline,
      violations: failure.violations
    }))
  })

/** Adjacent clock advances as one: the same instants reached, fewer steps. */
const mergeAdvances = (steps: ReadonlyArray<Scenario.Step>): ReadonlyArray<Scenario.Step> =>
  steps.reduce<Array<Scenario.Step>>((merged, step) => {
    const previous = merged[merged.length - 1]
    if (step._tag === "Advance" && previous?._tag === "Advance") {
      merged[merged.length - 1] = Step.Advance({
        duration: Duration.sum(Duration.decode(previous.duration), Duration.decode(step.duration))
      })
    } else {
      merged.push(step)
    }
    return merged
  }, [])

/**
 * After fast-check's shrinking, which can stop at a timeline some of whose
 * steps are not needed: merges adjacent clock advances, then drops steps one
 * at a time, as long as the timeline still breaks one of the invariants the
 * counterexample broke, and the deadline, if any, has not passed.
 * Deterministic without a deadline, so a replay ends at the same timeline.
 */
const simplify = <E, RIn extends Scenario.Services>(
  integration: Layer.Layer<HttpClient.HttpClient, E, RIn>,
  counterexample: { readonly timeline: Scenario.Timeline; readonly violations: ReadonlyArray<Invariants.Violation> },
  options: Scenario.RunOptions,
  deadline: number | undefined
) =>
  Effect.gen(function*() {
    const broken = new Set(counterexample.violations.map((violation) => violation.invariant))
    let failure = counterexample
    const attempt = (steps: ReadonlyArray<Scenario.Step>) =>
      Effect.map(run(integration, { ...failure.timeline, steps }, options), (report) => {
        if (!report.violations.some((violation) => broken.has(violation.invariant))) return false
        failure = { timeline: report.run.timeline, violations: report.violations }
        return true
      })

    // past the deadline, the timeline is reported as far as it got
    const late = () => deadline !== undefined && Date.now() >= deadline
    const merged = mergeAdvances(failure.timeline.steps)
    if (merged.length < failure.timeline.steps.length) yield* attempt(merged)
    let removed = true
    while (removed && !late()) {
      removed = false
      for (let index = failure.timeline.steps.length - 1; index >= 0 && !late(); index--) {
        const steps = failure.timeline.steps
        if (yield* attempt([...steps.slice(0, index), ...steps.slice(index + 1)])) removed = true
      }
    }
    return failure
  })

const formatValue = (value: unknown): string => {
  if (Duration.isDuration(value)) return Duration.format(value)
  if (typeof value === "string") return value
  return JSON.stringify(value) ?? String(value)
}

const formatFault = (fault: AuthServer.Fault): string => {
  const fields = Object.entries(fault).filter(([key, value]) => key !== "_tag" && value !== undefined)
  return fields.length === 0
    ? fault._tag
    : `${fault._tag}(${fields.map(([key, value]) => `${key}: ${formatValue(value)}`).join(", ")})`
}

const formatStep = (step: Scenario.Step): string => {
  switch (step._tag) {
    case "Call":
      return step.requests === 1 ? "call" : `call ×${step.requests} (concurrently)`
    case "Advance":
      return `advance ${Duration.format(step.duration)}`
    case "Fail":
      return `fail the next ${step.times === 1 ? "token request" : `${step.times} token requests`}: ${
        formatFault(step.fault)
      }`
    case "FailApi":
      return `fail the next ${step.times === 1 ? "API request" : `${step.times} API requests`}: ${
        formatFault(step.fault)
      }`
    case "Revoke":
      return "revoke the token last sent to the API"
    case "RevokeAll":
      return "revoke every token"
    case "SetTokenLifetime":
      return `tokens now live ${Duration.format(step.lifetime)}`
    case "Restart":
      return "restart the client"
  }
}

const formatQuirks = (quirks: AuthServer.ProviderQuirks | undefined): string => {
  const found = [
    quirks?.expiredTokenStatus === undefined ? [] : [`expired tokens answered ${quirks.expiredTokenStatus}`],
    quirks?.errorBodyOnInvalidToken === undefined ? [] : [
      `unusable tokens answered ${quirks.errorBodyOnInvalidToken.status} ` +
      formatValue(quirks.errorBodyOnInvalidToken.body)
    ]
  ].flat()
  return found.length === 0 ? "" : `, provider quirks: ${found.join("; ")}`
}

const formatTiming = (timeline: Scenario.Timeline): string =>
  [
    timeline.issueTimeRounding === undefined
      ? []
      : [`, issue times rounded down to ${Duration.format(timeline.issueTimeRounding)}`],
    timeline.eventLoopLag === undefined ? [] : [`, the client's event loop ${Duration.format(timeline.eventLoopLag)} behind`]
  ].flat().join("")

/** @internal */
export const formatTimeline = (timeline: Scenario.Timeline): string =>
  [
    `timeline: tokens live ${Duration.format(timeline.tokenLifetime)}, random seed ${timeline.seed}, ` +
    `${timeline.steps.length} step(s)${formatQuirks(timeline.quirks)}${formatTiming(timeline)}`,
    ...timeline.steps.map((step, index) => `  ${String(index + 1).padStart(3)}. ${formatStep(step)}`)
  ].join("\n")

const shown = 10

const failureMessage = (failure: ScenarioFailed): string => {
  const names = Array.from(new Set(failure.violations.map((violation) => violation.invariant)))
  return [
    `Scenario.check: a timeline broke ${names.join(", ")} (run ${failure.numRuns}, shrunk ${failure.numShrinks} ` +
    "time(s)).",
    `Replay it with { seed: ${failure.seed}, path: "${failure.path}" } in the options of Scenario.check.`,
    ...(failure.shrunkFully
      ? []
      : ["Shrinking stopped at the time limit: the replay, which has none, shrinks it further."]),
    formatTimeline(failure.timeline),
    `violations (${failure.violations.length}):`,
    ...failure.violations.slice(0, shown).map((violation) => `  - ${violation.invariant}: ${violation.message}`),
    ...(failure.violations.length > shown ? [`  … and ${failure.violations.length - shown} more`] : [])
  ].join("\n")
}
