/**
 * An `HttpApp` served on a loopback port for as long as a scope lives.
 *
 * Tests, the demo and the authorization-code redirect receiver all need the
 * same thing: a real socket on this machine, a port picked by the operating
 * system, and the base URL to reach it. Closing the scope stops the server.
 *
 * @since 0.1.0
 */
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

/**
 * A running loopback server: its base URL (`http://127.0.0.1:<port>/`) and port.
 *
 * @since 0.1.0
 * @category tags
 * @example
 * ```ts
 * import { Loopback } from "@grantflow/node"
 * import { Effect } from "effect"
 *
 * const tokenUrl = Effect.map(Loopback.Loopback, (loopback) => new URL("/token", loopback.url))
 * ```
 */
export class Loopback extends Context.Tag("@grantflow/node/Loopback")<Loopback, {
  /** The base URL, ending in `/`; resolve paths against it with `new URL(path, url)`. */
  readonly url: URL
  /** The port the server listens on (the one the operating system picked for port 0). */
  readonly port: number
}>() {}

/**
 * Where to listen, and whether each request gets its `http.server` span.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `0` (the default) lets the operating system pick a free port. */
  readonly port?: number
  /** `127.0.0.1` by default; a loopback server should not be reachable from elsewhere. */
  readonly host?: string
  /**
   * `true` (the default): every request runs in a span, as `HttpServer.serve`
   * gives it. `false` leaves spans out: about a quarter more requests per
   * second where nothing collects them.
   */
  readonly traced?: boolean
}

/**
 * Serves `app` with Node's HTTP server until the scope closes. Fails with a
 * `ServeError` when the port cannot be bound (e.g. it is in use).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Loopback } from "@grantflow/node"
 * import { Effect } from "effect"
 *
 * const app = HttpRouter.empty.pipe(HttpRouter.get("/health", HttpServerResponse.text("ok")))
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const { url } = yield* Loopback.make(app)
 *   // requests to new URL("/health", url) reach `app` until the scope closes
 *   return url.port
 * }))
 * ```
 */
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

/**
 * The {@link Loopback} service as a scoped layer around {@link make}: the
 * server runs while the layer is alive.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Loopback } from "@grantflow/node"
 * import { Effect } from "effect"
 *
 * const app = HttpRouter.empty.pipe(HttpRouter.get("/health", HttpServerResponse.text("ok")))
 *
 * const program = Effect.map(Loopback.Loopback, (loopback) => loopback.port).pipe(
 *   Effect.provide(Loopback.layer(app, { port: 0 }))
 * )
 * ```
 */
export const layer = <E, R>(
  app: HttpApp.Default<E, R>,
  options?: Options
): Layer.Layer<Loopback, HttpServerError.ServeError, Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>> =>
  Layer.scoped(Loopback, make(app, options))
