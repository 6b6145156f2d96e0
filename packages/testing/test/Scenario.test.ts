import { HttpClient, HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { BearerAuth, ClientAuth, Grant, TokenProvider } from "@grantflow/core"
import { Clock, Duration, Effect, FastCheck, Layer, Redacted } from "effect"
import * as Arbitraries from "../src/Arbitraries.js"
import * as AuthServer from "../src/AuthServer.js"
import * as Invariants from "../src/Invariants.js"
import * as Scenario from "../src/Scenario.js"

const fetchToken = Grant.clientCredentials({
  tokenUrl: "http://127.0.0.1/token",
  auth: ClientAuth.clientSecretBasic(Scenario.clientId, Redacted.make(Scenario.clientSecret))
})

const Grantflow = BearerAuth.layer().pipe(Layer.provide(TokenProvider.layer(fetchToken)))

/** Gets a token on first use and keeps it for ever. */
const StaticToken = Layer.effect(
  HttpClient.HttpClient,
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    // a failed fetch is a defect: the naive client has no error handling either
    const token = yield* Effect.cached(Effect.orDie(Effect.provideService(fetchToken, HttpClient.HttpClient, http)))
    return HttpClient.mapRequestEffect(
      http,
      (request) => Effect.map(token, (t) => HttpClientRequest.bearerToken(request, Redacted.value(t.token)))
    )
  })
)

/** What went over the wire, each token value replaced by its order of appearance: what a replay must reproduce. */
const wire = (run: Scenario.Run) => {
  const aliases = new Map<string, number>()
  const alias = (token: Redacted.Redacted<string> | undefined) => {
    if (token === undefined) return undefined
    const value = Redacted.value(token)
    if (!aliases.has(value)) aliases.set(value, aliases.size)
    return aliases.get(value)
  }
  return {
    exchanges: run.exchanges.map((exchange) => ({
      ...exchange,
      bearer: alias(exchange.bearer),
      accessToken: alias(exchange.accessToken),
      refreshToken: alias(exchange.refreshToken)
    })),
    calls: run.calls,
    journal: run.journal,
    tokens: run.tokens,
    steps: run.steps
  }
}

