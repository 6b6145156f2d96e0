import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AuthorizationCode, ClientAuth } from "@grantflow/core"
import { Loopback, RedirectReceiver } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Effect, Fiber, Option, Redacted, Ref } from "effect"
import { connect, createServer } from "node:net"

const clientId = "cli-app"

/** Opens a bare TCP connection to 127.0.0.1: `"connected"` or the socket error's code. */
const probe = (port: number) =>
  Effect.async<string>((resume) => {
    const socket = connect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed("connected"))
    })
    socket.once("error", (error: NodeJS.ErrnoException) => resume(Effect.succeed(error.code ?? error.message)))
    return Effect.sync(() => socket.destroy())
  })

/**
 * A port that was free a moment ago, for the test of a given port.
 */
const freePort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    server.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0)))
  })
})

/** The simulated server on a loopback port, with a public client that may come back to `redirectUri`. */
const simulatedServer = (redirectUri: string, autoApprove: boolean) =>
  Effect.gen(function*() {
    const server = yield* AuthServer.make({
      autoApprove,
      clients: [{ clientId, public: true, redirectUris: [redirectUri], scopes: ["orders.read"] }]
    })
    const { url } = yield* Loopback.make(server.app)
    return { server, url }
  })

interface Visit {
  readonly status: number
  readonly url: string
  readonly text: string
}

/** A browser without a window: GETs `url` (or POSTs the `form`) and follows redirects. */
const visit = (url: string | URL, form?: URLSearchParams) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    let current = new URL(url)
    let response = yield* client.execute(
      form === undefined
        ? HttpClientRequest.get(current)
        : HttpClientRequest.post(current).pipe(HttpClientRequest.bodyUrlParams(form))
    )
    while (response.status >= 300 && response.status < 400 && response.headers["location"] !== undefined) {
      current = new URL(response.headers["location"], current)
      response = yield* client.execute(HttpClientRequest.get(current))
    }
    return { status: response.status, url: current.href, text: yield* response.text } satisfies Visit
  })

const title = (html: string) => /<title>(.*)<\/title>/.exec(html)?.[1]

