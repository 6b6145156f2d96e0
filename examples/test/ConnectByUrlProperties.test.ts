/**
 * The connect-by-url connection (`connect-by-url/connect.ts`) under generated
 * timelines of the Scenario kit, in memory: the user approves on the consent
 * page by plain HTTP. The server wants DPoP with nonces that rotate, pushed
 * authorization requests, and registered clients whose secrets expire; the
 * timelines bring clock moves of seconds to hours (nonce rotations, a 401
 * `use_dpop_nonce` at the API, expired secrets and so new registrations),
 * rotated refresh tokens, revocations, outages and restarts (the connection
 * made again over the same store). No run may break an invariant, the DPoP
 * and discovery ones included.
 */
import { assert, describe, it } from "@effect/vitest"
import { Headers, HttpClient, HttpClientRequest } from "@effect/platform"
import { AuthorizationCode, BearerAuth, type Endpoint, TokenError, TokenProvider, TokenStore } from "@grantflow/core"
import { Arbitraries, AuthServer, Invariants, Scenario } from "@grantflow/testing"
import { Duration, Effect, Layer, Option, Schedule } from "effect"
import * as ConnectByUrl from "../connect-by-url/connect.js"
import * as Simulated from "../connect-by-url/simulated.js"

/** The user signs in: the request pushed, the consent approved over HTTP, the code exchanged. */
const signIn = (endpoint: Endpoint.Endpoint, request: ConnectByUrl.SignIn) =>
  Effect.gen(function*() {
    const { pending, url } = yield* AuthorizationCode.push(endpoint, {
      authorizeUrl: request.authorizeUrl,
      clientId: endpoint.auth!.clientId,
      redirectUri: "http://127.0.0.1/callback",
      scopes: request.scopes,
      resource: request.resource
    })
    const back = yield* Simulated.consent(url)
    const result = yield* AuthorizationCode.callback(pending, back, {
      issuer: request.issuer,
      issuerRequired: request.issuerRequired
    })
    return yield* AuthorizationCode.exchange(endpoint, pending, result)
  })

/** The server's wait, when an error carries one (a code exchange's error carries its cause's). */
const retryAfter = (error: unknown): Duration.Duration => {
  const cause = typeof error === "object" && error !== null && "_tag" in error && error._tag === "CodeExchangeFailed"
    ? (error as TokenError.CodeExchangeFailed).cause
    : error
  const tagged = cause as { readonly _tag?: unknown }
  return tagged._tag === "OAuthError" || tagged._tag === "EndpointUnavailable"
    ? Option.getOrElse(TokenError.retryAfter(cause as TokenError.TokenError), () => Duration.zero)
    : Duration.zero
}

/** Connecting starts over until it succeeds — an outage may meet it at a restart — waiting at least a second, or as told. */
const untilConnected = Schedule.identity<unknown>().pipe(
  Schedule.addDelay((error) => Duration.max(Duration.seconds(1), retryAfter(error))),
  Schedule.intersect(Schedule.recurs(50))
)

const api = new URL("http://127.0.0.1/api/scenario")

/** The integration: the connection of the example, over the run's store, which outlives restarts. */
export const Connected: Scenario.Integration = Layer.unwrapScoped(
  ConnectByUrl.connect(api, { print: (line) => Effect.logInfo(line), signIn }).pipe(
    Effect.retry(untilConnected),
    Effect.map((connection) =>
      BearerAuth.layer().pipe(
        Layer.provide(Layer.succeed(TokenProvider.TokenProvider, connection.provider))
      )
    )
  )
).pipe(Layer.provide(TokenStore.layerKeyValueStore({ encryption: "none" })))

const server = (options: {
  readonly secretLifetime: Duration.DurationInput
  readonly rotateNonceEvery: Duration.DurationInput
}): Omit<AuthServer.Options, "tokenLifetime"> => ({
  clients: [],
  registration: { secretLifetime: options.secretLifetime },
  requirePushedAuthorizationRequests: true,
  dpop: { required: true, nonce: { rotateEvery: options.rotateNonceEvery } },
  refreshRotation: true
})

const invariants = [...Invariants.all, Invariants.noUnvalidatedIssuer]

