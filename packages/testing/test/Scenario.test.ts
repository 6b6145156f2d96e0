import { HttpClient, HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, FastCheck, Layer, Redacted } from "effect"
import * as Arbitraries from "../src/Arbitraries.js"
import * as AuthServer from "../src/AuthServer.js"
import * as Invariants from "../src/Invariants.js"
import * as Scenario from "../src/Scenario.js"
import * as ServerConfig from "../src/ServerConfig.js"
import {
  dpopClient,
  Grantflow,
  GrantflowUser,
  KeepsFirstRefreshToken,
  NoBackoff,
  NoRetry,
  StaticToken,
  userServer
} from "../../core/test/integrations.js"

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

  it.effect("a request at a provider's route is an API exchange however its path is written, as the server routes it", () =>
    Effect.gen(function*() {
      const { run } = yield* Scenario.run(Grantflow, Scenario.timeline([Scenario.Call({ requests: 1 })]), {
        server: {
          clients: [{ clientId: Scenario.clientId, clientSecret: Scenario.clientSecret }],
          routes: { "/v2/Accounts/7": { endpoint: "api" } }
        },
        // a base URL with a trailing slash, or another case, still names the route
        request: (client, call) => client.get(`${call.issuer}/v2/accounts/7/`)
      })
      assert.deepStrictEqual(
        run.exchanges.filter((exchange) => exchange.endpoint !== "token").map((exchange) => [exchange.endpoint, exchange.status]),
        [["api", 200]]
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

describe("Scenario.run: provider quirks and API faults", () => {
  /** A token kept past its expiry: sent three times, the last two after it expired. */
  const expiredTwice = (quirks: AuthServer.ProviderQuirks) =>
    Scenario.timeline([
      Scenario.Call({ requests: 1 }),
      Scenario.Advance({ duration: "2 minutes" }),
      Scenario.Call({ requests: 1 }),
      Scenario.Call({ requests: 1 })
    ], { tokenLifetime: "1 minute", quirks })

  const answers = (run: Scenario.Run) =>
    run.exchanges.filter((e) => e.endpoint === "api").map((e) => [e.status, e.rejected] as const)

  it.effect("an expired token answered 403 with an invalid_token challenge is a rejection", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(StaticToken, expiredTwice({ expiredTokenStatus: 403 }))
      assert.deepStrictEqual(answers(run), [[200, false], [403, true], [403, true]])
      assert.deepStrictEqual(
        violations.map((violation) => violation.invariant),
        ["noExpiredToken", "noExpiredToken", "noRejectedTokenReuse"]
      )
      assert.include(violations[2]!.message, "the token the API had rejected (status 403)")
    }))

  it.effect("the quirk's error body is a rejection, whatever its status; another error body is not", () =>
    Effect.gen(function*() {
      const quirks = { errorBodyOnInvalidToken: { status: 200, body: { ok: false, error: "invalid_auth" } } }
      const { run, violations } = yield* Scenario.run(StaticToken, expiredTwice(quirks))
      assert.deepStrictEqual(answers(run), [[200, false], [200, true], [200, true]])
      assert.include(violations.map((violation) => violation.invariant), "noRejectedTokenReuse")

      const other = yield* Scenario.run(
        StaticToken,
        Scenario.timeline([
          Scenario.FailApi({ fault: AuthServer.ErrorBody(), times: 1 }),
          Scenario.Call({ requests: 1 }),
          Scenario.Call({ requests: 1 })
        ], { quirks })
      )
      assert.deepStrictEqual(answers(other.run), [[200, false], [200, false]])
      assert.deepStrictEqual(other.violations, [])
    }))

  it.effect("the same timeline without quirks gets 401s", () =>
    Effect.gen(function*() {
      const { run } = yield* Scenario.run(StaticToken, expiredTwice({}))
      assert.deepStrictEqual(answers(run), [[200, false], [401, true], [401, true]])
    }))

  it.effect("an API fault meets the next API requests, and grantflow answers a spurious 401 with a new token", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(
        Grantflow,
        Scenario.timeline([
          Scenario.FailApi({ fault: AuthServer.Status({ status: 503, retryAfter: "5 seconds" }), times: 1 }),
          Scenario.Call({ requests: 1 }),
          Scenario.FailApi({ fault: AuthServer.Status({ status: 401, body: { error: "invalid_token" } }), times: 1 }),
          Scenario.Call({ requests: 1 }),
          Scenario.Call({ requests: 1 })
        ])
      )
      assert.deepStrictEqual(
        run.exchanges.map((e) => [e.endpoint, e.status, e.call] as const),
        [["token", 200, 1], ["api", 503, 1], ["api", 401, 2], ["token", 200, 2], ["api", 200, 2], ["api", 200, 3]]
      )
      assert.deepStrictEqual(run.calls.map((call) => call.status), [503, 200, 200])
      const bearers = run.exchanges.filter((e) => e.endpoint === "api").map((e) => Redacted.value(e.bearer!))
      assert.strictEqual(bearers[0], bearers[1])
      assert.notStrictEqual(bearers[2], bearers[1])
      assert.strictEqual(bearers[3], bearers[2])
      assert.deepStrictEqual(violations, [])
    }))
  it.effect("a call failed by a dropped API connection reports its error as a logger shows it, token redacted", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(
        Grantflow,
        Scenario.timeline([Scenario.FailApi({ fault: AuthServer.DropConnection(), times: 1 }), Scenario.Call({ requests: 1 })])
      )
      const [call] = run.calls
      assert.strictEqual(call!.outcome, "failure")
      assert.include(call!.error, "Transport error (GET http://127.0.0.1/api/scenario/1)")
      assert.include(call!.error, `"authorization":"<redacted>"`)
      assert.deepStrictEqual(violations, [])
    }))
})

