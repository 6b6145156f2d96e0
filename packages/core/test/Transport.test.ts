/**
 * What an endpoint of the authorization server or an API can do on the wire,
 * over a real loopback socket, with each of the three HTTP client layers:
 * a compressed body that unpacks past the cap, a redirect to another origin,
 * a long body for the body rule.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Inspectable, type Layer, Option, Redacted } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { inspect } from "node:util"
import { gzipSync } from "node:zlib"
import * as BearerAuth from "../src/BearerAuth.js"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import * as bearerAuth from "../src/internal/bearerAuth.js"
import * as Introspection from "../src/Introspection.js"
import * as Revocation from "../src/Revocation.js"
import * as TokenProvider from "../src/TokenProvider.js"

const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["NodeHttpClient undici", NodeHttpClient.layerUndici],
  ["NodeHttpClient http", NodeHttpClient.layer],
  ["FetchHttpClient", FetchHttpClient.layer]
]

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void

/** Serves `handler` on 127.0.0.1 at a port the system picked, until the scope closes: its base URL. */
const serve = (handler: Handler) =>
  Effect.acquireRelease(
    Effect.async<ReturnType<typeof createServer>>((resume) => {
      const server = createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => handler(request, Buffer.concat(chunks).toString(), response))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

const auth = ClientAuth.clientSecretBasic("app", Redacted.make("app-secret"))

/** The server at `base`: its token, revocation, introspection and device authorization endpoints. */
const endpointAt = (base: string) =>
  Endpoint.make({
    tokenUrl: `${base}/token`,
    revocationUrl: `${base}/revoke`,
    introspectionUrl: `${base}/introspect`,
    deviceAuthorizationUrl: `${base}/device`,
    auth
  })

const tokenJson = (accessToken: string) => JSON.stringify({ access_token: accessToken, token_type: "Bearer" })

// 64 MiB of a valid token response, 64 KiB once compressed
const bomb = gzipSync(
  Buffer.concat([
    Buffer.from(`{"access_token":"from-the-bomb","token_type":"Bearer","padding":"`),
    Buffer.alloc(64 * 1024 * 1024, "a"),
    Buffer.from(`"}`)
  ]),
  { level: 9 }
)

describe("the token endpoint's response cap", () => {
  for (const [name, layer] of clients) {
    it.scopedLive(`counts decoded bytes: a gzip bomb is not a token (${name})`, () =>
      Effect.gen(function*() {
        assert.isBelow(bomb.length, 128 * 1024)
        const base = yield* serve((_request, _body, response) => {
          response.writeHead(200, {
            "content-type": "application/json",
            "content-encoding": "gzip",
            "content-length": bomb.length
          })
          response.end(bomb)
        })
        const error = yield* Effect.flip(Grant.clientCredentials(endpointAt(base)))
        // the fetch client unpacks it and stops at 1 MiB; Node's clients hand over the gzip bytes, not JSON
        assert.strictEqual(error._tag, "MalformedResponse")
      }).pipe(Effect.provide(layer)))
  }
})

/**
 * A server whose endpoints all redirect to a second server, which answers
 * like the real endpoint would and counts the requests it received.
 */
const redirecting = (status: number) =>
  Effect.gen(function*() {
    let reached = 0
    const elsewhere = yield* serve((request, _body, response) => {
      reached++
      response.writeHead(200, { "content-type": "application/json" })
      response.end(
        request.url === "/device"
          ? JSON.stringify({ device_code: "d", user_code: "u", verification_uri: "http://x/", expires_in: 60 })
          : request.url === "/introspect"
          ? JSON.stringify({ active: true, sub: "someone" })
          : tokenJson("from-elsewhere")
      )
    })
    const base = yield* serve((request, _body, response) => {
      response.writeHead(status, { location: `${elsewhere}${request.url}` })
      response.end()
    })
    return { base, reached: () => reached }
  })

describe("no redirect is followed on a request that carries credentials", () => {
  for (const [name, layer] of clients) {
    for (const status of [302, 307]) {
      it.scopedLive(`token, revocation, introspection and device authorization: HTTP ${status} (${name})`, () =>
        Effect.gen(function*() {
          const { base, reached } = yield* redirecting(status)

          const token = yield* Effect.flip(Grant.clientCredentials(endpointAt(base)))
          assert.strictEqual(token._tag, "EndpointUnavailable")
          if (token._tag === "EndpointUnavailable") assert.strictEqual(token.endpoint, "token")
          assert.include(token.message, `the token endpoint answered with a redirect (HTTP ${status}), which is not followed`)
          assert.isFalse(token.retryable)

          const revocation = yield* Effect.flip(
            Revocation.revoke(endpointAt(base), { token: Redacted.make("a-token") })
          )
          assert.strictEqual(revocation._tag, "EndpointUnavailable")
          if (revocation._tag === "EndpointUnavailable") assert.strictEqual(revocation.endpoint, "revocation")
          assert.include(revocation.message, `redirect (HTTP ${status}), which is not followed`)
          assert.isFalse(revocation.retryable)

          const introspection = yield* Effect.flip(
            Introspection.introspect(endpointAt(base), { token: Redacted.make("a-token") })
          )
          assert.strictEqual(introspection._tag, "EndpointUnavailable")
          if (introspection._tag === "EndpointUnavailable") {
            assert.deepStrictEqual(introspection.status, Option.some(status))
            assert.include(introspection.message, `redirect (HTTP ${status}), which is not followed`)
          }

          const device = yield* Effect.flip(Grant.deviceCode(endpointAt(base), { onUserCode: () => Effect.void }))
          assert.strictEqual(device._tag, "EndpointUnavailable")
          if (device._tag === "EndpointUnavailable") assert.strictEqual(device.endpoint, "deviceAuthorization")
          assert.include(device.message, `the device authorization endpoint answered with a redirect (HTTP ${status})`)

          assert.strictEqual(reached(), 0)
        }).pipe(Effect.provide(layer)))
    }
  }
})

describe("the body rule over the wire", () => {
  const long = `{"padding":"${"a".repeat(bearerAuth.maxRuleBodyBytes)}","code":"TOKEN_EXPIRED"}`
  const short = `{"ok":false,"code":"TOKEN_EXPIRED"}`

  for (const [name, layer] of clients) {
    it.scopedLive(`reads at most 64 KiB, and hands on the whole body (${name})`, () =>
      Effect.gen(function*() {
        let tokens = 0
        const base = yield* serve((request, _body, response) => {
          if (request.url === "/token") {
            tokens++
            response.writeHead(200, { "content-type": "application/json" })
            return response.end(tokenJson(`token-${tokens}`))
          }
          response.writeHead(200, { "content-type": "application/json" })
          // chunked, of no declared length
          response.write(request.url === "/short" ? short : long)
          response.end()
        })
        const provider = yield* TokenProvider.make(Grant.clientCredentials(endpointAt(base)))
        const client = (yield* HttpClient.HttpClient).pipe(
          BearerAuth.authenticate(provider, { bodyPattern: /TOKEN_EXPIRED/ })
        )

        // past the first 64 KiB the pattern is not seen: no replay, and the body is whole
        const response = yield* client.get(`${base}/long`)
        assert.strictEqual(yield* response.text, long)
        assert.strictEqual(tokens, 1)

        // within them it is: replayed once with a new token, still rejected
        const rejected = yield* Effect.flip(client.get(`${base}/short`))
        assert.strictEqual(rejected._tag, "TokenRejected")
        assert.strictEqual(tokens, 2)
      }).pipe(Effect.provide(layer)))
  }
})

describe("responses and errors leave without the credential, wherever it was placed", () => {
  // a connector may put the token in the query string and in a header of its own
  const apply: bearerAuth.Apply = (request, token) =>
    request.pipe(
      HttpClientRequest.setUrlParam("access_token", Redacted.value(token.token)),
      HttpClientRequest.setHeader("x-api-key", `Token ${Redacted.value(token.token)}`)
    )
  const failures = bearerAuth.platformFailures((request, response) =>
    new BearerAuth.TokenRejected({ method: request.method, url: request.url, status: response.status })
  )
  const printed = (value: unknown) => [
    String(value),
    JSON.stringify(value),
    inspect(value, { depth: 12 }),
    Inspectable.format(value),
    Cause.pretty(Cause.fail(value))
  ]

  for (const [name, layer] of clients) {
    it.scopedLive(`a response, a filterStatusOk error inside and outside, an unreachable API (${name})`, () =>
      Effect.gen(function*() {
        const received: Array<string> = []
        const base = yield* serve((request, _body, response) => {
          if (request.url === "/token") {
            response.writeHead(200, { "content-type": "application/json" })
            return response.end(tokenJson(`issued-${Math.random().toString(36).slice(2)}`))
          }
          received.push(`${request.url} ${request.headers["x-api-key"]}`)
          response.writeHead(request.url?.startsWith("/fail") ? 500 : 200, { "content-type": "application/json" })
          response.end(`{"ok":true}`)
        })
        const closed = yield* Effect.scoped(serve(() => undefined))
        const provider = yield* TokenProvider.make(Grant.clientCredentials(endpointAt(base)))
        const http = yield* HttpClient.HttpClient
        const client = bearerAuth.authenticate(http, provider, undefined, failures, apply)
        const checkedInside = bearerAuth.authenticate(HttpClient.filterStatusOk(http), provider, undefined, failures, apply)

        const output: Array<string> = []
        const response = yield* client.get(`${base}/ok?page=2`)
        yield* response.json
        output.push(...printed(response))
        assert.include(JSON.stringify(response.request), "page=2") // only the credential is gone
        assert.strictEqual(response.request.headers["x-api-key"], "<redacted>")
        assert.notInclude(JSON.stringify(response.request), "access_token")
        for (const failing of [HttpClient.filterStatusOk(client), checkedInside]) {
          const error = yield* Effect.flip(failing.get(`${base}/fail`))
          assert.strictEqual(error._tag, "ResponseError")
          output.push(...printed(error))
        }
        const unreachable = yield* Effect.flip(client.get(`${closed}/api`))
        assert.strictEqual(unreachable._tag, "RequestError")
        output.push(...printed(unreachable))

        const token = Redacted.value((yield* provider.get).token)
        // the token did go on the wire, in both places
        assert.include(received.join(" "), `access_token=${token}`)
        assert.include(received.join(" "), `Token ${token}`)
        const text = output.join("\n")
        assert.include(text, "/fail")
        assert.notInclude(text, token)
      }).pipe(Effect.provide(layer)))
  }
})
