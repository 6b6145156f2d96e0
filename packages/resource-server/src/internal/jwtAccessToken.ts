import * as HttpClient from "@effect/platform/HttpClient"
import * as Discovery from "@grantflow/core/Discovery"
import * as Json from "@grantflow/core/Json"
import * as TokenError from "@grantflow/core/TokenError"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Jose from "jose"
import type * as TokenVerifier from "../TokenVerifier.js"
import * as claims from "./claims.js"
import * as dpopProof from "./dpopProof.js"
import * as issuerEndpoint from "./issuerEndpoint.js"
import * as jws from "./jws.js"
import * as tokenVerifier from "./tokenVerifier.js"

const asymmetric = tokenVerifier.asymmetricAlgorithms

/**
 * The longest token read, 8 KiB: a JWT access token is a few hundred bytes to
 * a few kilobytes; the bound keeps decoding it a short, linear job.
 *
 * @internal
 */
export const defaultMaxTokenLength = 8 * 1024

/**
 * The largest JWKS read, 256 KiB: a key set holds a handful of keys, a few
 * kilobytes even with certificate chains.
 *
 * @internal
 */
export const defaultMaxJwksBytes = 256 * 1024

/**
 * The most keys a JWKS may hold, 100: issuers publish a handful, and a token
 * without a `kid` is checked against every key that fits its algorithm, so a
 * set of thousands would make each such request cost thousands of signature
 * checks.
 *
 * @internal
 */
export const maxJwksKeys = 100

interface Keys {
  readonly getKey: Jose.JWTVerifyGetKey
  readonly kids: ReadonlySet<string>
  readonly fetchedAt: number
}

interface State {
  readonly jwksUri: Option.Option<URL>
  readonly keys: Option.Option<Keys>
  /** When the JWKS was last asked for, successfully or not (when the answer came). */
  readonly lastAttempt: number
  /** Why the last fetch failed, if it did. */
  readonly failure: Option.Option<KeysError>
  /** The fetch under way, which every verification that needs keys waits for. */
  readonly inFlight: Option.Option<Deferred.Deferred<Keys, KeysError>>
}

/** Why the issuer's keys could not be had: its JWKS (or metadata) did not answer, answered nonsense, or is misconfigured. */
type KeysError = issuerEndpoint.ResolveError

// a key set is only read from a 200 answer (Discovery.fetchDocument)
const malformed = (field: string, reason: string, cause?: unknown) =>
  new TokenError.MalformedResponse({
    endpoint: "jwks",
    status: 200,
    field,
    reason,
    // the reason says what is wrong; what was received is not repeated
    excerpt: "",
    ...(cause === undefined ? {} : { cause })
  })

const notAKeySet = "is not a JSON Web Key Set (RFC 7517 §5)"

/**
 * Reads a JWKS document (its size already capped), nesting at most
 * `Json.defaultMaxDepth` levels. The errors name what is wrong, never
 * what was received.
 */
const readKeys = (text: string, now: number): Either.Either<Keys, TokenError.MalformedResponse> => {
  const parsed = Json.parse(text)
  if (Either.isLeft(parsed)) return Either.left(malformed("body", Json.describeFailure(parsed.left)))
  const jwks = parsed.right
  if (!Predicate.isRecord(jwks)) return Either.left(malformed("body", notAKeySet))
  if (!Array.isArray(jwks["keys"])) return Either.left(malformed("keys", "is not an array"))
  const keys: ReadonlyArray<unknown> = jwks["keys"]
  if (keys.length > maxJwksKeys) {
    return Either.left(malformed("keys", `holds more than ${maxJwksKeys} keys`))
  }
  return Either.try({
    try: (): Keys => ({
      getKey: Jose.createLocalJWKSet(jwks as unknown as Jose.JSONWebKeySet),
      kids: new Set(keys.flatMap((key) => Predicate.isRecord(key) && typeof key["kid"] === "string" ? [key["kid"]] : [])),
      fetchedAt: now
    }),
    catch: (cause) => malformed("body", notAKeySet, cause)
  })
}

const fetchKeys = (
  url: URL,
  timeout: Duration.DurationInput | undefined,
  maxBytes: number
): Effect.Effect<Keys, KeysError, HttpClient.HttpClient> =>
  Discovery.fetchDocument(url.href, { timeout, maxBytes, endpoint: "jwks" }).pipe(
    Effect.flatMap((text) => Effect.flatMap(Clock.currentTimeMillis, (now) => readKeys(text, now))),
    Effect.withSpan("grantflow.jwks", { kind: "client", attributes: { "server.address": url.host, "url.path": url.pathname } })
  )

const failed = (reason: TokenVerifier.FailureReason, cause?: unknown) =>
  new tokenVerifier.VerificationFailed({ reason, ...(cause === undefined ? {} : { cause }) })

