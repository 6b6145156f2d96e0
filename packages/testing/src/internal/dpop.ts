import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Jose from "jose"
import type * as AuthServer from "../AuthServer.js"
import { type Note, pathOf } from "./journal.js"
import { randomValue } from "./random.js"

/** The proof algorithms the server accepts (`dpop_signing_alg_values_supported`). @internal */
export const algorithms: ReadonlyArray<string> = ["ES256", "EdDSA", "RS256", "PS256"]

/** The longest `DPoP` header the server reads: a proof with a 4096-bit RSA key fits several times over. @internal */
export const maxProofLength = 8192

const maxJtiLength = 256

// RFC 7517 §9.3, RFC 7518 §6 (and AKP's `priv`): the members that only a private or symmetric key has
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"] as const

const keyTypes: ReadonlyArray<string> = ["EC", "OKP", "RSA"]

/** What the request a proof accompanies must match. @internal */
export interface Expected {
  readonly method: string
  /** The URLs the request may have been sent to (query and fragment ignored): `htu` must name one. */
  readonly urls: ReadonlyArray<string>
  /** `Clock` epoch milliseconds. */
  readonly now: number
  /** How far `iat` may be from `now`, either way. */
  readonly windowMillis: number
  /** The nonce the proof must carry, when the server requires one. */
  readonly nonce: string | undefined
  /** The access token the proof must hash in `ath` (resource requests). */
  readonly accessToken: string | undefined
}

/**
 * The outcome of checking a proof. A valid one gives the RFC 7638 thumbprint
 * of its key (`jkt`) and its `jti`, which the caller still has to check for
 * replay; an invalid one the error code to answer with and why.
 *
 * @internal
 */
export type Verdict =
  | { readonly _tag: "Valid"; readonly jkt: string; readonly jti: string; readonly iat: number }
  | {
    readonly _tag: "Invalid"
    readonly error: "invalid_dpop_proof" | "use_dpop_nonce"
    readonly description: string
    /** The thumbprint of the proof's key, when the proof got that far. */
    readonly jkt?: string | undefined
  }

const invalid = (description: string, jkt?: string): Verdict => ({
  _tag: "Invalid",
  error: "invalid_dpop_proof",
  description,
  jkt
})

/** `scheme://host[:port]/path` of an absolute http(s) URL, normalised by WHATWG URL parsing; else `undefined`. @internal */
export const normalizeUri = (uri: string): string | undefined => {
  if (uri.length > maxProofLength || !URL.canParse(uri)) return undefined
  const url = new URL(uri)
  return url.protocol === "http:" || url.protocol === "https:" ? `${url.origin}${url.pathname}` : undefined
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** `base64url(SHA-256(accessToken))`: the `ath` of a proof sent with that token (RFC 9449 §4.2). @internal */
export const accessTokenHash = async (accessToken: string): Promise<string> =>
  Encoding.encodeBase64Url(
    new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(accessToken)))
  )

