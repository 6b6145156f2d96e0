/**
 * `grantflow token --grant authorization_code` against a server whose
 * metadata requires pushed authorization requests (RFC 9126): the command
 * pushes the request and sends the user with `client_id` and `request_uri`
 * only.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Loopback } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import type { HttpApp } from "@effect/platform"
import { Deferred, Effect, Layer } from "effect"
import * as Cli from "./support/cli.js"

const Live = Layer.merge(NodeContext.layer, NodeHttpClient.layerUndici)

/** The simulated server on a loopback port, bound first so that its issuer is its address; it approves at once. */
const simulated = (requirePushedAuthorizationRequests: boolean) => Effect.gen(function*() {
  const ready = yield* Deferred.make<HttpApp.Default>()
  const { url } = yield* Loopback.make(Effect.flatten(Deferred.await(ready)))
  const server = yield* AuthServer.make({
    issuer: url.origin,
    autoApprove: true,
    requirePushedAuthorizationRequests,
    clients: [{ clientId: "cli", public: true, redirectUris: ["http://127.0.0.1/callback"], scopes: ["orders.read"] }]
  })
  yield* Deferred.succeed(ready, server.app)
  return server
})

/** A browser without a window: GETs `url` and follows redirects; the last URL. */
const visit = (url: string) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    let current = new URL(url)
    let response = yield* http.execute(HttpClientRequest.get(current))
    while (response.status >= 300 && response.status < 400 && response.headers["location"] !== undefined) {
      current = new URL(response.headers["location"], current)
      response = yield* http.execute(HttpClientRequest.get(current))
    }
    yield* response.text
    return current
  })

const signIn = (issuer: string, ...flags: ReadonlyArray<string>) => [
  "token",
  issuer,
  "--client-id",
  "cli",
  "--auth-method",
  "none",
  "--grant",
  "authorization_code",
  "--scope",
  "orders.read",
  ...flags
]

describe("grantflow token --grant authorization_code, PAR required by the metadata", () => {
  it.scopedLive("pushes the request, prints a URL with client_id and request_uri only, and gets the token", () =>
    Effect.gen(function*() {
      const server = yield* simulated(true)
      const running = yield* Cli.spawnScoped(signIn(server.issuer))
      const [, url] = yield* running.waitFor(/^ {2}(http:\/\/\S+\/authorize\?\S+)$/m, "stderr")
      const shown = new URL(url!)
      assert.deepStrictEqual([...shown.searchParams.keys()], ["client_id", "request_uri"])
      assert.match(running.output().stderr, /Waiting for the browser to come back …/)
      const back = yield* visit(url!)
      assert.strictEqual(back.pathname, "/callback")
      assert.strictEqual(yield* running.exited, 0, running.output().stderr)
      assert.strictEqual((JSON.parse(running.output().stdout) as { scope?: string }).scope, "orders.read")
      assert.deepStrictEqual(
        (yield* server.journal).filter((e) => e.endpoint !== "metadata").map((e) => [e.endpoint, e.status]),
        [["par", 201], ["authorize", 302], ["token", 200]]
      )
    }).pipe(Effect.provide(Live)))

  it.scopedLive("--par pushes the request where the server only offers PAR", () =>
    Effect.gen(function*() {
      const server = yield* simulated(false)
      const running = yield* Cli.spawnScoped(signIn(server.issuer, "--par"))
      const [, url] = yield* running.waitFor(/^ {2}(http:\/\/\S+\/authorize\?\S+)$/m, "stderr")
      assert.deepStrictEqual([...new URL(url!).searchParams.keys()], ["client_id", "request_uri"])
      yield* visit(url!)
      assert.strictEqual(yield* running.exited, 0, running.output().stderr)
      assert.deepStrictEqual(
        (yield* server.journal).filter((e) => e.endpoint === "par").map((e) => e.status),
        [201]
      )
    }).pipe(Effect.provide(Live)))

  it.live("--par belongs to the browser sign-in: refused with another grant", () =>
    Effect.gen(function*() {
      const result = yield* Cli.run(["token", "http://127.0.0.1:9/", "--client-id", "cli", "--par"], {
        env: { GRANTFLOW_CLIENT_SECRET: "s3cret" }
      })
      assert.strictEqual(result.code, 2, result.stderr)
      assert.match(result.stderr, /^grantflow: --par [^\n]+\n$/)
    }))
})
