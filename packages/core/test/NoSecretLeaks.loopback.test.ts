/**
 * The section 6 leak test: every path of an authenticated integration —
 * success, an error status through `filterStatusOk`, a rejected token
 * replayed, a token still rejected, an unreachable API, every failure of the
 * token endpoint, time-outs, revocation — against the simulated server on a
 * real loopback port, through each of the three HTTP client layers. Every
 * response and error is printed every way it can be (and logged, and seen by
 * the spans), and none of the output may show the client secret, an access
 * token or a refresh token.
 *
 * It lives here, not in core, because core's tests cannot reach the
 * simulated server; `@effect/platform-node` resolves from the root.
 */
import { FetchHttpClient, HttpClient, type HttpClientResponse, HttpServer } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { BearerAuth, ClientAuth, Endpoint, Grant, RefreshPolicy, Revocation, TokenProvider } from "@grantflow/core"
import type { AccessToken } from "@grantflow/core"
import { Cause, type Duration, Effect, Exit, Layer, Logger, LogLevel, Option, Redacted, Schedule } from "effect"
import { createServer } from "node:http"
import { AuthServer } from "@grantflow/testing"
import { clientSecretForms, makeCapture } from "./leakCapture.js"

const clientId = "leak-client"
const clientSecret = "s3cr3t:%+ ü-loopback-never-printed"

const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["NodeHttpClient undici", NodeHttpClient.layerUndici],
  ["NodeHttpClient http", NodeHttpClient.layer],
  ["FetchHttpClient", FetchHttpClient.layer]
]

const ServerLive = AuthServer.serve.pipe(
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
  Layer.provideMerge(AuthServer.layer({
    clients: [{ clientId, clientSecret, grants: ["client_credentials", "refresh_token"] }],
    tokenLifetime: "10 minutes"
  }))
)

const policy = RefreshPolicy.make({ retry: Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(1))) })

