import { HttpClient, HttpClientRequest, HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AuthServer } from "@grantflow/testing"
import { Context, Deferred, Effect, Layer } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { createServer } from "node:http"
import { launchBrowser } from "./chromium.js"

/** An HTTP server on a loopback port, open for the scope: its context and base URL. */
const loopbackServer = Effect.gen(function*() {
  const context = yield* Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
  const address = Context.get(context, HttpServer.HttpServer).address
  assert.strictEqual(address._tag, "TcpAddress")
  return { context, base: address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : "" }
})

describe("authorization code in a real browser", () => {
  it.scopedLive("shows the consent page, redirects to the client app on approve, and the code buys a working token", () =>
    Effect.gen(function*() {
      // the client app: receives the redirect and tells the test what it got
      const app = yield* loopbackServer
      const redirected = yield* Deferred.make<URL>()
      const callback = Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        yield* Deferred.succeed(redirected, new URL(request.url, app.base))
        return HttpServerResponse.html(`<!doctype html><title>Signed in</title><p id="done">Signed in</p>`)
      })
      yield* HttpServer.serveEffect(HttpRouter.empty.pipe(HttpRouter.get("/callback", callback))).pipe(
        Effect.provide(app.context)
      )
      const redirectUri = `${app.base}/callback`

      // the authorization server, on its own port, with that port as its issuer
      const auth = yield* loopbackServer
      const serverContext = yield* Layer.build(AuthServer.layer({
        issuer: auth.base,
        clients: [{
          clientId: "browser-app",
          clientSecret: "browser-secret",
          grants: ["authorization_code", "refresh_token"],
          redirectUris: [redirectUri],
          scopes: ["orders.read"]
        }]
      }))
      yield* Layer.build(AuthServer.serve.pipe(Layer.provide(Layer.succeedContext(Context.merge(serverContext, auth.context)))))

      const verifier = randomBytes(32).toString("base64url")
      const challenge = createHash("sha256").update(verifier).digest("base64url")
      const authorizeUrl = new URL("/authorize", auth.base)
      authorizeUrl.search = new URLSearchParams({
        response_type: "code",
        client_id: "browser-app",
        redirect_uri: redirectUri,
        scope: "orders.read",
        state: "st-42",
        code_challenge: challenge,
        code_challenge_method: "S256"
      }).toString()

      const browser = yield* launchBrowser
      const page = yield* Effect.promise(() => browser.newPage())
      yield* Effect.promise(() => page.goto(authorizeUrl.toString()))
      assert.strictEqual(yield* Effect.promise(() => page.title()), "Authorize access")
      assert.strictEqual(yield* Effect.promise(() => page.textContent("#client")), "browser-app")
      assert.strictEqual(yield* Effect.promise(() => page.textContent("#scopes")), "orders.read")
      yield* Effect.promise(() => Promise.all([page.waitForURL(`${redirectUri}?**`), page.click("#approve")]))
      assert.strictEqual(yield* Effect.promise(() => page.textContent("#done")), "Signed in")

      const landed = yield* Deferred.await(redirected)
      assert.strictEqual(landed.toString(), page.url())
      assert.strictEqual(landed.searchParams.get("state"), "st-42")
      assert.strictEqual(landed.searchParams.get("iss"), auth.base)
      const code = landed.searchParams.get("code")
      assert.isString(code)

      const http = yield* HttpClient.HttpClient
      const exchanged = yield* http.execute(
        HttpClientRequest.post(`${auth.base}/token`).pipe(
          HttpClientRequest.basicAuth("browser-app", "browser-secret"),
          HttpClientRequest.bodyUrlParams({
            grant_type: "authorization_code",
            code: code!,
            redirect_uri: redirectUri,
            code_verifier: verifier
          })
        )
      )
      assert.strictEqual(exchanged.status, 200)
      const token = (yield* exchanged.json) as { readonly access_token: string; readonly scope: string }
      assert.strictEqual(token.scope, "orders.read")

      const api = yield* http.get(`${auth.base}/api/orders`, { headers: { authorization: `Bearer ${token.access_token}` } })
      assert.strictEqual(api.status, 200)

      const server = Context.get(serverContext, AuthServer.AuthServer)
      // the browser may also ask for a favicon, which is no endpoint
      const journal = (yield* server.journal).filter((e) => e.endpoint !== "other")
      assert.deepStrictEqual(journal.map((e) => [e.endpoint, e.method, e.status]), [
        ["authorize", "GET", 200],
        ["authorize", "POST", 302],
        ["token", "POST", 200],
        ["api", "GET", 200]
      ])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)), { timeout: 30_000 })
})
