import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as AuthServer from "../AuthServer.js"

/**
 * Answers a successful token response in the shape of `options.tokenResponseShape`
 * (a provider that nests the token, states expiry in milliseconds, …); every
 * other answer, and every answer without that option, passes as it is.
 *
 * @internal
 */
export const apply = (
  options: AuthServer.Options,
  response: HttpServerResponse.HttpServerResponse
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const shape = options.tokenResponseShape
  if (shape === undefined || response.status !== 200 || response.body._tag !== "Uint8Array") {
    return Effect.succeed(response)
  }
  const { body } = response.body
  const parsed = Option.liftThrowable(() => JSON.parse(new TextDecoder().decode(body)) as unknown)()
  if (Option.isNone(parsed) || !Predicate.isRecord(parsed.value) || !("access_token" in parsed.value)) {
    return Effect.succeed(response)
  }
  const token = parsed.value
  return Effect.map(Clock.currentTimeMillis, (now) =>
    HttpServerResponse.unsafeJson(shape(token, now), { status: response.status, headers: response.headers }))
}
