import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as AuthServer from "../AuthServer.js"
import { tokenBody } from "./responses.js"

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
  if (shape === undefined || response.status !== 200) return Effect.succeed(response)
  return Option.match(tokenBody(response), {
    onNone: () => Effect.succeed(response),
    onSome: (token) =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        HttpServerResponse.unsafeJson(shape(token, now), { status: response.status, headers: response.headers }))
  })
}