describe("Scenario.run: a user's connection", () => {
  it.effect("the run's KeyValueStore outlives restarts: a restarted client refreshes with the rotated token", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(
        GrantflowUser,
        Scenario.timeline([
          Scenario.Call({ requests: 1 }),
          Scenario.Advance({ duration: "2 hours" }),
          Scenario.Call({ requests: 1 }),
          Scenario.Restart(),
          Scenario.Advance({ duration: "2 hours" }),
          Scenario.Call({ requests: 2 })
        ]),
        { server: userServer }
      )
      assert.deepStrictEqual(violations, [])
      const refreshes = run.exchanges.filter((e) => e.endpoint === "token")
      assert.deepStrictEqual(refreshes.map((e) => [e.generation, e.status]), [[0, 200], [1, 200]])
      // the second refresh sent what the first received
      assert.strictEqual(Redacted.value(refreshes[1]!.sentRefreshToken!), Redacted.value(refreshes[0]!.refreshToken!))
      assert.deepStrictEqual(run.journal.filter((e) => e.endpoint === "token").map((e) => e.refreshTokenId), ["r1", "r2"])
    }))

  it.effect("a client that refreshes again with a replaced refresh token breaks noRefreshTokenReuse", () =>
    Effect.gen(function*() {
      const { violations } = yield* Scenario.run(
        KeepsFirstRefreshToken,
        Scenario.timeline([
          Scenario.Call({ requests: 1 }),
          Scenario.Advance({ duration: "2 hours" }),
          Scenario.Call({ requests: 1 })
        ]),
        { server: userServer, invariants: [Invariants.noRefreshTokenReuse] }
      )
      assert.strictEqual(violations.length, 1)
      assert.include(
        violations[0]!.message,
        "call #2 sent at t=2h (client 0) a refresh token that the answer to call #1 (client 0) had replaced"
      )
    }))

  it.effect("a refresh whose answer was lost may be sent again", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(
        GrantflowUser,
        Scenario.timeline([
          Scenario.Call({ requests: 1 }),
          Scenario.Advance({ duration: "2 hours" }),
          Scenario.Fail({ fault: AuthServer.LostResponse({ drop: true }), times: 1 }),
          Scenario.Call({ requests: 1 })
        ]),
        { server: { ...userServer, refreshGrace: "1 minute" } }
      )
      assert.deepStrictEqual(run.exchanges.filter((e) => e.endpoint === "token").map((e) => e.outcome), [
        "failure",
        "response"
      ])
      assert.deepStrictEqual(violations, [])
    }))
})

