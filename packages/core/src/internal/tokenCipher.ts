import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as TokenCipher from "../TokenCipher.js"
import * as tokenError from "./tokenError.js"

/** @internal */
export class DecryptionFailed extends tokenError.TaggedError("DecryptionFailed")<{
  readonly keyId: string | undefined
  readonly reason: "UnknownKey" | "Tampered" | "Malformed"
  readonly cause?: unknown
}> {
  override get message(): string {
    switch (this.reason) {
      case "UnknownKey":
        return `a stored token record was sealed with key id "${this.keyId}", which this cipher does not hold; ` +
          "add that key to the previous keys until every record has been rewritten"
      case "Tampered":
        return `a stored token record (key id "${this.keyId}") failed authentication: it was altered, ` +
          "copied from another entry, or the key with that id is not the one that sealed it"
      case "Malformed":
        return "a stored token record is not a sealed record (expected gf1.<key id>.<iv>.<ciphertext>)"
    }
  }
}

/** @internal */
export class InvalidKey extends tokenError.TaggedError("InvalidKey")<{
  readonly keyId: string
  readonly reason: string
}> {
  override get message(): string {
    return `token store key "${this.keyId}" is unusable: ${this.reason}`
  }
}

const VERSION = "gf1"
const IV_BYTES = 12

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const importKey = (key: TokenCipher.Key): Effect.Effect<CryptoKey, InvalidKey> => {
  if (key.id === "" || key.id.includes(".")) {
    return Effect.fail(new InvalidKey({ keyId: key.id, reason: "the id must be non-empty and without '.'" }))
  }
  const raw = Redacted.value(key.secret).trim()
  const bytes = Encoding.decodeBase64(raw).pipe(Either.orElse(() => Encoding.decodeBase64Url(raw)))
  if (Either.isLeft(bytes) || bytes.right.length !== 32) {
    return Effect.fail(
      new InvalidKey({ keyId: key.id, reason: "it must be 32 bytes, base64 or base64url encoded" })
    )
  }
  return Effect.promise(() =>
    crypto.subtle.importKey("raw", new Uint8Array(bytes.right), { name: "AES-GCM" }, false, ["encrypt", "decrypt"])
  )
}

/** @internal */
export const aesGcm = (options: {
  readonly current: TokenCipher.Key
  readonly previous?: ReadonlyArray<TokenCipher.Key> | undefined
}): Effect.Effect<TokenCipher.TokenCipher, InvalidKey> =>
  Effect.gen(function*() {
    const all = [options.current, ...(options.previous ?? [])]
    const keys = new Map<string, CryptoKey>()
    for (const key of all) {
      if (keys.has(key.id)) {
        return yield* new InvalidKey({ keyId: key.id, reason: "the id is given twice" })
      }
      keys.set(key.id, yield* importKey(key))
    }
    const currentId = options.current.id
    const currentKey = keys.get(currentId)!

    const seal = (plaintext: string, context: string) =>
      Effect.promise(async () => {
        const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
        const sealed = await crypto.subtle.encrypt(
          { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
          currentKey,
          encoder.encode(plaintext)
        )
        return `${VERSION}.${currentId}.${Encoding.encodeBase64Url(iv)}.${
          Encoding.encodeBase64Url(new Uint8Array(sealed))
        }`
      })

    const open = (sealed: string, context: string) => {
      const parts = sealed.split(".")
      const malformed = new DecryptionFailed({ keyId: undefined, reason: "Malformed" })
      if (parts.length !== 4 || parts[0] !== VERSION) return Effect.fail(malformed)
      const [, keyId, ivText, bodyText] = parts as [string, string, string, string]
      const key = keys.get(keyId)
      if (key === undefined) return Effect.fail(new DecryptionFailed({ keyId, reason: "UnknownKey" }))
      const iv = Encoding.decodeBase64Url(ivText)
      const body = Encoding.decodeBase64Url(bodyText)
      if (Either.isLeft(iv) || Either.isLeft(body) || iv.right.length !== IV_BYTES) return Effect.fail(malformed)
      return Effect.tryPromise({
        try: () =>
          crypto.subtle.decrypt(
            { name: "AES-GCM", iv: new Uint8Array(iv.right), additionalData: encoder.encode(context) },
            key,
            new Uint8Array(body.right)
          ),
        catch: (cause) => new DecryptionFailed({ keyId, reason: "Tampered", cause })
      }).pipe(Effect.map((plain) => decoder.decode(plain)))
    }

    return { seal, open } satisfies TokenCipher.TokenCipher
  })

const parseKey = (prefix: string, name: string) => (entry: string): Either.Either<TokenCipher.Key, ConfigError.ConfigError> => {
  const colon = entry.indexOf(":")
  return colon <= 0
    ? Either.left(ConfigError.InvalidData([`${prefix}_${name}`], "expected <key id>:<base64 key>"))
    : Either.right({ id: entry.slice(0, colon).trim(), secret: Redacted.make(entry.slice(colon + 1)) })
}

const parseKeys = (prefix: string) =>
(
  config: { readonly current: Redacted.Redacted<string>; readonly previous: Option.Option<Redacted.Redacted<string>> }
): Either.Either<{ readonly current: TokenCipher.Key; readonly previous: ReadonlyArray<TokenCipher.Key> }, ConfigError.ConfigError> =>
  Either.all({
    current: parseKey(prefix, "KEY")(Redacted.value(config.current)),
    previous: Either.all(
      Option.match(config.previous, {
        onNone: () => [],
        onSome: (list) => Redacted.value(list).split(",").filter((entry) => entry.trim() !== "")
      }).map(parseKey(prefix, "PREVIOUS_KEYS"))
    )
  })

/** @internal */
export const keysConfig = (prefix = "GRANTFLOW_STORE"): Config.Config<{
  readonly current: TokenCipher.Key
  readonly previous: ReadonlyArray<TokenCipher.Key>
}> =>
  Config.all({
    current: Config.redacted(`${prefix}_KEY`),
    previous: Config.option(Config.redacted(`${prefix}_PREVIOUS_KEYS`))
  }).pipe(Config.mapOrFail(parseKeys(prefix)))
