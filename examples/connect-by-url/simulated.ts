/**
 * The stand-ins of the connect-by-url example, so that it runs without any
 * external service: a protected API with its authorization server (the
 * simulated server of `@grantflow/testing` on 127.0.0.1), and a user who
 * approves on its consent page with plain HTTP requests instead of a browser.
 */
import { HttpClient, HttpClientRequest, type HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { AuthServer } from "@grantflow/testing"
import { Effect } from "effect"
import { createServer } from "node:http"

/**
 * The simulated API (`/api/*`, whose route `/api/orders` needs the scope
 * `orders.read`) and its authorization server, on one loopback port: DPoP
 * required (with nonces), pushed authorization requests required,
 * registration open, tokens for the resource `<origin>/api`. Runs for the
 * life of the scope.
 */
export const start = Effect.gen(function*() {
  // the port is bound first: the server's issuer names it
  const http = yield* NodeHttpServer.make(() => createServer(), { port: 0, host: "127.0.0.1" })
  const issuer = `http://127.0.0.1:${(http.address as HttpServer.TcpAddress).port}`
  const server = yield* AuthServer.make({
    issuer,
    clients: [],
    registration: {},
    requirePushedAuthorizationRequests: true,
    dpop: { required: true, nonce: true },
    apiScopes: { "/api/orders": ["orders.read"] },
    tokenLifetime: "1 hour"
  })
  yield* http.serve(server.app)
  return { server, api: new URL("/api/orders", issuer) }
})

const requestId = (page: string) => /name="request_id" value="([^"]+)"/.exec(page)?.[1] ?? ""

/**
 * [simulated user] Opens the authorization URL and approves on the consent
 * page: succeeds with the URL the server sends the browser back to (the
 * redirect URI, with the code).
 */
export const consent = (url: URL) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const page = yield* Effect.flatMap(client.get(url), (response) => response.text)
    const approved = yield* client.execute(
      HttpClientRequest.post(new URL("/authorize", url)).pipe(
        HttpClientRequest.bodyUrlParams({ request_id: requestId(page), decision: "approve" })
      )
    )
    return new URL(approved.headers.location ?? "", url)
  })

/** [simulated user] Approves (see {@link consent}), and the browser goes back to the redirect URI. */
export const approve = (url: URL) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    // as a browser does, the answer to the form is followed with a GET
    const back = yield* client.get(yield* consent(url))
    yield* back.text
  })