describe("Scenario.run", () => {
  it.effect("runs a timeline step by step against a fresh server on the run's own clock", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(
        Grantflow,
        Scenario.timeline([
          Scenario.Call({ requests: 1 }),
          Scenario.Advance({ duration: "2 minutes" }),
          Scenario.Call({ requests: 1 }),
          Scenario.Revoke(),
          Scenario.Call({ requests: 1 }),
          Scenario.Restart(),
          Scenario.Call({ requests: 1 })
        ], { tokenLifetime: "1 minute" })
      )
      assert.deepStrictEqual(violations, [])
      assert.deepStrictEqual(
        run.exchanges.map((e) => [e.generation, e.call, e.endpoint, e.status]),
        [
          [0, 1, "token", 200],
          [0, 1, "api", 200],
          [0, 2, "token", 200], // the first token expired
          [0, 2, "api", 200],
          [0, 3, "api", 401], // revoked
          [0, 3, "token", 200],
          [0, 3, "api", 200], // replayed once
          [1, 4, "token", 200], // a restarted client has no token
          [1, 4, "api", 200]
        ]
      )
      assert.deepStrictEqual(run.steps.map((step) => step.at), [0, 0, 120_000, 120_000, 120_000, 120_000, 120_000])
      assert.deepStrictEqual(run.calls.map((call) => call.outcome), ["success", "success", "success", "success"])
      assert.deepStrictEqual(run.tokens.map((token) => [token.id, token.revoked]), [
        ["t1", false],
        ["t2", true],
        ["t3", false],
        ["t4", false]
      ])
      // the test's own clock did not move
      assert.strictEqual(yield* Clock.currentTimeMillis, 0)
    }))

  it.effect("replays a timeline exactly", () =>
    Effect.gen(function*() {
      const timelines = FastCheck.sample(Arbitraries.timeline({ maxSteps: 60 }), { numRuns: 5, seed: 7 })
      for (const timeline of timelines) {
        const first = yield* Scenario.run(Grantflow, timeline)
        const second = yield* Scenario.run(Grantflow, timeline)
        assert.deepStrictEqual(wire(second.run), wire(first.run), Scenario.format(timeline))
      }
    }))

  it.effect("a fault with Retry-After is recorded with the exchange that met it", () =>
    Effect.gen(function*() {
      const { run } = yield* Scenario.run(
        Grantflow,
        Scenario.timeline([
          Scenario.Fail({ fault: AuthServer.Status({ status: 429, retryAfter: "3 seconds" }), times: 1 }),
          Scenario.Call({ requests: 3 })
        ])
      )
      assert.deepStrictEqual(
        run.exchanges.map((e) => [e.endpoint, e.status, e.retryAfter, e.startedAt]),
        [["token", 429, 3000, 0], ["token", 200, undefined, 3000], ["api", 200, undefined, 3000], [
          "api",
          200,
          undefined,
          3000
        ], ["api", 200, undefined, 3000]]
      )
    }))

  it.effect("a call that never ends breaks callsEnd, after the drain time", () =>
    Effect.gen(function*() {
      const Hanging = Layer.succeed(HttpClient.HttpClient, HttpClient.make(() => Effect.never))
      const { run, violations } = yield* Scenario.run(
        Hanging,
        Scenario.timeline([Scenario.Call({ requests: 2 })]),
        { drain: "10 minutes" }
      )
      assert.deepStrictEqual(run.calls.map((call) => call.outcome), ["pending", "pending"])
      assert.deepStrictEqual(violations.map((violation) => violation.invariant), ["callsEnd", "callsEnd"])
      assert.include(violations[0]!.message, "call #1, started at t=0s, had not ended")
    }))

  it.effect("an integration that cannot be built breaks runCompleted, its error shown without secrets", () =>
    Effect.gen(function*() {
      const Broken = Layer.fail(new Error(`no connection with secret ${Scenario.clientSecret}`))
      const { violations } = yield* Scenario.run(Broken, Scenario.timeline([Scenario.Call({ requests: 1 })]))
      assert.deepStrictEqual(violations.map((violation) => violation.invariant), ["runCompleted", "noSecretInLogs"])
      for (const violation of violations) {
        assert.include(violation.message, "<redacted>")
        assert.notInclude(violation.message, Scenario.clientSecret)
      }
    }))

  it.effect("checks the invariants it is given, one's own included", () =>
    Effect.gen(function*() {
      const everyCallSucceeds = Invariants.make(
        "everyCallSucceeds",
        "no call fails",
        (run) =>
          run.calls.filter((call) => call.outcome !== "success").map((call) => ({
            invariant: "everyCallSucceeds",
            message: `call #${call.id} ended with ${call.outcome}`
          }))
      )
      const { violations } = yield* Scenario.run(
        Grantflow,
        Scenario.timeline([
          Scenario.Fail({ fault: AuthServer.Status({ status: 400, body: { error: "invalid_client" } }), times: 1 }),
          Scenario.Call({ requests: 1 })
        ]),
        { invariants: [everyCallSucceeds] }
      )
      assert.deepStrictEqual(violations, [{ invariant: "everyCallSucceeds", message: "call #1 ended with failure" }])
    }))
})

describe("Scenario.check", () => {
  it.effect("fails with the shrunk timeline, and its seed and path replay it", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(Scenario.check(StaticToken, { numRuns: 100 }))
      assert.strictEqual(failure._tag, "ScenarioFailed")
      assert.include(failure.message, `Replay it with { seed: ${failure.seed}, path: "${failure.path}" }`)
      assert.include(failure.message, Scenario.format(failure.timeline))

      const replayed = yield* Effect.flip(Scenario.check(StaticToken, { seed: failure.seed, path: failure.path }))
      assert.strictEqual(Scenario.format(replayed.timeline), Scenario.format(failure.timeline))
      assert.deepStrictEqual(replayed.violations, failure.violations)
    }))

  it.effect("passes with the number of timelines it ran", () =>
    Effect.gen(function*() {
      const report = yield* Scenario.check(Grantflow, { numRuns: 20, seed: 42 })
      assert.deepStrictEqual(report, { numRuns: 20, seed: 42 })
    }))
})

