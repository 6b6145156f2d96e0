/**
 * P2: a warm `TokenProvider.get` against the least any cache must do — read a
 * `Ref` and the `Clock`. Goal: at most 2×.
 */
import { AccessToken, TokenProvider } from "@grantflow/core"
import { Clock, Effect, Option, Redacted, Ref } from "effect"
import { compare, formatNs, report } from "./lib.js"

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
  const { baselineNs, subjectNs } = yield* compare({
    baseline: loop(baselineStep),
    subject: loop(provider.get),
    rounds: 9
  })
  const ratio = subjectNs / baselineNs
  return yield* report(
    "P2",
    "warm TokenProvider.get vs Ref.get + Clock",
    `${ratio.toFixed(2)}×`,
    "≤ 2×",
    ratio <= 2,
    `${formatNs(subjectNs)}/op vs ${formatNs(baselineNs)}/op`
  )
}).pipe(Effect.scoped)
