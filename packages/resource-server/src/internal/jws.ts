import * as Json from "@grantflow/core/Json"
import * as Encoding from "effect/Encoding"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as TokenVerifier from "../TokenVerifier.js"

const base64Url = /^[\w-]*$/

/** The bytes of a base64url part, if it is written exactly as an encoder writes it. */
const canonicalBytes = (part: string): Option.Option<Uint8Array> =>
  base64Url.test(part)
    ? Either.match(Encoding.decodeBase64Url(part), {
      onLeft: () => Option.none(),
      onRight: (bytes) => Encoding.encodeBase64Url(bytes) === part ? Option.some(bytes) : Option.none()
    })
    : Option.none()

const decoder = new TextDecoder()

const jsonObject = (bytes: Uint8Array): Option.Option<Readonly<Record<string, unknown>>> =>
  Either.match(Json.parse(decoder.decode(bytes)), {
    onLeft: () => Option.none(),
    onRight: (value) => Predicate.isRecord(value) ? Option.some(value) : Option.none()
  })

/**
 * The header and payload of a compact JWS of at most `maxLength`
 * characters, whose three parts are base64url exactly as an encoder writes
 * them and whose header and payload are JSON objects nesting at most
 * `Json.defaultMaxDepth` levels; else why not. Decoders ignore the spare low
 * bits of a last character, so without the canonical check a token with
 * another last character (`…A` for `…B`) would verify as the same token: any
 * change to a token must be refused. One pass over each part: linear in the
 * length, which is checked first. The signature is checked for its encoding
 * only, and never returned.
 *
 * @internal
 */
export const decode = (
  value: string,
  maxLength: number
): Either.Either<TokenVerifier.DecodedJwt, TokenVerifier.DecodeFailure> => {
  if (value.length > maxLength) return Either.left({ _tag: "TooLong", maxLength })
  // six is enough to tell a JWE (five parts) from anything longer
  const parts = value.split(".", 6)
  if (parts.length !== 3) return Either.left({ _tag: "Parts", count: parts.length })
  const [header, payload, signature] = parts.map(canonicalBytes) as [
    Option.Option<Uint8Array>,
    Option.Option<Uint8Array>,
    Option.Option<Uint8Array>
  ]
  if (Option.isNone(header)) return Either.left({ _tag: "Encoding", part: "header" })
  if (Option.isNone(payload)) return Either.left({ _tag: "Encoding", part: "payload" })
  if (Option.isNone(signature)) return Either.left({ _tag: "Encoding", part: "signature" })
  const headerJson = jsonObject(header.value)
  if (Option.isNone(headerJson)) return Either.left({ _tag: "NotJson", part: "header" })
  const claims = jsonObject(payload.value)
  if (Option.isNone(claims)) return Either.left({ _tag: "NotJson", part: "payload" })
  return Either.right({ header: headerJson.value, claims: claims.value })
}

/** @internal */
export const describeFailure = (failure: TokenVerifier.DecodeFailure): string => {
  switch (failure._tag) {
    case "TooLong":
      return `is longer than ${failure.maxLength} characters`
    case "Parts":
      return failure.count === 1
        ? "is not a JWT: it has no dots (an opaque token?), and a JWT has three parts, header.payload.signature"
        : failure.count === 5
        ? "is an encrypted JWT (JWE, five parts), which only its recipient's key can read"
        : `is not a JWT: it has ${failure.count > 5 ? "more than five" : failure.count} dot-separated parts, ` +
          "and a JWT has three, header.payload.signature"
    case "Encoding":
      return `is not a JWT: its ${failure.part} is not base64url`
    case "NotJson":
      return `is not a JWT: its ${failure.part} is not a JSON object (or nests deeper than ${Json.defaultMaxDepth} levels)`
  }
}
