import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Jose from "jose"
import type * as DpopProof from "../DpopProof.js"
import type * as TokenVerifier from "../TokenVerifier.js"
import * as jws from "./jws.js"
import * as staticToken from "./staticToken.js"
import * as tokenVerifier from "./tokenVerifier.js"

/**
 * The longest `DPoP` header read, 8 KiB: a proof with an RSA key of 4096
 * bits is under 2 KiB.
 *
 * @internal
 */
export const defaultMaxProofLength = 8 * 1024

/** @internal */
export const defaultAlgorithms: ReadonlyArray<TokenVerifier.Algorithm> = ["ES256", "EdDSA", "RS256"]

/** @internal */
export const defaultReplayCacheCapacity = 10_000

/** @internal */
export const defaultProofWindow: Duration.Duration = Duration.seconds(60)

const defaultRotation = Duration.minutes(5)

/** The longest URL compared: an `htu` is within a proof, a request target within a server's header limits. */
const maxUrlLength = 8 * 1024

/** A `jti` is a random identifier of a few dozen characters (RFC 9449 §4.2); longer ones are not kept. */
const maxJtiLength = 256

// RSA keys of at most 8192 bits and public exponents of at most 32 bits: a huge modulus or exponent in a
// proof's header would make every signature check of a made-up proof cost seconds
const maxModulusChars = Math.ceil((8192 / 8) * 4 / 3)
const maxExponentChars = 6

// RFC 7517 §9.3, RFC 7518 §6 (and AKP's `priv`): the members that only a private or symmetric key has
const privateMembers: ReadonlyArray<string> = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"]

const keyTypes: ReadonlyArray<string> = ["EC", "OKP", "RSA"]

const failed = (reason: TokenVerifier.FailureReason, cause?: unknown) =>
  new tokenVerifier.VerificationFailed({ reason, ...(cause === undefined ? {} : { cause }) })

const isHex = (code: number) =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102)

// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~"
const isUnreserved = (code: number) =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) ||
  code === 45 || code === 46 || code === 95 || code === 126

/**
 * A path with its percent-encodings normalised (RFC 3986 §6.2.2.1-2): hex
 * digits in upper case, unreserved characters decoded. One pass.
 */
const normalizePath = (path: string): string => {
  let out = ""
  let run = 0
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) !== 37 || !isHex(path.charCodeAt(i + 1)) || !isHex(path.charCodeAt(i + 2))) continue
    const code = Number.parseInt(path.slice(i + 1, i + 3), 16)
    out += path.slice(run, i) + (isUnreserved(code) ? String.fromCharCode(code) : path.slice(i, i + 3).toUpperCase())
    i += 2
    run = i + 1
  }
  return out + path.slice(run)
}

/**
 * An `htu` as compared (RFC 9449 §4.3, RFC 3986 §6.2.2-3): an absolute
 * `http:` or `https:` URL without its query and fragment, scheme and host in
 * lower case, no default port, dot segments removed (the WHATWG URL parser
 * does these), percent-encodings normalised; else `None`.
 *
 * @internal
 */
export const normalizeUrl = (url: string | URL): Option.Option<string> => {
  const text = typeof url === "string" ? url : url.href
  if (text.length > maxUrlLength || !URL.canParse(text)) return Option.none()
  const parsed = new URL(text)
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return Option.none()
  return Option.some(`${parsed.protocol}//${parsed.host}${normalizePath(parsed.pathname)}`)
}

const isDpopType = (typ: unknown): boolean => {
  if (typeof typ !== "string") return false
  // RFC 7515 §4.1.9: a media type, compared without case, "application/" optional
  const lower = typ.toLowerCase()
  return lower === "dpop+jwt" || lower === "application/dpop+jwt"
}

/** A public key of a type a proof may use, none of whose members is private or huge. */
const isPublicJwk = (jwk: unknown): jwk is Jose.JWK => {
  if (!Predicate.isRecord(jwk) || typeof jwk["kty"] !== "string" || !keyTypes.includes(jwk["kty"])) return false
  if (privateMembers.some((member) => member in jwk)) return false
  if (jwk["kty"] !== "RSA") return true
  const { e, n } = jwk
  return typeof n === "string" && n.length <= maxModulusChars && typeof e === "string" && e.length <= maxExponentChars
}

/**
 * `base64url(SHA-256(accessToken))`: the `ath` of a proof sent with that
 * token (RFC 9449 §4.2).
 *
 * @internal
 */
export const accessTokenHash = (accessToken: Redacted.Redacted<string>): Effect.Effect<string> =>
  Effect.map(staticToken.digest(accessToken), Encoding.encodeBase64Url)