const classify = (error: unknown): TokenVerifier.VerificationFailed => {
  const code = (error as { readonly code?: unknown } | null)?.code
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return failed("Expired", error)
    case "ERR_JWT_CLAIM_VALIDATION_FAILED": {
      const claim = (error as { readonly claim?: unknown }).claim
      return failed(
        claim === "nbf" || claim === "iat"
          ? "NotYetValid"
          : claim === "iss"
          ? "Issuer"
          : claim === "aud"
          ? "Audience"
          : claim === "typ"
          ? "Type"
          : "Malformed",
        error
      )
    }
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return failed("Algorithm", error)
    case "ERR_JWKS_NO_MATCHING_KEY":
      return failed("UnknownKey", error)
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return failed("Signature", error)
    default:
      return failed("Malformed", error)
  }
}

// jose leaves a JWKS with several keys that fit the header to the caller: try each (its documented pattern)
const joseVerify = async (token: string, getKey: Jose.JWTVerifyGetKey, options: Jose.JWTVerifyOptions) => {
  try {
    return await Jose.jwtVerify(token, getKey, options)
  } catch (error) {
    if (!(error instanceof Jose.errors.JWKSMultipleMatchingKeys)) throw error
    for await (const key of error as unknown as AsyncIterable<Jose.CryptoKey>) {
      try {
        return await Jose.jwtVerify(token, key, options)
      } catch (inner) {
        if (!(inner instanceof Jose.errors.JWSSignatureVerificationFailed)) throw inner
      }
    }
    throw new Jose.errors.JWSSignatureVerificationFailed()
  }
}