describe("Scenario.run: timing", () => {
  it.effect("a server that rounds issue times down issues tokens that really expire earlier than expires_in says", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(
        Grantflow,
        Scenario.timeline([
          Scenario.Advance({ duration: "700 millis" }),
          Scenario.Call({ requests: 1 }),
          // 3-second tokens: grantflow stops serving t1 1.5 s before the 3.7 s it computes, at 2.2 s
          Scenario.Advance({ duration: "1499 millis" }),
          Scenario.Call({ requests: 1 }),
          Scenario.Advance({ duration: "1 millis" }),
          Scenario.Call({ requests: 1 })
        ], { tokenLifetime: "3 seconds", issueTimeRounding: "1 second" })
      )
      const [first] = run.tokens
      // requested at 0.7 s, issued as of 0 s: it dies at 3 s, 0.7 s before `expires_in` says
      assert.deepStrictEqual([first!.issuedAt, first!.expiresAt], [0, 3_000])
      assert.deepStrictEqual(run.exchanges.filter((e) => e.endpoint === "token").map((e) => e.startedAt), [700, 2_200])
      assert.deepStrictEqual(run.calls.map((call) => call.outcome), ["success", "success", "success"])
      assert.deepStrictEqual(violations, [])
    }))

  it("the server's issue-time rounding is a field of its configuration document too", () => {
    const options = Either.getOrThrow(ServerConfig.decode({ clients: [{ clientId: "app" }], issueTimeRounding: 1 }))
    assert.deepStrictEqual(options.issueTimeRounding, Duration.seconds(1))
  })

  it.effect("a starved client handles each answer lag late: its refresh obtains the token that late", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(
        Grantflow,
        Scenario.timeline([Scenario.Call({ requests: 1 }), Scenario.Advance({ duration: "1 second" })], {
          eventLoopLag: "300 millis"
        })
      )
      const [token, api] = run.exchanges
      assert.deepStrictEqual([token!.endpoint, token!.startedAt, token!.endedAt], ["token", 0, 300])
      // the server issued it when the request arrived
      assert.strictEqual(run.tokens[0]!.issuedAt, 0)
      assert.deepStrictEqual([api!.endpoint, api!.startedAt, api!.endedAt], ["api", 300, 600])
      assert.deepStrictEqual([run.calls[0]!.outcome, run.calls[0]!.endedAt], ["success", 600])
      assert.deepStrictEqual(violations, [])
    }))

  it.effect("noCallerFailure reports each failed call with what it reported, secrets cut out", () =>
    Effect.gen(function*() {
      const { violations } = yield* Scenario.run(
        Grantflow,
        Scenario.timeline([
          Scenario.FailApi({ fault: AuthServer.Status({ status: 401, body: { error: "invalid_token" } }), times: 2 }),
          Scenario.Call({ requests: 1 }),
          Scenario.Call({ requests: 1 })
        ]),
        { invariants: [Invariants.noCallerFailure, Invariants.noStaleReplay] }
      )
      assert.deepStrictEqual(violations.map((violation) => violation.invariant), ["noCallerFailure"])
      assert.include(violations[0]!.message, "call #1, started at t=0s, failed at t=0s: ")
      assert.include(violations[0]!.message, "with a freshly obtained token too")
      assert.notInclude(violations[0]!.message, Scenario.clientSecret)
    }))

  it.effect("noStaleReplay: a replay must carry a token requested after the rejection", () =>
    Effect.gen(function*() {
      // a client that replays a rejected request with the very token that was rejected
      const SameToken = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (http) =>
          HttpClient.mapRequest(http, (request) => request.pipe(HttpClientRequest.bearerToken("fixed")))
            .pipe(HttpClient.transformResponse((response) =>
              Effect.flatMap(response, (first) =>
                first.status === 401 ? http.execute(HttpClientRequest.bearerToken(first.request, "fixed")) : Effect.succeed(first)
              )
            )))
      )
      const { violations } = yield* Scenario.run(SameToken, Scenario.timeline([Scenario.Call({ requests: 1 })]), {
        invariants: [Invariants.noStaleReplay]
      })
      assert.strictEqual(violations.length, 1)
      assert.include(violations[0]!.message, "call #1 replayed its request at t=0s, after the API rejected its token")
      assert.include(violations[0]!.message, "with a token the API had rejected (status 401")
    }))
})

