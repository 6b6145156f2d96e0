import { HttpClient, type HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ClientAuth, Connector, Endpoint, Grant } from "@grantflow/core"
import { AuthServer, Scenario } from "@grantflow/testing"
import { ConfigProvider, Effect, Either, Inspectable, Layer, Redacted, Ref, Schema, TestClock, Tracer } from "effect"
import { createServer } from "node:http"

// In memory: the simulated server answers by path whatever the host, so the
// connector can use the customer-subdomain URLs a real API would have.
const serverWith = (options: Partial<AuthServer.Options> = {}) =>
  AuthServer.layerClient.pipe(
    Layer.provideMerge(AuthServer.layer({
      clients: [{ clientId: "helpdesk-app", clientSecret: "helpdesk-secret", authMethods: ["client_secret_basic"] }],
      tokenLifetime: "10 minutes",
      ...options
    }))
  )

const Config = Schema.Struct({
  SUBDOMAIN: Schema.String.pipe(Schema.pattern(/^[a-z0-9-]+$/)),
  CLIENT_ID: Schema.String,
  CLIENT_SECRET: Schema.Redacted(Schema.String)
})

const helpdesk = (overrides: Partial<Connector.Definition<typeof Config.Type, typeof Config.Encoded>> = {}) =>
  Connector.define({
    name: "helpdesk",
    config: Config,
    auth: (config) =>
      Connector.fetch(Grant.clientCredentials(Endpoint.make({
        tokenUrl: `https://${config.SUBDOMAIN}.helpdesk.example/token`,
        auth: ClientAuth.clientSecretBasic(config.CLIENT_ID, config.CLIENT_SECRET)
      }))),
    baseUrl: (config) => `https://${config.SUBDOMAIN}.helpdesk.example/api/v5`,
    test: { path: "/me" },
    ...overrides
  })

const secret = "helpdesk-secret"
const config = { SUBDOMAIN: "acme", CLIENT_ID: "helpdesk-app", CLIENT_SECRET: Redacted.make(secret) }

const journal = Effect.gen(function*() {
  const server = yield* AuthServer.AuthServer
  const entries = yield* server.journal
  return {
    api: entries.filter((e) => e.endpoint === "api").map((e) => [e.path, e.tokenId ?? null, e.status] as const),
    token: entries.filter((e) => e.endpoint === "token").map((e) => e.status)
  }
})

// environment variables, as ConfigProvider.fromEnv reads them
const env = (variables: Record<string, string>) =>
  ConfigProvider.fromMap(new Map(Object.entries(variables)), { pathDelim: "_" })

/** A tracer that keeps every span's name and attributes, to check what a trace backend would receive. */
const recordingTracer = (spans: Array<{ readonly name: string; readonly attributes: Map<string, unknown> }>) =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      spans.push({ name, attributes })
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: String(spans.length),
        traceId: "test",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        end: () => {},
        attribute: (key, value) => void attributes.set(key, value),
        event: () => {},
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })

/** Everything a user could see of a value. */
const shown = (value: unknown): string => [JSON.stringify(value), Inspectable.format(value), String(value)].join("\n")

