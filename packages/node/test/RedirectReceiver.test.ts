import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AuthorizationCode, ClientAuth, Endpoint, TokenError } from "@grantflow/core"
import { Loopback, RedirectReceiver } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Effect, Fiber, Option, Redacted, Ref } from "effect"
import { request as httpRequest } from "node:http"
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
const simulatedServer = (redirectUri: string, autoApprove: boolean, extra: Partial<AuthServer.Options> = {}) =>
  Effect.gen(function*() {
    const server = yield* AuthServer.make({
      autoApprove,
      clients: [{ clientId, public: true, redirectUris: [redirectUri], scopes: ["orders.read"] }],
      ...extra
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

interface RawRequest {
  readonly target: string
  readonly host?: string
  readonly method?: string
}

/** One request with the Host header and request target as given, which an HTTP client would not send as they are. */
const rawGet = (port: number, request: RawRequest) =>
  Effect.async<{ readonly status: number; readonly text: string }>((resume) => {
    const sent = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: request.method ?? "GET",
        path: request.target,
        headers: request.host === undefined ? {} : { host: request.host },
        setHost: request.host === undefined
      },
      (response) => {
        let text = ""
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => text += chunk)
        response.on("end", () => resume(Effect.succeed({ status: response.statusCode ?? 0, text })))
      }
    )
    sent.on("error", (error) => resume(Effect.die(error)))
    sent.end()
    return Effect.sync(() => sent.destroy())
  })

describe("RedirectReceiver", () => {
  it.scopedLive("authorize: the whole flow against the simulated server returns a token with a refresh token", () =>
    Effect.gen(function*() {
      // a loopback redirect URI is registered without a port: the receiver picks one (RFC 8252 §7.3)
      const { server, url } = yield* simulatedServer("http://127.0.0.1/callback", true)
      const shown = yield* Ref.make<Option.Option<Visit>>(Option.none())

      const endpoint = Endpoint.make({ tokenUrl: new URL("/token", url), auth: ClientAuth.none(clientId) })
      const token = yield* RedirectReceiver.authorize(endpoint, {
        authorizeUrl: new URL("/authorize", url),
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

  it.scopedLive("authorize: an endpoint that requires pushed authorization requests pushes the request first", () =>
    Effect.gen(function*() {
      const { server, url } = yield* simulatedServer("http://127.0.0.1/callback", true, {
        requirePushedAuthorizationRequests: true
      })
      const shown = yield* Ref.make<Array<URL>>([])
      const endpoint = Endpoint.make({
        tokenUrl: new URL("/token", url),
        pushedAuthorizationUrl: new URL("/par", url),
        requirePushedAuthorizationRequests: true,
        auth: ClientAuth.none(clientId)
      })
      const token = yield* RedirectReceiver.authorize(endpoint, {
        authorizeUrl: new URL("/authorize", url),
        scopes: ["orders.read"],
        issuer: server.issuer,
        issuerRequired: true,
        onAuthorizeUrl: (authorizeUrl) =>
          Effect.zipRight(Ref.update(shown, (urls) => [...urls, authorizeUrl]), visit(authorizeUrl))
      })
      assert.deepStrictEqual(token.scopes, ["orders.read"])
      const [authorizeUrl] = yield* Ref.get(shown)
      assert.deepStrictEqual([...authorizeUrl!.searchParams.keys()], ["client_id", "request_uri"])
      assert.deepStrictEqual(
        (yield* server.journal).map((e) => [e.endpoint, e.status]).slice(0, 3),
        [["par", 201], ["authorize", 302], ["token", 200]]
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("authorize: an endpoint without client authentication names no client, and nothing is shown", () =>
    Effect.gen(function*() {
      const { server, url } = yield* simulatedServer("http://127.0.0.1/callback", true)
      const shown = yield* Ref.make(0)
      const error = yield* Effect.flip(
        RedirectReceiver.authorize(Endpoint.make({ tokenUrl: new URL("/token", url) }), {
          authorizeUrl: new URL("/authorize", url),
          onAuthorizeUrl: () => Ref.update(shown, (n) => n + 1)
        })
      )
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      assert.include(error.message, "the endpoint has no client authentication")
      assert.strictEqual(yield* Ref.get(shown), 0)
      assert.deepStrictEqual(yield* server.journal, [])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("make: listens on 127.0.0.1 at the given path; receive hands over the parameters and closes", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make({ path: "/oauth/done" })
      assert.strictEqual(receiver.redirectUri, `http://127.0.0.1:${receiver.port}/oauth/done`)
      const waiting = yield* Effect.fork(receiver.receive("s-1"))
      const page = yield* visit(`${receiver.redirectUri}?code=c-1&state=s-1&extra=x`)
      assert.strictEqual(title(page.text), "Signed in")
      const params = yield* Fiber.join(waiting)
      assert.deepStrictEqual([...params], [["code", "c-1"], ["state", "s-1"], ["extra", "x"]])
      assert.strictEqual(yield* probe(receiver.port), "ECONNREFUSED")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a forged callback with another state gets an error page and the wait goes on; the right one ends it", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make()
      const { pending } = yield* AuthorizationCode.start({
        authorizeUrl: "http://127.0.0.1:1/authorize",
        clientId,
        redirectUri: receiver.redirectUri
      })
      const waiting = yield* Effect.fork(receiver.callback(pending))
      const forged = yield* visit(`${receiver.redirectUri}?code=stolen-code&state=forged`)
      assert.strictEqual(forged.status, 400)
      assert.strictEqual(title(forged.text), "Authorization failed")
      assert.include(forged.text, "does not belong to the sign-in the application started")
      assert.notInclude(forged.text, "stolen-code")
      assert.isNull(waiting.unsafePoll())
      assert.strictEqual(yield* probe(receiver.port), "connected")

      const page = yield* visit(`${receiver.redirectUri}?code=the-code&state=${pending.state}`)
      assert.strictEqual(title(page.text), "Signed in")
      const result = yield* Fiber.join(waiting)
      assert.deepStrictEqual(Option.map(result.code, Redacted.value), Option.some("the-code"))
      assert.strictEqual(yield* probe(receiver.port), "ECONNREFUSED")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("stray requests never end the wait: other paths, methods, hosts, states, an oversized query", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make()
      const waiting = yield* Effect.fork(receiver.receive("s-1"))
      const port = receiver.port
      const target = (query: string) => `/callback?${query}`
      const host = `127.0.0.1:${port}`
      const strays: ReadonlyArray<readonly [string, RawRequest, number]> = [
        ["a favicon", { target: "/favicon.ico" }, 404],
        ["a POST with the right state", { target: target("code=c&state=s-1"), method: "POST" }, 405],
        ["a DNS rebinding page's Host", { target: target("code=c&state=s-1"), host: `evil.example:${port}` }, 400],
        ["another name of loopback", { target: target("code=c&state=s-1"), host: `localhost:${port}` }, 400],
        ["another port", { target: target("code=c&state=s-1"), host: `127.0.0.1:${port + 1}` }, 400],
        ["no state", { target: target("code=c") }, 400],
        ["another state", { target: target("code=c&state=s-2") }, 400],
        ["the state twice", { target: target("code=c&state=s-1&state=s-1") }, 400],
        ["the state and another", { target: target("code=c&state=s-2&state=s-1") }, 400],
        ["a query over the cap", { target: target(`state=s-1&code=${"c".repeat(AuthorizationCode.maxCallbackLength)}`) }, 414]
      ]
      for (const [what, request, status] of strays) {
        const answer = yield* rawGet(port, { host, ...request })
        assert.strictEqual(answer.status, status, what)
        assert.notInclude(answer.text, "s-1", what)
        assert.notInclude(answer.text, "evil", what)
        assert.isNull(waiting.unsafePoll(), what)
      }
      const page = yield* rawGet(port, { host, target: target("code=c-1&state=s-1") })
      assert.strictEqual(title(page.text), "Signed in")
      assert.strictEqual((yield* Fiber.join(waiting)).get("code"), "c-1")
    }))

  it.scopedLive("a callback up to the cap is read: the wait ends with it", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make()
      const waiting = yield* Effect.fork(receiver.receive("s-1"))
      const query = `state=s-1&code=${"c".repeat(AuthorizationCode.maxCallbackLength - "state=s-1&code=".length)}`
      assert.strictEqual(query.length, AuthorizationCode.maxCallbackLength)
      const page = yield* rawGet(receiver.port, { host: `127.0.0.1:${receiver.port}`, target: `/callback?${query}` })
      assert.strictEqual(page.status, 200)
      assert.strictEqual((yield* Fiber.join(waiting)).get("state"), "s-1")
    }))

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
      assert.include(page.text, `answered "access_denied".`)
      // the server's description arrives in the URL, which anyone can craft: it is not shown
      assert.include(page.url, "error_description=")
      assert.notInclude(page.text, "denied the request")

      const error = yield* Effect.flip(Fiber.join(waiting))
      assert.strictEqual(error._tag, "AuthorizationFailed")
      if (error._tag === "AuthorizationFailed") assert.strictEqual(error.error, "access_denied")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("receive shows an error page when the callback carries an error, naming only a registered code", () =>
    Effect.gen(function*() {
      for (
        const [query, shown] of [
          ["error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E", `answered "access_denied".`],
          ["error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&error_description=call%20us", "refused the sign-in."]
        ] as const
      ) {
        const receiver = yield* RedirectReceiver.make()
        const waiting = yield* Effect.fork(receiver.receive("s-1"))
        const page = yield* visit(`${receiver.redirectUri}?${query}&state=s-1`)
        assert.strictEqual(page.status, 400)
        assert.include(page.text, shown)
        for (const echoed of ["<b>", "&lt;b", "script", "alert", "call us"]) assert.notInclude(page.text, echoed)
        assert.isString((yield* Fiber.join(waiting)).get("error"))
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("no redirect within the timeout: RedirectTimeout, and the port is closed", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make({ timeout: "200 millis" })
      assert.strictEqual(yield* probe(receiver.port), "connected")
      const error = yield* Effect.flip(receiver.receive("s-1"))
      assert.strictEqual(error._tag, "RedirectTimeout")
      assert.isTrue(TokenError.isGrantflowError(error))
      assert.isFalse(error.retryable)
      assert.strictEqual(error.redirectUri, receiver.redirectUri)
      assert.include(error.message, `no redirect arrived at ${receiver.redirectUri} within 200ms`)
      assert.strictEqual(yield* probe(receiver.port), "ECONNREFUSED")
    }))

  it.scopedLive("a callback before the wait starts does not end it; interrupting the wait closes the port", () =>
    Effect.gen(function*() {
      const receiver = yield* RedirectReceiver.make()
      const early = yield* visit(`${receiver.redirectUri}?code=c&state=s-1`)
      assert.strictEqual(early.status, 400)
      const waiting = yield* Effect.fork(receiver.receive("s-1"))
      yield* Effect.sleep("50 millis")
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
