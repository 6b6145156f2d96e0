import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Jose from "jose"
import * as TokenVerifier from "../TokenVerifier.js"
import * as claims from "./claims.js"
import * as issuerEndpoint from "./issuerEndpoint.js"
import * as tokenRequest from "./tokenRequest.js"

/** @internal */
export type Algorithm =
  | "RS256"
  | "RS384"
  | "RS512"
  | "PS256"
  | "PS384"
  | "PS512"
  | "ES256"
  | "ES384"
  | "ES512"
  | "EdDSA"

const asymmetric: ReadonlyArray<Algorithm> = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA"
]

interface Keys {
  readonly getKey: Jose.JWTVerifyGetKey
  readonly kids: ReadonlySet<string>
  readonly fetchedAt: number
}

type Step = readonly [Either.Either<Keys, TokenVerifier.VerifierUnavailable>, State]

interface State {
  readonly jwksUri: Option.Option<URL>
  readonly keys: Option.Option<Keys>
  /** When the JWKS was last asked for, successfully or not. */
  readonly lastAttempt: number
}

const unavailable = (
  reason: TokenVerifier.VerifierUnavailable["reason"],
  extra: { readonly status?: number; readonly detail?: string; readonly cause?: unknown } = {}
) =>
  new TokenVerifier.VerifierUnavailable({
    endpoint: "jwks",
    reason,
    status: Option.fromNullable(extra.status),
    ...(extra.detail === undefined ? {} : { detail: extra.detail }),
    ...(extra.cause === undefined ? {} : { cause: extra.cause })
  })

const transport = (error: HttpClientError.HttpClientError) =>
  unavailable("Transport", { cause: error.cause ?? error.reason })

const fetchKeys = (
  url: URL,
  timeout: Duration.Duration
): Effect.Effect<Keys, TokenVerifier.VerifierUnavailable, HttpClient.HttpClient> =>
  HttpClient.execute(HttpClientRequest.get(url, { acceptJson: true })).pipe(
    Effect.flatMap((response) =>
      Effect.map(tokenRequest.readBody(response, tokenRequest.maxBodyBytes), (body) => ({ status: response.status, body }))
    ),
    Effect.catchTags({ RequestError: transport, ResponseError: transport }),
    Effect.timeoutFail({ duration: timeout, onTimeout: () => unavailable("Timeout") }),
    Effect.flatMap(({ body, status }) => {
      if (status !== 200) return Effect.fail(unavailable("Status", { status }))
      if (Option.isNone(body)) return Effect.fail(unavailable("Malformed", { detail: "the JWKS is too large" }))
      let jwks: Jose.JSONWebKeySet
      try {
        jwks = JSON.parse(body.value)
      } catch (cause) {
        return Effect.fail(unavailable("Malformed", { detail: "the JWKS is not JSON", cause }))
      }
      return Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.try({
          try: (): Keys => ({
            getKey: Jose.createLocalJWKSet(jwks),
            kids: new Set(jwks.keys.flatMap((key) => typeof key.kid === "string" ? [key.kid] : [])),
            fetchedAt: now
          }),
          catch: (cause) => unavailable("Malformed", { detail: "the JWKS is not a JSON Web Key Set", cause })
        }))
    }),
    Effect.withSpan("grantflow.jwks", { kind: "client", attributes: { "server.address": url.host, "url.path": url.pathname } })
  )

const failed = (reason: TokenVerifier.FailureReason, cause?: unknown) =>
  new TokenVerifier.VerificationFailed({ reason, ...(cause === undefined ? {} : { cause }) })

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

const base64Url = /^[\w-]*$/

/**
 * A compact JWS whose three parts are base64url exactly as an encoder
 * writes them. Decoders ignore the spare low bits of a last character, so
 * without this check a token with another last character (`…A` for `…B`)
 * would verify as the same token: any change to a token must be refused.
 */