describe("Connector against the simulated server", () => {
  it.scoped("layer: relative requests go to the base URL with the token; one token serves many calls", () =>
    Effect.gen(function*() {
      for (const path of ["/tickets", "tickets/7", "/"]) {
        assert.strictEqual((yield* HttpClient.get(path)).status, 200)
      }
      assert.deepStrictEqual(yield* journal, {
        api: [["/api/v5/tickets", "t1", 200], ["/api/v5/tickets/7", "t1", 200], ["/api/v5/", "t1", 200]],
        token: [200]
      })
    }).pipe(Effect.provide(Connector.layer(helpdesk(), config).pipe(Layer.provideMerge(serverWith())))))

  it.scoped("refresh_on [401, 403]: an API that expires tokens early answers 403; refreshed and replayed once", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      // the first token response states no lifetime: the client assumes 5 minutes, the API allows 1
      yield* server.fail(AuthServer.ExpiresIn({ as: "missing" }))
      const connection = yield* Connector.connect(helpdesk({ refreshOn: { statuses: [401, 403] } }), config)
      assert.strictEqual((yield* connection.client.get("/tickets")).status, 200)
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual((yield* connection.client.get("/tickets")).status, 200)
      assert.deepStrictEqual((yield* journal).api, [
        ["/api/v5/tickets", "t1", 200],
        ["/api/v5/tickets", "t1", 403],
        ["/api/v5/tickets", "t2", 200]
      ])
    }).pipe(Effect.provide(serverWith({ expiredTokenStatus: 403, tokenLifetime: "1 minute" }))))

  it.scoped("without 403 in refresh_on (nor the invalid_token challenge), the same 403 reaches the caller untouched", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      yield* server.fail(AuthServer.ExpiresIn({ as: "missing" }))
      const connection = yield* Connector.connect(
        helpdesk({ refreshOn: { statuses: [401], invalidTokenChallenge: false } }),
        config
      )
      yield* connection.client.get("/tickets")
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual((yield* connection.client.get("/tickets")).status, 403)
      assert.deepStrictEqual((yield* journal).token, [200])
    }).pipe(Effect.provide(serverWith({ expiredTokenStatus: 403, tokenLifetime: "1 minute" }))))

  it.scoped("a body pattern: an API that answers 200 with an error body gets a new token", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const connection = yield* Connector.connect(helpdesk({ refreshOn: { bodyPattern: /"invalid_auth"/ } }), config)
      yield* connection.client.get("/tickets")
      yield* server.revokeAll
      const response = yield* connection.client.get("/tickets")
      assert.strictEqual(response.status, 200)
      assert.strictEqual(((yield* response.json) as { ok: boolean }).ok, true)
      assert.deepStrictEqual((yield* journal).api.map(([, token]) => token), ["t1", "t1", "t2"])
    }).pipe(Effect.provide(serverWith({ errorBodyOnInvalidToken: { status: 200, body: { ok: false, error: "invalid_auth" } } }))))

  it.scoped("apply as a query parameter: accepted by the API, and kept out of errors", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const connection = yield* Connector.connect(helpdesk({ apply: Connector.query("access_token") }), config)
      const response = yield* connection.client.get("/tickets", { urlParams: { page: "2" } })
      assert.strictEqual(response.status, 200)
      assert.notInclude(response.request.url + JSON.stringify(response.request.urlParams), "access_token")
      assert.deepStrictEqual((yield* journal).api, [["/api/v5/tickets", "t1", 200]])

      const token = Redacted.value((yield* connection.provider.get).token)
      yield* server.fail(AuthServer.DropConnection(), { endpoint: "api" })
      const error = yield* Effect.flip(connection.client.get("/tickets"))
      assert.strictEqual(error._tag, "RequestError")
      assert.notInclude(shown(error), token)
    }).pipe(Effect.provide(serverWith())))

  it.scoped("apply in another header, with or without a prefix", () =>
    Effect.gen(function*() {
      const sent = yield* Ref.make<ReadonlyArray<HttpClientRequest.HttpClientRequest>>([])
      const recording = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, HttpClient.tapRequest((request) => Ref.update(sent, (all) => [...all, request])))
      )
      const call = (apply: Connector.Apply) =>
        Effect.scoped(Effect.gen(function*() {
          // no replay: the simulated API takes Bearer tokens only, and answers others 401
          const connection = yield* Connector.connect(helpdesk({ apply, refreshOn: { statuses: [] } }), config)
          const response = yield* connection.client.get("/me")
          return { status: response.status, token: Redacted.value((yield* connection.provider.get).token) }
        })).pipe(Effect.provide(recording))
      const lastHeaders = Effect.map(Ref.get(sent), (all) => all[all.length - 1]!.headers)

      const custom = yield* call(Connector.header("X-Auth-Token"))
      assert.strictEqual((yield* lastHeaders)["x-auth-token"], custom.token)
      assert.isUndefined((yield* lastHeaders)["authorization"])
      assert.strictEqual(custom.status, 401)

      const prefixed = yield* call(Connector.header("Authorization", { prefix: "bearer" }))
      assert.strictEqual((yield* lastHeaders)["authorization"], `bearer ${prefixed.token}`)
      assert.strictEqual(prefixed.status, 200)
    }).pipe(Effect.provide(serverWith())))

  // over a loopback socket: the platform's own client records HTTP spans, the in-memory one does not
  it.scopedLive("spans never carry the token: a custom header is redacted, a query-parameter request has no HTTP span", () =>
    Effect.gen(function*() {
      const url = yield* HttpServer.addressFormattedWith((address) => Effect.succeed(new URL(address)))
      const spans: Array<{ readonly name: string; readonly attributes: Map<string, unknown> }> = []
      const call = (apply: Connector.Apply) =>
        Effect.scoped(Effect.gen(function*() {
          const connection = yield* Connector.connect(
            helpdesk({
              apply,
              refreshOn: { statuses: [] },
              auth: (config) =>
                Connector.fetch(Grant.clientCredentials(Endpoint.make({
                  tokenUrl: new URL("/token", url).href,
                  auth: ClientAuth.clientSecretBasic(config.CLIENT_ID, config.CLIENT_SECRET)
                }))),
              baseUrl: () => new URL("/api/v5", url).href
            }),
            config
          )
          yield* connection.client.get("/me")
          return Redacted.value((yield* connection.provider.get).token)
        })).pipe(Effect.withTracer(recordingTracer(spans)))
      const httpSpans = () => spans.filter((span) => span.attributes.has("url.full"))

      const headerToken = yield* call(Connector.header("X-Auth-Token"))
      const api = httpSpans().find((span) => String(span.attributes.get("url.full")).includes("/api/v5/me"))
      assert.isDefined(api)
      assert.strictEqual(api!.attributes.get("http.request.header.x-auth-token"), "<redacted>")

      spans.length = 0
      const queryToken = yield* call(Connector.query("access_token"))
      assert.isTrue(httpSpans().some((span) => String(span.attributes.get("url.full")).endsWith("/token")))
      assert.isFalse(httpSpans().some((span) => String(span.attributes.get("url.full")).includes("/api/")))
      for (const span of spans) {
        for (const value of span.attributes.values()) {
          assert.notInclude(String(value), headerToken)
          assert.notInclude(String(value), queryToken)
        }
      }
    }).pipe(
      Effect.provide(
        AuthServer.serve.pipe(
          Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
          Layer.provideMerge(AuthServer.layer({ clients: [{ clientId: "helpdesk-app", clientSecret: secret }] })),
          Layer.provideMerge(NodeHttpClient.layerUndici)
        )
      )
    ))

  it.scoped("the token goes to the base URL's origin only: another host is refused before anything is sent", () =>
    Effect.gen(function*() {
      const connection = yield* Connector.connect(helpdesk(), config)
      const error = yield* Effect.flip(connection.client.get("https://attacker.example/api/v5/me"))
      assert.strictEqual(error._tag, "RequestError")
      if (error._tag === "RequestError") assert.strictEqual(error.reason, "InvalidUrl")
      assert.deepStrictEqual(yield* journal, { api: [], token: [] })
      // an absolute URL at the base URL's origin is fine
      assert.strictEqual((yield* connection.client.get("https://acme.helpdesk.example/api/v4/me")).status, 200)
    }).pipe(Effect.provide(serverWith())))

  it.scoped("a base URL that is not https, or that carries a secret, is refused", () =>
    Effect.gen(function*() {
      const insecure = yield* Effect.flip(
        Connector.connect(helpdesk({ baseUrl: (c) => `http://${c.SUBDOMAIN}.helpdesk.example/api` }), config)
      )
      assert.strictEqual(insecure._tag, "ConnectorConfigError")
      assert.include(insecure.message, "must use https:")
      const leaking = yield* Effect.flip(
        Connector.connect(
          helpdesk({ baseUrl: (c) => `https://api.example/${Redacted.value(c.CLIENT_SECRET)}/v5` }),
          config
        )
      )
      assert.include(leaking.message, "contains the value of a secret field")
      assert.notInclude(shown(leaking), secret)
    }).pipe(Effect.provide(serverWith())))

  it.scoped("with publicFields, every other field's value is refused where it would be sent, before anything is", () =>
    Effect.gen(function*() {
      const guarded = (overrides: Partial<Connector.Definition<typeof Config.Type, typeof Config.Encoded>>) =>
        helpdesk({ publicFields: ["SUBDOMAIN"], ...overrides })
      const clientId = config.CLIENT_ID

      const inBaseUrl = yield* Effect.flip(
        Connector.connect(guarded({ baseUrl: (c) => `https://api.example/${c.CLIENT_ID}/v5` }), config)
      )
      assert.include(inBaseUrl.message, "the base URL contains the value of the field CLIENT_ID, which is not public")
      assert.notInclude(shown(inBaseUrl), clientId)

      // in the token request's URL: refused as a request that was not sent, not retried as a transport failure
      const leakyToken = guarded({
        auth: (c) =>
          Connector.fetch(Grant.clientCredentials(Endpoint.make({
            tokenUrl: `https://${c.SUBDOMAIN}.helpdesk.example/token?client=${c.CLIENT_ID}`,
            auth: ClientAuth.clientSecretBasic(c.CLIENT_ID, c.CLIENT_SECRET)
          })))
      })
      const connection = yield* Connector.connect(leakyToken, config)
      const refused = yield* Effect.flip(connection.client.get("/me"))
      assert.strictEqual(refused._tag, "InvalidTokenRequest")
      assert.include(refused.message, "a token request contains the value of the field CLIENT_ID")
      assert.notInclude(shown(refused), clientId)
      const tested = yield* Connector.test(leakyToken, config)
      assert.strictEqual(tested._tag, "InvalidConfiguration")

      // in the authorization URL: the client id goes there, so it must be public; a secret never may
      const authorizing = (publicFields: ReadonlyArray<string>, hint: (c: typeof Config.Type) => string) =>
        guarded({
          publicFields,
          authorization: (c) => ({
            authorizeUrl: "https://acme.helpdesk.example/authorize",
            extraParams: { login_hint: hint(c) },
            endpoint: Endpoint.make({
              tokenUrl: "https://acme.helpdesk.example/token",
              auth: ClientAuth.clientSecretBasic(c.CLIENT_ID, c.CLIENT_SECRET)
            })
          })
        })
      const authorize = (definition: ReturnType<typeof authorizing>) =>
        Connector.authorize(definition, config, { redirectUri: "https://app.example/callback" })
      const privateClient = yield* Effect.flip(authorize(authorizing(["SUBDOMAIN"], () => "someone")))
      assert.include(privateClient.message, "the authorization URL contains the value of the field CLIENT_ID")
      const withSecret = yield* Effect.flip(
        authorize(authorizing(["SUBDOMAIN", "CLIENT_ID"], (c) => Redacted.value(c.CLIENT_SECRET)))
      )
      assert.include(withSecret.message, "the authorization URL contains the value of a secret field (CLIENT_SECRET)")
      assert.notInclude(shown(withSecret), secret)
      const started = yield* authorize(authorizing(["SUBDOMAIN", "CLIENT_ID"], () => "someone"))
      assert.strictEqual(started.url.searchParams.get("client_id"), clientId)
      assert.deepStrictEqual(yield* journal, { api: [], token: [] })

      // a value a public field holds too is published anyway; without publicFields only secrets are checked
      const same = yield* Connector.connect(guarded({}), { ...config, CLIENT_ID: "acme" })
      assert.strictEqual(same.baseUrl.hostname, "acme.helpdesk.example")
      const open = yield* Connector.connect(helpdesk(), config)
      assert.strictEqual((yield* open.client.get("/me")).status, 200)
    }).pipe(Effect.provide(serverWith())))

  it.scoped("a token response in another shape, read with tokenResponse; its absolute expiry is honoured", () =>
    Effect.gen(function*() {
      const connection = yield* Connector.connect(
        helpdesk({ tokenResponse: { accessToken: "data.token", expiresIn: "data.expires_at", expiresAs: "epochSeconds" } }),
        config
      )
      assert.strictEqual((yield* connection.client.get("/me")).status, 200)
      const token = yield* connection.provider.get
      assert.strictEqual(token.expiresAt, 10 * 60_000)
      yield* TestClock.adjust("10 minutes")
      assert.strictEqual((yield* connection.client.get("/me")).status, 200)
      assert.deepStrictEqual((yield* journal).api.map(([, id]) => id), ["t1", "t2"])

      // without the shape, the same response is a typed error naming the field
      const plain = yield* Connector.connect(helpdesk(), config)
      const error = yield* Effect.flip(plain.client.get("/me"))
      assert.strictEqual(error._tag, "MalformedResponse")
      if (error._tag === "MalformedResponse") assert.strictEqual(error.field, "access_token")
    }).pipe(Effect.provide(serverWith({
      tokenResponseShape: (token, now) => ({
        data: { token: token["access_token"], expires_at: Math.floor(now / 1000) + Number(token["expires_in"]) }
      })
    }))))

  it.scoped("layerConfig reads the configuration from the environment, secrets as Redacted", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* HttpClient.get("/me")).status, 200)
      assert.deepStrictEqual((yield* journal).api, [["/api/v5/me", "t1", 200]])
    }).pipe(
      Effect.provide(Connector.layerConfig(helpdesk(), { prefix: "HELPDESK" }).pipe(Layer.provideMerge(serverWith()))),
      Effect.withConfigProvider(env({
        HELPDESK_SUBDOMAIN: "acme",
        HELPDESK_CLIENT_ID: "helpdesk-app",
        HELPDESK_CLIENT_SECRET: secret
      }))
    ))

  it.effect("layerConfig: a missing or malformed field is a ConfigError naming it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.withConfigProvider(
          Connector.config(helpdesk(), { prefix: "HELPDESK" }),
          env({ HELPDESK_SUBDOMAIN: "not a subdomain", HELPDESK_CLIENT_ID: "x" })
        )
      )
      assert.include(String(error), "HELPDESK_CLIENT_SECRET")
      const malformed = yield* Effect.flip(
        Effect.withConfigProvider(
          Connector.config(helpdesk()),
          env({ SUBDOMAIN: "Not OK", CLIENT_ID: "x", CLIENT_SECRET: "y" })
        )
      )
      assert.include(String(malformed), "SUBDOMAIN")
    }))
})

