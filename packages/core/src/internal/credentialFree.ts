/**
 * Requests, responses and errors without the credentials an authenticated
 * client put on the request.
 *
 * A response keeps the request it answers, and an `HttpClientError` keeps its
 * request (and its response): every printer shows them — `JSON.stringify`,
 * `util.inspect`, `Cause.pretty`, a logger. Effect redacts the well-known
 * credential headers only inside a fiber and only by name, so a token in an
 * `Authorization` header printed outside a fiber, in a custom header, or in
 * the query string would be shown. Whatever leaves an authenticated client
 * therefore carries a request whose credential headers hold `<redacted>` and
 * whose credential query parameters are gone, for every printer; the wire
 * still gets them.
 */
import type * as Cookies from "@effect/platform/Cookies"
import type * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/**
 * The header names and query parameter names that carry a credential.
 *
 * @internal
 */
export interface Credentials {
  readonly headers: ReadonlyArray<string>
  readonly urlParams: ReadonlyArray<string>
}

/**
 * What `sent` carries that `unsent` does not: the headers it added or
 * changed, and the query parameters it added or changed. Comparing the
 * request before and after authentication finds the credential wherever the
 * authentication placed it (a header, a prefixed header, the query).
 *
 * @internal
 */
export const credentialsOf = (
  unsent: HttpClientRequest.HttpClientRequest,
  sent: HttpClientRequest.HttpClientRequest
): Credentials => ({
  headers: Object.keys(sent.headers).filter((name) => sent.headers[name] !== unsent.headers[name]),
  urlParams: sent.urlParams
    .filter(([name, value]) => !unsent.urlParams.some(([other, was]) => other === name && was === value))
    .map(([name]) => name)
})

const isEmpty = (credentials: Credentials) => credentials.headers.length === 0 && credentials.urlParams.length === 0

/**
 * `request` with its credential headers set to `<redacted>` — the reader still
 * sees that one was sent, as Effect's own redaction shows it — and without its
 * credential query parameters, which have no such convention.
 *
 * @internal
 */
export const strip = (
  request: HttpClientRequest.HttpClientRequest,
  credentials: Credentials
): HttpClientRequest.HttpClientRequest => {
  const headers = credentials.headers.reduce(
    (stripped, name) => HttpClientRequest.setHeader(stripped, name, "<redacted>"),
    request
  )
  if (credentials.urlParams.length === 0) return headers
  // nothing removes a query parameter from a request: it is rebuilt
  const rebuilt = HttpClientRequest.make(headers.method)(headers.url, {
    headers: headers.headers,
    urlParams: credentials.urlParams.reduce((params, name) => UrlParams.remove(params, name), headers.urlParams)
  }).pipe(HttpClientRequest.setBody(headers.body))
  return Option.match(headers.hash, {
    onNone: () => rebuilt,
    onSome: (hash) => HttpClientRequest.setHash(rebuilt, hash)
  })
}

/**
 * A response that answers `request` instead of the request it was made for:
 * everything else, its body included, is read from the original, unread, and
 * its errors name `request` too. The original is held in a private field,
 * out of reach of every printer.
 */
class ResponseFor extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly #source: HttpClientResponse.HttpClientResponse

  constructor(readonly request: HttpClientRequest.HttpClientRequest, source: HttpClientResponse.HttpClientResponse) {
    super()
    this.#source = source
  }

  #error = (error: HttpClientError.ResponseError) =>
    new HttpClientError.ResponseError({
      request: this.request,
      response: this,
      reason: error.reason,
      cause: error.cause,
      ...(error.description === undefined ? {} : { description: error.description })
    })

  get status(): number {
    return this.#source.status
  }
  get headers(): Headers.Headers {
    return this.#source.headers
  }
  get cookies(): Cookies.Cookies {
    return this.#source.cookies
  }
  get remoteAddress(): Option.Option<string> {
    return this.#source.remoteAddress
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.mapError(this.#source.stream, this.#error)
  }
  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.mapError(this.#source.json, this.#error)
  }
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.mapError(this.#source.text, this.#error)
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.mapError(this.#source.urlParamsBody, this.#error)
  }
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.mapError(this.#source.formData, this.#error)
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.mapError(this.#source.arrayBuffer, this.#error)
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/**
 * `response`, answering `request` instead of the request it was made for.
 *
 * @internal
 */
export const responseFor = (
  response: HttpClientResponse.HttpClientResponse,
  request: HttpClientRequest.HttpClientRequest
): HttpClientResponse.HttpClientResponse => new ResponseFor(request, response)

/**
 * An `HttpClientError` whose request (and response) carry no credential value;
 * its reason, cause and description are kept.
 *
 * @internal
 */
export const stripError = (
  error: HttpClientError.HttpClientError,
  credentials: Credentials
): HttpClientError.HttpClientError => {
  const request = strip(error.request, credentials)
  const description = error.description === undefined ? {} : { description: error.description }
  return error._tag === "RequestError"
    ? new HttpClientError.RequestError({ request, reason: error.reason, cause: error.cause, ...description })
    : new HttpClientError.ResponseError({
      request,
      response: responseFor(error.response, request),
      reason: error.reason,
      cause: error.cause,
      ...description
    })
}

/**
 * Sends `sent` with `client`; the response and any `HttpClientError` leave
 * with the `credentials` on their request redacted. This is the one exit of an
 * authenticated client.
 *
 * @internal
 */
export const execute = <E, R>(
  client: HttpClient.HttpClient.With<E, R>,
  sent: HttpClientRequest.HttpClientRequest,
  credentials: Credentials
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
  isEmpty(credentials) ? client.execute(sent) : client.execute(sent).pipe(
    Effect.mapError((error) =>
      // the same error type: a RequestError stays a RequestError, a ResponseError a ResponseError
      HttpClientError.isHttpClientError(error) ? stripError(error, credentials) as E : error
    ),
    Effect.map((response) => responseFor(response, strip(response.request, credentials)))
  )
