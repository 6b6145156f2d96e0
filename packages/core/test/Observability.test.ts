/**
 * grantflow's spans and metrics as an OpenTelemetry backend receives them:
 * exported through `@effect/opentelemetry` to an in-memory span exporter and
 * an in-memory metric reader, with the names, units and labels listed in
 * docs/observability.md, each labelled by its provider (or pool), and no
 * secret or token in any of them.
 */
import { HttpClient } from "@effect/platform"
import { Metrics, Resource, Tracer } from "@effect/opentelemetry"
import { assert, describe, it } from "@effect/vitest"
import {
  BearerAuth,
  ClientAuth,
  ConnectionPool,
  Endpoint, Grant,
  RefreshPolicy,
  TokenEvent,
  TokenProvider,
  TokenStore
} from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { AggregationTemporality, MetricReader } from "@opentelemetry/sdk-metrics"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Redacted, Ref, Schedule, Stream } from "effect"
import * as TestClock from "effect/TestClock"
import { tokenValue } from "./fixtures.js"
import { clientSecretForms } from "./leakCapture.js"

/** A metric reader that collects on demand, in memory. */
class InMemoryMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected onForceFlush() {
    return Promise.resolve()
  }
  protected onShutdown() {
    return Promise.resolve()
  }
}

const makeTelemetry = () => {
  const spans = new InMemorySpanExporter()
  const reader = new InMemoryMetricReader()
  const layer = Layer.mergeAll(
    Tracer.layer.pipe(
      Layer.provide(Layer.succeed(
        Tracer.OtelTracerProvider,
        new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
      ))
    ),
    Metrics.layer(() => reader)
  ).pipe(Layer.provide(Resource.layer({ serviceName: "grantflow-test" })))
  return { spans, reader, layer }
}

const clientId = "otel-app"
const clientSecret = "otel-secret: pä ss+/="
const tokenUrl = "http://127.0.0.1/token"
const auth = ClientAuth.clientSecretBasic(clientId, Redacted.make(clientSecret))

const ServerLive = AuthServer.layerClient.pipe(
  Layer.provideMerge(AuthServer.layer({
    clients: [{ clientId, clientSecret }],
    tokenLifetime: "10 minutes"
  })),
  Layer.merge(TokenStore.layerMemory)
)

const metricUnits: Record<string, string> = {
  "grantflow.token.served": "{token}",
  "grantflow.token.fetches": "{token}",
  "grantflow.token.fetch.failures": "{refresh}",
  "grantflow.token.fetch.duration": "s",
  "grantflow.token.background_refreshes": "{refresh}",
  "grantflow.http.replays": "{request}",
  "grantflow.pool.size": "{connection}"
}

describe("Observability", () => {
  it.scoped("spans and metrics exported through OpenTelemetry: names, units, provider labels, no secret", () => {
    const telemetry = makeTelemetry()
    return Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const obtained = yield* Ref.make<ReadonlyArray<string>>([])
      const fetch = Grant.clientCredentials(Endpoint.make({ tokenUrl, auth })).pipe(
        Effect.tap((token) => Ref.update(obtained, (values) => [...values, tokenValue(token)]))
      )
      const provider = yield* TokenProvider.make(fetch, {
        name: "crm",
        policy: RefreshPolicy.make({ retry: Schedule.recurs(1) })
      })
      const events = yield* provider.subscribe
      const api = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider)).get(
        "http://127.0.0.1/api/orders"
      )

      // the first token; a background refresh in the window; a rejection and its replay; a failed refresh
      yield* api
      yield* TestClock.adjust("9 minutes")
      yield* api
      yield* Stream.runHead(Stream.filter(events, TokenEvent.$is("BackgroundRefresh")))
      yield* server.revokeAll
      yield* api
      yield* server.fail(AuthServer.Status({ status: 503 }), { times: 2 })
      yield* Effect.flip(provider.refresh)
      // and a pool, whose metrics carry its name
      const pool = yield* ConnectionPool.make({
        key: (tenant: string) => TokenStore.key({ issuer: tokenUrl, clientId: tenant, grant: "client_credentials" }),
        acquire: () => fetch,
        name: "tenants"
      })
      yield* pool.get("t1")

      const { errors, resourceMetrics } = yield* Effect.promise(() => telemetry.reader.collect())
      assert.deepStrictEqual(errors, [])
      const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
        .filter((metric) => metric.descriptor.name.startsWith("grantflow."))
      const spans = telemetry.spans.getFinishedSpans()

      // every metric, with its unit; each data point labelled by its provider, or its pool
      assert.deepStrictEqual(
        Object.fromEntries(metrics.map((metric) => [metric.descriptor.name, metric.descriptor.unit])),
        metricUnits
      )
      for (const metric of metrics) {
        for (const point of metric.dataPoints as ReadonlyArray<{ readonly attributes: Record<string, unknown> }>) {
          const owner = metric.descriptor.name.startsWith("grantflow.pool.")
            ? point.attributes["grantflow.pool"]
            : point.attributes["grantflow.provider"]
          assert.include(["crm", "tenants"], owner, `${metric.descriptor.name} ${JSON.stringify(point.attributes)}`)
        }
      }
      const durations = metrics.find((metric) => metric.descriptor.name === "grantflow.token.fetch.duration")!
      assert.sameMembers(
        (durations.dataPoints as ReadonlyArray<{ readonly attributes: Record<string, unknown> }>)
          .map((point) => String(point.attributes["error.type"])),
        ["undefined", "undefined", "EndpointUnavailable"]
      )

      // the spans of every refresh and of its token requests, each with its provider
      const refreshing = spans.filter((span) => span.name.startsWith("grantflow."))
      assert.sameMembers(
        [...new Set(refreshing.map((span) => span.name))],
        ["grantflow.token.acquire", "grantflow.token.refresh", "grantflow.token_request"]
      )
      for (const span of refreshing) {
        assert.include(["crm", "tenants"], span.attributes["grantflow.provider"], span.name)
      }
      const tokenRequest = refreshing.find((span) => span.name === "grantflow.token_request")!
      assert.deepInclude(tokenRequest.attributes, {
        "http.request.method": "POST",
        "server.address": "127.0.0.1",
        "server.port": 80,
        "url.full": tokenUrl,
        "http.response.status_code": 200,
        "grantflow.grant_type": "client_credentials"
      })

      // no attribute, label or description holds the client secret or a token
      const forbidden = [...clientSecretForms(clientId, clientSecret), ...(yield* Ref.get(obtained))]
      assert.isAtLeast(forbidden.length, 4 + 4)
      const exported = JSON.stringify([
        spans.map((span) => [span.name, span.attributes, span.events, span.status, span.links]),
        metrics.map((metric) => [metric.descriptor, metric.dataPoints.map((point) => point.attributes)])
      ])
      for (const value of forbidden) assert.notInclude(exported, value)
    }).pipe(Effect.provide(ServerLive), Effect.provide(telemetry.layer))
  })
})
