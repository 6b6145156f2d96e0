import * as HttpClient from "@effect/platform/HttpClient"
import * as Cache from "effect/Cache"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as BearerAuth from "@grantflow/core/BearerAuth"
import type * as ClientAuth from "@grantflow/core/ClientAuth"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Introspection from "@grantflow/core/Introspection"
import * as TokenProvider from "@grantflow/core/TokenProvider"
import type * as TokenVerifier from "../TokenVerifier.js"
import * as claims from "./claims.js"
import * as dpopProof from "./dpopProof.js"
import * as issuerEndpoint from "./issuerEndpoint.js"
import * as jwtAccessToken from "./jwtAccessToken.js"
import * as tokenVerifier from "./tokenVerifier.js"

const failed = (reason: TokenVerifier.FailureReason) => new tokenVerifier.VerificationFailed({ reason })

interface Checks {
  readonly issuer: string | undefined
  readonly audience: ReadonlyArray<string>
  readonly tolerance: number
}

/**
 * What an introspection answer means, at `now` (RFC 7662 §2.2): an active
 * token is still refused when its `exp` has passed or its `nbf` lies ahead,
 * when its `iss` is not the issuer, or when an audience is required and its
 * `aud` does not contain one.
 */
const interpret = (
  answer: Introspection.Response,
  checks: Checks,
  now: number
): Effect.Effect<TokenVerifier.VerifiedToken, TokenVerifier.VerificationError> => {
  if (!answer.active) return Effect.fail(failed("Inactive"))
  const body = answer.claims
  const { exp, iss, nbf } = body
  if (typeof exp === "number" && exp * 1000 <= now - checks.tolerance) return Effect.fail(failed("Expired"))
  if (typeof nbf === "number" && nbf * 1000 > now + checks.tolerance) return Effect.fail(failed("NotYetValid"))
  if (checks.issuer !== undefined && iss !== undefined && iss !== checks.issuer) return Effect.fail(failed("Issuer"))
  if (checks.audience.length > 0 && !claims.audiences(body).some((aud) => checks.audience.includes(aud))) {
    return Effect.fail(failed("Audience"))
  }
  return Effect.succeed(claims.verifiedToken(body))
}

// A TokenProvider authenticates with its access token: the client BearerAuth makes, whose
// failures (no token; a token still rejected after one refresh) are transport errors here.
const bearerClient = (client: HttpClient.HttpClient, provider: TokenProvider.TokenProvider["Type"]) =>
  Effect.provide(
    HttpClient.HttpClient,
    BearerAuth.layer().pipe(
      Layer.provide(Layer.succeed(TokenProvider.TokenProvider, provider)),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
    )
  )

interface Entry {
  readonly token: TokenVerifier.VerifiedToken
  /** How long this answer may be reused: the positive TTL, cut at the token's `exp`. */
  readonly ttl: Duration.Duration
}

/** @internal */
export const make = (
  options: TokenVerifier.IntrospectionOptions
): Effect.Effect<TokenVerifier.TokenVerifier["Type"], never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    if (options.introspectionUrl === undefined && options.issuer === undefined) {
      return yield* Effect.dieMessage("TokenVerifier.introspection: set introspectionUrl, or an issuer to discover it")
    }
    const auth: ClientAuth.ClientAuth | undefined = Predicate.hasProperty(options.auth, "_tag")
      ? options.auth as ClientAuth.ClientAuth
      : undefined
    const plain = yield* HttpClient.HttpClient
    const client = auth === undefined
      ? yield* bearerClient(plain, options.auth as TokenProvider.TokenProvider["Type"])
      : plain
    const positiveTtl = Duration.decode(options.cacheTtl ?? "30 seconds")
    const negativeTtl = Duration.decode(options.negativeCacheTtl ?? "5 seconds")
    const maxTokenLength = options.maxTokenLength ?? jwtAccessToken.defaultMaxTokenLength
    const checks: Checks = {
      issuer: options.issuer,
      audience: options.audience === undefined
        ? []
        : typeof options.audience === "string"
        ? [options.audience]
        : options.audience,
      tolerance: Duration.toMillis(options.clockTolerance ?? "30 seconds")
    }
    const dpop = options.dpop === undefined ? undefined : yield* dpopProof.make(options.dpop)
    const endpoint = yield* Ref.make(Option.none<Endpoint.Endpoint>())
    const introspectionEndpoint = Effect.flatMap(Ref.get(endpoint), (known) =>
      Option.match(known, {
        onSome: Effect.succeed,
        onNone: () =>
          issuerEndpoint.resolve({
            name: "introspection URL",
            configured: options.introspectionUrl,
            field: (metadata) => metadata.introspectionEndpoint
          }, options).pipe(
            Effect.map((introspectionUrl) =>
              Endpoint.make({
                introspectionUrl,
                auth,
                timeout: options.timeout,
                allowInsecure: options.allowInsecure
              })
            ),
            Effect.tap((made) => Ref.set(endpoint, Option.some(made)))
          )
      }))

    const introspect = (token: Redacted.Redacted<string>): Effect.Effect<Entry, TokenVerifier.VerificationError> =>
      Effect.gen(function*() {
        const target = yield* introspectionEndpoint
        const answer = yield* Introspection.introspect(target, {
          token,
          tokenTypeHint: "access_token",
          maxResponseLength: options.maxResponseLength
        })
        const now = yield* Clock.currentTimeMillis
        const verified = yield* interpret(answer, checks, now)
        const untilExpiry = Option.match(verified.expiresAt, {
          onNone: () => positiveTtl,
          onSome: (expiresAt) => Duration.millis(Math.max(0, expiresAt - now))
        })
        return { token: verified, ttl: Duration.min(positiveTtl, untilExpiry) }
      }).pipe(Effect.provideService(HttpClient.HttpClient, client))

    const cache = yield* Cache.makeWith({
      capacity: options.cacheCapacity ?? 10_000,
      lookup: introspect,
      timeToLive: Exit.match({
        onSuccess: (entry) => entry.ttl,
        // a refused token stays refused for a while; an endpoint that could not answer is asked again
        onFailure: (cause) =>
          Option.match(Cause.failureOption(cause), {
            onNone: () => Duration.zero,
            onSome: (error) => error._tag === "VerificationFailed" ? negativeTtl : Duration.zero
          })
      })
    })

    return {
      dpop,
      verify: (token) =>
        // an overlong token is neither sent nor cached: the cache's keys stay small
        (Redacted.value(token).length > maxTokenLength ? Effect.fail(failed("Malformed")) : cache.get(token)).pipe(
          Effect.tapError((error) => error._tag === "VerificationFailed" ? Effect.void : cache.invalidate(token)),
          // a cached answer outlives nothing: past its exp the token is expired, whatever was cached
          Effect.flatMap((entry) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Option.isSome(entry.token.expiresAt) && entry.token.expiresAt.value <= now - checks.tolerance
                ? Effect.fail(failed("Expired"))
                : Effect.succeed(entry.token))
          ),
          Effect.tapError((error) => Effect.annotateCurrentSpan("grantflow.verification.outcome", jwtAccessToken.failureName(error))),
          Effect.withSpan("grantflow.token_verification", { attributes: { "grantflow.verifier": "introspection" } })
        )
    }
  })
