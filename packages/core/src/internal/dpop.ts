import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import { pipeArguments } from "effect/Pipeable"
import type * as Jose from "jose"
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from "jose"
import type * as Dpop from "../Dpop.js"
import * as TokenError from "../TokenError.js"
import * as assertion from "./assertion.js"
import * as pkce from "./pkce.js"

/** @internal */
export const TypeId: Dpop.TypeId = Symbol.for("@grantflow/core/Dpop") as Dpop.TypeId

/**
 * The most origins whose nonce a key remembers: a client talks to a handful
 * of servers, and the nonces come from them.
 *
 * @internal
 */
export const maxNonces = 32

/**
 * The longest nonce kept, 1 KiB: a nonce is an opaque string of a few dozen
 * characters (RFC 9449 §8.1), and it comes from the server.
 *
 * @internal
 */
export const maxNonceLength = 1024

/** @internal */
export interface State {
  readonly nonces: Map<string, string>
  /** The `ath` of the token the key last proved, as most proofs are for the same token. */
  ath: { readonly accessToken: string; readonly value: string } | undefined
}

/** What signing needs, worked out once per key: the encoded protected header and the signer. */
interface Signing {
  readonly header: string
  readonly sign: Signer
}

/** Signs a JWS signing input: the signature as JWS wants it (for ES256: r ‖ s, RFC 7518 §3.4). @internal */
export type Signer = (input: Uint8Array<ArrayBuffer>) => Uint8Array | Promise<ArrayBuffer>

const signingOf = (key: Dpop.DpopKey): Signing => (key as unknown as { readonly signing: Signing }).signing

const stateOf = (key: Dpop.DpopKey): State => (key as unknown as { readonly state: State }).state

const Proto = {
  [TypeId]: TypeId,
  pipe() {
    // eslint-disable-next-line prefer-rest-params -- pipeArguments takes the arguments object, as in Effect's own data types
    return pipeArguments(this, arguments)
  },
  toJSON(this: Dpop.DpopKey) {
    // the algorithm only: the public key says who the client is, and is no one's business in a log
    return { _id: "DpopKey", alg: this.alg }
  },
  toString(this: Dpop.DpopKey) {
    return Inspectable.format(this.toJSON())
  },
  [Inspectable.NodeInspectSymbol](this: Dpop.DpopKey) {
    return this.toJSON()
  }
}

const curves: Record<Dpop.Algorithm, Jose.GenerateKeyPairOptions> = {
  ES256: {},
  EdDSA: { crv: "Ed25519" },
  RS256: { modulusLength: 2048 }
}

const failed = (what: string) => (cause: unknown) =>
  new TokenError.InvalidTokenRequest({ reason: `the DPoP key ${what}`, cause })

const publicOnly = (jwk: Jose.JWK): Jose.JWK => {
  // the members of RFC 7517 §4 and of the key type's public part: never `d`, `p`, `q`, `dp`, `dq`, `qi`
  const { crv, e, kty, n, x, y } = jwk
  return Object.fromEntries(Object.entries({ crv, e, kty, n, x, y }).filter(([, value]) => value !== undefined))
}

/** @internal */
export const fromKeyPair = (
  pair: { readonly privateKey: CryptoKey; readonly publicKey: CryptoKey },
  alg: Dpop.Algorithm
): Effect.Effect<Dpop.DpopKey, TokenError.InvalidTokenRequest> =>
  Effect.tryPromise({ try: () => exportJWK(pair.publicKey), catch: failed("has a public key that cannot be exported") })
    .pipe(
      Effect.filterOrFail(
        () => fitsAlgorithm(pair.privateKey, alg),
        () => new TokenError.InvalidTokenRequest({ reason: `the DPoP key is not a private ${alg} signing key` })
      ),
      Effect.map((jwk) => {
        const key = Object.create(Proto)
        key.alg = alg
        key.privateKey = pair.privateKey
        key.publicJwk = publicOnly(jwk)
        key.state = { nonces: new Map(), ath: undefined } satisfies State
        key.signing = {
          header: encodeJson({ alg, typ: "dpop+jwt", jwk: key.publicJwk }),
          sign: nodeSigner(pair.privateKey, alg) ?? webCryptoSigner(pair.privateKey, alg)
        } satisfies Signing
        return key as Dpop.DpopKey
      })
    )

/** WebCrypto's signature of each algorithm is the JWS signature as is (for ES256: r ‖ s, RFC 7518 §3.4). */
const signatureParams: Record<Dpop.Algorithm, AlgorithmIdentifier | EcdsaParams> = {
  ES256: { name: "ECDSA", hash: "SHA-256" },
  EdDSA: { name: "Ed25519" },
  RS256: { name: "RSASSA-PKCS1-v1_5" }
}

