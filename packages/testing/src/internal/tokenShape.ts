import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as AuthServer from "../AuthServer.js"
import { errorBody, tokenBody } from "./responses.js"

/**
 * Answers a successful token response in the shape of `options.tokenResponseShape`
 * (a provider that nests the token, states expiry in milliseconds, …), and
 * form-encoded when `options.tokenResponseFormat` says so and the request did
 * not accept JSON; every other answer, and every answer without those
 * options, passes as it is.
 *
 * @internal
 */
export const apply = (
  options: AuthServer.Options,
  request: HttpServerRequest.HttpServerRequest,
  response: HttpServerResponse.HttpServerResponse
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const shape = options.tokenResponseShape
  const form = asForm(options, request)
  if ((shape === undefined && !form) || response.status !== 200) return Effect.succeed(response)
  return Option.match(tokenBody(response), {
    onNone: () => Effect.succeed(response),
    onSome: (token) =>
      Effect.map(
        Clock.currentTimeMillis,
        (now) => answer(shape === undefined ? token : shape(token, now), response.status, response.headers, form)
      )
  })
}

/**
 * An error of the token endpoint in the shape of `options.tokenErrorShape`,
 * and form-encoded as a token response would be; any other answer passes as
 * it is.
 *
 * @internal
 */
export const applyToError = (
  options: AuthServer.Options,
  request: HttpServerRequest.HttpServerRequest,
  response: HttpServerResponse.HttpServerResponse,
  grantType: string | undefined
): HttpServerResponse.HttpServerResponse => {
  const shape = options.tokenErrorShape
  const form = asForm(options, request)
  if (shape === undefined && !form) return response
  return Option.match(errorBody(response), {
    onNone: () => response,
    onSome: (error) => {
      const shaped = shape === undefined ? { status: response.status, body: error } : shape(error, response.status, grantType)
      return answer(shaped.body, shaped.status, response.headers, form)
    }
  })
}

// the answer's format follows the request's Accept, for a provider that answers forms unless asked for JSON
const asForm = (options: AuthServer.Options, request: HttpServerRequest.HttpServerRequest): boolean =>
  options.tokenResponseFormat === "formUnlessJsonAccepted" && !acceptsJson(request)

const answer = (
  body: unknown,
  status: number,
  headers: HttpServerResponse.HttpServerResponse["headers"],
  form: boolean
): HttpServerResponse.HttpServerResponse =>
  form && Predicate.isRecord(body)
    ? HttpServerResponse.text(UrlParams.toString(UrlParams.fromInput(formFields(body))), {
      status,
      headers,
      contentType: "application/x-www-form-urlencoded"
    })
    : HttpServerResponse.unsafeJson(body, { status, headers })

const acceptsJson = (request: HttpServerRequest.HttpServerRequest): boolean =>
  (request.headers["accept"] ?? "").toLowerCase().includes("application/json")

// a form carries the top-level scalars only, as GitHub's form answers do
const formFields = (body: Readonly<Record<string, unknown>>): Record<string, string> => {
  const fields: Record<string, string> = {}
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") fields[name] = String(value)
  }
  return fields
}
