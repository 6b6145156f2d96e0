import { HttpClient, HttpClientRequest, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Loopback } from "@grantflow/node"
import { Context, Effect, Exit, Scope, Tracer } from "effect"
import { connect } from "node:net"

class Greeting extends Context.Tag("test/Greeting")<Greeting, string>() {}

// needs a service from the context, and reads the request body
const app = HttpRouter.empty.pipe(
  HttpRouter.get("/hello", Effect.map(Greeting, (greeting) => HttpServerResponse.text(greeting))),
  HttpRouter.post(
    "/echo",
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Effect.map(request.text, (body) => HttpServerResponse.text(`${request.method} ${body}`)))
  )
)

const served = (options?: Loopback.Options) =>
  Loopback.make(app, options).pipe(Effect.provideService(Greeting, "hello from loopback"))

const call = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(
    HttpClient.execute(request),
    (response) => Effect.map(response.text, (text) => ({ status: response.status, text }))
  )

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

describe("Loopback", () => {
  it.live("serves an app on 127.0.0.1 at a port the system picked, until its scope closes", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { port, url } = yield* Scope.extend(served(), scope)
      assert.strictEqual(url.href, `http://127.0.0.1:${port}/`)
      assert.isAbove(port, 0)

      assert.deepStrictEqual(
        yield* call(HttpClientRequest.get(new URL("/hello", url))),
        { status: 200, text: "hello from loopback" }
      )
      assert.deepStrictEqual(
        yield* call(HttpClientRequest.post(new URL("/echo", url)).pipe(HttpClientRequest.bodyText("ping"))),
        { status: 200, text: "POST ping" }
      )
      assert.strictEqual((yield* call(HttpClientRequest.get(new URL("/missing", url)))).status, 404)

      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* probe(port), "ECONNREFUSED")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("listens on a given port, and fails with a ServeError while that port is taken", () =>
    Effect.gen(function*() {
      const first = yield* Scope.make()
      const { port } = yield* Scope.extend(served(), first)

      const taken = yield* Effect.scoped(served({ port })).pipe(Effect.flip)
      assert.strictEqual(taken._tag, "ServeError")
      assert.strictEqual((taken.cause as NodeJS.ErrnoException).code, "EADDRINUSE")

      yield* Scope.close(first, Exit.void)
      const again = yield* Effect.scoped(Effect.gen(function*() {
        const loopback = yield* served({ port, host: "127.0.0.1" })
        return { port: loopback.port, hello: yield* call(HttpClientRequest.get(new URL("/hello", loopback.url))) }
      }))
      assert.deepStrictEqual(again, { port, hello: { status: 200, text: "hello from loopback" } })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("layer: serves while the layer is alive, with the app's requirements from the context", () =>
    Effect.gen(function*() {
      const port = yield* Effect.gen(function*() {
        const loopback = yield* Loopback.Loopback
        const response = yield* call(HttpClientRequest.get(new URL("/hello", loopback.url)))
        assert.deepStrictEqual(response, { status: 200, text: "hello from the layer" })
        return loopback.port
      }).pipe(
        Effect.provide(Loopback.layer(app)),
        Effect.provideService(Greeting, "hello from the layer")
      )
      assert.strictEqual(yield* probe(port), "ECONNREFUSED")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("each request runs in an http.server span, unless traced is false", () =>
    Effect.gen(function*() {
      const base = yield* Effect.tracer
      const spans: Array<string> = []
      const recording = Tracer.make({
        context: base.context,
        span: (...args) => {
          spans.push(args[0])
          return base.span(...args)
        }
      })
      const hello = (options?: Loopback.Options) =>
        Effect.scoped(Effect.gen(function*() {
          const { url } = yield* served(options)
          yield* call(HttpClientRequest.get(new URL("/hello", url)))
        })).pipe(Effect.withTracer(recording), Effect.provide(NodeHttpClient.layerUndici))

      yield* hello()
      assert.deepStrictEqual(spans.filter((name) => name.startsWith("http.server")), ["http.server GET"])
      spans.length = 0
      yield* hello({ traced: false })
      assert.deepStrictEqual(spans.filter((name) => name.startsWith("http.server")), [])
    }))
})