const check = async (header: string | undefined, expected: Expected): Promise<Verdict> => {
  if (header === undefined || header === "") return invalid("The request has no DPoP proof")
  if (header.length > maxProofLength) return invalid(`The DPoP proof is longer than ${maxProofLength} characters`)
  // a compact JWS has no comma: one means several DPoP headers, joined (RFC 9449 §4.3 allows exactly one)
  if (header.includes(",")) return invalid("The request has more than one DPoP header")
  let protectedHeader: Jose.ProtectedHeaderParameters
  try {
    protectedHeader = Jose.decodeProtectedHeader(header)
  } catch {
    return invalid("The DPoP proof is not a JWS in compact serialization")
  }
  if (protectedHeader.typ !== "dpop+jwt") return invalid("The DPoP proof's typ is not dpop+jwt")
  const alg = protectedHeader.alg
  if (typeof alg !== "string" || !algorithms.includes(alg)) {
    return invalid(`The DPoP proof's alg is not one of ${algorithms.join(", ")}`)
  }
  const jwk: unknown = protectedHeader.jwk
  if (!isRecord(jwk) || typeof jwk.kty !== "string" || !keyTypes.includes(jwk.kty)) {
    return invalid("The DPoP proof's jwk is not a public key")
  }
  if (privateMembers.some((member) => member in jwk)) return invalid("The DPoP proof's jwk holds private key material")
  let jkt: string
  let key: Jose.CryptoKey | Uint8Array
  try {
    key = await Jose.importJWK(jwk as Jose.JWK, alg)
    jkt = await Jose.calculateJwkThumbprint(jwk as Jose.JWK, "sha256")
  } catch {
    return invalid(`The DPoP proof's jwk is not a key for ${alg}`)
  }
  let payload: Jose.JWTPayload
  try {
    payload = (await Jose.jwtVerify(header, key, {
      algorithms: [alg],
      typ: "dpop+jwt",
      currentDate: new Date(expected.now)
    })).payload
  } catch (error) {
    // jose checks the registered claims it knows (iat a number, exp, nbf) on the Clock's time
    if (error instanceof Jose.errors.JWTClaimValidationFailed || error instanceof Jose.errors.JWTExpired) {
      return invalid(`The DPoP proof's ${error.claim} claim is invalid`, jkt)
    }
    return error instanceof Jose.errors.JWSSignatureVerificationFailed
      ? invalid("The DPoP proof's signature does not verify with its jwk", jkt)
      : invalid("The DPoP proof's payload is not a JWT claims set", jkt)
  }
  const { ath, htm, htu, iat, jti, nonce } = payload
  if (typeof jti !== "string" || jti === "" || jti.length > maxJtiLength) {
    return invalid("The DPoP proof has no jti", jkt)
  }
  if (htm !== expected.method) return invalid("The DPoP proof's htm is not the method of the request", jkt)
  const target = typeof htu === "string" ? normalizeUri(htu) : undefined
  if (target === undefined || !expected.urls.some((url) => normalizeUri(url) === target)) {
    return invalid("The DPoP proof's htu is not the URL of the request", jkt)
  }
  if (typeof iat !== "number" || Math.abs(iat * 1000 - expected.now) > expected.windowMillis) {
    return invalid("The DPoP proof's iat is too far from the server's time", jkt)
  }
  if (expected.nonce !== undefined && nonce !== expected.nonce) {
    return {
      _tag: "Invalid",
      error: "use_dpop_nonce",
      description: "The server requires the DPoP nonce of its DPoP-Nonce header in the proof",
      jkt
    }
  }
  if (expected.accessToken !== undefined && ath !== await accessTokenHash(expected.accessToken)) {
    return invalid("The DPoP proof's ath is not the hash of the access token", jkt)
  }
  return { _tag: "Valid", jkt, jti, iat }
}

/**
 * Checks a `DPoP` header (RFC 9449 §4.3) against the request it came with:
 * everything but replay, which needs the server's memory of `jti`s. Never
 * fails: a hostile proof is an `Invalid` verdict.
 *
 * @internal
 */
export const verify = (header: string | undefined, expected: Expected): Effect.Effect<Verdict> =>
  Effect.promise(() => check(header, expected).catch(() => invalid("The DPoP proof could not be read")))

/** The `jti`s a server has seen, at most this many within a window: beyond, proofs are refused, never forgotten. */
const maxRemembered = 100_000

/**
 * The server's DPoP memory: the current nonce (rotating on the `Clock`) and
 * the proofs seen within the window, by key thumbprint and `jti`.
 *
 * @internal
 */
export interface Proofs {
  readonly nonce: Effect.Effect<string>
  /** Remembers a proof until `until`; `false` when it was seen already, or the memory is full. */
  readonly remember: (jkt: string, jti: string, until: number, now: number) => boolean
}

const defaultRotation = Duration.minutes(5)

