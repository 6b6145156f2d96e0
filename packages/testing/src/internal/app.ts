import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Api from "./api.js"
import * as Authorize from "./authorize.js"
import * as DeviceFlow from "./deviceFlow.js"
import { journaled } from "./journal.js"
import type { State } from "./state.js"
import * as TokenEndpoint from "./tokenEndpoint.js"

/**
 * The server's handlers: one route per endpoint, each checking its own
 * methods so that a wrong method is journaled against the endpoint.
 *
 * @internal
 */
export const make = (state: State): HttpApp.Default => {
  const router = HttpRouter.empty.pipe(
    HttpRouter.all("/token", journaled(state, "token", (request, note) => TokenEndpoint.handle(state, request, note))),
    HttpRouter.all("/api/*", journaled(state, "api", (request, note) => Api.handle(state, request, note))),
    HttpRouter.all(
      "/authorize",
      journaled(state, "authorize", (request, note) => Authorize.handle(state, request, note))
    ),
    HttpRouter.all(
      "/device_authorization",
      journaled(state, "device_authorization", (request, note) => DeviceFlow.authorization(state, request, note))
    ),
    HttpRouter.all("/device", journaled(state, "device", (request) => DeviceFlow.page(state, request)))
  )
  const notFound = journaled(state, "other", () => Effect.fail(HttpServerResponse.empty({ status: 404 })))
  return Effect.catchTag(router, "RouteNotFound", () => notFound)
}