describe("Connector under generated timelines", () => {
  // expiry, revocations, a failing token endpoint, restarts: the property kit's invariants hold for a connector
  const Scenarios = Connector.define({
    name: "scenarios",
    config: Schema.Struct({ CLIENT_SECRET: Schema.Redacted(Schema.String) }),
    auth: (config) =>
      Connector.fetch(Grant.clientCredentials(Endpoint.make({
        tokenUrl: "http://127.0.0.1/token",
        auth: ClientAuth.clientSecretBasic(Scenario.clientId, config.CLIENT_SECRET)
      }))),
    baseUrl: () => "http://127.0.0.1/api"
  })

  it.effect("a connector keeps every invariant of the property kit", () =>
    Effect.asVoid(Scenario.check(
      Connector.layer(Scenarios, { CLIENT_SECRET: Redacted.make(Scenario.clientSecret) }),
      { numRuns: 30 }
    )))

  const Discovering = Connector.layer(
    Connector.define({
      ...Scenarios,
      discovery: () =>
        Connector.discovery({
          path: "/meta",
          hosts: ["127.0.0.1"],
          schema: Schema.Struct({ base: Schema.String }),
          baseUrl: (answer) => answer.base
        })
    }),
    { CLIENT_SECRET: Redacted.make(Scenario.clientSecret) }
  )
  const server = {
    clients: [{ clientId: Scenario.clientId, clientSecret: Scenario.clientSecret }],
    routes: { "/api/meta": { endpoint: "api", body: { base: "http://127.0.0.1/api/v2" } } }
  } satisfies Omit<AuthServer.Options, "tokenLifetime">

  it.effect("so does one that learns its base URL first", () => Effect.asVoid(Scenario.check(Discovering, { numRuns: 30, server })))

  it.effect("a rejected discovery request is replayed once on its own, then the call's request is sent", () =>
    Effect.gen(function*() {
      const report = yield* Scenario.run(
        Discovering,
        Scenario.timeline([Scenario.FailApi({ fault: AuthServer.Status({ status: 401 }), times: 1 }), Scenario.Call({ requests: 1 })]),
        { server }
      )
      assert.deepStrictEqual(
        report.run.exchanges.filter((e) => e.endpoint === "api").map((e) => [e.path, e.status]),
        [["/api/meta", 401], ["/api/meta", 200], ["/api/scenario/1", 200]]
      )
      assert.deepStrictEqual(report.violations, [])
    }))
})

