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
import * as BearerAuth from "../BearerAuth.js"
import type * as ClientAuth from "../ClientAuth.js"
import * as TokenProvider from "../TokenProvider.js"
import type * as TokenVerifier from "../TokenVerifier.js"
import * as endpointInternal from "./endpoint.js"
import * as claims from "./claims.js"
import * as issuerEndpoint from "./issuerEndpoint.js"
import * as jwtAccessToken from "./jwtAccessToken.js"
import * as tokenRequest from "./tokenRequest.js"
import * as tokenVerifier from "./tokenVerifier.js"

/**
 * The longest introspection answer read, 64 Ki characters: an answer is a
 * token's claims, a few hundred bytes to a few kilobytes. With the token
 * length bound it also bounds what each cache entry holds.
 *
 * @internal
 */
export const defaultMaxResponseLength = 64 * 1024

const unavailable = (
  reason: TokenVerifier.VerifierUnavailable["reason"],
  status: Option.Option<number>,
  extra: { readonly detail?: string; readonly cause?: unknown } = {}
) =>
  new tokenVerifier.VerifierUnavailable({
    endpoint: "introspection",
    reason,
    status,
    ...(extra.detail === undefined ? {} : { detail: extra.detail }),
    ...(extra.cause === undefined ? {} : { cause: extra.cause })
  })

const failed = (reason: TokenVerifier.FailureReason) => new tokenVerifier.VerificationFailed({ reason })

interface Checks {
  readonly issuer: string | undefined
  readonly audience: ReadonlyArray<string>
  readonly tolerance: number
}

/**
 * What an introspection answer means, at `now` (RFC 7662 §2.2): `active`
 * must be a boolean; an active token is still refused when its `exp` has
 * passed or its `nbf` lies ahead, when its `iss` is not the issuer, or when
 * an audience is required and its `aud` does not contain one.
 */
const interpret = (
  body: Readonly<Record<string, unknown>>,
  checks: Checks,
  now: number
): Effect.Effect<TokenVerifier.VerifiedToken, TokenVerifier.VerificationError> => {
  const active = body["active"]
  if (typeof active !== "boolean") return Effect.fail(unavailable("Malformed", Option.some(200)))
  if (!active) return Effect.fail(failed("Inactive"))
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
    const timeout = Duration.decode(options.timeout ?? endpointInternal.defaultTimeout)
    const positiveTtl = Duration.decode(options.cacheTtl ?? "30 seconds")
    const negativeTtl = Duration.decode(options.negativeCacheTtl ?? "5 seconds")
    const maxTokenLength = options.maxTokenLength ?? jwtAccessToken.defaultMaxTokenLength
    const maxResponseLength = options.maxResponseLength ?? defaultMaxResponseLength
    const checks: Checks = {
      issuer: options.issuer,
      audience: options.audience === undefined
        ? []
        : typeof options.audience === "string"
        ? [options.audience]
        : options.audience,
      tolerance: Duration.toMillis(options.clockTolerance ?? "30 seconds")
    }
    const endpoint = yield* Ref.make(Option.none<URL>())
    const introspectionUrl = Effect.flatMap(Ref.get(endpoint), (known) =>
      Option.match(known, {
        onSome: Effect.succeed,
        onNone: () =>
          issuerEndpoint.resolve({
            endpoint: "introspection",
            name: "introspection URL",
            configured: options.introspectionUrl,
            issuer: options.issuer,
            field: (metadata) => metadata.introspectionEndpoint,
            allowInsecure: options.allowInsecure === true,
            timeout
          }).pipe(Effect.tap((url) => Ref.set(endpoint, Option.some(url))))
      }))

    const introspect = (token: Redacted.Redacted<string>): Effect.Effect<Entry, TokenVerifier.VerificationError> =>
      Effect.gen(function*() {
        const url = yield* introspectionUrl
        const answer = yield* tokenRequest.post({
          endpoint: "introspection",
          url,
          auth,
          params: [["token", token], ["token_type_hint", "access_token"]],
          timeout
        }).pipe(
          Effect.mapError((error) =>
            error._tag === "EndpointUnavailable"
              ? unavailable(error.reason, error.status, { cause: error.cause ?? error })
              : issuerEndpoint.misconfigured("introspection", error.reason, error)
          )
        )
        if (Option.isSome(answer.body) && answer.body.value.length > maxResponseLength) {
          return yield* Effect.fail(
            unavailable("Malformed", Option.some(answer.status), {
              detail: `the answer is longer than ${maxResponseLength} characters`
            })
          )
        }
        // the JSON is read by the token endpoint's parser, which bounds its nesting
        const body = yield* Effect.mapError(tokenRequest.interpretJson(answer, "introspection"), (error) =>
          error._tag === "MalformedResponse"
            ? unavailable("Malformed", Option.some(error.status), { cause: error })
            : unavailable("Status", error._tag === "OAuthError" ? Option.some(error.status) : error.status, {
              cause: error
            }))
        const now = yield* Clock.currentTimeMillis
        const verified = yield* interpret(body, checks, now)
        const untilExpiry = Option.match(verified.expiresAt, {
          onNone: () => positiveTtl,
          onSome: (expiresAt) => Duration.millis(Math.max(0, expiresAt - now))
        })
        return { token: verified, ttl: Duration.min(positiveTtl, untilExpiry) }
      }).pipe(
        Effect.provideService(HttpClient.HttpClient, client),
        Effect.withSpan("grantflow.introspection", { kind: "client" })
      )

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
      verify: (token) =>
        // an overlong token is neither sent nor cached: the cache's keys stay small
        (Redacted.value(token).length > maxTokenLength ? Effect.fail(failed("Malformed")) : cache.get(token)).pipe(
          Effect.tapError((error) =>
            error._tag === "VerifierUnavailable" ? cache.invalidate(token) : Effect.void
          ),
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
