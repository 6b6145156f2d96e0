import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import { methodNotAllowed, oauthError } from "./responses.js"

/**
 * The parameters of a token request: each at most once, and a parameter sent
 * without a value is absent (RFC 6749 §3.1, §3.2) — except `resource`
 * (RFC 8707 §2), which may be repeated: its values are joined with spaces,
 * which no URI holds.
 *
 * @internal
 */
export type Form = ReadonlyMap<string, string>

/**
 * The parameters that may be sent more than once (RFC 8707 §2: one
 * `resource` per resource server), and how their values are joined.
 *
 * @internal
 */
export const repeatable: ReadonlySet<string> = new Set(["resource"])

/** Adds a parameter's value to `params`: once, or joined with a space for a {@link repeatable} one. @internal */
export const add = (params: Map<string, string>, name: string, value: string): void => {
  const previous = params.get(name)
  params.set(name, previous === undefined ? value : `${previous} ${value}`)
}

/**
 * The longest form body an endpoint reads, 64 KiB: a token request is a few
 * hundred bytes, and what parsing a body costs grows with its length.
 *
 * @internal
 */
export const maxBodyLength = 64 * 1024

/**
 * A request body as text, at most `maxLength` characters: `TooLarge` for a
 * longer one (on a socket, reading stops at the limit), `Unreadable` when it
 * could not be read.
 *
 * @internal
 */
export const readText = (
  request: HttpServerRequest.HttpServerRequest,
  maxLength: number
): Effect.Effect<string, "TooLarge" | "Unreadable"> =>
  Number(request.headers["content-length"]) > maxLength
    ? Effect.fail("TooLarge")
    : request.text.pipe(
      HttpIncomingMessage.withMaxBodySize(Option.some(maxLength)),
      Effect.mapError(() => "Unreadable" as const),
      Effect.filterOrFail((text) => text.length <= maxLength, () => "TooLarge" as const)
    )

/** The body of a token request, at most {@link maxBodyLength} characters; an `invalid_request` answer otherwise. */
const readBody = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.mapError(readText(request, maxBodyLength), (why) =>
    oauthError(
      400,
      "invalid_request",
      why === "TooLarge"
        ? `The request body is longer than ${maxBodyLength / 1024} KiB`
        : "The request body could not be read"
    ))

/** Reads an `application/x-www-form-urlencoded` body of at most {@link maxBodyLength} characters. @internal */
export const read = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<Form, HttpServerResponse.HttpServerResponse> => {
  const contentType = request.headers["content-type"] ?? ""
  if (!/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(contentType)) {
    return Effect.fail(
      oauthError(400, "invalid_request", "The request body must be application/x-www-form-urlencoded")
    )
  }
  return readBody(request).pipe(
    Effect.flatMap((text) => {
      const form = new Map<string, string>()
      const seen = new Set<string>()
      for (const [name, value] of new URLSearchParams(text)) {
        if (seen.has(name) && !repeatable.has(name)) {
          return Effect.fail(oauthError(400, "invalid_request", `The parameter ${name} was sent more than once`))
        }
        seen.add(name)
        if (value !== "") add(form, name, value)
      }
      return Effect.succeed(form)
    })
  )
}

/** Reads the form of a `POST`, the only method an OAuth form endpoint answers. @internal */
export const readPost = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<Form, HttpServerResponse.HttpServerResponse> =>
  request.method === "POST" ? read(request) : Effect.fail(methodNotAllowed(["POST"]))

/**
 * Reads the parameters of a `POST` whose body is a JSON object of strings, as
 * providers that take token requests in JSON do (Notion), of at most
 * {@link maxBodyLength} characters like a form; a value that is not a string
 * is refused, an empty one is absent.
 *
 * @internal
 */
export const readJsonPost = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<Form, HttpServerResponse.HttpServerResponse> =>
  request.method === "POST" ? readJson(request) : Effect.fail(methodNotAllowed(["POST"]))

/**
 * Reads a JSON object of strings as {@link readJsonPost} does, whatever the
 * method (a provider's `DELETE` with a JSON body).
 *
 * @internal
 */
export const readJson = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<Form, HttpServerResponse.HttpServerResponse> => {
  const contentType = request.headers["content-type"] ?? ""
  if (!/^application\/json\s*(?:;|$)/i.test(contentType)) {
    return Effect.fail(oauthError(400, "invalid_request", "The request body must be application/json"))
  }
  return readBody(request).pipe(
    Effect.flatMap((text) => {
      const body = Option.getOrUndefined(Option.liftThrowable(() => JSON.parse(text) as unknown)())
      if (!Predicate.isRecord(body)) return Effect.fail(oauthError(400, "invalid_request", "The request body must be a JSON object"))
      const form = new Map<string, string>()
      for (const [name, value] of Object.entries(body)) {
        if (typeof value !== "string") {
          return Effect.fail(oauthError(400, "invalid_request", "Every parameter of the JSON body must be a string"))
        }
        if (value !== "") form.set(name, value)
      }
      return Effect.succeed(form)
    })
  )
}
