import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Jose from "jose"
import { importPKCS8, SignJWT } from "jose"
import * as TokenError from "../TokenError.js"
import * as pkce from "./pkce.js"

/**
 * A private key as it is usually at hand: a WebCrypto key, a JWK (as parsed
 * from a JSON file), or a PKCS#8 PEM string (`-----BEGIN PRIVATE KEY-----`),
 * or an RSA key in PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`).
 *
 * @internal
 */
export type PrivateKey = CryptoKey | Jose.JWK | string

/** @internal */
export type KeyAlgorithm = "RS256" | "ES256" | "PS256" | "EdDSA"

/** @internal */
export type SecretAlgorithm = "HS256" | "HS384" | "HS512"

/**
 * What signs an assertion: an asymmetric key, or a shared secret whose UTF-8
 * bytes are the HMAC key (OpenID Connect Core §9, `client_secret_jwt`).
 *
 * @internal
 */
export type Signer =
  | {
    readonly _tag: "Key"
    readonly key: Redacted.Redacted<PrivateKey>
    readonly alg: KeyAlgorithm
    readonly kid: Option.Option<string>
    /** The SHA-256 thumbprint of the key's X.509 certificate (RFC 7515 §4.1.8), for servers that find the key by it. */
    readonly x5tS256?: Option.Option<string> | undefined
  }
  | { readonly _tag: "Secret"; readonly secret: Redacted.Redacted<string>; readonly alg: SecretAlgorithm }

const keyAlgorithms: ReadonlyArray<string> = ["RS256", "ES256", "PS256", "EdDSA"]

const isJwk = (key: PrivateKey): key is Jose.JWK => typeof key === "object" && !("algorithm" in key)

/**
 * The algorithm a key is meant for when none is given: a JWK's `alg`, else
 * what its key type or its WebCrypto algorithm implies; `RS256` for a PEM,
 * whose type is only known once it is imported.
 *
 * @internal
 */
export const inferAlgorithm = (key: PrivateKey): KeyAlgorithm => {
  if (typeof key === "string") return "RS256"
  if (isJwk(key)) {
    if (key.alg !== undefined && keyAlgorithms.includes(key.alg)) return key.alg as KeyAlgorithm
    return key.kty === "EC" ? "ES256" : key.kty === "OKP" ? "EdDSA" : "RS256"
  }
  switch (key.algorithm.name) {
    case "RSA-PSS":
      return "PS256"
    case "ECDSA":
      return "ES256"
    case "Ed25519":
      return "EdDSA"
    default:
      return "RS256"
  }
}

/**
 * The `kid` of a JWK, if it has one: the header names it so that a server
 * holding several keys of the client finds the right one.
 *
 * @internal
 */
export const jwkKid = (key: PrivateKey): Option.Option<string> =>
  typeof key !== "string" && isJwk(key) && typeof key.kid === "string" ? Option.some(key.kid) : Option.none()

/**
 * The `x5t#S256` of a JWK, if it has one: the thumbprint of the certificate
 * the key belongs to, which some servers find a client's key by.
 *
 * @internal
 */
export const jwkX5tS256 = (key: PrivateKey): Option.Option<string> =>
  typeof key !== "string" && isJwk(key) && typeof key["x5t#S256"] === "string"
    ? Option.some(key["x5t#S256"])
    : Option.none()

const encoder = new TextEncoder()

const pkcs1Label = /^\s*-----BEGIN RSA PRIVATE KEY-----([A-Za-z0-9+/=\s]{1,16384})-----END RSA PRIVATE KEY-----\s*$/

// a DER length: short form below 128, else the number of its bytes, then the bytes
const derLength = (length: number): Array<number> => {
  if (length < 0x80) return [length]
  const bytes: Array<number> = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return [0x80 | bytes.length, ...bytes]
}

// version 0, the rsaEncryption algorithm (OID 1.2.840.113549.1.1.1, NULL parameters)
const rsaPrefix = [0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]