describe("Connector.test", () => {
  const run = (definition = helpdesk(), configuration = config) => Connector.test(definition, configuration)

  it.effect("Ok when the test request answers 200", () =>
    Effect.gen(function*() {
      const result = yield* run()
      assert.deepStrictEqual(result, Connector.TestResult.Ok({ status: 200, reason: "GET /me answered HTTP 200" }))
    }).pipe(Effect.provide(serverWith())))

  it.effect("BadCredentials when the token endpoint refuses the client", () =>
    Effect.gen(function*() {
      const result = yield* run(helpdesk(), { ...config, CLIENT_SECRET: Redacted.make("not-the-secret") })
      assert.strictEqual(result._tag, "BadCredentials")
      assert.include(result.reason, "invalid_client")
      assert.notInclude(shown(result), "not-the-secret")
    }).pipe(Effect.provide(serverWith())))

  it.effect("BadCredentials when the API refuses the token (403 insufficient scope)", () =>
    Effect.gen(function*() {
      const result = yield* run()
      assert.strictEqual(result._tag, "BadCredentials")
      if (result._tag === "BadCredentials") assert.strictEqual(result.status, 403)
      assert.include(result.reason, "GET /me answered HTTP 403")
    }).pipe(Effect.provide(serverWith({ apiScopes: { "/api/v5/me": ["admin"] } }))))

  it.effect("Unreachable when the token endpoint drops the connection", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      yield* server.fail(AuthServer.DropConnection(), { times: 10 })
      const result = yield* run()
      assert.strictEqual(result._tag, "Unreachable")
      // a test answers once: no retries
      assert.deepStrictEqual((yield* journal).token, [0])
    }).pipe(Effect.provide(serverWith())))

  it.effect("UnexpectedResponse for a 503 of the token endpoint, a 500 of the API, an unreadable token response", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      yield* server.fail(AuthServer.Status({ status: 503 }))
      const down = yield* run()
      assert.strictEqual(down._tag, "UnexpectedResponse")
      if (down._tag === "UnexpectedResponse") assert.strictEqual(down.status, 503)

      yield* server.fail(AuthServer.Status({ status: 500, body: { error: "boom" } }), { endpoint: "api" })
      const broken = yield* run()
      assert.deepStrictEqual(
        broken,
        Connector.TestResult.UnexpectedResponse({
          status: 500,
          reason: `GET /me answered HTTP 500 ({"error":"boom"}); expected 200`
        })
      )

      yield* server.fail(AuthServer.MalformedJson())
      const garbled = yield* run()
      assert.strictEqual(garbled._tag, "UnexpectedResponse")
      assert.include(garbled.reason, "not valid JSON")
    }).pipe(Effect.provide(serverWith())))

  it.effect("InvalidConfiguration: no test, an unusable base URL", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* run(helpdesk({ test: undefined })))._tag, "InvalidConfiguration")
      const insecure = yield* run(helpdesk({ baseUrl: () => "http://api.helpdesk.example" }))
      assert.strictEqual(insecure._tag, "InvalidConfiguration")
      assert.deepStrictEqual(yield* journal, { api: [], token: [] })
    }).pipe(Effect.provide(serverWith())))

  it.effect("expect: other statuses can mean success", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      yield* server.fail(AuthServer.Status({ status: 204 }), { endpoint: "api" })
      const result = yield* run(helpdesk({ test: { path: "/me", method: "POST", expect: [200, 204] } }))
      assert.deepStrictEqual(result, Connector.TestResult.Ok({ status: 204, reason: "POST /me answered HTTP 204" }))
    }).pipe(Effect.provide(serverWith())))

  it.effect("decodeConfig: the configuration Schema's errors name the field", () =>
    Effect.sync(() => {
      const result = Connector.decodeConfig(helpdesk(), { SUBDOMAIN: "acme", CLIENT_ID: 7 })
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.include(result.left.message, "CLIENT_ID")
        assert.include(result.left.message, "CLIENT_SECRET is missing")
      }
    }))
})

