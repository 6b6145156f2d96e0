import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"
import type * as MetricKeyType from "effect/MetricKeyType"
import * as MetricLabel from "effect/MetricLabel"

// Names and units follow OpenTelemetry's conventions: dotted names without a
// `_total` suffix (exporters add their own), the unit as the `unit` label,
// which `@effect/opentelemetry` exports as the instrument's unit. Every
// metric is labelled with its provider (`grantflow.provider`) or its pool
// (`grantflow.pool`). docs/observability.md lists them all.

/** @internal */
export const providerLabel = "grantflow.provider"

/** @internal */
export const poolLabel = "grantflow.pool"

const counter = (name: string, description: string, unit: string) =>
  MetricKey.taggedWithLabels(MetricKey.counter(name, { description, incremental: true }), [
    MetricLabel.make("unit", unit)
  ])

/** @internal */
export const tokensServed = counter("grantflow.token.served", "Access tokens handed out by token providers", "{token}")

/** @internal */
export const tokenFetches = counter("grantflow.token.fetches", "Tokens obtained from a token endpoint", "{token}")

/** @internal */
export const tokenFetchFailures = counter(
  "grantflow.token.fetch.failures",
  "Token refreshes that failed after their retries",
  "{refresh}"
)

/** @internal */
export const backgroundRefreshes = counter(
  "grantflow.token.background_refreshes",
  "Refreshes started before expiry, by outcome (grantflow.outcome)",
  "{refresh}"
)

/** @internal */
export const requestReplays = counter(
  "grantflow.http.replays",
  "API requests sent again with a new token after the API rejected the first",
  "{request}"
)

/**
 * Seconds from the start of a refresh to its outcome, retries and their
 * waits included; the buckets are OpenTelemetry's for HTTP request durations.
 *
 * @internal
 */
export const fetchDuration = MetricKey.taggedWithLabels(
  MetricKey.histogram(
    "grantflow.token.fetch.duration",
    MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]),
    "Duration of token refreshes, retries included, by outcome (error.type on failure)"
  ),
  [MetricLabel.make("unit", "s")]
)

/** @internal */
export const poolSize = MetricKey.taggedWithLabels(
  MetricKey.gauge("grantflow.pool.size", { description: "Connections held by a connection pool" }),
  [MetricLabel.make("unit", "{connection}")]
)

/** @internal */
export const poolReauthorizationRequired = MetricKey.taggedWithLabels(
  MetricKey.gauge("grantflow.pool.reauthorization_required", {
    description: "Connections of a pool whose user must authorize again"
  }),
  [MetricLabel.make("unit", "{connection}")]
)

/** @internal */
export const poolEvictions = counter(
  "grantflow.pool.evictions",
  "Connections evicted from a pool, for capacity or idleness",
  "{connection}"
)

/**
 * A metric with its labels in its key. `Metric.tagged` would look the metric
 * up in the registry on every update; this resolves it once, which keeps the
 * warm token path cheap.
 *
 * @internal
 */
export const labelled = <Type extends MetricKeyType.MetricKeyType<any, any>>(
  key: MetricKey.MetricKey<Type>,
  labels: Record<string, string>
) =>
  Metric.fromMetricKey(
    MetricKey.taggedWithLabels(key, Object.entries(labels).map(([name, value]) => MetricLabel.make(name, value)))
  )
