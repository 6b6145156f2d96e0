import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, BearerAuth, ClientAuth, Endpoint, Grant, RefreshPolicy, TokenProvider } from "@grantflow/core"
import { Cause, Effect, Exit, Fiber, Layer, Logger, LogLevel, Redacted, Schedule } from "effect"
import * as TestClock from "effect/TestClock"
import { AuthServer } from "@grantflow/testing"
import { clientSecretForms, makeCapture } from "./leakCapture.js"

const clientId = "leak-client"
const clientSecret = "s3cr3t:%+ ü-never-printed"

const capture = makeCapture()

const ServerLive = AuthServer.layerClient.pipe(
  Layer.provideMerge(AuthServer.layer({ clients: [{ clientId, clientSecret }], tokenLifetime: "10 minutes" }))
)

const policy = RefreshPolicy.make({ retry: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(2))) })

describe("no secret in any log line, error message or span", () => {
  it.scoped("drives every error path and finds neither the client secret nor any token", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const http = yield* HttpClient.HttpClient
      const seenTokens: Array<string> = []

      const provider = (options: { secret?: string; tokenUrl?: string; post?: boolean } = {}) => {
        const secret = Redacted.make(options.secret ?? clientSecret)
        return TokenProvider.make(
          Grant.clientCredentials(Endpoint.make({
            tokenUrl: options.tokenUrl ?? "http://127.0.0.1/token",
            auth: options.post ? ClientAuth.clientSecretPost(clientId, secret) : ClientAuth.clientSecretBasic(clientId, secret),
            timeout: "1 second"
          })).pipe(Effect.tap((token) => seenTokens.push(Redacted.value(token.token)))),
          { policy }
        )
      }
      /** Runs `effect` to its end, moving the clock along so retries and time-outs happen. */
      const settle = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(effect)
          for (let i = 0; i < 5; i++) yield* TestClock.adjust("2 seconds")
          return yield* Fiber.await(fiber)
        })
      const expectFailure = <A, E, R>(effect: Effect.Effect<A, E, R>, tag: string) =>
        Effect.gen(function*() {
          const exit = yield* settle(effect)
          assert.isTrue(Exit.isFailure(exit), `expected ${tag}`)
          if (Exit.isFailure(exit)) {
            const error = Cause.squash(exit.cause)
            capture.print(error)
            assert.strictEqual((error as { _tag?: string })._tag, tag)
          }
        })

      // a working integration: a token, API calls, a revoked token replayed
      const working = yield* provider()
      const client = http.pipe(BearerAuth.authenticate(working))
      yield* client.get("http://127.0.0.1/api/orders")
      yield* server.revokeAll
      yield* client.get("http://127.0.0.1/api/orders")

      // still rejected after one refresh
      const rejecting = http.pipe(BearerAuth.authenticate(working, { bodyPattern: /"ok":true/ }))
      yield* expectFailure(rejecting.get("http://127.0.0.1/api/orders?code=abc"), "TokenRejected")

      // wrong secret, by either method
      yield* expectFailure(Effect.flatMap(provider({ secret: "wrong" }), (p) => p.get), "OAuthError")
      yield* expectFailure(Effect.flatMap(provider({ secret: "wrong", post: true }), (p) => p.get), "OAuthError")

      // the token endpoint fails in every way the server can script
      // `times` is what the provider will consume: one attempt, or one plus two retries
      const failing = (fault: AuthServer.Fault, tag: string, times = 1) =>
        Effect.gen(function*() {
          yield* server.fail(fault, { times })
          yield* expectFailure(Effect.flatMap(provider(), (p) => p.get), tag)
          yield* server.clearJournal
        })
      yield* failing(AuthServer.Status({ status: 503, retryAfter: "1 second" }), "EndpointUnavailable", 3)
      yield* failing(
        AuthServer.Status({ status: 400, body: { error: "invalid_grant", error_description: "grant revoked" } }),
        "OAuthError"
      )
      yield* failing(AuthServer.Status({ status: 200, body: { error: "invalid_client" } }), "OAuthError")
      yield* failing(AuthServer.MalformedJson(), "MalformedResponse")
      yield* failing(AuthServer.BlankToken(), "MalformedResponse")
      yield* failing(AuthServer.Latency({ duration: "1 minute" }), "EndpointUnavailable", 3)

      // refused before sending
      yield* expectFailure(
        Effect.flatMap(provider({ tokenUrl: "http://auth.example.com/token" }), (p) => p.get),
        "InvalidTokenRequest"
      )

      // the drop-in layer's errors carry the typed error as their cause
      const TokenLive = TokenProvider.layer(Grant.clientCredentials(Endpoint.make({
        tokenUrl: "http://127.0.0.1/token",
        auth: ClientAuth.clientSecretBasic(clientId, Redacted.make("wrong"))
      })))
      yield* expectFailure(
        HttpClient.get("http://127.0.0.1/api/orders").pipe(
          Effect.provide(BearerAuth.layer().pipe(Layer.provide(TokenLive), Layer.provide(Layer.succeed(HttpClient.HttpClient, http))))
        ),
        "RequestError"
      )

      const RejectingLive = BearerAuth.layer({ bodyPattern: /"ok":true/ }).pipe(
        Layer.provide(Layer.succeed(TokenProvider.TokenProvider, working)),
        Layer.provide(Layer.succeed(HttpClient.HttpClient, http))
      )
      yield* expectFailure(
        HttpClient.get("http://127.0.0.1/api/orders").pipe(Effect.provide(RejectingLive)),
        "ResponseError"
      )

      // a token printed on its own
      const token = yield* working.get
      capture.print(token)
      capture.print(AccessToken.authorizationHeader(token))

      const text = capture.text()
      // the capture works: it saw the errors, the logs and the spans
      assert.include(text, "invalid_client")
      assert.include(text, "grantflow: token obtained")
      assert.include(text, "grantflow.token.acquire")
      assert.isAtLeast(seenTokens.length, 2)

      const secrets = [...clientSecretForms(clientId, clientSecret), ...seenTokens]
      for (const secret of secrets) assert.notInclude(text, secret)
    }).pipe(
      Effect.provide(ServerLive),
      Effect.provide(capture.logger),
      Logger.withMinimumLogLevel(LogLevel.All),
      Effect.withTracer(capture.tracer)
    ))
})
