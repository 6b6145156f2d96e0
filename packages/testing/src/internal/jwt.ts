import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Jose from "jose"
import type * as AuthServer from "../AuthServer.js"
import { randomValue } from "./random.js"

interface SigningKey {
  readonly kid: string
  readonly privateKey: Jose.CryptoKey
  readonly publicJwk: Jose.JWK
}

interface Keys {
  readonly current: SigningKey
  // published keys, oldest first; the current one is always among them
  readonly published: ReadonlyArray<SigningKey>
}

/**
 * The key pairs that sign JWT access tokens. A rotation makes a new key
 * current and keeps the old ones in the JWKS until they are retired, so that
 * tokens signed before the rotation still verify.
 *
 * @internal
 */
export interface Signer {
  readonly algorithm: AuthServer.SigningAlgorithm
  readonly sign: (payload: Jose.JWTPayload) => Effect.Effect<string>
  readonly rotate: Effect.Effect<string>
  readonly retire: (kid: string) => Effect.Effect<boolean>
  readonly jwks: Effect.Effect<Jose.JSONWebKeySet>
}

const generate = (algorithm: AuthServer.SigningAlgorithm): Effect.Effect<SigningKey> =>
  Effect.promise(async () => {
    const { privateKey, publicKey } = await Jose.generateKeyPair(algorithm, { extractable: true })
    const publicJwk = await Jose.exportJWK(publicKey)
    // the RFC 7638 thumbprint: stable for the key, unique across keys
    const kid = await Jose.calculateJwkThumbprint(publicJwk)
    return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: algorithm, use: "sig" } }
  })

const makeSigner = (algorithm: AuthServer.SigningAlgorithm): Effect.Effect<Signer> =>
  Effect.gen(function*() {
    const first = yield* generate(algorithm)
    const keys = yield* Ref.make<Keys>({ current: first, published: [first] })
    return {
      algorithm,
      sign: (payload) =>
        Effect.flatMap(Ref.get(keys), ({ current }) =>
          Effect.promise(() =>
            new Jose.SignJWT(payload)
              .setProtectedHeader({ alg: algorithm, typ: "at+jwt", kid: current.kid })
              .sign(current.privateKey)
          )),
      rotate: Effect.flatMap(generate(algorithm), (key) =>
        Ref.modify(keys, ({ published }) => [key.kid, { current: key, published: [...published, key] }])),
      retire: (kid) =>
        Ref.modify(keys, (state) => {
          // the current key signs every new token: retiring it would leave them unverifiable
          if (kid === state.current.kid || !state.published.some((key) => key.kid === kid)) return [false, state]
          return [true, { ...state, published: state.published.filter((key) => key.kid !== kid) }]
        }),
      jwks: Effect.map(Ref.get(keys), ({ published }) => ({ keys: published.map((key) => key.publicJwk) }))
    }
  })

/**
 * How the server mints access token values: opaque random strings, or JWTs
 * with the claims of RFC 9068 signed by `signer`.
 *
 * @internal
 */
export interface AccessTokens {
  readonly signer: Option.Option<Signer>
  readonly mint: (token: {
    readonly clientId: string
    readonly scopes: ReadonlyArray<string>
    readonly audience: string | ReadonlyArray<string>
    readonly issuedAt: number
    readonly expiresAt: number
    /** The thumbprint of the DPoP key the token is bound to (`cnf.jkt`, RFC 9449 §6.1). */
    readonly jkt?: string | undefined
  }) => Effect.Effect<string>
}

/** The `aud` of the server's access tokens. @internal */
export const audience = (options: AuthServer.Options, issuer: string): string => options.audience ?? `${issuer}/api`

/** @internal */
export const make = (options: AuthServer.Options, issuer: string): Effect.Effect<AccessTokens> => {
  if (options.accessTokenFormat !== "jwt") {
    return Effect.succeed({ signer: Option.none(), mint: () => Effect.sync(randomValue) })
  }
  return Effect.map(makeSigner(options.signingAlgorithm ?? "RS256"), (signer) => ({
    signer: Option.some(signer),
    mint: ({ audience: aud, clientId, expiresAt, issuedAt, jkt, scopes }) =>
      signer.sign({
        iss: issuer,
        // the simulated server has no users: every token is the client's own
        sub: clientId,
        aud: typeof aud === "string" ? aud : [...aud],
        // whole seconds, rounded down, so that a verifier never sees a token live longer than it does
        exp: Math.floor(expiresAt / 1000),
        iat: Math.floor(issuedAt / 1000),
        jti: randomValue(),
        client_id: clientId,
        ...(scopes.length > 0 ? { scope: scopes.join(" ") } : {}),
        ...(jkt === undefined ? {} : { cnf: { jkt } })
      })
  }))
}
