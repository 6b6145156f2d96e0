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
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/loopback.js"

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
export const Loopback: typeof internal.Loopback = internal.Loopback

/**
 * The tag type of {@link Loopback}; `Loopback["Type"]` is a running server:
 * its `url` (ending in `/`) and `port`.
 *
 * @since 0.1.0
 * @category tags
 */
export type Loopback = internal.Loopback

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
export const make: <E, R>(
  app: HttpApp.Default<E, R>,
  options?: Options
) => Effect.Effect<
  Loopback["Type"],
  HttpServerError.ServeError,
  Scope.Scope | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>
> = internal.make

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
export const layer: <E, R>(
  app: HttpApp.Default<E, R>,
  options?: Options
) => Layer.Layer<Loopback, HttpServerError.ServeError, Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>> =
  internal.layer
