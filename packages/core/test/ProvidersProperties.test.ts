/**
 * Every catalog entry against its twin under generated timelines — calls,
 * the clock moving, token endpoint and API faults, revocations, restarts —
 * with the property kit's invariants.
 */
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, Connector } from "@grantflow/core"
import { Arbitraries, AuthServer, Invariants, ProviderTwin, Scenario } from "@grantflow/testing"
import { Duration, Effect, FastCheck, Layer, Option } from "effect"
import { type Case, cases, clientId, configOf, secretsOf, testRequest, titleOf, twinOptions, variants } from "./providerKit.js"

/** Timelines per entry: GRANTFLOW_PROVIDER_RUNS (default 50, so 400 over the catalog). */
const runs = Number(process.env.GRANTFLOW_PROVIDER_RUNS ?? 50)
const timeout = Math.max(120_000, runs * 8 * 400)

/**
 * The user's connected account, as a completed authorization gives it
 * (`AuthServer.grant`, no browser), read as the connector would: a provider
 * that sends no `expires_in` leaves the connector its own default lifetime.
 */
const session = (c: Case) =>
  Effect.gen(function*() {
    if (c.flow === "clientCredentials") return {}
    const granted = yield* Effect.flatMap(AuthServer.AuthServer, (server) => server.grant(clientId))
    const sendsExpiry = JSON.stringify(ProviderTwin.quirks(c.id, c.variant).tokenResponse ?? { expires_in: "$expires_in" })
      .includes("$expires_in")
    const assumed = Duration.toMillis(c.definition.authorization!(configOf(c)).endpoint.defaultLifetime)
    return {
      token: new AccessToken.AccessToken({
        token: granted.accessToken,
        type: "Bearer",
        issuedAt: granted.issuedAt,
        expiresAt: sendsExpiry ? granted.expiresAt : granted.issuedAt + assumed,
        scopes: granted.scopes,
        refreshToken: Option.fromNullable(granted.refreshToken)
      })
    } satisfies Connector.Session
  })

/** The entry's connector, on a connected account: what an application runs. */
const integration = (c: Case) =>
  Layer.unwrapEffect(Effect.map(session(c), (s) => Connector.layer(c.definition, configOf(c), s)))

/** Tokens that do not expire stay so: the timelines never shorten them. */
const timelinesOf = (c: Case) =>
  ProviderTwin.quirks(c.id, c.variant).tokenLifetime === "never"
    ? Arbitraries.timeline({ tokenLifetime: FastCheck.constant(Duration.days(36_500)), weights: { SetTokenLifetime: 0 } })
    : Arbitraries.timeline()

/**
 * The invariants that hold for the entry. A provider that sends no
 * `expires_in` (Salesforce) gives the client no way to know when the token
 * expires: it refreshes on the API's refusal, and `noExpiredToken` does not
 * apply.
 */
const invariantsOf = (c: Case) =>
  c.id === "salesforce" ? Invariants.all.filter((invariant) => invariant !== Invariants.noExpiredToken) : Invariants.all

describe("every catalog entry keeps the invariants against its twin under generated faults", () => {
  for (const c of [...cases, ...variants]) {
    it.effect(`${titleOf(c)} (${runs} timelines)`, () =>
      Effect.gen(function*() {
        const { tokenLifetime: _lifetime, ...server } = twinOptions(c, { autoApprove: true })
        const report = yield* Scenario.check(integration(c), {
          numRuns: runs,
          server,
          timelines: timelinesOf(c),
          invariants: invariantsOf(c),
          secrets: secretsOf(c),
          request: (client) => client.execute(testRequest(c))
        })
        assert.strictEqual(report.numRuns, runs)
      }), timeout)
  }
})
