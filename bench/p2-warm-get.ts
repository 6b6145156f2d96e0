/**
 * P2: a warm `TokenProvider.get` against the least any cache must do — read a
 * `Ref` and the `Clock`. Goal: at most 2×.
 */
import { AccessToken, TokenProvider } from "@grantflow/core"
import { Clock, Effect, Option, Redacted, Ref } from "effect"
import { formatNs, interleaved, nsPerOp, report, spread } from "./lib.js"

const N = 200_000

export const p2 = Effect.gen(function*() {
  const now = yield* Clock.currentTimeMillis
  const token = new AccessToken.AccessToken({
    token: Redacted.make("bench-token"),
    type: "Bearer",
    issuedAt: now,
    expiresAt: now + 3_600_000,
    scopes: [],
    refreshToken: Option.none()
  })
  const provider = yield* TokenProvider.make(Effect.succeed(token))
  yield* provider.get
  const ref = yield* Ref.make(token)

  const loop = <A>(step: Effect.Effect<A, unknown>) =>
    Effect.gen(function*() {
      for (let i = 0; i < N; i++) yield* step
      return N
    })
  const baselineStep = Effect.zipRight(Clock.currentTimeMillis, Ref.get(ref))
  const rounds = yield* interleaved({
    baseline: nsPerOp(loop(baselineStep)),
    subject: nsPerOp(loop(provider.get)),
    ratio: (baselineNs, subjectNs) => subjectNs / baselineNs,
    rounds: 15
  })
  const format = (ratio: number) => `${ratio.toFixed(2)}×`
  return yield* report(
    "P2",
    "warm TokenProvider.get vs Ref.get + Clock",
    format(rounds.ratio),
    "≤ 2×",
    rounds.ratio <= 2,
    `${spread(rounds, format)}; ${formatNs(rounds.subject)}/op vs ${formatNs(rounds.baseline)}/op`
  )
}).pipe(Effect.scoped)