describe("Scenario.format", () => {
  it("prints every kind of step", () => {
    const text = Scenario.format(Scenario.timeline([
      Scenario.Call({ requests: 1 }),
      Scenario.Call({ requests: 4 }),
      Scenario.Advance({ duration: "90 seconds" }),
      Scenario.Fail({ fault: AuthServer.Status({ status: 503, retryAfter: "10 seconds" }), times: 2 }),
      Scenario.Fail({ fault: AuthServer.MalformedJson(), times: 1 }),
      Scenario.Revoke(),
      Scenario.RevokeAll(),
      Scenario.SetTokenLifetime({ lifetime: "5 minutes" }),
      Scenario.Restart()
    ], { tokenLifetime: "1 hour", seed: 3 }))
    assert.strictEqual(
      text,
      [
        "timeline: tokens live 1h, random seed 3, 9 step(s)",
        "    1. call",
        "    2. call ×4 (concurrently)",
        "    3. advance 1m 30s",
        "    4. fail the next 2 token requests: Status(status: 503, retryAfter: 10 seconds)",
        "    5. fail the next token request: MalformedJson",
        "    6. revoke the token last sent to the API",
        "    7. revoke every token",
        "    8. tokens now live 5m",
        "    9. restart the client"
      ].join("\n")
    )
  })
})

describe("Arbitraries", () => {
  it("timelines stay within their bounds", () =>
    FastCheck.assert(
      FastCheck.property(Arbitraries.timeline({ minSteps: 10, maxSteps: 30, maxBurst: 3 }), (timeline) => {
        assert.isAtLeast(timeline.steps.length, 10)
        assert.isAtMost(timeline.steps.length, 30)
        for (const step of timeline.steps) {
          if (step._tag === "Call") assert.isAtMost(step.requests, 3)
          if (step._tag === "Fail") assert.isAtMost(step.times, 3)
        }
      })
    ))

  it("a weight of 0 leaves a kind of step out", () =>
    FastCheck.assert(
      FastCheck.property(
        Arbitraries.step({ weights: { Call: 0, Fail: 0, Revoke: 0, RevokeAll: 0, SetTokenLifetime: 0, Restart: 0 } }),
        (step) => assert.strictEqual(step._tag, "Advance")
      )
    ))

  it("token lifetimes are whole seconds within the range", () =>
    FastCheck.assert(
      FastCheck.property(Arbitraries.tokenLifetime({ min: "30 seconds", max: "2 hours" }), (lifetime) => {
        const millis = Duration.toMillis(lifetime)
        assert.isAtLeast(millis, 30_000)
        assert.isAtMost(millis, 7_200_000)
        assert.strictEqual(millis % 1000, 0)
      })
    ))

  it("faults come in every kind of faultCases", () => {
    const tags = new Set(FastCheck.sample(Arbitraries.fault(), { numRuns: 300, seed: 1 }).map((fault) => fault._tag))
    assert.deepStrictEqual([...tags].sort(), Object.keys(Arbitraries.faultCases).sort())
  })

  it("a fault schedule is a bounded list of faults with counts", () =>
    FastCheck.assert(
      FastCheck.property(Arbitraries.faultSchedule({ maxLength: 4, maxTimes: 2 }), (schedule) => {
        assert.isAtMost(schedule.length, 4)
        for (const plan of schedule) {
          assert.isAtLeast(plan.times, 1)
          assert.isAtMost(plan.times, 2)
        }
      })
    ))
})