const totalRuns = Number(process.env.GRANTFLOW_PROPERTY_RUNS ?? 1000)
/** 5% of GRANTFLOW_PROPERTY_RUNS per server: a timeline registers, signs in and signs a proof per request. */
const runs = Math.max(10, Math.ceil(totalRuns * 0.05))
/** Shorter timelines than the default, with more restarts; faults, revocations and clock moves as usual. */
const timelines = Arbitraries.timeline({ maxSteps: 40, weights: { Restart: 3 } })

/** What the runs of a check met, counted by an invariant that never breaks: the faults must really occur. */
const coverage = () => {
  const met = { timelines: 0, registeredAgain: 0, nonceAtApi: 0, rotatedRefreshTokens: 0, restarts: 0 }
  const invariant = Invariants.make("coverage", "counts what the runs met", (run) => {
    met.timelines++
    const journal = run.journal
    if (journal.filter((e) => e.endpoint === "register" && e.status === 201).length > 1) met.registeredAgain++
    if (journal.some((e) => e.endpoint === "api" && e.dpop === "nonce")) met.nonceAtApi++
    if (journal.some((e) => e.grantType === "refresh_token" && e.issuedRefreshTokenId !== undefined)) {
      met.rotatedRefreshTokens++
    }
    if (run.steps.some(({ step }) => step._tag === "Restart")) met.restarts++
    return []
  })
  return { met, invariant }
}

describe("connect-by-url keeps every invariant under generated faults", () => {
  const servers = [
    // a secret that dies within most timelines (registered again), a nonce that rotates every minute
    { name: "secrets that expire in 20 minutes, nonces rotated every minute", secretLifetime: "20 minutes", rotateNonceEvery: "1 minute" },
    // a connection that mostly lives on refreshes (rotated each time) with a nonce of its own at the API
    { name: "secrets that live a day, nonces rotated every 10 minutes", secretLifetime: "1 day", rotateNonceEvery: "10 minutes" }
  ] as const
  for (const options of servers) {
    it.effect(`${options.name} (${runs} timelines)`, () =>
      Effect.gen(function*() {
        const { invariant, met } = coverage()
        const report = yield* Scenario.check(Connected, {
          numRuns: runs,
          timelines,
          server: server(options),
          invariants: [...invariants, invariant]
        })
        assert.strictEqual(report.numRuns, runs)
        console.log(`connect-by-url, ${options.name}: ${report.numRuns} timelines, 0 violations; met ${JSON.stringify(met)}`)
        assert.isAbove(met.nonceAtApi, 0)
        assert.isAbove(met.rotatedRefreshTokens, 0)
        assert.isAbove(met.restarts, 0)
        if (options.secretLifetime === "20 minutes") assert.isAbove(met.registeredAgain, 0)
      }), Math.max(120_000, runs * 1_000))
  }

  it.effect("a nonce challenge answered after the token expired: the retry sends a new token, not that one", () =>
    Effect.gen(function*() {
      // found by the group: the API's answer (a use_dpop_nonce challenge) comes a second late, when the token is dead
      const { run, violations } = yield* Scenario.run(
        Connected,
        Scenario.timeline([
          Scenario.FailApi({ fault: AuthServer.Latency({ duration: "1 second" }), times: 1 }),
          Scenario.Call({ requests: 1 })
        ], { tokenLifetime: "1 second" }),
        { server: server({ secretLifetime: "20 minutes", rotateNonceEvery: "1 minute" }), invariants }
      )
      assert.deepStrictEqual(violations, [])
      assert.deepStrictEqual(run.calls.map((call) => call.outcome), ["success"])
    }))

  it.effect("a hand-written timeline: nonces rotated, refresh tokens rotated, a secret expired, a restart", () =>
    Effect.gen(function*() {
      const { run, violations } = yield* Scenario.run(
        Connected,
        Scenario.timeline([
          Scenario.Call({ requests: 3 }),
          // past the token's life and the nonce's: a refresh (rotating the refresh token) after a use_dpop_nonce
          Scenario.Advance({ duration: "70 minutes" }),
          Scenario.Call({ requests: 2 }),
          // past the secret's life: the next refresh registers the client again, whose new id the refresh
          // token is not for: refused, the connection is gone until it is made again, at the restart
          Scenario.Advance({ duration: "1 day" }),
          Scenario.Call({ requests: 1 }),
          Scenario.Restart(),
          Scenario.Call({ requests: 2 })
        ], { tokenLifetime: "1 hour" }),
        { server: server({ secretLifetime: "2 hours", rotateNonceEvery: "1 minute" }), invariants }
      )
      assert.deepStrictEqual(violations, [])
      const { journal } = run
      const entries = (endpoint: AuthServer.JournalEntry["endpoint"]) => journal.filter((e) => e.endpoint === endpoint)
      assert.isAtLeast(entries("register").length, 2)
      assert.strictEqual(entries("par").length, 2)
      const refreshes = journal.filter((e) => e.grantType === "refresh_token")
      assert.isTrue(refreshes.some((e) => e.status === 200 && e.issuedRefreshTokenId !== undefined))
      assert.isTrue(refreshes.some((e) => e.status === 400 && e.dpop === "nonce"))
      assert.deepStrictEqual(run.calls.map((call) => call.outcome), [
        "success",
        "success",
        "success",
        "success",
        "success",
        "failure",
        "success",
        "success"
      ])
      // every API request with a token carried a proof of the key it is bound to
      assert.isTrue(entries("api").filter((e) => e.tokenId !== undefined).every((e) => e.dpopJkt !== undefined))
    }), 60_000)
})