describe("RedirectReceiver", () => {
  it.scopedLive("authorize: the whole flow against the simulated server returns a token with a refresh token", () =>
    Effect.gen(function*() {
      // a loopback redirect URI is registered without a port: the receiver picks one (RFC 8252 §7.3)
      const { server, url } = yield* simulatedServer("http://127.0.0.1/callback", true)
      const shown = yield* Ref.make<Option.Option<Visit>>(Option.none())

      const token = yield* RedirectReceiver.authorize({
        authorizeUrl: new URL("/authorize", url),
        tokenUrl: new URL("/token", url),
        auth: ClientAuth.none(clientId),
        scopes: ["orders.read"],
        issuer: server.issuer,
        issuerRequired: true,
        onAuthorizeUrl: (authorizeUrl) => Effect.flatMap(visit(authorizeUrl), (page) => Ref.set(shown, Option.some(page)))
      })

      assert.deepStrictEqual(token.scopes, ["orders.read"])
      assert.isTrue(Option.isSome(token.refreshToken))
      const page = Option.getOrThrow(yield* Ref.get(shown))
      assert.strictEqual(page.status, 200)
      assert.strictEqual(title(page.text), "Signed in")
      assert.include(page.text, "You can close this tab")
      const port = Number(new URL(page.url).port)
      assert.isTrue(port > 0 && page.url.startsWith(`http://127.0.0.1:${port}/callback?code=`))

      // the code went to the token endpoint once, and the token works on the API
      const journal = yield* server.journal
      assert.deepStrictEqual(
        journal.filter((e) => e.endpoint === "token").map((e) => [e.grantType, e.status]),
        [["authorization_code", 200]]
      )
      const api = yield* HttpClient.get(new URL("/api/orders", url), {
        headers: { authorization: `Bearer ${Redacted.value(token.token)}` }
      })
      assert.strictEqual(api.status, 200)
      // the receiver is closed once `authorize` returns
      assert.strictEqual(yield* probe(port), "ECONNREFUSED")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("make: listens on 127.0.0.1 at the given path; receive hands over the parameters and closes", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make({ path: "/oauth/done" })
      assert.strictEqual(receiver.redirectUri, `http://127.0.0.1:${receiver.port}/oauth/done`)
      const waiting = yield* Effect.fork(receiver.receive)
      const page = yield* visit(`${receiver.redirectUri}?code=c-1&state=s-1&extra=x`)
      assert.strictEqual(title(page.text), "Signed in")
      const params = yield* Fiber.join(waiting)
      assert.deepStrictEqual([...params], [["code", "c-1"], ["state", "s-1"], ["extra", "x"]])
      assert.strictEqual(yield* probe(receiver.port), "ECONNREFUSED")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a forged request with another state ends the wait with StateMismatch and an error page", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make()
      const { pending } = yield* AuthorizationCode.start({
        authorizeUrl: "http://127.0.0.1:1/authorize",
        clientId,
        redirectUri: receiver.redirectUri
      })
      const waiting = yield* Effect.fork(receiver.callback(pending))
      const page = yield* visit(`${receiver.redirectUri}?code=stolen-code&state=forged`)
      assert.strictEqual(page.status, 400)
      assert.strictEqual(title(page.text), "Authorization failed")
      assert.include(page.text, "does not belong to the sign-in the application started")
      assert.notInclude(page.text, "stolen-code")

      const error = yield* Effect.flip(Fiber.join(waiting))
      assert.strictEqual(error._tag, "InvalidCallback")
      if (error._tag === "InvalidCallback") assert.strictEqual(error.reason, "StateMismatch")
      assert.strictEqual(yield* probe(receiver.port), "ECONNREFUSED")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("the user denies on the consent page: AuthorizationFailed with access_denied, and the error page", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make()
      const { server, url } = yield* simulatedServer(receiver.redirectUri, false)
      const { pending, url: authorizeUrl } = yield* AuthorizationCode.start({
        authorizeUrl: new URL("/authorize", url),
        clientId,
        redirectUri: receiver.redirectUri,
        scopes: ["orders.read"]
      })
      const waiting = yield* Effect.fork(receiver.callback(pending, { issuer: server.issuer }))

      const consent = yield* visit(authorizeUrl)
      assert.strictEqual(title(consent.text), "Authorize access")
      const requestId = /name="request_id" value="([^"]+)"/.exec(consent.text)?.[1]
      assert.isString(requestId)
      const form = new URLSearchParams({ request_id: requestId!, decision: "deny" })
      const page = yield* visit(new URL("/authorize", url), form)
      assert.strictEqual(page.status, 400)
      assert.strictEqual(title(page.text), "Authorization failed")
      assert.include(page.text, "answered &quot;access_denied&quot;: The user denied the request.")

      const error = yield* Effect.flip(Fiber.join(waiting))
      assert.strictEqual(error._tag, "AuthorizationFailed")
      if (error._tag === "AuthorizationFailed") assert.strictEqual(error.error, "access_denied")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("receive shows an error page when the callback carries an error", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make()
      const waiting = yield* Effect.fork(receiver.receive)
      const page = yield* visit(`${receiver.redirectUri}?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E`)
      assert.strictEqual(page.status, 400)
      assert.include(page.text, "answered &quot;access_denied&quot;: &lt;b&gt;no&lt;/b&gt;.")
      assert.strictEqual((yield* Fiber.join(waiting)).get("error"), "access_denied")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("no redirect within the timeout: RedirectTimeout, and the port is closed", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make({ timeout: "200 millis" })
      assert.strictEqual(yield* probe(receiver.port), "connected")
      const error = yield* Effect.flip(receiver.receive)
      assert.strictEqual(error._tag, "RedirectTimeout")
      assert.strictEqual(error.redirectUri, receiver.redirectUri)
      assert.include(error.message, `no redirect arrived at ${receiver.redirectUri} within 200ms`)
      assert.strictEqual(yield* probe(receiver.port), "ECONNREFUSED")
    }))

  it.scopedLive("other paths get a 404 and the wait goes on; interrupting the wait closes the port", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make()
      const waiting = yield* Effect.fork(receiver.receive)
      const base = new URL(receiver.redirectUri)
      const other = yield* visit(new URL("/favicon.ico", base))
      assert.strictEqual(other.status, 404)
      const posted = yield* visit(receiver.redirectUri, new URLSearchParams({ code: "c", state: "s" }))
      assert.strictEqual(posted.status, 405)
      assert.isNull(waiting.unsafePoll())

      yield* Fiber.interrupt(waiting)
      assert.strictEqual(yield* probe(receiver.port), "ECONNREFUSED")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("the given port is used, and a taken port is a ServeError", () =>
    Effect.gen(function*() {
      const first = yield* RedirectReceiver.make()
      const taken = yield* Effect.flip(RedirectReceiver.make({ port: first.port }))
      assert.strictEqual(taken._tag, "ServeError")
      const port = yield* freePort
      const second = yield* RedirectReceiver.make({ port })
      assert.strictEqual(second.redirectUri, `http://127.0.0.1:${port}/callback`)
    }))
})
