import { Clock, Duration, Effect, Option, Redacted, Ref } from "effect"
import * as AccessToken from "../src/AccessToken.js"
import * as TokenError from "../src/TokenError.js"

/**
 * A token endpoint played by an Effect: what `TokenProvider` sees of any
 * grant. Each call takes the next scripted outcome (or issues a token with the
 * default lifetime), after an optional latency, and counts itself.
 */
export interface ScriptedEndpoint {
  readonly fetch: Effect.Effect<AccessToken.AccessToken, TokenError.TokenError>
  readonly calls: Effect.Effect<number>
  readonly script: (...outcomes: ReadonlyArray<Outcome>) => Effect.Effect<void>
}

export type Outcome =
  | { readonly _tag: "Issue"; readonly lifetime: Duration.DurationInput; readonly expiresAt?: number }
  | { readonly _tag: "Fail"; readonly error: TokenError.TokenError }

export const issue = (lifetime: Duration.DurationInput): Outcome => ({ _tag: "Issue", lifetime })
export const issueUntil = (expiresAt: number): Outcome => ({ _tag: "Issue", lifetime: 0, expiresAt })
export const fail = (error: TokenError.TokenError): Outcome => ({ _tag: "Fail", error })

export const unavailable = (status = 503, retryAfter?: Duration.DurationInput) =>
  new TokenError.EndpointUnavailable({
    endpoint: "token",
    reason: "Status",
    status: Option.some(status),
    retryAfter: retryAfter === undefined ? Option.none() : Option.some(Duration.decode(retryAfter))
  })

export const oauthError = (error: string, status = 400) =>
  new TokenError.OAuthError({
    endpoint: "token",
    status,
    error,
    description: Option.none(),
    uri: Option.none(),
    retryAfter: Option.none()
  })

export const makeEndpoint = (options: {
  readonly lifetime?: Duration.DurationInput
  readonly latency?: Duration.DurationInput
} = {}): Effect.Effect<ScriptedEndpoint> =>
  Effect.gen(function*() {
    const calls = yield* Ref.make(0)
    const queue = yield* Ref.make<ReadonlyArray<Outcome>>([])
    const fetch = Effect.gen(function*() {
      const sentAt = yield* Clock.currentTimeMillis
      const n = yield* Ref.updateAndGet(calls, (c) => c + 1)
      if (options.latency !== undefined) yield* Effect.sleep(options.latency)
      const next = yield* Ref.modify(queue, (q) => [q[0], q.slice(1)] as const)
      const outcome = next ?? issue(options.lifetime ?? "10 minutes")
      if (outcome._tag === "Fail") return yield* Effect.fail(outcome.error)
      return new AccessToken.AccessToken({
        token: Redacted.make(`token-${n}`),
        type: "Bearer",
        issuedAt: sentAt,
        expiresAt: outcome.expiresAt ?? sentAt + Duration.toMillis(outcome.lifetime),
        scopes: [],
        refreshToken: Option.none()
      })
    })
    return {
      fetch,
      calls: Ref.get(calls),
      script: (...outcomes) => Ref.update(queue, (q) => [...q, ...outcomes])
    }
  })

export const tokenValue = (token: AccessToken.AccessToken) => Redacted.value(token.token)
