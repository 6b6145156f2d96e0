import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { ConnectionDropped } from "./faults.js"

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
 * An `HttpClient` that answers every request with `app`, in the calling
 * fiber: no socket, no runtime of its own, so `TestClock` and the caller's
 * services apply to the handlers. Relative URLs are resolved against `base`.
 *
 * @internal
 */
export const make = (app: HttpApp.Default, base: string): HttpClient.HttpClient =>
  // no AbortSignal: the handlers run in the caller's fiber, so interrupting it stops them
  HttpClient.make((request, url) =>
    Effect.flatMap(toWeb(request, url), (webRequest) =>
      app.pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(webRequest)),
        // a dropped connection, as a client on a socket would see it
        Effect.catchSomeDefect((defect) =>
          defect instanceof ConnectionDropped
            ? Option.some(new HttpClientError.RequestError({ request, reason: "Transport", cause: defect }))
            : Option.none()
        ),
        Effect.map((response) =>
          HttpClientResponse.fromWeb(
            request,
            HttpServerResponse.toWeb(response, { withoutBody: request.method === "HEAD" })
          )
        )
      ))
  ).pipe(
    HttpClient.mapRequest((request) =>
      request.url.startsWith("/") ? HttpClientRequest.prependUrl(request, base) : request
    )
  )