/** What a proof is checked against. @internal */
export interface Settings {
  readonly algorithms: ReadonlyArray<string>
  readonly windowMillis: number
  readonly maxProofLength: number
}

/** What a proof says, once its form, key and signature are checked. @internal */
export interface Signed {
  readonly jkt: string
  readonly jti: string
  readonly htm: string
  readonly htu: string
  readonly iat: number
  readonly ath: unknown
  readonly nonce: unknown
}

const verifySignature = (proof: string, key: Jose.CryptoKey | Uint8Array, alg: string) =>
  Effect.tryPromise({
    try: () => Jose.compactVerify(proof, key, { algorithms: [alg] }),
    catch: (error) =>
      error instanceof Jose.errors.JWSSignatureVerificationFailed
        ? failed("DpopSignature")
        : error instanceof Jose.errors.JWSInvalid
        ? failed("DpopMalformed")
        : failed("DpopKey")
  })

/**
 * The checks of RFC 9449 §4.3 that need nothing but the proof (1-7): one
 * compact JWS within `maxProofLength`, its required claims, `typ`, an
 * allowed `alg`, a public `jwk` (nothing private, bounded sizes) whose
 * signature verifies. The parts are decoded once, bounded, before anything
 * is imported or verified.
 *
 * @internal
 */
export const checkSigned = (proof: string, settings: Settings): Effect.Effect<Signed, TokenVerifier.VerificationFailed> =>
  Effect.gen(function*() {
    const decoded = jws.decode(proof, settings.maxProofLength)
    if (Either.isLeft(decoded)) return yield* Effect.fail(failed("DpopMalformed"))
    const { claims, header } = decoded.right
    const { ath, htm, htu, iat, jti, nonce } = claims
    if (
      typeof jti !== "string" || jti === "" || jti.length > maxJtiLength || typeof htm !== "string" ||
      typeof htu !== "string" || typeof iat !== "number"
    ) return yield* Effect.fail(failed("DpopMalformed"))
    if (!isDpopType(header["typ"])) return yield* Effect.fail(failed("DpopType"))
    const alg = header["alg"]
    if (typeof alg !== "string" || !settings.algorithms.includes(alg)) return yield* Effect.fail(failed("DpopAlgorithm"))
    const jwk = header["jwk"]
    if (!isPublicJwk(jwk)) return yield* Effect.fail(failed("DpopKey"))
    const key = yield* Effect.tryPromise({ try: () => Jose.importJWK(jwk, alg), catch: (cause) => failed("DpopKey", cause) })
    yield* verifySignature(proof, key, alg)
    const jkt = yield* Effect.tryPromise({
      try: () => Jose.calculateJwkThumbprint(jwk, "sha256"),
      catch: (cause) => failed("DpopKey", cause)
    })
    return { jkt, jti, htm, htu, iat, ath, nonce }
  })

/**
 * Remembers `jkt jti` pairs in memory, at most `capacity` of them, each
 * until its proof can no longer pass the `iat` check. When full, the entry
 * added longest ago makes room; from then on a proof that would have expired
 * no later than it is refused as possibly replayed: a forgotten proof is
 * never accepted twice.
 *
 * @internal
 */
export interface MemoryReplayCache extends DpopProof.ReplayCache {
  readonly size: Effect.Effect<number>
}

/** @internal */
export const memoryReplayCache = (options: { readonly capacity?: number | undefined } = {}): Effect.Effect<MemoryReplayCache> =>
  Effect.suspend(() => {
    const capacity = options.capacity ?? defaultReplayCacheCapacity
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      return Effect.dieMessage(`DpopProof.memoryReplayCache: the capacity must be a positive integer, not ${capacity}`)
    }
    // in insertion order: the front is the entry to make room with
    const seen = new Map<string, number>()
    let forgottenUntil = Number.NEGATIVE_INFINITY
    const add = (key: string, expiresAt: number) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        for (const [entry, until] of seen) {
          if (until > now) break
          seen.delete(entry)
        }
        if (seen.has(key) || expiresAt <= forgottenUntil) return false
        if (seen.size >= capacity) {
          const [oldest, until] = seen.entries().next().value!
          seen.delete(oldest)
          forgottenUntil = Math.max(forgottenUntil, until)
        }
        seen.set(key, expiresAt)
        return true
      })
    return Effect.succeed({ add, size: Effect.sync(() => seen.size) })
  })

const encoder = new TextEncoder()

interface Period {
  readonly index: number
  readonly current: string
  readonly previous: string
}