/** Signs with WebCrypto, which every runtime has. @internal */
export const webCryptoSigner = (privateKey: CryptoKey, alg: Dpop.Algorithm): Signer => (input) =>
  crypto.subtle.sign(signatureParams[alg], privateKey, input)

/** The part of `node:crypto` a signer uses, typed here so that core does not depend on Node's types. */
interface NodeCrypto {
  readonly KeyObject: { from(key: CryptoKey): unknown }
  readonly sign: (algorithm: string | null, data: Uint8Array, key: unknown) => Uint8Array
}

/**
 * Signs with `node:crypto`'s one-shot `sign` where the runtime has it (Node,
 * Bun, Deno): a proof is signed once per API request, and in Node WebCrypto's
 * asynchronous job costs about 75 µs of CPU per ES256 signature against about
 * 27 µs for the same signature made at once (benchmark P8). `undefined`
 * elsewhere, or for a key `node:crypto` cannot take.
 *
 * @internal
 */
export const nodeSigner = (privateKey: CryptoKey, alg: Dpop.Algorithm): Signer | undefined => {
  const runtime = globalThis as { readonly process?: { readonly getBuiltinModule?: (id: string) => unknown } }
  const node = runtime.process?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined
  if (node === undefined) return undefined
  try {
    const key = node.KeyObject.from(privateKey)
    const options = alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key
    const digest = alg === "EdDSA" ? null : "sha256"
    return (input) => node.sign(digest, input, options)
  } catch {
    return undefined
  }
}

// checked once here, so that a proof cannot be signed with a key of another algorithm than its header names
const fitsAlgorithm = (privateKey: CryptoKey, alg: Dpop.Algorithm): boolean => {
  if (privateKey.type !== "private" || !privateKey.usages.includes("sign")) return false
  const algorithm = privateKey.algorithm as KeyAlgorithm & { namedCurve?: string; hash?: { name?: string } }
  switch (alg) {
    case "ES256":
      return algorithm.name === "ECDSA" && algorithm.namedCurve === "P-256"
    case "EdDSA":
      return algorithm.name === "Ed25519"
    case "RS256":
      return algorithm.name === "RSASSA-PKCS1-v1_5" && algorithm.hash?.name === "SHA-256"
  }
}

const encoder = new TextEncoder()

const encodeJson = (value: unknown): string => pkce.base64Url(encoder.encode(JSON.stringify(value)))

/** @internal */
export const generateKey = (
  options?: Dpop.GenerateOptions
): Effect.Effect<Dpop.DpopKey, TokenError.InvalidTokenRequest> => {
  const alg = options?.alg ?? "ES256"
  return Effect.tryPromise({
    try: () => generateKeyPair(alg, { ...curves[alg], extractable: options?.extractable ?? false }),
    catch: failed(`could not be generated with ${alg} on this platform`)
  }).pipe(Effect.flatMap((pair) => fromKeyPair(pair, alg)))
}

// the algorithms a key is made for: the keys of the one table that says how to generate each
const isAlgorithm = (alg: string): alg is Dpop.Algorithm => Object.hasOwn(curves, alg)

/** @internal */
export const exportKey = (key: Dpop.DpopKey): Effect.Effect<Redacted.Redacted<Jose.JWK>, TokenError.InvalidTokenRequest> =>
  Effect.tryPromise({
    try: () => exportJWK(key.privateKey),
    catch: failed("cannot be exported: generate it with extractable: true to persist it")
  }).pipe(Effect.map((jwk) => Redacted.make({ ...jwk, alg: key.alg })))

/** @internal */
export const importKey = (
  jwk: Redacted.Redacted<Jose.JWK>,
  options?: { readonly extractable?: boolean | undefined }
): Effect.Effect<Dpop.DpopKey, TokenError.InvalidTokenRequest> => {
  const value = Redacted.value(jwk)
  const alg = value.alg
  if (alg === undefined || !isAlgorithm(alg)) {
    return Effect.fail(
      new TokenError.InvalidTokenRequest({ reason: "the DPoP key's JWK must name its alg: ES256, EdDSA or RS256" })
    )
  }
  return Effect.tryPromise({
    try: async () => {
      const privateKey = await importJWK(value, alg, { extractable: options?.extractable ?? false })
      const publicKey = await importJWK(publicOnly(value), alg, { extractable: true })
      if (!(privateKey instanceof CryptoKey) || privateKey.type !== "private" || !(publicKey instanceof CryptoKey)) {
        throw new Error("not a private key")
      }
      return { privateKey, publicKey }
    },
    catch: failed("JWK is not a private key of its alg")
  }).pipe(Effect.flatMap((pair) => fromKeyPair(pair, alg)))
}

