/**
 * A token endpoint for grant tests: served on 127.0.0.1 (port 0) at
 * `/oauth/token`, it records every request and answers with `respond`.
 */
import { assert } from "@effect/vitest"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as UrlParams from "@effect/platform/UrlParams"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Endpoint } from "@grantflow/core"
import { Effect, Ref, type Scope } from "effect"
import { createServer } from "node:http"

export interface Received {
  readonly headers: Readonly<Record<string, string>>
  readonly form: Readonly<Record<string, string>>
  /** The form as sent: every parameter in order, repeated ones included. */
  readonly params: UrlParams.UrlParams
}

export type Respond = (form: Readonly<Record<string, string>>, n: number) => Effect.Effect<HttpServerResponse.HttpServerResponse>

/**
 * Runs `use` against a token endpoint served on 127.0.0.1 (port 0) at
 * `/oauth/token`, answering the n-th request (from 1) with `respond`, and a
 * Node HTTP client. Closing the scope stops the server.
 */
export const withTokenEndpoint = <A, E>(
  respond: Respond,
  use: (
    tokenUrl: string,
    received: Effect.Effect<ReadonlyArray<Received>>
  ) => Effect.Effect<A, E, HttpClient.HttpClient | Scope.Scope>
) =>
  Effect.gen(function*() {
    const received = yield* Ref.make<ReadonlyArray<Received>>([])
    const endpoint = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const params = yield* request.urlParamsBody
      const form = Object.fromEntries(params)
      const n = yield* Ref.modify(received, (all) => [all.length + 1, [...all, { headers: request.headers, form, params }]])
      return yield* respond(form, n)
    })
    yield* HttpRouter.empty.pipe(HttpRouter.post("/oauth/token", endpoint), HttpServer.serveEffect())
    const port = yield* HttpServer.addressWith((address) =>
      Effect.succeed(address._tag === "TcpAddress" ? address.port : assert.fail("expected a TCP address"))
    )
    return yield* use(`http://127.0.0.1:${port}/oauth/token`, Ref.get(received))
  }).pipe(
    Effect.scoped,
    Effect.provide(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
    Effect.provide(NodeHttpClient.layerUndici)
  )

/**
 * {@link withTokenEndpoint}, handing `use` the served token endpoint as an
 * `Endpoint` made with `settings`.
 */
export const withEndpoint = <A, E>(
  respond: Respond,
  settings: Endpoint.Settings,
  use: (
    endpoint: Endpoint.Endpoint,
    received: Effect.Effect<ReadonlyArray<Received>>
  ) => Effect.Effect<A, E, HttpClient.HttpClient | Scope.Scope>
) => withTokenEndpoint(respond, (tokenUrl, received) => use(Endpoint.make({ ...settings, tokenUrl }), received))

export const json = (body: unknown, status = 200) => Effect.succeed(HttpServerResponse.unsafeJson(body, { status }))
