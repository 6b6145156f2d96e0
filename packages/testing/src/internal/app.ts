import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Api from "./api.js"
import * as Authorize from "./authorize.js"
import * as DeviceFlow from "./deviceFlow.js"
import { faulted } from "./faults.js"
import * as Introspection from "./introspection.js"
import { journaled } from "./journal.js"
import * as Metadata from "./metadata.js"
import * as Revocation from "./revocation.js"
import type { State } from "./state.js"
import * as TokenEndpoint from "./tokenEndpoint.js"

/**
 * The server's handlers: one route per endpoint, each checking its own
 * methods so that a wrong method is journaled against the endpoint.
 *
 * @internal
 */
export const make = (state: State): HttpApp.Default => {
  const metadata = journaled(state, "metadata", faulted(state, "metadata", (request) => Metadata.handle(state, request)))
  const router = HttpRouter.empty.pipe(
    HttpRouter.all(
      "/token",
      journaled(state, "token", faulted(state, "token", (request, note) => TokenEndpoint.handle(state, request, note)))
    ),
    HttpRouter.all(
      "/revoke",
      journaled(state, "revoke", faulted(state, "revoke", (request, note) => Revocation.handle(state, request, note)))
    ),
    HttpRouter.all(
      "/introspect",
      journaled(
        state,
        "introspect",
        faulted(state, "introspect", (request, note) => Introspection.handle(state, request, note))
      )
    ),
    HttpRouter.all("/.well-known/oauth-authorization-server", metadata),
    HttpRouter.all("/.well-known/openid-configuration", metadata),
    HttpRouter.all("/jwks", journaled(state, "jwks", faulted(state, "jwks", (request) => Metadata.jwks(state, request)))),
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
