import * as Cookies from "@effect/platform/Cookies"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as HttpMethod from "@effect/platform/HttpMethod"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Multipart from "@effect/platform/Multipart"
import type * as Socket from "@effect/platform/Socket"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as App from "./app.js"
import { ConnectionDropped } from "./faults.js"

// The handlers see the request, and the caller the answer, as they would
// through WHATWG `Request` and `Response` objects (what `HttpApp.toWebHandler`
// and `FetchHttpClient` use), but for the bodies clients and this server send
// (none, or bytes) without building them: those objects, their streams and
// abort signals cost more than the handlers. Anything else (a form-data or
// streamed body, cookies, a status a `Response` cannot carry) goes through
// real ones.

const decoder = new TextDecoder()

/** The URL without scheme and host, as `HttpServerRequest.fromWeb` keeps it. */
const pathOf = (href: string): string => {
  const index = href.indexOf("/", href.indexOf("//") + 2)
  return index === -1 ? "/" : href.slice(index)
}

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer

/** A web `Request` for `request`, for the bodies the fast path leaves out, and for what needs one. */
const toWeb = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL
): Effect.Effect<Request, HttpClientError.RequestError> => {
  const make = (body: BodyInit | undefined) =>
    Effect.try({
      try: () =>
        new Request(url, {
          method: request.method,
          headers: request.headers,
          body,
          ...(request.body._tag === "Stream" ? { duplex: "half" } : {})
        } as RequestInit),
      catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
    })
  switch (request.body._tag) {
    case "Raw":
    case "Uint8Array":
      return make(request.body.body as BodyInit)
    case "FormData":
      return make(request.body.formData)
    case "Stream":
      return Effect.flatMap(Stream.toReadableStreamEffect(request.body.stream), make)
    case "Empty":
      return make(undefined)
  }
}

/**
 * Whether only a web `Request` shows the handlers `request` as it would
 * arrive: a body that is not bytes, a body on GET or HEAD (refused), a header
 * it would refuse or trim.
 */
const needsWeb = (request: HttpClientRequest.HttpClientRequest): boolean => {
  const body = request.body._tag
  if (body !== "Empty" && (body !== "Uint8Array" || request.method === "GET" || request.method === "HEAD")) return true
  for (const name in request.headers) {
    const value = request.headers[name]!
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name) || /[\0\r\n]/.test(value) || value !== value.trim()) return true
  }
  return false
}

class InMemoryServerRequest extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  constructor(
    readonly source: HttpClientRequest.HttpClientRequest,
    readonly originalUrl: string,
    readonly url: string,
    readonly headers: HttpClientRequest.HttpClientRequest["headers"],
    private readonly bytes: Uint8Array | undefined,
    private readonly remoteAddressOverride?: string | undefined
  ) {
    super()
  }
  get method(): HttpMethod.HttpMethod {
    return this.source.method
  }
  get remoteAddress(): Option.Option<string> {
    return Option.fromNullable(this.remoteAddressOverride)
  }
  get cookies() {
    return Cookies.parseHeader(this.headers.cookie ?? "")
  }
  get text(): Effect.Effect<string, HttpServerError.RequestError> {
    return Effect.succeed(this.bytes === undefined ? "" : decoder.decode(this.bytes))
  }
  get json(): Effect.Effect<unknown, HttpServerError.RequestError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (cause) => new HttpServerError.RequestError({ request: this, reason: "Decode", cause })
      }))
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpServerError.RequestError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpServerError.RequestError> {
    return Effect.succeed(this.bytes === undefined ? new ArrayBuffer(0) : toArrayBuffer(this.bytes))
  }
  get stream(): Stream.Stream<Uint8Array, HttpServerError.RequestError> {
    return this.bytes === undefined
      ? Stream.fail(
        new HttpServerError.RequestError({
          request: this,
          reason: "Decode",
          description: "can not create stream from empty body"
        })
      )
      : Stream.succeed(this.bytes)
  }
  private get web(): HttpServerRequest.HttpServerRequest {
    return HttpServerRequest.fromWeb(
      new Request(this.originalUrl, { method: this.method, headers: this.headers, body: (this.bytes ?? null) as BodyInit | null })
    )
  }
  get multipart(): HttpServerRequest.HttpServerRequest["multipart"] {
    return this.web.multipart
  }
  get multipartStream(): Stream.Stream<Multipart.Part, Multipart.MultipartError> {
    return this.web.multipartStream
  }
  get upgrade(): Effect.Effect<Socket.Socket, HttpServerError.RequestError> {
    return Effect.fail(
      new HttpServerError.RequestError({ request: this, reason: "Decode", description: "Not an upgradeable ServerRequest" })
    )
  }
  modify(options: {
    readonly url?: string | undefined
    readonly headers?: HttpClientRequest.HttpClientRequest["headers"] | undefined
    readonly remoteAddress?: string | undefined
  }): HttpServerRequest.HttpServerRequest {
    return new InMemoryServerRequest(
      this.source,
      this.originalUrl,
      options.url ?? this.url,
      options.headers ?? this.headers,
      this.bytes,
      options.remoteAddress ?? this.remoteAddressOverride
    )
  }
  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpServerRequest",
      method: this.method,
      url: this.originalUrl
    })
  }
}

class InMemoryClientResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    private readonly response: HttpServerResponse.HttpServerResponse,
    private readonly bytes: Uint8Array | undefined
  ) {
    super()
  }
  get status(): number {
    return this.response.status
  }
  get headers() {
    return this.response.headers
  }
  get cookies(): Cookies.Cookies {
    const header = this.response.headers["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(header)
  }
  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }
  private textBody: string | undefined
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    if (this.bytes === undefined) return Effect.succeed("")
    this.textBody ??= decoder.decode(this.bytes)
    return Effect.succeed(this.textBody)
  }
  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => text === "" ? null : JSON.parse(text) as unknown,
        catch: (cause) =>
          new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
      }))
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.succeed(this.bytes === undefined ? new ArrayBuffer(0) : toArrayBuffer(this.bytes))
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return this.bytes === undefined
      ? Stream.fail(
        new HttpClientError.ResponseError({
          request: this.request,
          response: this,
          reason: "EmptyBody",
          description: "can not create stream from empty body"
        })
      )
      : Stream.succeed(this.bytes)
  }
  private formDataBody: Effect.Effect<FormData, HttpClientError.ResponseError> | undefined
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    this.formDataBody ??= HttpClientResponse.fromWeb(
      this.request,
      HttpServerResponse.toWeb(this.response, { withoutBody: this.bytes === undefined })
    ).formData
    return this.formDataBody
  }
  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/**
 * Whether `response` is an answer of the in-memory client whose body reads
 * the same however often, and in whatever form, it is read.
 *
 * @internal
 */
export const isRereadable = (response: HttpClientResponse.HttpClientResponse): boolean =>
  response instanceof InMemoryClientResponse

const nullBodyStatuses: ReadonlySet<number> = new Set([101, 103, 204, 205, 304])

/** The body bytes of an answer the fast path carries (`null`: none), or `undefined` when it needs a web `Response`. */
const answerBytes = (
  response: HttpServerResponse.HttpServerResponse,
  head: boolean
): Uint8Array | null | undefined => {
  if (response.status < 200 || response.status > 599 || !Cookies.isEmpty(response.cookies)) return undefined
  const body = response.body
  if (head || body._tag === "Empty") return null
  if (nullBodyStatuses.has(response.status)) return undefined
  return body._tag === "Uint8Array" ? body.body : undefined
}

const toClientResponse = (
  request: HttpClientRequest.HttpClientRequest,
  response: HttpServerResponse.HttpServerResponse
): HttpClientResponse.HttpClientResponse => {
  const head = request.method === "HEAD"
  const bytes = answerBytes(response, head)
  return bytes === undefined
    ? HttpClientResponse.fromWeb(request, HttpServerResponse.toWeb(response, { withoutBody: head }))
    : new InMemoryClientResponse(request, response, bytes ?? undefined)
}

const toServerRequest = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL
): Effect.Effect<HttpServerRequest.HttpServerRequest, HttpClientError.RequestError> => {
  if (needsWeb(request)) return Effect.map(toWeb(request, url), HttpServerRequest.fromWeb)
  const href = url.href
  const bytes = request.body._tag === "Uint8Array" ? request.body.body : undefined
  return Effect.succeed(new InMemoryServerRequest(request, href, pathOf(href), request.headers, bytes))
}

/**
 * An `HttpClient` that answers every request with `app`, in the calling
 * fiber: no socket, no runtime of its own, so `TestClock` and the caller's
 * services apply to the handlers. Relative URLs are resolved against `base`.
 * Interrupting the caller interrupts the handlers, so it needs no abort
 * signal; it records no spans of its own.
 *
 * @internal
 */
export const make = (app: HttpApp.Default, base: string): HttpClient.HttpClient => {
  const handle = App.handlerOf(app) ??
    ((request: HttpServerRequest.HttpServerRequest) =>
      Effect.provideService(app, HttpServerRequest.HttpServerRequest, request))
  return HttpClient.makeWith(
    (effect) =>
      Effect.flatMap(effect, (request) => {
        const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
        if (url._tag === "Left") {
          return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
        }
        return Effect.flatMap(toServerRequest(request, url.right), (serverRequest) =>
          handle(serverRequest).pipe(
            // a dropped connection, as a client on a socket would see it
            Effect.catchSomeDefect((defect) =>
              defect instanceof ConnectionDropped
                ? Option.some(new HttpClientError.RequestError({ request, reason: "Transport", cause: defect }))
                : Option.none()
            ),
            Effect.map((response) => toClientResponse(request, response))
          ))
      }),
    (request: HttpClientRequest.HttpClientRequest) =>
      Effect.succeed(request.url.startsWith("/") ? HttpClientRequest.prependUrl(request, base) : request)
  )
}