/** @internal */
export const make = (options: AuthServer.Options): Effect.Effect<Proofs> =>
  Effect.map(Clock.currentTimeMillis, (start) => {
    const nonceOption = options.dpop?.nonce
    const rotateEvery = Duration.toMillis(
      typeof nonceOption === "object" && nonceOption.rotateEvery !== undefined
        ? Duration.decode(nonceOption.rotateEvery)
        : defaultRotation
    )
    let nonce = { value: randomValue(), since: start }
    // in order of expiry: every proof is kept for the same time from when it was seen
    const seen = new Map<string, number>()
    return {
      nonce: Effect.map(Clock.currentTimeMillis, (now) => {
        if (now - nonce.since >= rotateEvery) nonce = { value: randomValue(), since: now }
        return nonce.value
      }),
      remember: (jkt, jti, until, now) => {
        for (const [key, expiry] of seen) {
          if (expiry > now) break
          seen.delete(key)
        }
        // a thumbprint is base64url: it cannot contain the space that separates it from the jti
        const key = `${jkt} ${jti}`
        if (seen.has(key) || seen.size >= maxRemembered) return false
        seen.set(key, until)
        return true
      }
    }
  })

/** What the server makes of the DPoP proof of one request. @internal */
export type Outcome =
  | { readonly _tag: "Valid"; readonly jkt: string }
  | { readonly _tag: "Absent" }
  | {
    readonly _tag: "Invalid"
    readonly error: "invalid_dpop_proof" | "use_dpop_nonce"
    readonly description: string
    /** The current nonce, to send in a `DPoP-Nonce` header. */
    readonly nonce: string | undefined
  }

/** The default of `dpop.proofWindow`. @internal */
export const defaultWindow = Duration.seconds(60)

/**
 * Checks the `DPoP` header of a request sent to `url` as the server's options
 * say (nonce, window) and remembers its `jti`; `accessToken` for a resource
 * request. Records the outcome and the key thumbprint in `note`.
 *
 * @internal
 */
export const checkRequest = (
  options: AuthServer.Options,
  proofs: Proofs,
  request: HttpServerRequest.HttpServerRequest,
  urls: ReadonlyArray<string>,
  note: Note,
  accessToken?: string
): Effect.Effect<Outcome> =>
  Effect.gen(function*() {
    const header = request.headers.dpop
    if (header === undefined) return { _tag: "Absent" }
    const now = yield* Clock.currentTimeMillis
    const nonce = options.dpop?.nonce === undefined || options.dpop.nonce === false ? undefined : yield* proofs.nonce
    const windowMillis = Duration.toMillis(Duration.decode(options.dpop?.proofWindow ?? defaultWindow))
    const verdict = yield* verify(header, { method: request.method, urls, now, windowMillis, nonce, accessToken })
    if (verdict.jkt !== undefined) note.dpopJkt = verdict.jkt
    if (verdict._tag === "Invalid") {
      note.dpop = verdict.error === "use_dpop_nonce" ? "nonce" : "invalid"
      return { _tag: "Invalid", error: verdict.error, description: verdict.description, nonce }
    }
    // kept while the proof's iat can be within the window (it is at most a window ahead): a replay later is stale
    if (!proofs.remember(verdict.jkt, verdict.jti, now + 2 * windowMillis + 1000, now)) {
      note.dpop = "invalid"
      return { _tag: "Invalid", error: "invalid_dpop_proof", description: "The DPoP proof was already used", nonce }
    }
    note.dpop = "valid"
    return { _tag: "Valid", jkt: verdict.jkt }
  })

/**
 * The URLs a request may have been sent to, as a proof's `htu` names it:
 * under the issuer the server advertises, or the one its `Host` header names
 * (a server on a loopback port advertises its configured issuer).
 *
 * @internal
 */
export const requestUrls = (issuer: string, request: HttpServerRequest.HttpServerRequest): ReadonlyArray<string> => [
  `${issuer}${pathOf(request.url)}`,
  ...Option.toArray(Option.map(HttpServerRequest.toURL(request), String))
]