/** The connection, with a transport that changes its requests on their way out. */
const tampered = (change: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest) =>
  Connected.pipe(
    Layer.provide(Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(change))))
  )

const isApi = (request: HttpClientRequest.HttpClientRequest) => new URL(request.url).pathname.startsWith("/api/scenario/")

/** Sends the API the first proof it made again, instead of a new one. */
const ReusesProof = Layer.suspend(() => {
  let first: string | undefined
  return tampered((request) => {
    const proof = request.headers.dpop
    if (!isApi(request) || proof === undefined) return request
    first ??= proof
    return HttpClientRequest.setHeader(request, "dpop", first)
  })
})

/** Sends the DPoP-bound token as a bearer token, without its proof. */
const BearerForDpop = tampered((request) => {
  const authorization = request.headers.authorization ?? ""
  if (!isApi(request) || !authorization.startsWith("DPoP ")) return request
  return HttpClientRequest.modify(request, {
    headers: Headers.set(Headers.remove(request.headers, "dpop"), "authorization", `Bearer ${authorization.slice(5)}`)
  })
})

/** Sends its token requests to another origin than the issuer it discovered. */
const ElsewhereForTokens = tampered((request) => {
  const url = new URL(request.url)
  if (url.pathname !== "/token") return request
  url.hostname = "localhost"
  return HttpClientRequest.setUrl(request, url)
})

describe("the DPoP and discovery invariants catch a connection broken in one way", () => {
  const brief = Scenario.timeline([Scenario.Call({ requests: 1 }), Scenario.Call({ requests: 1 })])
  const options = { server: server({ secretLifetime: "1 day", rotateNonceEvery: "1 hour" }), invariants }
  const broken = (report: Scenario.Report) => new Set(report.violations.map((violation) => violation.invariant))

  it.effect("a proof sent twice: noDpopProofReuse", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(broken(yield* Scenario.run(Connected, brief, options)), new Set())
      assert.isTrue(broken(yield* Scenario.run(ReusesProof, brief, options)).has("noDpopProofReuse"))
    }))

  it.effect("a bound token sent as a bearer token: noUnprovenDpopToken", () =>
    Effect.gen(function*() {
      assert.isTrue(broken(yield* Scenario.run(BearerForDpop, brief, options)).has("noUnprovenDpopToken"))
    }))

  it.effect("token requests to an origin it never discovered: noUnvalidatedIssuer", () =>
    Effect.gen(function*() {
      assert.isTrue(broken(yield* Scenario.run(ElsewhereForTokens, brief, options)).has("noUnvalidatedIssuer"))
    }), 60_000)
})
