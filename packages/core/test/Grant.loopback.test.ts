import { assert, describe, it } from "@effect/vitest"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ClientAuth, Endpoint, Grant, type TokenError } from "@grantflow/core"
import { Cause, Clock, ConfigProvider, Duration, Effect, Exit, Inspectable, Option, Redacted, Stream, Tracer } from "effect"
import { inspect } from "node:util"
import { withTokenEndpoint } from "./tokenEndpoint.js"

const json = (body: unknown, options?: HttpServerResponse.Options.WithContentType) =>
  Effect.succeed(HttpServerResponse.unsafeJson(body, options))

const secret = Redacted.make("pä ss:w%rd+1")

/** The endpoint at `tokenUrl`, by default for the public client `cli`. */
const endpointAt = (tokenUrl: string, settings: Endpoint.Settings = { auth: ClientAuth.none("cli") }) =>
  Endpoint.make({ ...settings, tokenUrl })

const failure = <A>(effect: Effect.Effect<A, TokenError.TokenError, HttpClient.HttpClient>) => Effect.flip(effect)

describe("Grant.clientCredentials over HTTP", () => {
  it.live("client_secret_basic: sends the form and the Basic header, and decodes the token", () =>
    withTokenEndpoint(
      () => json({
        access_token: "at-1",
        token_type: "bearer",
        expires_in: "3600",
        scope: "read write",
        refresh_token: ""
      }),
      (tokenUrl, received) =>
        Effect.gen(function*() {
          const before = yield* Clock.currentTimeMillis
          const endpoint = endpointAt(tokenUrl, { auth: ClientAuth.clientSecretBasic("my client", secret) })
          const token = yield* Grant.clientCredentials(endpoint, {
            scopes: ["read", "write"],
            audience: "https://api.example.com",
            resource: ["https://a.example.com", "https://b.example.com"],
            extraParams: { tenant: "t 1" }
          })
          const after = yield* Clock.currentTimeMillis

          assert.strictEqual(Redacted.value(token.token), "at-1")
          assert.strictEqual(token.type, "Bearer")
          assert.deepStrictEqual(token.scopes, ["read", "write"])
          assert.isTrue(Option.isNone(token.refreshToken))
          assert.isTrue(token.issuedAt >= before && token.issuedAt <= after)
          assert.strictEqual(token.expiresAt - token.issuedAt, 3_600_000)

          const [request] = yield* received
          assert.strictEqual(request!.headers["content-type"], "application/x-www-form-urlencoded")
          assert.strictEqual(request!.headers["accept"], "application/json")
          // base64("my+client:p%C3%A4+ss%3Aw%25rd%2B1")
          assert.strictEqual(request!.headers["authorization"], "Basic bXkrY2xpZW50OnAlQzMlQTQrc3MlM0F3JTI1cmQlMkIx")
          assert.deepStrictEqual(request!.params, [
            ["grant_type", "client_credentials"],
            ["scope", "read write"],
            ["audience", "https://api.example.com"],
            ["resource", "https://a.example.com"],
            ["resource", "https://b.example.com"],
            ["tenant", "t 1"]
          ])
        })
    ))

  it.live("client_secret_post: sends the credentials in the form, without an Authorization header", () =>
    withTokenEndpoint(() => json({ access_token: "at-2", expires_in: 60 }), (tokenUrl, received) =>
      Effect.gen(function*() {
        const token = yield* Grant.clientCredentials(endpointAt(tokenUrl, { auth: ClientAuth.clientSecretPost("cli", secret) }))
        assert.strictEqual(token.expiresAt - token.issuedAt, 60_000)
        const [request] = yield* received
        assert.isUndefined(request!.headers["authorization"])
        assert.deepStrictEqual(request!.form, {
          grant_type: "client_credentials",
          client_id: "cli",
          client_secret: "pä ss:w%rd+1"
        })
      })))

  it.live("reads a form-encoded token response", () =>
    withTokenEndpoint(
      () => Effect.succeed(HttpServerResponse.text("access_token=gho_abc&scope=repo&token_type=bearer", {
        contentType: "application/x-www-form-urlencoded"
      })),
      (tokenUrl) =>
        Effect.gen(function*() {
          const token = yield* Grant.clientCredentials(endpointAt(tokenUrl))
          assert.strictEqual(Redacted.value(token.token), "gho_abc")
          assert.deepStrictEqual(token.scopes, ["repo"])
          // no expires_in: the default lifetime
          assert.strictEqual(token.expiresAt - token.issuedAt, 300_000)
        })
    ))

  it.live("a body just under 1 MiB is read", () =>
    withTokenEndpoint(() => json({ access_token: "at-big", padding: "x".repeat(1024 * 1024 - 100) }), (tokenUrl) =>
      Effect.gen(function*() {
        const token = yield* Grant.clientCredentials(endpointAt(tokenUrl))
        assert.strictEqual(Redacted.value(token.token), "at-big")
      })))

  it.live("a body over 1 MiB is refused", () =>
    withTokenEndpoint(() => json({ access_token: "at-huge", padding: "x".repeat(2 * 1024 * 1024) }), (tokenUrl) =>
      Effect.gen(function*() {
        const error = yield* failure(Grant.clientCredentials(endpointAt(tokenUrl)))
        assert.strictEqual(error._tag, "MalformedResponse")
        if (error._tag === "MalformedResponse") {
          assert.strictEqual(error.field, "body")
          assert.strictEqual(error.reason, "is larger than 1 MiB")
        }
      })))

  it.live("a chunked body (no Content-Length) over 1 MiB is refused while it streams", () =>
    withTokenEndpoint(
      () => Effect.succeed(HttpServerResponse.stream(
        Stream.repeatValue(new TextEncoder().encode("x".repeat(64 * 1024))).pipe(Stream.take(64)),
        { contentType: "application/json" }
      )),
      (tokenUrl) =>
        Effect.gen(function*() {
          const error = yield* failure(Grant.clientCredentials(endpointAt(tokenUrl)))
          assert.strictEqual(error._tag, "MalformedResponse")
          if (error._tag === "MalformedResponse") assert.strictEqual(error.reason, "is larger than 1 MiB")
        })
    ))

  it.live("a chunked body under the cap is read", () =>
    withTokenEndpoint(
      () => Effect.succeed(HttpServerResponse.stream(
        Stream.make(new TextEncoder().encode(`{"access_token":"at-chunked",`), new TextEncoder().encode(`"expires_in":60}`)),
        { contentType: "application/json" }
      )),
      (tokenUrl) =>
        Effect.gen(function*() {
          const token = yield* Grant.clientCredentials(endpointAt(tokenUrl))
          assert.strictEqual(Redacted.value(token.token), "at-chunked")
        })
    ))

  it.live("a slow token endpoint times out", () =>
    withTokenEndpoint(
      () => Effect.as(Effect.sleep("30 seconds"), HttpServerResponse.empty()),
      (tokenUrl) =>
        Effect.gen(function*() {
          const error = yield* failure(
            Grant.clientCredentials(endpointAt(tokenUrl, { auth: ClientAuth.none("cli"), timeout: "200 millis" }))
          )
          assert.strictEqual(error._tag, "EndpointUnavailable")
          if (error._tag === "EndpointUnavailable") {
            assert.strictEqual(error.reason, "Timeout")
            assert.isTrue(error.retryable)
          }
        })
    ))

  it.live("503 with Retry-After in seconds", () =>
    withTokenEndpoint(
      () => Effect.succeed(HttpServerResponse.text("<html>Service Unavailable</html>", {
        status: 503,
        contentType: "text/html",
        headers: { "retry-after": "120" }
      })),
      (tokenUrl) =>
        Effect.gen(function*() {
          const error = yield* failure(Grant.clientCredentials(endpointAt(tokenUrl)))
          assert.strictEqual(error._tag, "EndpointUnavailable")
          if (error._tag === "EndpointUnavailable") {
            assert.strictEqual(error.reason, "Status")
            assert.deepStrictEqual(error.status, Option.some(503))
            assert.deepStrictEqual(error.retryAfter, Option.some(Duration.seconds(120)))
          }
        })
    ))

  it.live("429 with an OAuth error and Retry-After as an HTTP-date", () =>
    withTokenEndpoint(
      () => Effect.map(Clock.currentTimeMillis, (now) =>
        HttpServerResponse.unsafeJson({ error: "slow_down" }, {
          status: 429,
          headers: { "retry-after": new Date(now + 120_000).toUTCString() }
        })),
      (tokenUrl) =>
        Effect.gen(function*() {
          const error = yield* failure(Grant.clientCredentials(endpointAt(tokenUrl)))
          assert.strictEqual(error._tag, "OAuthError")
          if (error._tag === "OAuthError") {
            assert.strictEqual(error.status, 429)
            assert.isTrue(error.retryable)
            // an HTTP-date has whole seconds, and time passes between server and client
            const millis = Duration.toMillis(Option.getOrThrow(error.retryAfter))
            assert.isTrue(millis > 115_000 && millis <= 120_000, String(millis))
          }
        })
    ))

  it.live("400 invalid_client is an OAuthError that is not retried", () =>
    withTokenEndpoint(
      () => json({ error: "invalid_client", error_description: "Client authentication failed" }, { status: 400 }),
      (tokenUrl) =>
        Effect.gen(function*() {
          const error = yield* failure(
            Grant.clientCredentials(endpointAt(tokenUrl, { auth: ClientAuth.clientSecretBasic("cli", secret) }))
          )
          assert.strictEqual(error._tag, "OAuthError")
          if (error._tag === "OAuthError") {
            assert.strictEqual(error.error, "invalid_client")
            assert.deepStrictEqual(error.description, Option.some("Client authentication failed"))
            assert.isFalse(error.retryable)
            assert.notInclude(error.message, Redacted.value(secret))
          }
        })
    ))

  it.live("an endpoint nobody listens on is a transport failure that does not show the secret", () =>
    Effect.gen(function*() {
      const error = yield* failure(
        Grant.clientCredentials(
          endpointAt("http://127.0.0.1:1/oauth/token", { auth: ClientAuth.clientSecretPost("cli", secret) })
        )
      )
      assert.strictEqual(error._tag, "EndpointUnavailable")
      if (error._tag === "EndpointUnavailable") assert.strictEqual(error.reason, "Transport")
      const rendered = [
        error.message,
        String(error),
        JSON.stringify(error),
        Inspectable.format(error),
        inspect(error, { depth: 10 }),
        Cause.pretty(Cause.fail(error))
      ]
      for (const text of rendered) {
        assert.notInclude(text, "w%rd")
        assert.notInclude(text, "w%25rd")
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("clientCredentialsConfig: reads the configuration and fetches with it", () =>
    withTokenEndpoint(() => json({ access_token: "at-config", expires_in: 60 }), (tokenUrl, received) =>
      Effect.gen(function*() {
        const fetch = yield* Grant.clientCredentialsConfig({ prefix: "CRM" }).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(
            new Map([
              ["CRM_TOKEN_URL", tokenUrl],
              ["CRM_CLIENT_ID", "cli"],
              ["CRM_CLIENT_SECRET", "from-config"],
              ["CRM_SCOPES", "a,b  c"],
              ["CRM_AUTH_METHOD", "client_secret_post"]
            ]),
            { pathDelim: "_" }
          )),
          Effect.orDie
        )
        const token = yield* fetch
        assert.strictEqual(Redacted.value(token.token), "at-config")
        const [request] = yield* received
        assert.deepStrictEqual(request!.form, {
          grant_type: "client_credentials",
          scope: "a b c",
          client_id: "cli",
          client_secret: "from-config"
        })
      })))

  it.live("the token request span names the grant, the host, the path and the status, and no secret", () => {
    const spans: Array<{ readonly name: string; readonly attributes: Map<string, unknown>; exit?: Exit.Exit<unknown, unknown> }> = []
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind) => {
        const record: (typeof spans)[number] = { name, attributes: new Map() }
        spans.push(record)
        return {
          _tag: "Span",
          name,
          spanId: `span-${spans.length}`,
          traceId: "trace",
          parent,
          context,
          links,
          sampled: true,
          kind,
          status: { _tag: "Started", startTime },
          attributes: record.attributes,
          end: (_endTime, exit) => {
            record.exit = exit
          },
          attribute: (key, value) => {
            record.attributes.set(key, value)
          },
          event: () => {},
          addLinks: () => {}
        }
      },
      context: (f) => f()
    })
    return withTokenEndpoint(() => json({ access_token: "at-span-secret", expires_in: 60 }), (tokenUrl) =>
      Effect.gen(function*() {
        yield* Grant.clientCredentials(
          endpointAt(`${tokenUrl}?tenant=q-secret`, { auth: ClientAuth.clientSecretBasic("cli", secret) })
        )
        const span = spans.find((s) => s.name === "grantflow.token_request")
        assert.isDefined(span)
        const url = new URL(tokenUrl)
        assert.deepStrictEqual(Object.fromEntries(span!.attributes), {
          "grantflow.grant_type": "client_credentials",
          "grantflow.client_auth": "client_secret_basic",
          "http.request.method": "POST",
          "server.address": url.hostname,
          "server.port": Number(url.port),
          "url.full": `${url.origin}/oauth/token`,
          "http.response.status_code": 200
        })
        assert.isTrue(span!.exit !== undefined && Exit.isSuccess(span!.exit))
        const everything = JSON.stringify(spans.map((s) => [s.name, [...s.attributes]]))
        // the secret, the Basic credentials base64("cli:p%C3%A4+ss%3Aw%25rd%2B1"), the token
        for (const forbidden of [Redacted.value(secret), "Y2xpOnAlQzMlQTQrc3MlM0F3JTI1cmQlMkIx", "at-span-secret"]) {
          assert.notInclude(everything, forbidden)
        }
        assert.notInclude(JSON.stringify([...span!.attributes]), "q-secret")
      }).pipe(Effect.withTracer(tracer)))
  })
})