/**
 * Nonces (RFC 9449 §9) without state: the nonce of period `i` (the `Clock`
 * divided by `rotateEvery`) is an HMAC of `i` under the secret, so that
 * servers that share the secret give and accept the same nonces. The current
 * and the previous period's nonces are accepted.
 */
const makeNonces = (options: DpopProof.NonceOptions) =>
  Effect.gen(function*() {
    const rotateEvery = Duration.toMillis(Duration.decode(options.rotateEvery ?? defaultRotation))
    if (!(rotateEvery >= 1000) || !Number.isFinite(rotateEvery)) {
      return yield* Effect.dieMessage("DpopProof: nonce.rotateEvery must be a finite duration of a second or more")
    }
    const secret = options.secret === undefined
      ? crypto.getRandomValues(new Uint8Array(32))
      : encoder.encode(Redacted.value(options.secret))
    if (secret.length === 0) return yield* Effect.dieMessage("DpopProof: nonce.secret is empty")
    const key = yield* Effect.promise(() =>
      crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
    )
    const nonceOf = (index: number) =>
      Effect.promise(() => crypto.subtle.sign("HMAC", key, encoder.encode(`grantflow DPoP nonce ${index}`))).pipe(
        Effect.map((mac) => Encoding.encodeBase64Url(new Uint8Array(mac, 0, 24)))
      )
    let known: Period | undefined
    const period: Effect.Effect<Period> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const index = Math.floor(now / rotateEvery)
      if (known?.index === index) return Effect.succeed(known)
      return Effect.map(Effect.all([nonceOf(index), nonceOf(index - 1)]), ([current, previous]) => {
        known = { index, current, previous }
        return known
      })
    })
    return period
  })

/** @internal */
export const make = (options: DpopProof.Options = {}): Effect.Effect<DpopProof.Verifier> =>
  Effect.gen(function*() {
    const algorithms = options.algorithms ?? defaultAlgorithms
    const refused = algorithms.filter((alg) => !tokenVerifier.asymmetricAlgorithms.includes(alg))
    if (refused.length > 0 || algorithms.length === 0) {
      return yield* Effect.dieMessage(
        `DpopProof: the algorithms must be asymmetric signature algorithms ` +
          `(${tokenVerifier.asymmetricAlgorithms.join(", ")}); refused: ${refused.join(", ") || "an empty list"}`
      )
    }
    const windowMillis = Duration.toMillis(Duration.decode(options.proofWindow ?? defaultProofWindow))
    const settings: Settings = {
      algorithms,
      windowMillis,
      maxProofLength: options.maxProofLength ?? defaultMaxProofLength
    }
    const replayCache = options.replayCache ?? (yield* memoryReplayCache())
    const nonces = options.nonce === undefined || options.nonce === false
      ? undefined
      : yield* makeNonces(options.nonce === true ? {} : options.nonce)

    const verify = (proof: Redacted.Redacted<string>, request: DpopProof.ProofRequest) =>
      Effect.gen(function*() {
        const signed = yield* checkSigned(Redacted.value(proof), settings)
        if (signed.htm !== request.method) return yield* Effect.fail(failed("DpopMethod"))
        const htu = normalizeUrl(signed.htu)
        if (Option.isNone(htu) || !Option.contains(normalizeUrl(request.url), htu.value)) {
          return yield* Effect.fail(failed("DpopUrl"))
        }
        let fresh = Option.none<string>()
        if (nonces !== undefined) {
          const { current, previous } = yield* nonces
          if (signed.nonce !== current && signed.nonce !== previous) return yield* Effect.fail(failed("DpopNonce"))
          // accepted, but rotated: the client gets the new one with the answer
          if (signed.nonce === previous) fresh = Option.some(current)
        }
        const now = yield* Clock.currentTimeMillis
        if (Math.abs(signed.iat * 1000 - now) > windowMillis) return yield* Effect.fail(failed("DpopTime"))
        if (signed.ath !== (yield* accessTokenHash(request.accessToken))) {
          return yield* Effect.fail(failed("DpopTokenHash"))
        }
        // last, so that only proofs that pass every other check take room; kept while its iat can pass
        // (a thumbprint is base64url, without the space that separates it from the jti)
        if (!(yield* replayCache.add(`${signed.jkt} ${signed.jti}`, signed.iat * 1000 + windowMillis))) {
          return yield* Effect.fail(failed("DpopReplay"))
        }
        return { jkt: signed.jkt, freshNonce: fresh }
      }).pipe(Effect.withSpan("grantflow.dpop_proof"))

    return {
      algorithms,
      required: options.required === true,
      verify,
      currentNonce: nonces === undefined ? Effect.succeedNone : Effect.map(nonces, (period) => Option.some(period.current))
    }
  })