/**
 * The DPoP key the refresh token about to be sent is bound to: a shared
 * fetch sets it, around its `refresh`, to the key stored with the token it
 * refreshes, so that `Grant.refreshToken` proves that key rather than the
 * endpoint's (a restarted process's endpoint has a key of its own).
 *
 * @internal
 */
export const currentRefreshKey: FiberRef.FiberRef<Dpop.DpopKey | undefined> = globalValue(
  Symbol.for("@grantflow/core/Dpop/currentRefreshKey"),
  () => FiberRef.unsafeMake<Dpop.DpopKey | undefined>(undefined)
)

/** @internal */
export const isDpopKey = (u: unknown): u is Dpop.DpopKey => Predicate.hasProperty(u, TypeId)

/**
 * The `ath` claim of a proof sent with `accessToken`: the base64url SHA-256
 * of the token (RFC 9449 §4.2).
 *
 * @internal
 */
export const ath = (accessToken: string): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", encoder.encode(accessToken))).pipe(
    Effect.map((digest) => pkce.base64Url(new Uint8Array(digest)))
  )

const athFor = (key: Dpop.DpopKey, accessToken: string): Effect.Effect<string> => {
  const state = stateOf(key)
  if (state.ath?.accessToken === accessToken) return Effect.succeed(state.ath.value)
  return Effect.tap(ath(accessToken), (value) => {
    state.ath = { accessToken, value }
  })
}

export const proof = (
  key: Dpop.DpopKey,
  options: Dpop.ProofOptions
): Effect.Effect<string, TokenError.InvalidTokenRequest> =>
  Effect.gen(function*() {
    const iat = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const target = yield* Effect.try({ try: () => new URL(options.htu), catch: failed("proof needs an absolute htu") })
    const nonce = options.nonce ?? stateOf(key).nonces.get(target.origin)
    const claims: Record<string, string | number> = {
      jti: assertion.freshJti(),
      htm: options.htm.toUpperCase(),
      htu: `${target.origin}${target.pathname}`,
      iat
    }
    if (nonce !== undefined) claims.nonce = nonce
    if (options.accessToken !== undefined) claims.ath = yield* athFor(key, options.accessToken)
    const { header, sign } = signingOf(key)
    const input = `${header}.${encodeJson(claims)}`
    const signed = yield* Effect.try({ try: () => sign(encoder.encode(input)), catch: failed("could not sign a proof") })
    const signature = signed instanceof Uint8Array
      ? signed
      : new Uint8Array(yield* Effect.tryPromise({ try: () => signed, catch: failed("could not sign a proof") }))
    return `${input}.${pkce.base64Url(signature)}`
  })

export const thumbprint = (key: Dpop.DpopKey): Effect.Effect<string> =>
  Effect.promise(() => calculateJwkThumbprint(key.publicJwk, "sha256"))

const originOf = (url: string | URL): Option.Option<string> => {
  try {
    return Option.some(new URL(url).origin)
  } catch {
    return Option.none()
  }
}

/**
 * The nonce last given by the server at `url`'s origin, if any.
 *
 * @internal
 */
export const nonceFor = (key: Dpop.DpopKey, url: string | URL): Option.Option<string> =>
  Option.flatMap(originOf(url), (origin) => Option.fromNullable(stateOf(key).nonces.get(origin)))

/**
 * Remembers the nonce the server at `url`'s origin gave (its `DPoP-Nonce`
 * header), replacing the previous one; the origin heard from longest ago is
 * forgotten past {@link maxNonces}. A nonce that is empty, longer than
 * {@link maxNonceLength} or not printable ASCII (RFC 9449 §8.1: NQCHAR) is
 * ignored.
 *
 * @internal
 */
export const rememberNonce = (key: Dpop.DpopKey, url: string | URL, nonce: string | undefined): void => {
  if (nonce === undefined || !isNonce(nonce)) return
  Option.map(originOf(url), (origin) => {
    const nonces = stateOf(key).nonces
    nonces.delete(origin)
    nonces.set(origin, nonce)
    if (nonces.size > maxNonces) {
      const oldest = nonces.keys().next()
      if (oldest.done !== true) nonces.delete(oldest.value)
    }
  })
}

// RFC 9449 §8.1: nonce = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E
const isNonce = (nonce: string): boolean => {
  if (nonce.length === 0 || nonce.length > maxNonceLength) return false
  for (let i = 0; i < nonce.length; i++) {
    const code = nonce.charCodeAt(i)
    if (code < 0x21 || code > 0x7e || code === 0x22 || code === 0x5c) return false
  }
  return true
}
