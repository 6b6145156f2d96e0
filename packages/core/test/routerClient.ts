/**
 * An `HttpClient` that answers with an `HttpRouter` app in the calling fiber:
 * real request and response objects, no socket. Handlers see the test's
 * services, `TestClock` included, so they can record when each request came.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Clock, Effect, Layer, Ref } from "effect"

const toWeb = (request: HttpClientRequest.HttpClientRequest, url: URL) =>
  Effect.try({
    try: () =>
      new Request(url, {
        method: request.method,
        headers: request.headers,
        body: request.body._tag === "Uint8Array" || request.body._tag === "Raw"
          ? (request.body.body as BodyInit)
          : null
      }),
    catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
  })

/** Serves `router` to the client, a missing route as 404. */
export const clientOf = (router: HttpRouter.HttpRouter<never, never>): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    Effect.flatMap(toWeb(request, url), (web) =>
      router.pipe(
        Effect.catchTag("RouteNotFound", () => HttpServerResponse.empty({ status: 404 })),
        Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(web)),
        Effect.map((response) => HttpClientResponse.fromWeb(request, HttpServerResponse.toWeb(response)))
      ))
  )

/** A layer of {@link clientOf}. */
export const layerOf = (router: HttpRouter.HttpRouter<never, never>) =>
  Layer.succeed(HttpClient.HttpClient, clientOf(router))

/** One request an endpoint received: when (from `Clock`), its headers and its form. */
export interface Received {
  readonly at: number
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly form: Readonly<Record<string, string>>
  /** The form as sent, repeated parameters included. */
  readonly params: ReadonlyArray<readonly [string, string]>
}

/**
 * A recorder of the requests of a router's endpoints, and a helper to write
 * endpoints that record, then answer with `respond` (given the form and the
 * number, from 1, of the request to that path).
 */
export const makeRecorder = Effect.map(Ref.make<ReadonlyArray<Received>>([]), (log) => {
  const record = (
    respond: (form: Readonly<Record<string, string>>, n: number) => Effect.Effect<HttpServerResponse.HttpServerResponse>
  ) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const path = new URL(request.url, "http://x").pathname
      const params = request.method === "POST" ? yield* Effect.orDie(request.urlParamsBody) : []
      const form = Object.fromEntries(params)
      const at = yield* Clock.currentTimeMillis
      const n = yield* Ref.modify(log, (all) => {
        const next = [...all, { at, path, headers: request.headers, form, params }]
        return [next.filter((r) => r.path === path).length, next]
      })
      return yield* respond(form, n)
    })
  return {
    record,
    all: Ref.get(log),
    at: (path: string) => Effect.map(Ref.get(log), (all) => all.filter((r) => r.path === path))
  }
})

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  Effect.succeed(HttpServerResponse.unsafeJson(body, { status, headers }))