/** @internal */
export const make = (
  options: TokenVerifier.JwtOptions
): Effect.Effect<TokenVerifier.TokenVerifier["Type"], never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const algorithms = options.algorithms ?? asymmetric
    const refused = algorithms.filter((alg) => !asymmetric.includes(alg))
    if (refused.length > 0 || algorithms.length === 0) {
      return yield* Effect.dieMessage(
        `TokenVerifier.jwt: the algorithms must be asymmetric signature algorithms (${asymmetric.join(", ")}); ` +
          `refused: ${refused.join(", ") || "an empty list"}`
      )
    }
    const client = yield* HttpClient.HttpClient
    const timeout = options.timeout
    const tolerance = Duration.toMillis(options.clockTolerance ?? "30 seconds")
    const coolDown = Duration.toMillis(options.jwksCoolDown ?? "30 seconds")
    const failureCoolDown = Duration.toMillis(options.jwksFailureCoolDown ?? "5 seconds")
    const maxAge = Duration.toMillis(options.jwksMaxAge ?? "10 minutes")
    const maxTokenLength = options.maxTokenLength ?? defaultMaxTokenLength
    const maxJwksBytes = options.maxJwksBytes ?? defaultMaxJwksBytes
    const audience = typeof options.audience === "string" ? [options.audience] : [...options.audience]
    const dpop = options.dpop === undefined ? undefined : yield* dpopProof.make(options.dpop)
    const state = yield* Ref.make<State>({
      jwksUri: Option.none(),
      keys: Option.none(),
      lastAttempt: Number.NEGATIVE_INFINITY,
      failure: Option.none(),
      inFlight: Option.none()
    })

    const jwksUri = (current: State) =>
      Option.match(current.jwksUri, {
        onSome: Effect.succeed,
        onNone: () =>
          issuerEndpoint.resolve({ name: "JWKS URL", configured: options.jwksUri, field: (metadata) => metadata.jwksUri }, options)
      })

    type Due = "none" | "coolingDown" | "first" | "unknownKid" | "stale"

    // What, if anything, calls for a fetch: no keys yet, keys past their age, or a kid they lack;
    // with no keys, a fetch that failed within the failure cool-down stands for a new one.
    const due = (current: State, kid: Option.Option<string>, now: number): Due => {
      if (Option.isNone(current.keys)) {
        return Option.isSome(current.failure) && now - current.lastAttempt < failureCoolDown ? "coolingDown" : "first"
      }
      const keys = current.keys.value
      const coolingDown = now - current.lastAttempt < coolDown
      if (Option.isSome(kid) && !keys.kids.has(kid.value) && !coolingDown) return "unknownKid"
      if (now - keys.fetchedAt >= maxAge && !coolingDown) return "stale"
      return "none"
    }

    // One fetch, whose outcome every waiter shares. It runs in a fiber of its own, bounded by the
    // timeout, so that a caller that goes away does not take it from the others.
    const fetchFor = (reason: Due, deferred: Deferred.Deferred<Keys, KeysError>) =>
      Effect.gen(function*() {
        const fetched = yield* Effect.either(
          Effect.flatMap(
            Effect.flatMap(Ref.get(state), jwksUri),
            (url) => Effect.map(fetchKeys(url, timeout, maxJwksBytes), (keys) => ({ url, keys }))
          )
        )
        const at = yield* Clock.currentTimeMillis
        if (Either.isRight(fetched)) {
          const { keys, url } = fetched.right
          yield* Ref.update(state, (current) => ({
            ...current,
            jwksUri: Option.some(url),
            keys: Option.some(keys),
            lastAttempt: at,
            failure: Option.none()
          }))
          return keys
        }
        const previous = yield* Ref.modify(state, (current) => [
          current.keys,
          { ...current, lastAttempt: at, failure: Option.some(fetched.left) }
        ])
        // stale keys still verify: better than refusing every request while the issuer is down
        if (reason === "stale" && Option.isSome(previous)) {
          yield* Effect.logWarning("grantflow: refreshing the issuer's keys failed; the cached keys are still used")
            .pipe(Effect.annotateLogs({ error: fetched.left.message }))
          return previous.value
        }
        return yield* Effect.fail(fetched.left)
      }).pipe(
        Effect.onExit((exit) =>
          Effect.zipRight(
            Ref.update(state, (current) => ({ ...current, inFlight: Option.none() })),
            Deferred.done(deferred, exit)
          )
        ),
        Effect.provideService(HttpClient.HttpClient, client)
      )

    type Waiting = Deferred.Deferred<Keys, KeysError>
    type Step =
      | { readonly _tag: "Use"; readonly keys: Keys }
      | { readonly _tag: "Fail"; readonly error: KeysError }
      | { readonly _tag: "Await"; readonly fetch: Waiting }
      | { readonly _tag: "Start"; readonly reason: Due }

    // Decided in one atomic step, so that two callers never both start a fetch.
    const step = (kid: Option.Option<string>, now: number, mine: Waiting) => (latest: State): readonly [Step, State] => {
      const reason = due(latest, kid, now)
      if (reason === "none") return [{ _tag: "Use", keys: Option.getOrThrow(latest.keys) }, latest]
      if (reason === "coolingDown") return [{ _tag: "Fail", error: Option.getOrThrow(latest.failure) }, latest]
      if (Option.isNone(latest.inFlight)) return [{ _tag: "Start", reason }, { ...latest, inFlight: Option.some(mine) }]
      // keys past their age serve while the fetch under way replaces them
      return reason === "stale"
        ? [{ _tag: "Use", keys: Option.getOrThrow(latest.keys) }, latest]
        : [{ _tag: "Await", fetch: latest.inFlight.value }, latest]
    }

    const keysFor = (kid: Option.Option<string>): Effect.Effect<Keys, KeysError> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const current = yield* Ref.get(state)
        if (Option.isSome(current.keys) && due(current, kid, now) === "none") return current.keys.value
        const mine = yield* Deferred.make<Keys, KeysError>()
        const next = yield* Ref.modify(state, step(kid, now, mine))
        switch (next._tag) {
          case "Use":
            return next.keys
          case "Fail":
            return yield* Effect.fail(next.error)
          case "Await":
            return yield* Deferred.await(next.fetch)
          case "Start":
            yield* Effect.forkDaemon(fetchFor(next.reason, mine))
            return yield* Deferred.await(mine)
        }
      })

    const verifyOptions = (now: number): Jose.JWTVerifyOptions => ({
      issuer: options.issuer,
      audience,
      algorithms: [...algorithms],
      clockTolerance: tolerance / 1000,
      currentDate: new Date(now),
      requiredClaims: ["exp"],
      ...(options.requireAtJwtType === false ? {} : { typ: "at+jwt" })
    })

    return {
      dpop,
      verify: (token) =>
        Effect.gen(function*() {
          const value = Redacted.value(token)
          const read = jws.decode(value, maxTokenLength)
          // jose decodes the parts again, by then known to be bounded
          if (Either.isLeft(read)) return yield* Effect.fail(failed("Malformed"))
          const header = read.right.header
          // refused before any key is looked up, so a forged header never causes a fetch
          if (typeof header["alg"] !== "string" || !(algorithms as ReadonlyArray<string>).includes(header["alg"])) {
            return yield* Effect.fail(failed("Algorithm"))
          }
          const keys = yield* keysFor(typeof header["kid"] === "string" ? Option.some(header["kid"]) : Option.none())
          const now = yield* Clock.currentTimeMillis
          const { payload } = yield* Effect.tryPromise({
            try: () => joseVerify(value, keys.getKey, verifyOptions(now)),
            catch: classify
          })
          // jose checks nbf; a token issued in the future means the clocks disagree just as much
          if (typeof payload.iat === "number" && payload.iat * 1000 > now + tolerance) {
            return yield* Effect.fail(failed("NotYetValid"))
          }
          return claims.verifiedToken(payload)
        }).pipe(
          Effect.tapError((error) => Effect.annotateCurrentSpan("grantflow.verification.outcome", failureName(error))),
          Effect.withSpan("grantflow.token_verification", { attributes: { "grantflow.verifier": "jwt" } })
        )
    }
  })

/**
 * A name for a verification failure, for spans and logs.
 *
 * @internal
 */
export const failureName = (error: TokenVerifier.VerificationError): string =>
  error._tag === "VerificationFailed"
    ? error.reason
    : error._tag === "InvalidTokenRequest"
    ? "misconfigured"
    : `unavailable:${error.endpoint}`