describe("Connector: a connection test with a body", () => {
  it.effect("sends the body as JSON with the test's method, and reads the answer's status", () =>
    Effect.gen(function*() {
      const sent: Array<{ method: string; type: string | undefined; body: string }> = []
      const graphql = helpdesk({ test: { path: "/graphql", method: "POST", body: { query: "{ viewer { id } }" } } })
      const result = yield* Connector.test(graphql, config).pipe(
        Effect.updateService(HttpClient.HttpClient, (client) =>
          HttpClient.tapRequest(client, (request) =>
            Effect.sync(() => {
              if (!request.url.endsWith("/token")) {
                const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
                sent.push({ method: request.method, type: request.headers["content-type"], body })
              }
            })))
      )
      assert.deepStrictEqual(result, Connector.TestResult.Ok({ status: 200, reason: "POST /graphql answered HTTP 200" }))
      assert.deepStrictEqual(sent, [{ method: "POST", type: "application/json", body: "{\"query\":\"{ viewer { id } }\"}" }])
    }).pipe(Effect.provide(serverWith())))

  it.effect("the body is sent again with the new token when the API refuses the first", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const graphql = helpdesk({ test: { path: "/graphql", method: "POST", body: { query: "{ viewer { id } }" } } })
      yield* server.fail(AuthServer.Status({ status: 401 }), { endpoint: "api" })
      const result = yield* Connector.test(graphql, config)
      assert.strictEqual(result._tag, "Ok", result.reason)
      assert.deepStrictEqual((yield* journal).api.map(([path, , status]) => [path, status]), [
        ["/api/v5/graphql", 401],
        ["/api/v5/graphql", 200]
      ])
    }).pipe(Effect.provide(serverWith())))
})

