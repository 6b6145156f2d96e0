/**
 * Checking DPoP proofs (RFC 9449) at a resource server: the `DPoP` header
 * that comes with an `Authorization: DPoP <token>` request proves that the
 * caller holds the key the token is bound to.
 *
 * A verifier takes proofs when given the `dpop` option
 * (`TokenVerifier.jwt({ …, dpop: {} })`, or `TokenVerifier.introspection`),
 * which {@link make} turns into a {@link Verifier}; `ResourceServer.middleware`
 * then takes DPoP-bound tokens: it checks the proof for the request, then
 * that its key is the one of the token's `cnf.jkt`. The checks (RFC 9449
 * §4.3): one compact JWS of at most {@link defaultMaxProofLength}
 * characters, `typ` `dpop+jwt`, an `alg` of the allowlist, a public `jwk`
 * whose signature verifies, `htm` the request's method, `htu` its URL
 * (without query and fragment, normalised), the server's nonce when it
 * gives nonces, `iat` within `proofWindow` of the `Clock`, `ath` the hash of
 * the access token, and a `jti` not seen before (the {@link ReplayCache}).
 *
 * The replay cache of {@link memoryReplayCache} is the process's own: servers
 * behind one load balancer each accept a proof once. A fleet shares a
 * {@link ReplayCache} of its own (a Redis `SET NX PX`, say), or relies on
 * nonces with a shared `secret`, which bound how long a proof can be used.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/dpopProof.js"
import type * as TokenVerifier from "./TokenVerifier.js"

/**
 * Where proofs are remembered, by key thumbprint and `jti`: `add` records
 * `key` until `expiresAt` (`Clock` epoch milliseconds) and succeeds with
 * `true`, or with `false` when the key is there already — or may have been,
 * and was forgotten: the proof is then refused. Implement it over a shared
 * store for a fleet of servers.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import type { DpopProof } from "@grantflow/resource-server"
 * import { Effect } from "effect"
 *
 * const seen = new Set<string>()
 * // unbounded: for a sketch only, use DpopProof.memoryReplayCache or a shared store
 * const cache: DpopProof.ReplayCache = {
 *   add: (key) => Effect.sync(() => !seen.has(key) && seen.add(key) !== undefined)
 * }
 * ```
 */
export interface ReplayCache {
  readonly add: (key: string, expiresAt: number) => Effect.Effect<boolean>
}

/**
 * A {@link ReplayCache} in this process's memory, of at most `capacity`
 * entries (default {@link defaultReplayCacheCapacity}), each kept until
 * its proof's `iat` is out of the window. When full, the entry added longest
 * ago makes room, and from then on proofs that would have expired no later
 * than it are refused: a forgotten proof is never accepted twice, at worst
 * a proof close to the end of its window is refused (the client signs a new
 * one). A capacity that is not a positive integer is a defect.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { DpopProof, TokenVerifier } from "@grantflow/resource-server"
 * import { Effect } from "effect"
 *
 * const verifier = Effect.flatMap(DpopProof.memoryReplayCache({ capacity: 100_000 }), (replayCache) =>
 *   TokenVerifier.jwt({ issuer: "https://auth.example.com", audience: "https://orders.example.com", dpop: { replayCache } })
 * )
 * ```
 */
export const memoryReplayCache: (options?: { readonly capacity?: number | undefined }) => Effect.Effect<ReplayCache> =
  internal.memoryReplayCache

/**
 * Server-provided nonces (RFC 9449 §9): the nonce changes every
 * `rotateEvery` of the `Clock` (default 5 minutes); the current and the
 * previous one are accepted. A nonce is an HMAC of the period under
 * `secret` (default: random, the process's own): give the servers of a
 * fleet one `secret` and they give and accept the same nonces.
 *
 * @since 0.1.0
 * @category models
 */
export interface NonceOptions {
  readonly rotateEvery?: Duration.DurationInput | undefined
  readonly secret?: Redacted.Redacted<string> | undefined
}