/**
 * An RSA key in PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`, as GitHub
 * hands out its apps' keys) wrapped as the PKCS#8 PEM that WebCrypto
 * imports (RFC 5208 §5: the same key inside a `PrivateKeyInfo`); any other
 * text is returned as it is.
 *
 * @internal
 */
export const pkcs8Pem = (pem: string): string => {
  const body = pkcs1Label.exec(pem)?.[1]
  if (body === undefined) return pem
  const pkcs1 = Array.from(atob(body.replace(/\s+/g, "")), (char) => char.charCodeAt(0))
  const inner = [...rsaPrefix, 0x04, ...derLength(pkcs1.length), ...pkcs1]
  const der = [0x30, ...derLength(inner.length), ...inner]
  const base64 = btoa(String.fromCharCode(...der)).replace(/.{64}/g, "$&\n").trim()
  return `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----\n`
}

const importKey = (key: PrivateKey, alg: KeyAlgorithm): Promise<CryptoKey | Jose.JWK> =>
  typeof key === "string" ? importPKCS8(pkcs8Pem(key), alg) : Promise.resolve(key)

/**
 * A fresh `jti`: 128 bits from `crypto.getRandomValues`, base64url-encoded,
 * so that a server that remembers the `jti`s it accepted (RFC 7523 §3,
 * item 7) never sees one twice.
 *
 * @internal
 */
export const freshJti = (): string => pkce.unsafeRandomToken(16)

/**
 * Signs a JWT with `claims`, adding `iat` (`backdate` before now, default
 * now) and `exp` (`lifetime` after now) from `Clock` and a fresh `jti`:
 * every run makes a new assertion, so run it at
 * send time, inside whatever is retried. A key that cannot be used (a PEM that
 * is not PKCS#8, a key of another type than `alg`) fails with
 * {@link TokenError.InvalidTokenRequest}; its reason never shows the key.
 *
 * @internal
 */
export const sign = (
  signer: Signer,
  claims: Readonly<Record<string, unknown>>,
  lifetime: Duration.DurationInput,
  what: string,
  backdate: Duration.DurationInput = Duration.zero
): Effect.Effect<Redacted.Redacted<string>, TokenError.InvalidTokenRequest> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const seconds = Math.floor(now / 1000)
    const iat = seconds - Math.max(0, Math.floor(Duration.toSeconds(Duration.decode(backdate))))
    const exp = seconds + Math.max(1, Math.ceil(Duration.toSeconds(Duration.decode(lifetime))))
    const payload = { ...claims, jti: freshJti(), iat, exp }
    return Effect.tryPromise({
      try: async () => {
        if (signer._tag === "Secret") {
          return new SignJWT(payload).setProtectedHeader({ alg: signer.alg, typ: "JWT" })
            .sign(encoder.encode(Redacted.value(signer.secret)))
        }
        const key = await importKey(Redacted.value(signer.key), signer.alg)
        const kid = Option.getOrUndefined(signer.kid)
        const x5tS256 = signer.x5tS256 === undefined ? undefined : Option.getOrUndefined(signer.x5tS256)
        return new SignJWT(payload)
          .setProtectedHeader({
            alg: signer.alg,
            typ: "JWT",
            ...(kid === undefined ? {} : { kid }),
            ...(x5tS256 === undefined ? {} : { "x5t#S256": x5tS256 })
          })
          .sign(key)
      },
      catch: (cause) =>
        new TokenError.InvalidTokenRequest({
          reason: signer._tag === "Secret"
            ? `the ${what} could not be signed with ${signer.alg}`
            : `the ${what} could not be signed: the key does not fit ${signer.alg} ` +
              "(a PEM must be a PKCS#8 private key or an RSA key in PKCS#1, a JWK or CryptoKey a private key of that algorithm)",
          cause
        })
    }).pipe(Effect.map(Redacted.make))
  })
