/**
 * DPoP, Demonstrating Proof of Possession (RFC 9449): sender-constrained
 * tokens. The client holds a key pair; every request that uses a token —
 * and every token request — carries a `DPoP` header, a JWT signed with the
 * private key for that one request (method, URL, time, a unique id, and the
 * hash of the access token it goes with). A token bound to the key is worth
 * nothing to someone who steals it without the key.
 *
 * A {@link DpopKey} is made with {@link generateKey} (or from a key pair of
 * your own with {@link fromKeyPair}, or from a JWK {@link exportKey} gave with
 * {@link importKey}); it also remembers the nonces servers
 * hand out (`DPoP-Nonce`), per origin. {@link proof} signs one proof;
 * {@link thumbprint} is the key's `jkt` (RFC 7638).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { Pipeable } from "effect/Pipeable"
import type * as Jose from "jose"
import * as internal from "./internal/dpop.js"
import type * as TokenError from "./TokenError.js"

/**
 * @since 0.1.0
 * @category type ids
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 *
 * typeof Dpop.TypeId // "symbol"
 * ```
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The signature algorithms of a DPoP key: `ES256` (P-256, the default),
 * `EdDSA` (Ed25519) and `RS256` (RSA, 2048 bits).
 *
 * @since 0.1.0
 * @category models
 */
export type Algorithm = "ES256" | "EdDSA" | "RS256"

/**
 * A DPoP key: the private key that signs proofs (a WebCrypto `CryptoKey`,
 * not extractable unless asked for), the public key as a JWK (sent in every
 * proof's header), the algorithm, and the nonces last given by each server.
 * Printing it shows the algorithm only.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.map(Dpop.generateKey(), (key) => key.publicJwk.kty) // "EC"
 * ```
 */
export interface DpopKey extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: TypeId
  readonly alg: Algorithm
  readonly privateKey: CryptoKey
  readonly publicJwk: Jose.JWK
}

/**
 * Options of {@link generateKey}: the algorithm (`ES256` by default), and
 * whether the private key may be exported (`false` by default: a key that
 * is persisted must be exportable, one that lives with the process need not).
 *
 * @since 0.1.0
 * @category models
 */
export interface GenerateOptions {
  readonly alg?: Algorithm | undefined
  readonly extractable?: boolean | undefined
}

/**
 * Generates a DPoP key pair with WebCrypto. Fails with an
 * `InvalidTokenRequest` when the platform cannot generate a key of that
 * algorithm.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const key = yield* Dpop.generateKey({ alg: "EdDSA" })
 *   return key.privateKey.extractable // false
 * })
 * ```
 */
export const generateKey: (options?: GenerateOptions) => Effect.Effect<DpopKey, TokenError.InvalidTokenRequest> =
  internal.generateKey

/**
 * A DPoP key from a WebCrypto key pair of your own (one kept in a platform
 * key store, or imported from a file), for `alg`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const pair = yield* Effect.promise(() =>
 *     crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
 *   )
 *   return yield* Dpop.fromKeyPair(pair, "ES256")
 * })
 * ```
 */
export const fromKeyPair: (
  pair: { readonly privateKey: CryptoKey; readonly publicKey: CryptoKey },
  alg: Algorithm
) => Effect.Effect<DpopKey, TokenError.InvalidTokenRequest> = internal.fromKeyPair

/**
 * The key pair as a private JWK (with its `alg`), `Redacted`: to persist a
 * key — sealed, as a token is (`TokenCipher`). A persistent `TokenStore`
 * already does this for the key its tokens were obtained with, so that they,
 * refresh tokens above all, stay usable across restarts. Only a key
 * generated with `extractable: true` (or imported so) can be exported;
 * another fails with an `InvalidTokenRequest`.
 *
 * @since 0.1.0
 * @category conversions
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const key = yield* Dpop.generateKey({ extractable: true })
 *   const jwk = yield* Dpop.exportKey(key)
 *   const again = yield* Dpop.importKey(jwk)
 *   return Redacted.value(jwk).alg // "ES256"
 * })
 * ```
 */
export const exportKey: (key: DpopKey) => Effect.Effect<Redacted.Redacted<Jose.JWK>, TokenError.InvalidTokenRequest> =
  internal.exportKey

/**
 * A DPoP key from a private JWK that names its `alg` (as {@link exportKey}
 * gives it); the private key is not extractable unless `extractable: true`.
 * A JWK without a supported `alg`, or that is not a private key of it, fails
 * with an `InvalidTokenRequest`.
 *
 * @since 0.1.0
 * @category conversions
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 * import { Redacted } from "effect"
 *
 * declare const storedText: string // the JWK, unsealed
 * const key = Dpop.importKey(Redacted.make(JSON.parse(storedText)))
 * ```
 */
export const importKey: (
  jwk: Redacted.Redacted<Jose.JWK>,
  options?: { readonly extractable?: boolean | undefined }
) => Effect.Effect<DpopKey, TokenError.InvalidTokenRequest> = internal.importKey

/**
 * Tells whether a value is a {@link DpopKey}.
 *
 * @since 0.1.0
 * @category guards
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 *
 * Dpop.isDpopKey({}) // false
 * ```
 */
export const isDpopKey: (u: unknown) => u is DpopKey = internal.isDpopKey

/**
 * What one proof is for (RFC 9449 §4.2): the HTTP method (`htm`) and URL
 * (`htu`, sent without its query and fragment) of the request; the access
 * token it goes with, for requests to an API (its SHA-256 hash is the `ath`
 * claim); and the server's nonce — by default the one the key last heard
 * from that URL's origin.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProofOptions {
  readonly htm: string
  readonly htu: string | URL
  readonly accessToken?: string | undefined
  readonly nonce?: string | undefined
}

/**
 * Signs a DPoP proof: a JWT with `typ: dpop+jwt` and the public key as its
 * `jwk` header, and the claims `jti` (128 random bits), `htm`, `htu`, `iat`
 * (from `Clock`), `ath` and `nonce` when they apply. Every run signs a new
 * proof: run it once per request.
 *
 * @since 0.1.0
 * @category signing
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const key = yield* Dpop.generateKey()
 *   return yield* Dpop.proof(key, { htm: "GET", htu: "https://api.example.com/me?x=1", accessToken: "abc" })
 * })
 * ```
 */
export const proof: (key: DpopKey, options: ProofOptions) => Effect.Effect<string, TokenError.InvalidTokenRequest> =
  internal.proof

/**
 * The JWK SHA-256 thumbprint of the key's public part (RFC 7638), base64url:
 * the `jkt` that a DPoP-bound token's `cnf` claim names, and the
 * `dpop_jkt` authorization request parameter (RFC 9449 §10).
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 * import { Effect } from "effect"
 *
 * const jkt = Effect.flatMap(Dpop.generateKey(), Dpop.thumbprint)
 * ```
 */
export const thumbprint: (key: DpopKey) => Effect.Effect<string> = internal.thumbprint

/**
 * The nonce the server at `url`'s origin last gave the key (its `DPoP-Nonce`
 * header), if any.
 *
 * @since 0.1.0
 * @category getters
 * @example
 * ```ts
 * import { Dpop } from "@grantflow/core"
 * import { Effect, Option } from "effect"
 *
 * const program = Effect.map(Dpop.generateKey(), (key) => Dpop.nonceFor(key, "https://as.example.com/token")) // Option.none()
 * ```
 */
export const nonceFor: (key: DpopKey, url: string | URL) => Option.Option<string> = internal.nonceFor