describe("Connector: a base URL learnt from the provider", () => {
  const Meta = Schema.Struct({ api_endpoint: Schema.String })
  const discovering = (overrides: Partial<Parameters<typeof Connector.discovery<typeof Meta.Type, typeof Meta.Encoded>>[0]> = {}) =>
    helpdesk({
      discovery: () =>
        Connector.discovery({
          path: "/meta",
          hosts: ["*.api.helpdesk.example"],
          schema: Meta,
          baseUrl: (answer) => `${answer.api_endpoint}/api/v5`,
          ...overrides
        })
    })
  const answering = (body: Record<string, unknown> | ReadonlyArray<unknown>, scheme?: string) =>
    serverWith({ routes: { "/api/v5/meta": { endpoint: "api", body, scheme } } })
  const eu1 = { api_endpoint: "https://eu1.api.helpdesk.example" }

  /** The hosts and paths the connector's requests went to (token requests aside). */
  const recording = (urls: Array<string>) =>
    Effect.updateService(HttpClient.HttpClient, (client: HttpClient.HttpClient) =>
      HttpClient.tapRequest(client, (request) =>
        Effect.sync(() => {
          const url = new URL(request.url)
          if (url.pathname !== "/token") urls.push(`${url.host}${url.pathname}`)
        })))

  it.scoped("one discovery request per connection, with its token; every request then goes to the base URL it names", () =>
    Effect.gen(function*() {
      const urls: Array<string> = []
      const connection = yield* Connector.connect(discovering(), config).pipe(recording(urls))
      // two first requests at once still make one discovery request
      const statuses = yield* Effect.all([connection.client.get("/tickets"), connection.client.get("/me")], {
        concurrency: 2
      })
      assert.deepStrictEqual(statuses.map((response) => response.status), [200, 200])
      assert.strictEqual((yield* connection.client.get("tickets/7")).status, 200)
      assert.deepStrictEqual(urls.sort(), [
        "acme.helpdesk.example/api/v5/meta",
        "eu1.api.helpdesk.example/api/v5/me",
        "eu1.api.helpdesk.example/api/v5/tickets",
        "eu1.api.helpdesk.example/api/v5/tickets/7"
      ])
      assert.deepStrictEqual((yield* journal).api.map(([, token]) => token), ["t1", "t1", "t1", "t1"])
      // the token goes nowhere else: not back to the discovery's host either
      const elsewhere = yield* Effect.flip(connection.client.get("https://acme.helpdesk.example/api/v5/me"))
      assert.strictEqual(elsewhere._tag, "RequestError")
    }).pipe(Effect.provide(answering(eu1))))

  it.scoped("the discovery request carries the token as its apply says", () =>
    Effect.gen(function*() {
      const seen: Array<string | undefined> = []
      const definition = discovering({ apply: Connector.header("Authorization", { prefix: "OAuth" }) })
      const connection = yield* Connector.connect(definition, config).pipe(
        Effect.updateService(HttpClient.HttpClient, (client) =>
          HttpClient.tapRequest(client, (request) =>
            Effect.sync(() => {
              if (!request.url.endsWith("/token")) seen.push(request.headers["authorization"]?.split(" ")[0])
            })))
      )
      assert.strictEqual((yield* connection.client.get("/me")).status, 200)
      assert.deepStrictEqual(seen, ["OAuth", "Bearer"])
    }).pipe(Effect.provide(answering(eu1, "OAuth"))))

  const hostile: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    ["another host", { api_endpoint: "https://attacker.example" }, "host the connector does not allow"],
    ["a host under another", { api_endpoint: "https://api.helpdesk.example.attacker.example" }, "does not allow"],
    ["two labels deep", { api_endpoint: "https://a.b.api.helpdesk.example" }, "does not allow"],
    ["the bare suffix", { api_endpoint: "https://api.helpdesk.example" }, "does not allow"],
    ["plain http", { api_endpoint: "http://eu1.api.helpdesk.example" }, "must use https"],
    ["credentials", { api_endpoint: "https://user:pw@eu1.api.helpdesk.example" }, "must not contain credentials"],
    ["a query", { api_endpoint: "https://eu1.api.helpdesk.example?x=" }, "must not contain a query"],
    ["not a URL", { api_endpoint: "eu1.api.helpdesk.example" }, "not an absolute URL"],
    ["another shape", { endpoint: "https://eu1.api.helpdesk.example" }, "not of the expected shape (at api_endpoint)"],
    ["too large", { api_endpoint: `https://eu1.api.helpdesk.example/${"a".repeat(70 * 1024)}` }, "larger than 64 KiB"]
  ]

  for (const [name, answer, reason] of hostile) {
    it.scoped(`an answer naming ${name} is refused with a typed error, and nothing else is sent`, () =>
      Effect.gen(function*() {
        const connection = yield* Connector.connect(discovering(), config)
        const error = yield* Effect.flip(connection.client.get("/me"))
        assert.instanceOf(error, Connector.BaseUrlDiscoveryError)
        assert.include(error.message, reason)
        assert.notInclude(error.message, "attacker")
        assert.deepStrictEqual((yield* journal).api.map(([path]) => path), ["/api/v5/meta"])
      }).pipe(Effect.provide(answering(answer))))
  }

  it.scoped("an answer that is not JSON, or an error status, is a typed error; the next request tries again", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const connection = yield* Connector.connect(discovering(), config)
      yield* server.fail(AuthServer.MalformedJson(), { endpoint: "api" })
      const garbled = yield* Effect.flip(connection.client.get("/me"))
      assert.instanceOf(garbled, Connector.BaseUrlDiscoveryError)
      assert.include(garbled.message, "cannot be read")
      yield* server.fail(AuthServer.Status({ status: 500 }), { endpoint: "api" })
      const failed = yield* Effect.flip(connection.client.get("/me"))
      assert.instanceOf(failed, Connector.BaseUrlDiscoveryError)
      assert.strictEqual(failed.status, 500)
      assert.strictEqual((yield* connection.client.get("/me")).status, 200)
      assert.deepStrictEqual((yield* journal).api.map(([path, , status]) => [path, status]), [
        ["/api/v5/meta", 200],
        ["/api/v5/meta", 500],
        ["/api/v5/meta", 200],
        ["/api/v5/me", 200]
      ])
    }).pipe(Effect.provide(answering(eu1))))

  it.scoped("an answer that names no base URL; a discovery that allows no host is a configuration error", () =>
    Effect.gen(function*() {
      const none = yield* Connector.connect(discovering({ baseUrl: () => undefined }), config)
      assert.include((yield* Effect.flip(none.client.get("/me"))).message, "names no base URL")
      const exit = yield* Effect.exit(Connector.connect(discovering({ hosts: [] }), config))
      assert.isTrue(exit._tag === "Failure")
    }).pipe(Effect.provide(answering(eu1))))

  it.scoped("layer: a failed discovery is an InvalidUrl RequestError whose cause is the typed error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(HttpClient.get("/me"))
      assert.strictEqual(error._tag, "RequestError")
      if (error._tag === "RequestError") {
        assert.strictEqual(error.reason, "InvalidUrl")
        assert.instanceOf(error.cause, Connector.BaseUrlDiscoveryError)
      }
    }).pipe(
      Effect.provide(
        Connector.layer(discovering(), config).pipe(Layer.provideMerge(answering({ api_endpoint: "https://attacker.example" })))
      )
    ))

  it.effect("Connector.test: BadCredentials when the discovery request is refused with 403", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      yield* server.fail(AuthServer.Status({ status: 403 }), { endpoint: "api" })
      const result = yield* Connector.test(discovering(), config)
      assert.strictEqual(result._tag, "BadCredentials")
      if (result._tag === "BadCredentials") assert.strictEqual(result.status, 403)
      assert.include(result.reason, "the discovery request answered HTTP 403")
    }).pipe(Effect.provide(answering(eu1))))

  it.effect("Connector.test: Ok through the discovered base URL; UnexpectedResponse for a hostile answer", () =>
    Effect.gen(function*() {
      const ok = yield* Connector.test(discovering(), config).pipe(Effect.provide(answering(eu1)))
      assert.strictEqual(ok._tag, "Ok", ok.reason)
      const hostileAnswer = yield* Connector.test(discovering(), config).pipe(
        Effect.provide(answering({ api_endpoint: "https://attacker.example" }))
      )
      assert.strictEqual(hostileAnswer._tag, "UnexpectedResponse")
      assert.include(hostileAnswer.reason, "could not learn its API's base URL")
    }))
})