describe("no secret or token in any printed response or error, log line or span, over loopback", () => {
  for (const [name, ClientLive] of clients) {
    it.scopedLive(`every path through ${name}`, () => {
      const capture = makeCapture()
      const seen: Array<string> = []
      const record = (token: AccessToken.AccessToken) => {
        seen.push(Redacted.value(token.token), ...Option.toArray(Option.map(token.refreshToken, Redacted.value)))
      }

      const program = Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const http = yield* HttpClient.HttpClient
        const address = yield* HttpServer.addressWith(Effect.succeed)
        const base = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : assert.fail("no TCP address")
        const closed = yield* Effect.scoped(Effect.map(
          NodeHttpServer.make(createServer, { port: 0, host: "127.0.0.1" }),
          (server) => server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : ""
        ))

        const authFor = (secret: string, post = false) =>
          post
            ? ClientAuth.clientSecretPost(clientId, Redacted.make(secret))
            : ClientAuth.clientSecretBasic(clientId, Redacted.make(secret))
        type Settings = { secret?: string; post?: boolean; timeout?: Duration.DurationInput }
        const endpointFor = (settings: Settings = {}) =>
          Endpoint.make({
            tokenUrl: `${base}/token`,
            revocationUrl: `${base}/revoke`,
            auth: authFor(settings.secret ?? clientSecret, settings.post),
            timeout: settings.timeout
          })
        const grant = (settings: Settings = {}) =>
          Grant.clientCredentials(endpointFor({ timeout: "5 seconds", ...settings })).pipe(Effect.tap(record))
        const providerOf = (fetch: Grant.TokenSource) =>
          TokenProvider.make(Effect.provideService(fetch, HttpClient.HttpClient, http), { policy })

        /** Prints a response, logs it, and reads its body. */
        const shown = (response: HttpClientResponse.HttpClientResponse) =>
          Effect.gen(function*() {
            capture.print(response)
            capture.print(response.request)
            yield* Effect.log("response", response)
            yield* Effect.ignore(response.text)
            capture.print(response)
            return response.status
          })
        /** Runs `effect`, which must fail with `tag`; prints the error and its cause, and logs them. */
        const failsWith = <A, E, R>(effect: Effect.Effect<A, E, R>, tag: string) =>
          Effect.gen(function*() {
            const exit = yield* Effect.exit(effect)
            if (Exit.isSuccess(exit)) return assert.fail(`expected ${tag}`)
            const error = Cause.squash(exit.cause)
            capture.print(error)
            capture.print(exit.cause)
            yield* Effect.logError("failed", exit.cause)
            yield* Effect.logError(error)
            assert.strictEqual((error as { readonly _tag?: string })._tag, tag)
            return error
          })

        // success, and a token rejected (revoked) then replayed with a new one
        const working = yield* providerOf(grant())
        const client = http.pipe(BearerAuth.authenticate(working))
        assert.strictEqual(yield* Effect.flatMap(client.get(`${base}/api/orders?page=2`), shown), 200)
        yield* server.revokeAll
        assert.strictEqual(yield* Effect.flatMap(client.get(`${base}/api/orders`), shown), 200)

        // an error status through filterStatusOk, applied outside and inside the decorator
        yield* server.fail(AuthServer.Status({ status: 500 }), { endpoint: "api", times: 2 })
        yield* failsWith(client.pipe(HttpClient.filterStatusOk).get(`${base}/api/orders`), "ResponseError")
        const checkedInside = http.pipe(HttpClient.filterStatusOk, BearerAuth.authenticate(working))
        yield* failsWith(checkedInside.get(`${base}/api/orders`), "ResponseError")

        // still rejected after one refresh: typed, and through the drop-in layer
        const rejecting = http.pipe(BearerAuth.authenticate(working, { bodyPattern: /"ok"|orders/ }))
        yield* failsWith(rejecting.get(`${base}/api/orders?code=abc`), "TokenRejected")
        const RejectingLive = BearerAuth.layer({ bodyPattern: /"ok"|orders/ }).pipe(
          Layer.provide(Layer.succeed(TokenProvider.TokenProvider, working)),
          Layer.provide(Layer.succeed(HttpClient.HttpClient, http))
        )
        yield* failsWith(HttpClient.get(`${base}/api/orders`).pipe(Effect.provide(RejectingLive)), "ResponseError")

        // the API unreachable, or dropping the connection
        yield* failsWith(client.get(`${closed}/api/orders`), "RequestError")
        yield* server.fail(AuthServer.DropConnection(), { endpoint: "api" })
        yield* Effect.exit(Effect.flatMap(client.get(`${base}/api/orders`), shown)).pipe(
          Effect.tap((exit) => capture.print(exit))
        )
        // the API too slow for the caller
        yield* server.fail(AuthServer.Latency({ duration: "2 seconds" }), { endpoint: "api" })
        yield* failsWith(client.get(`${base}/api/orders`).pipe(Effect.timeout("100 millis")), "TimeoutException")

        // the token endpoint: a wrong secret by either method, its failures, a time-out
        yield* failsWith(grant({ secret: "wrong" }), "OAuthError")
        yield* failsWith(grant({ secret: "wrong", post: true }), "OAuthError")
        // `times`: what one provider consumes, one attempt or two (a retry)
        const failing = (fault: AuthServer.Fault, tag: string, times: number) =>
          Effect.gen(function*() {
            yield* server.fail(fault, { times })
            const provider = yield* providerOf(grant())
            yield* failsWith(provider.get, tag)
            // and what the decorated client makes of it
            yield* server.fail(fault, { times })
            const fresh = yield* providerOf(grant())
            yield* failsWith(http.pipe(BearerAuth.authenticate(fresh)).get(`${base}/api/orders`), tag)
          })
        yield* failing(AuthServer.Status({ status: 503, retryAfter: "0 seconds" }), "EndpointUnavailable", 2)
        yield* failing(AuthServer.Status({ status: 400, body: { error: "invalid_grant" } }), "OAuthError", 1)
        yield* failing(AuthServer.MalformedJson(), "MalformedResponse", 1)
        yield* failing(AuthServer.BlankToken(), "MalformedResponse", 1)
        yield* failing(AuthServer.DropConnection(), "EndpointUnavailable", 2)
        yield* server.fail(AuthServer.Latency({ duration: "2 seconds" }))
        yield* failsWith(grant({ timeout: "100 millis" }), "EndpointUnavailable")
        const NoTokenLive = BearerAuth.layer().pipe(
          Layer.provide(TokenProvider.layer(grant({ secret: "wrong" }))),
          Layer.provide(Layer.succeed(HttpClient.HttpClient, http))
        )
        yield* failsWith(HttpClient.get(`${base}/api/orders`).pipe(Effect.provide(NoTokenLive)), "RequestError")

        // refresh tokens: a rotating refresh grant, then its family revoked
        const granted = yield* server.grant(clientId)
        const refreshToken = Option.getOrThrow(Option.fromNullable(granted.refreshToken))
        seen.push(Redacted.value(granted.accessToken), Redacted.value(refreshToken))
        const flow = yield* Grant.refreshTokenFlow(endpointFor(), { initial: refreshToken })
        const refreshing = yield* providerOf(Effect.tap(flow, record))
        const refreshed = http.pipe(BearerAuth.authenticate(refreshing))
        assert.strictEqual(yield* Effect.flatMap(refreshed.get(`${base}/api/orders`), shown), 200)
        yield* server.revokeAll
        yield* Effect.forEach(yield* server.families, (family) => server.revokeFamily(family.id))
        yield* failsWith(refreshed.get(`${base}/api/orders`), "ReauthorizationRequired")

        // revocation: refused, then done
        const token = yield* working.get
        yield* failsWith(
          Revocation.revoke(endpointFor({ secret: "wrong" }), { token: token.token }),
          "OAuthError"
        )
        yield* Revocation.revoke(endpointFor(), { token: token.token })
        capture.print(token)

        const text = capture.text()
        // the capture works: it saw errors, responses, log lines and spans of every kind
        for (const expected of ["invalid_client", "/api/orders", "grantflow.token.acquire", "http.client", "failed"]) {
          assert.include(text, expected)
        }
        assert.isAtLeast(new Set(seen).size, 6)
        const secrets = [...clientSecretForms(clientId, clientSecret), ...seen]
        for (const secret of secrets) assert.notInclude(text, secret)
      })
      return program.pipe(
        Effect.withTracer(capture.tracer),
        Effect.provide(capture.logger),
        Logger.withMinimumLogLevel(LogLevel.All),
        Effect.provide(ClientLive),
        Effect.provide(ServerLive)
      )
    })
  }
})