describe("Scenario.run: retry policies", () => {
  const unavailable = AuthServer.Status({ status: 503 })
  const outage = (times: number, fault: AuthServer.Fault = unavailable) =>
    Scenario.timeline([Scenario.Fail({ fault, times }), Scenario.Call({ requests: 2 }), Scenario.Advance({ duration: "1 minute" })])
  const broken = (report: Scenario.Report) => report.violations.map((violation) => violation.invariant)

  it.effect("a client that gives up at the first 503 breaks transientFailuresRetried; grantflow retries", () =>
    Effect.gen(function*() {
      const noRetry = yield* Scenario.run(NoRetry, outage(1))
      assert.deepStrictEqual(broken(noRetry), ["transientFailuresRetried", "transientFailuresRetried"])
      assert.include(
        noRetry.violations[0]!.message,
        "call #1 failed at t=0s, after the token endpoint had failed only 1 time(s) in a row, the last in a way a " +
          "retry cures (503 at t=0s): retry transient token endpoint failures — at least 3 attempts"
      )
      const grantflow = yield* Scenario.run(Grantflow, outage(2))
      assert.deepStrictEqual(grantflow.run.calls.map((call) => call.outcome), ["success", "success"])
      assert.deepStrictEqual(grantflow.violations, [])
    }))

  it.effect("a call may fail after more failures in a row than tolerated, a permanent failure or a long Retry-After", () =>
    Effect.gen(function*() {
      const invariants = [Invariants.transientFailuresRetried]
      // grantflow makes 5 attempts
      const longOutage = yield* Scenario.run(Grantflow, outage(5), { invariants })
      assert.deepStrictEqual(longOutage.run.calls.map((call) => call.outcome), ["failure", "failure"])
      assert.deepStrictEqual(longOutage.violations, [])
      for (
        const fault of [
          AuthServer.Status({ status: 400, body: { error: "invalid_client" } }),
          AuthServer.Status({ status: 503, retryAfter: "31 seconds" }),
          AuthServer.MalformedJson()
        ]
      ) {
        assert.deepStrictEqual(broken(yield* Scenario.run(NoRetry, outage(1, fault), { invariants })), [])
      }
      // failures in a row are counted across calls: the third call fails after three, more than tolerated
      assert.deepStrictEqual(
        broken(yield* Scenario.run(NoRetry, Scenario.timeline([
          Scenario.Fail({ fault: unavailable, times: 3 }),
          Scenario.Call({ requests: 1 }),
          Scenario.Advance({ duration: "10 seconds" }),
          Scenario.Call({ requests: 1 }),
          Scenario.Advance({ duration: "10 seconds" }),
          Scenario.Call({ requests: 1 })
        ]), { invariants })),
        ["transientFailuresRetried", "transientFailuresRetried"]
      )
      // the tolerance is an option
      const patient = Invariants.makeTransientFailuresRetried({ failures: 5 })
      assert.deepStrictEqual(broken(yield* Scenario.run(Grantflow, outage(5), { invariants: [patient] })), [
        "transientFailuresRetried",
        "transientFailuresRetried"
      ])
    }))

  it.effect("a client that retries at once, again and again, breaks retriesBackOff; one prompt retry is fine", () =>
    Effect.gen(function*() {
      const hammering = yield* Scenario.run(NoBackoff, outage(3))
      assert.deepStrictEqual(broken(hammering), ["retriesBackOff"])
      assert.include(
        hammering.violations[0]!.message,
        "the client sent 3 token requests between t=0s and t=0s, within 100ms of a failed one (503 at t=0s): back off"
      )
      assert.deepStrictEqual(broken(yield* Scenario.run(NoBackoff, outage(1))), [])
      assert.deepStrictEqual(broken(yield* Scenario.run(Grantflow, outage(4))), [])
      const strict = Invariants.makeRetriesBackOff({ window: "1 second", requests: 1 })
      assert.deepStrictEqual(broken(yield* Scenario.run(Grantflow, outage(4), { invariants: [strict] })), ["retriesBackOff"])
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

  it.effect("without numRuns, runs timelines for as long as its time limit allows", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const report = yield* Scenario.check(Grantflow, { timeLimit: "300 millis" })
      assert.isAtLeast(report.numRuns, 1)
      assert.isBelow(report.numRuns, Scenario.defaultNumRuns)
      // the timeline running at the limit ends first
      assert.isBelow(Date.now() - started, 3_000)
      assert.strictEqual(Duration.toMillis(Scenario.defaultTimeLimit), 2_000)
    }))

  it("a failure whose shrinking stopped at the time limit says how to shrink it further", () => {
    const failure = (shrunkFully: boolean) =>
      new Scenario.ScenarioFailed({
        seed: 7,
        path: "3:1",
        numRuns: 4,
        numShrinks: 1,
        shrunkFully,
        timeline: Scenario.timeline([Scenario.Call({ requests: 1 })]),
        violations: [{ invariant: "callsEnd", message: "call #1 had not ended" }]
      }).message
    assert.include(failure(false), "Shrinking stopped at the time limit: the replay, which has none, shrinks it further.")
    assert.notInclude(failure(true), "Shrinking stopped")
  })

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
      Scenario.FailApi({ fault: AuthServer.Status({ status: 401 }), times: 1 }),
      Scenario.FailApi({ fault: AuthServer.DropConnection(), times: 3 }),
      Scenario.Revoke(),
      Scenario.RevokeAll(),
      Scenario.SetTokenLifetime({ lifetime: "5 minutes" }),
      Scenario.Restart()
    ], { tokenLifetime: "1 hour", seed: 3 }))
    assert.strictEqual(
      text,
      [
        "timeline: tokens live 1h, random seed 3, 11 step(s)",
        "    1. call",
        "    2. call ×4 (concurrently)",
        "    3. advance 1m 30s",
        "    4. fail the next 2 token requests: Status(status: 503, retryAfter: 10 seconds)",
        "    5. fail the next token request: MalformedJson",
        "    6. fail the next API request: Status(status: 401)",
        "    7. fail the next 3 API requests: DropConnection",
        "    8. revoke the token last sent to the API",
        "    9. revoke every token",
        "   10. tokens now live 5m",
        "   11. restart the client"
      ].join("\n")
    )
  })

  it("prints the provider quirks of a timeline", () => {
    const header = (quirks: AuthServer.ProviderQuirks) =>
      Scenario.format(Scenario.timeline([], { tokenLifetime: "1 minute", quirks }))
    assert.strictEqual(
      header({ expiredTokenStatus: 403 }),
      "timeline: tokens live 1m, random seed 0, 0 step(s), provider quirks: expired tokens answered 403"
    )
    assert.strictEqual(
      header({ errorBodyOnInvalidToken: { status: 200, body: { ok: false, error: "invalid_auth" } } }),
      "timeline: tokens live 1m, random seed 0, 0 step(s), provider quirks: unusable tokens answered 200 " +
        `{"ok":false,"error":"invalid_auth"}`
    )
    assert.strictEqual(header({}), "timeline: tokens live 1m, random seed 0, 0 step(s)")
  })

  it("prints the timing of a timeline", () => {
    assert.strictEqual(
      Scenario.format(Scenario.timeline([], { tokenLifetime: "3 seconds", issueTimeRounding: "1 second", eventLoopLag: "250 millis" })),
      "timeline: tokens live 3s, random seed 0, 0 step(s), issue times rounded down to 1s, the client's event loop " +
        "250ms behind"
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
          if (step._tag === "Fail" || step._tag === "FailApi") assert.isAtMost(step.times, 3)
        }
      })
    ))

  it("a weight of 0 leaves a kind of step out", () =>
    FastCheck.assert(
      FastCheck.property(
        Arbitraries.step({
          weights: { Call: 0, Fail: 0, FailApi: 0, Revoke: 0, RevokeAll: 0, SetTokenLifetime: 0, Restart: 0 }
        }),
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

  it("faults a retry cures come most, and weights change how often each kind comes", () => {
    const count = (faults: ReadonlyArray<AuthServer.Fault>, tag: AuthServer.Fault["_tag"]) =>
      faults.filter((fault) => fault._tag === tag).length
    const weighted = FastCheck.sample(Arbitraries.fault(), { numRuns: 2_000, seed: 1 })
    assert.isAbove(count(weighted, "Status"), 4 * count(weighted, "MalformedJson"))
    const even = FastCheck.sample(Arbitraries.fault(Arbitraries.faultCases, {}), { numRuns: 2_000, seed: 1 })
    assert.isBelow(count(even, "Status"), 2 * count(even, "MalformedJson"))
    const noStatus = FastCheck.sample(Arbitraries.fault(Arbitraries.faultCases, { Status: 0 }), { numRuns: 300, seed: 1 })
    assert.strictEqual(count(noStatus, "Status"), 0)
  })

  it("transient faults are only those a retry cures; token fault timelines are full of them", () => {
    for (const fault of FastCheck.sample(Arbitraries.transientFault, { numRuns: 300, seed: 1 })) {
      switch (fault._tag) {
        case "Status":
          assert.include([429, 500, 502, 503, 504], fault.status)
          if (fault.retryAfter !== undefined) assert.isAtMost(Duration.toMillis(fault.retryAfter), 30_000)
          break
        case "Latency":
          assert.isAbove(Duration.toMillis(fault.duration), 30_000)
          break
        default:
          assert.strictEqual(fault._tag, "DropConnection")
      }
    }
    const steps = FastCheck.sample(Arbitraries.tokenFaultTimeline({ maxSteps: 30 }), { numRuns: 50, seed: 1 })
      .flatMap((timeline) => timeline.steps)
    const fails = steps.filter((step) => step._tag === "Fail")
    assert.isAbove(fails.length, steps.length / 5)
    for (const step of fails) assert.include(["Status", "Latency", "DropConnection"], step.fault._tag)
  })

  it("API faults come in every kind of apiFaultCases, token-response faults never", () => {
    const tags = new Set(FastCheck.sample(Arbitraries.apiFault(), { numRuns: 300, seed: 1 }).map((fault) => fault._tag))
    assert.deepStrictEqual([...tags].sort(), Object.keys(Arbitraries.apiFaultCases).sort())
  })

  it("provider quirks: none, 403 for expired tokens, and each error body with each status", () => {
    const quirks = FastCheck.sample(Arbitraries.providerQuirks({ statuses: [200, 400] }), { numRuns: 500, seed: 1 })
    const seen = new Set(quirks.map((quirk) => JSON.stringify(quirk)))
    const expected = [
      {},
      { expiredTokenStatus: 403 },
      ...[200, 400].flatMap((status) =>
        Arbitraries.invalidTokenBodies.map((body) => ({ errorBodyOnInvalidToken: { status, body } }))
      )
    ].map((quirk) => JSON.stringify(quirk))
    assert.deepStrictEqual([...seen].sort(), expected.sort())
  })

  it("timing timelines: no faults nor revocations, tokens of 3 s or more, up to 1 s of rounding and of lag", () =>
    FastCheck.assert(
      FastCheck.property(Arbitraries.timingTimeline({ maxSteps: 30 }), (timeline) => {
        assert.isAtLeast(Duration.toMillis(timeline.tokenLifetime), 3_000)
        assert.isAtMost(Duration.toMillis(timeline.issueTimeRounding!), 1_000)
        assert.isAtMost(Duration.toMillis(timeline.eventLoopLag!), 1_000)
        for (const step of timeline.steps) {
          assert.include(["Call", "Advance", "SetTokenLifetime", "Restart"], step._tag)
          if (step._tag === "SetTokenLifetime") assert.isAtLeast(Duration.toMillis(step.lifetime), 3_000)
        }
      }),
      { numRuns: 200 }
    ))

  it("issue-time rounding and event-loop lag: none, the maximum, and values between", () => {
    const rounding = new Set(FastCheck.sample(Arbitraries.issueTimeRounding(), { numRuns: 300, seed: 3 }).map(Duration.toMillis))
    assert.isTrue(rounding.has(0) && rounding.has(1_000) && rounding.size > 10)
    for (const lag of FastCheck.sample(Arbitraries.eventLoopLag({ max: "100 millis" }), 100)) {
      assert.isAtMost(Duration.toMillis(lag), 100)
    }
  })

  it("timelines carry quirks only when asked to", () => {
    for (const timeline of FastCheck.sample(Arbitraries.timeline({ maxSteps: 3 }), { numRuns: 20, seed: 2 })) {
      assert.notProperty(timeline, "quirks")
      assert.notProperty(timeline, "issueTimeRounding")
      assert.notProperty(timeline, "eventLoopLag")
    }
    const quirks = { expiredTokenStatus: 403 as const }
    const sampled = FastCheck.sample(Arbitraries.timeline({ maxSteps: 3, quirks: FastCheck.constant(quirks) }), 20)
    for (const timeline of sampled) assert.deepStrictEqual(timeline.quirks, quirks)
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

describe("Scenario.run: DPoP and discovery", () => {
  const dpopServer = (rotateEvery: Duration.DurationInput) => ({
    clients: [{ clientId: Scenario.clientId, clientSecret: Scenario.clientSecret }],
    dpop: { required: true, nonce: { rotateEvery } }
  })
  const timeline = Scenario.timeline([
    Scenario.Call({ requests: 2 }),
    Scenario.Advance({ duration: "2 hours" }),
    Scenario.Call({ requests: 2 })
  ], { tokenLifetime: "1 hour" })
  const invariants = [...Invariants.all, Invariants.noUnvalidatedIssuer]
  const broken = (report: Scenario.Report) => new Set(report.violations.map((violation) => violation.invariant))

  it.effect("records the scheme, each proof and the nonce challenges, which are neither failures nor rejections", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(dpopClient({ discover: true }), timeline, {
        server: dpopServer("1 minute"),
        invariants
      })
      assert.deepStrictEqual(violations, [])
      const token = run.exchanges.filter((e) => e.endpoint === "token")
      const api = run.exchanges.filter((e) => e.endpoint === "api")
      // each token request met the nonce challenge first: the nonce had rotated since the last one
      assert.deepStrictEqual(token.map((e) => [e.status, e.dpopNonce, e.tokenType]), [
        [400, true, undefined],
        [200, false, "DPoP"],
        [400, true, undefined],
        [200, false, "DPoP"]
      ])
      assert.isTrue(api.every((e) => e.scheme === "DPoP" && e.dpop?.ath !== undefined && !e.rejected))
      // concurrent calls sign their proofs at once: WebCrypto answers them in any order
      assert.deepStrictEqual(api.map((e) => e.origin + e.path).sort(), [
        "http://127.0.0.1/api/scenario/1",
        "http://127.0.0.1/api/scenario/2",
        "http://127.0.0.1/api/scenario/3",
        "http://127.0.0.1/api/scenario/4"
      ])
      const proofs = run.exchanges.flatMap((e) => e.dpop === undefined ? [] : [e.dpop])
      assert.strictEqual(new Set(proofs.map((proof) => proof.key)).size, 1)
      assert.strictEqual(new Set(proofs.map((proof) => proof.jti)).size, proofs.length)
    }))

  it.effect("a client that sends a proof twice breaks noDpopProofReuse", () =>
    Effect.gen(function*() {
      let first: string | undefined
      const reuses = dpopClient({ change: (request) => {
        if (request.headers.dpop === undefined || !request.url.includes("/api/")) return request
        first ??= request.headers.dpop
        return HttpClientRequest.setHeader(request, "dpop", first)
      } })
      const report = yield* Scenario.run(reuses, timeline, { server: dpopServer("1 hour") })
      assert.isTrue(broken(report).has("noDpopProofReuse"))
      assert.include(
        report.violations.find((v) => v.invariant === "noDpopProofReuse")!.message,
        "call #2 sent GET /api/scenario/2 at t=0s with a DPoP proof whose jti call #1 had sent already"
      )
    }))

  it.effect("a client that sends a bound token as a bearer token, or without its proof, breaks noUnprovenDpopToken", () =>
    Effect.gen(function*() {
      const asBearer = dpopClient({
        change: (request) =>
          request.url.includes("/api/")
            ? HttpClientRequest.setHeader(request, "authorization", request.headers.authorization!.replace(/^DPoP /, "Bearer "))
            : request
      })
      const bearer = yield* Scenario.run(asBearer, timeline, { server: dpopServer("1 hour") })
      assert.match(
        bearer.violations.find((v) => v.invariant === "noUnprovenDpopToken")!.message,
        /^call #(\d) sent the DPoP-bound token issued at t=0s to GET \/api\/scenario\/\1 at t=0s as a Bearer token instead of in the DPoP scheme/
      )
      const withoutProof = dpopClient({
        change: (request) => request.url.includes("/api/") ? HttpClientRequest.setHeader(request, "dpop", "") : request
      })
      const bare = yield* Scenario.run(withoutProof, timeline, { server: dpopServer("1 hour") })
      assert.isTrue(bare.violations.some((v) => v.invariant === "noUnprovenDpopToken" && v.message.includes("without a DPoP proof")))
    }))

  it.effect("a proof that is not a JWT, or too long to be one, is recorded as such, not decoded", () =>
    Effect.gen(function*() {
      // a call sends its request twice at most: once, and once more after the server refused the proof
      const proofs = ["e30.bm90IGpzb24.x", `${"a".repeat(9000)}.e30.x`]
      let sent = 0
      const garbled = dpopClient({
        change: (request) =>
          request.url.includes("/api/") ? HttpClientRequest.setHeader(request, "dpop", proofs[sent++ % proofs.length]!) : request
      })
      const { run } = yield* Scenario.run(garbled, Scenario.timeline([Scenario.Call({ requests: 1 })]), {
        server: dpopServer("1 hour")
      })
      const recorded = run.exchanges.filter((e) => e.endpoint === "api").map((e) => e.dpop)
      assert.deepStrictEqual(recorded, [
        { key: undefined, jti: undefined, htm: undefined, htu: undefined, ath: undefined, nonce: undefined },
        undefined
      ])
    }))

  it.effect("token requests to an origin whose metadata the client never fetched break noUnvalidatedIssuer", () =>
    Effect.gen(function*() {
      // configured with its token URL: nothing was validated
      const configured = yield* Scenario.run(dpopClient(), timeline, { server: dpopServer("1 hour"), invariants })
      assert.deepStrictEqual([...broken(configured)], ["noUnvalidatedIssuer"])
      // discovered, but a token request goes elsewhere
      const elsewhere = dpopClient({
        discover: true,
        change: (request) => request.url.endsWith("/token") ? HttpClientRequest.setUrl(request, "http://localhost/token") : request
      })
      const report = yield* Scenario.run(elsewhere, timeline, { server: dpopServer("1 hour"), invariants })
      assert.include(
        report.violations.find((v) => v.invariant === "noUnvalidatedIssuer")!.message,
        "sent a token request to http://localhost/token at t=0s, an origin whose authorization server metadata it had not fetched"
      )
    }))
})