const isCanonicalJws = (value: string): boolean => {
  const parts = value.split(".")
  return parts.length === 3 && parts.every((part) =>
    base64Url.test(part) &&
    Either.match(Encoding.decodeBase64Url(part), {
      onLeft: () => false,
      onRight: (bytes) => Encoding.encodeBase64Url(bytes) === part
    })
  )
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
    const timeout = Duration.decode(options.timeout ?? tokenRequest.defaultTimeout)
    const tolerance = Duration.toMillis(options.clockTolerance ?? "30 seconds")
    const coolDown = Duration.toMillis(options.jwksCoolDown ?? "30 seconds")
    const maxAge = Duration.toMillis(options.jwksMaxAge ?? "10 minutes")
    const audience = typeof options.audience === "string" ? [options.audience] : [...options.audience]
    const state = yield* SynchronizedRef.make<State>({
      jwksUri: Option.none(),
      keys: Option.none(),
      lastAttempt: Number.NEGATIVE_INFINITY
    })

    const jwksUri = (current: State) =>
      Option.match(current.jwksUri, {
        onSome: Effect.succeed,
        onNone: () =>
          issuerEndpoint.resolve({
            endpoint: "jwks",
            name: "JWKS URL",
            configured: options.jwksUri,
            issuer: options.issuer,
            field: (metadata) => metadata.jwksUri,
            allowInsecure: options.allowInsecure === true,
            timeout
          })
      })

    // What, if anything, calls for a fetch: no keys yet, keys past their age, or a kid they lack.
    const due = (current: State, kid: Option.Option<string>, now: number): "none" | "stale" | "unknownKid" | "first" => {
      if (Option.isNone(current.keys)) return "first"
      const keys = current.keys.value
      const coolingDown = now - current.lastAttempt < coolDown
      if (Option.isSome(kid) && !keys.kids.has(kid.value) && !coolingDown) return "unknownKid"
      if (now - keys.fetchedAt >= maxAge && !coolingDown) return "stale"
      return "none"
    }

    // Runs under the state's lock: one fetch at a time; whoever waited looks again, as the keys may have just arrived.
    const refresh = (kid: Option.Option<string>) => (latest: State): Effect.Effect<Step, never, HttpClient.HttpClient> =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        const reason = due(latest, kid, at)
        if (reason === "none") return [Either.right(Option.getOrThrow(latest.keys)), latest] as Step
        const fetched = yield* Effect.either(
          Effect.flatMap(jwksUri(latest), (url) => Effect.map(fetchKeys(url, timeout), (keys) => ({ url, keys })))
        )
        if (Either.isRight(fetched)) {
          const { keys, url } = fetched.right
          return [Either.right(keys), { jwksUri: Option.some(url), keys: Option.some(keys), lastAttempt: at }] as Step
        }
        const next: State = { ...latest, lastAttempt: at }
        // stale keys still verify: better than refusing every request while the issuer is down
        if (reason === "stale") {
          yield* Effect.logWarning("grantflow: refreshing the issuer's keys failed; the cached keys are still used")
            .pipe(Effect.annotateLogs({ error: fetched.left.message }))
          return [Either.right(Option.getOrThrow(latest.keys)), next] as Step
        }
        return [Either.left(fetched.left), next] as Step
      })

    const keysFor = (kid: Option.Option<string>): Effect.Effect<Keys, TokenVerifier.VerifierUnavailable> =>
      Effect.flatMap(Effect.zip(SynchronizedRef.get(state), Clock.currentTimeMillis), ([current, now]) =>
        due(current, kid, now) === "none"
          ? Effect.succeed(Option.getOrThrow(current.keys))
          : Effect.flatMap(SynchronizedRef.modifyEffect(state, refresh(kid)), (either) => either)).pipe(
          Effect.provideService(HttpClient.HttpClient, client)
        )

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
      verify: (token) =>
        Effect.gen(function*() {
          const value = Redacted.value(token)
          if (!isCanonicalJws(value)) return yield* Effect.fail(failed("Malformed"))
          const header = yield* Effect.try({
            try: () => Jose.decodeProtectedHeader(value),
            catch: (cause) => failed("Malformed", cause)
          })
          // refused before any key is looked up, so a forged header never causes a fetch
          if (typeof header.alg !== "string" || !(algorithms as ReadonlyArray<string>).includes(header.alg)) {
            return yield* Effect.fail(failed("Algorithm"))
          }
          const keys = yield* keysFor(typeof header.kid === "string" ? Option.some(header.kid) : Option.none())
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
  error._tag === "VerificationFailed" ? error.reason : `unavailable:${error.endpoint}`
