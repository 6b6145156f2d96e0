import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Endpoint from "../Endpoint.js"
import type * as Introspection from "../Introspection.js"
import * as TokenError from "../TokenError.js"
import * as endpoint from "./endpoint.js"
import * as tokenRequest from "./tokenRequest.js"

/**
 * The longest introspection answer read, 64 Ki characters: an answer is a
 * token's claims, a few hundred bytes to a few kilobytes. It also bounds what
 * a cache of answers holds per entry.
 *
 * @internal
 */
export const defaultMaxResponseLength = 64 * 1024

const malformed = (status: number, field: string, reason: string) =>
  new TokenError.MalformedResponse({ endpoint: "introspection", status, field, reason, excerpt: "" })

/** @internal */
export const introspect = (
  self: Endpoint.Endpoint,
  options: Introspection.IntrospectOptions
): Effect.Effect<Introspection.Response, Introspection.IntrospectionError, HttpClient.HttpClient> => {
  const maxLength = options.maxResponseLength ?? defaultMaxResponseLength
  return Effect.flatMap(endpoint.url(self, "introspection"), (url) =>
    tokenRequest.postToken(self, "introspection", url, options)).pipe(
      Effect.flatMap((answer): Either.Either<Introspection.Response, Introspection.IntrospectionError> => {
        if (Option.isSome(answer.body) && answer.body.value.length > maxLength) {
          return Either.left(malformed(answer.status, "body", `is longer than ${maxLength} characters`))
        }
        // the JSON is read by the token endpoint's parser, which bounds its nesting
        return Either.flatMap(tokenRequest.interpretJson(answer, "introspection"), (claims) => {
          const active = claims["active"]
          // RFC 7662 §2.2: `active` is the one required member
          return typeof active === "boolean"
            ? Either.right({ active, claims })
            : Either.left(malformed(answer.status, "active", "is not a boolean"))
        })
      }),
      Effect.withSpan("grantflow.introspection", { kind: "client" })
    )
}
