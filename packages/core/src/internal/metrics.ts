import * as Metric from "effect/Metric"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"

const counter = (name: string, description: string) => MetricKey.counter(name, { description, incremental: true })

/** @internal */
export const tokensServed = counter("grantflow_tokens_served_total", "Access tokens handed out by token providers")

/** @internal */
export const tokenFetches = counter("grantflow_token_fetches_total", "Tokens obtained from a token endpoint")

/** @internal */
export const tokenFetchFailures = counter(
  "grantflow_token_fetch_failures_total",
  "Token refreshes that failed after their retries"
)

/** @internal */
export const backgroundRefreshes = counter(
  "grantflow_background_refreshes_total",
  "Refreshes started before expiry, by outcome"
)

/** @internal */
export const requestReplays = Metric.fromMetricKey(counter(
  "grantflow_request_replays_total",
  "API requests sent again with a new token after the API rejected the first"
))

/**
 * A counter with its labels in its key. `Metric.tagged` would look the metric
 * up in the registry on every update; this resolves it once, which keeps the
 * warm token path cheap.
 *
 * @internal
 */
export const labelled = (
  key: MetricKey.MetricKey.Counter<number>,
  labels: Record<string, string>
) =>
  Metric.fromMetricKey(
    MetricKey.taggedWithLabels(key, Object.entries(labels).map(([name, value]) => MetricLabel.make(name, value)))
  )