/**
 * The `dpop` option of `TokenVerifier.jwt` and `TokenVerifier.introspection`:
 *
 * - `algorithms`: the allowlist of proof algorithms (default
 *   {@link defaultAlgorithms}: `ES256`, `EdDSA`, `RS256`); asymmetric ones
 *   only, never `none` nor an HMAC;
 * - `proofWindow`: how far a proof's `iat` may be from the `Clock`, either
 *   way (default 60 seconds);
 * - `maxProofLength`: a longer `DPoP` header is refused unread (default
 *   {@link defaultMaxProofLength}, 8 KiB);
 * - `replayCache`: where `jti`s are remembered (default: a
 *   {@link memoryReplayCache} of {@link defaultReplayCacheCapacity});
 * - `nonce`: `true` or {@link NonceOptions} to require the server's nonce in
 *   every proof (default: no nonces);
 * - `required`: take DPoP-bound tokens only: a token sent as `Bearer` is
 *   refused, and challenges name the DPoP scheme only (default: both
 *   schemes are taken, a DPoP-bound token only with its proof).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly algorithms?: ReadonlyArray<TokenVerifier.Algorithm> | undefined
  readonly proofWindow?: Duration.DurationInput | undefined
  readonly maxProofLength?: number | undefined
  readonly replayCache?: ReplayCache | undefined
  readonly nonce?: boolean | NonceOptions | undefined
  readonly required?: boolean | undefined
}

/**
 * The request a proof came with: its method, its URL as the client called
 * it (see `ResourceServer.Options`' `publicUrl`), and the access token.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProofRequest {
  readonly method: string
  readonly url: string | URL
  readonly accessToken: Redacted.Redacted<string>
}

/**
 * A valid proof: the RFC 7638 thumbprint of its key (which must be the
 * token's `cnf.jkt`), and the server's current nonce when the proof carried
 * the previous one — to send the client in a `DPoP-Nonce` header.
 *
 * @since 0.1.0
 * @category models
 */
export interface Proven {
  readonly jkt: string
  readonly freshNonce: Option.Option<string>
}

/**
 * The DPoP side of a token verifier: the algorithms it takes (for the
 * challenges' `algs`), whether it takes DPoP-bound tokens only, `verify`,
 * which checks a proof and remembers it (a `TokenVerifier.VerificationFailed`
 * whose reason starts with `Dpop` says why not), and the nonce to hand out
 * now, if it gives nonces.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { DpopProof } from "@grantflow/resource-server"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const dpop = yield* DpopProof.make({ nonce: true })
 *   return yield* dpop.verify(Redacted.make("eyJ…"), {
 *     method: "GET",
 *     url: "https://api.example.com/orders",
 *     accessToken: Redacted.make("eyJ…")
 *   })
 * })
 * ```
 */
export interface Verifier {
  readonly algorithms: ReadonlyArray<string>
  readonly required: boolean
  readonly verify: (
    proof: Redacted.Redacted<string>,
    request: ProofRequest
  ) => Effect.Effect<Proven, TokenVerifier.VerificationFailed>
  readonly currentNonce: Effect.Effect<Option.Option<string>>
}

/**
 * A proof {@link Verifier} (its replay cache and nonce key made now). An
 * algorithm outside the asymmetric ones, or a `nonce.rotateEvery` under a
 * second, is a defect. The verifiers' `dpop` option calls it.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { DpopProof } from "@grantflow/resource-server"
 *
 * const dpop = DpopProof.make({ algorithms: ["ES256"], proofWindow: "30 seconds", nonce: { rotateEvery: "1 minute" } })
 * ```
 */
export const make: (options?: Options) => Effect.Effect<Verifier> = internal.make

/**
 * The proof algorithms taken by default: `ES256`, `EdDSA` and `RS256`, the
 * ones `Dpop.generateKey` of `@grantflow/core` makes keys for.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { DpopProof } from "@grantflow/resource-server"
 *
 * DpopProof.defaultAlgorithms // ["ES256", "EdDSA", "RS256"]
 * ```
 */
export const defaultAlgorithms: ReadonlyArray<TokenVerifier.Algorithm> = internal.defaultAlgorithms

/**
 * The longest `DPoP` header read: 8 KiB (8192 characters). A proof with an
 * RSA key of 4096 bits is under 2 KiB.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { DpopProof } from "@grantflow/resource-server"
 *
 * DpopProof.defaultMaxProofLength // 8192
 * ```
 */
export const defaultMaxProofLength: number = internal.defaultMaxProofLength

/**
 * The default capacity of {@link memoryReplayCache}: 10 000 proofs, at most
 * a few megabytes; a server taking more than 10 000 DPoP requests within a
 * `proofWindow` raises it.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { DpopProof } from "@grantflow/resource-server"
 *
 * DpopProof.defaultReplayCacheCapacity // 10000
 * ```
 */
export const defaultReplayCacheCapacity: number = internal.defaultReplayCacheCapacity

/**
 * An `htu` or request URL as proofs are compared (RFC 9449 §4.3, RFC 3986
 * §6.2): an absolute `http:` or `https:` URL without query and fragment,
 * scheme and host in lower case, no default port, no dot segments,
 * percent-encodings normalised; `None` for anything else.
 *
 * @since 0.1.0
 * @category utils
 * @example
 * ```ts
 * import { DpopProof } from "@grantflow/resource-server"
 *
 * DpopProof.normalizeUrl("HTTPS://API.Example.com:443/a/../%7eorders?page=2")
 * // Option.some("https://api.example.com/~orders")
 * ```
 */
export const normalizeUrl: (url: string | URL) => Option.Option<string> = internal.normalizeUrl
