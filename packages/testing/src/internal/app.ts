import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Api from "./api.js"
import * as AppAssertion from "./appAssertion.js"
import * as Authorize from "./authorize.js"
import * as DeviceFlow from "./deviceFlow.js"
import { faulted } from "./faults.js"
import { journaled } from "./handler.js"
import * as Introspection from "./introspection.js"
import * as Metadata from "./metadata.js"
import * as ProviderRevocation from "./providerRevocation.js"
import * as PushedAuthorization from "./pushedAuthorization.js"
import * as Registration from "./registration.js"
import * as Revocation from "./revocation.js"
import type { State } from "./state.js"
import * as TokenEndpoint from "./tokenEndpoint.js"
import { routeKey } from "./text.js"

/**
 * Answers one request, whatever it is.
 *
 * @internal
 */
export type Handler = (
  request: HttpServerRequest.HttpServerRequest
) => Effect.Effect<HttpServerResponse.HttpServerResponse>


// handlers, so that an app of `make` can be called without a context (see `handlerOf`)
const handlers = new WeakMap<HttpApp.Default, Handler>()

/**
 * The handler behind an app of {@link make}, which the in-memory client
 * calls directly: providing the request as a service costs more than most
 * endpoints.
 *
 * @internal
 */
export const handlerOf = (app: HttpApp.Default): Handler | undefined => handlers.get(app)

/**
 * The server's handlers: one per endpoint, found by the path of the request
 * (as `HttpRouter` would route them, but with a table: compiling a router,
 * once per server, costs more than a typical property-test run's requests),
 * each checking its own methods so that a wrong method is journaled against
 * the endpoint.
 *
 * @internal
 */
export const make = (state: State): HttpApp.Default => {
  const metadata = journaled(state, "metadata", faulted(state, "metadata", (request) => Metadata.handle(state, request)))
  const endpoints = new Map<string, Handler>([
    ["/token", journaled(state, "token", faulted(state, "token", (request, note) => TokenEndpoint.handle(state, request, note)))],
    ["/revoke", journaled(state, "revoke", faulted(state, "revoke", (request, note) => Revocation.handle(state, request, note)))],
    [
      "/introspect",
      journaled(state, "introspect", faulted(state, "introspect", (request, note) => Introspection.handle(state, request, note)))
    ],
    ["/.well-known/oauth-authorization-server", metadata],
    ["/.well-known/openid-configuration", metadata],
    [Api.metadataPath, journaled(state, "resource_metadata", (request) => Metadata.resource(state, request))],
    ["/jwks", journaled(state, "jwks", faulted(state, "jwks", (request) => Metadata.jwks(state, request)))],
    ["/authorize", journaled(state, "authorize", (request, note) => Authorize.handle(state, request, note))],
    ["/par", journaled(state, "par", faulted(state, "par", (request, note) => PushedAuthorization.handle(state, request, note)))],
    [
      "/device_authorization",
      journaled(state, "device_authorization", (request, note) => DeviceFlow.authorization(state, request, note))
    ],
    ["/device", journaled(state, "device", (request) => DeviceFlow.page(state, request))],
    ["/register", journaled(state, "register", (request, note) => Registration.handle(state, request, note))]
  ])
  const api = journaled(state, "api", (request, note) => Api.handle(state, request, note))
  // a provider's paths for the same endpoints (its "who am I" an API route with its own fields)
  for (const [path, route] of Object.entries(state.options.routes ?? {})) {
    endpoints.set(
      routeKey(path),
      route.endpoint === "api"
        ? journaled(state, "api", (request, note) => Api.handle(state, request, note, route))
        : route.endpoint === "assertion"
        ? journaled(state, "token", faulted(state, "token", AppAssertion.handle(state, route)))
        : "token" in route
        ? journaled(state, "revoke", faulted(state, "revoke", ProviderRevocation.handle(state, route)))
        : endpoints.get(`/${route.endpoint}`)!
    )
  }
  const notFound = journaled(state, "other", () => Effect.fail(HttpServerResponse.empty({ status: 404 })))
  const handle: Handler = (request) => {
    const route = routeKey(request.url)
    return (endpoints.get(route) ?? (route.startsWith("/api/") ? api : notFound))(request)
  }
  const app = Effect.flatMap(HttpServerRequest.HttpServerRequest, handle)
  handlers.set(app, handle)
  return app
}
