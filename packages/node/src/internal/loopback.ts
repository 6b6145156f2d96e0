import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import type * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { createServer } from "node:http"
import type { Options } from "../Loopback.js"

/** @internal */
export class Loopback extends Context.Tag("@grantflow/node/Loopback")<Loopback, {
  /** The base URL, ending in `/`; resolve paths against it with `new URL(path, url)`. */
  readonly url: URL
  /** The port the server listens on (the one the operating system picked for port 0). */
  readonly port: number
}>() {}

/** @internal */
export const make = <E, R>(
  app: HttpApp.Default<E, R>,
  options?: Options
): Effect.Effect<
  Loopback["Type"],
  HttpServerError.ServeError,
  Scope.Scope | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>
> =>
  Effect.gen(function*() {
    const server = yield* NodeHttpServer.make(() => createServer(), {
      port: options?.port ?? 0,
      host: options?.host ?? "127.0.0.1"
    })
    // the Node handler gives every request its own scope (see `NodeHttpServer.makeHandler`);
    // `HttpServer.serve`'s type does not say so
    const serve = options?.traced === false
      ? HttpMiddleware.withTracerDisabledWhenEffect(server.serve(app), () => true)
      : server.serve(app)
    yield* serve as Effect.Effect<
      void,
      never,
      Scope.Scope | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>
    >
    // `make` always listens on TCP, so the address is a TcpAddress
    const { hostname, port } = server.address as HttpServer.TcpAddress
    // an IPv6 literal needs brackets in a URL
    const host = hostname.includes(":") ? `[${hostname}]` : hostname
    return { url: new URL(`http://${host}:${port}/`), port }
  })

/** @internal */
export const layer = <E, R>(
  app: HttpApp.Default<E, R>,
  options?: Options
): Layer.Layer<Loopback, HttpServerError.ServeError, Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>> =>
  Layer.scoped(Loopback, make(app, options))
