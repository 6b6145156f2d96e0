import * as Metric from "effect/Metric"

/** @internal */
export const tokensServed = Metric.counter("grantflow_tokens_served_total", {
  description: "Access tokens handed out by token providers",
  incremental: true
})

/** @internal */
export const tokenFetches = Metric.counter("grantflow_token_fetches_total", {
  description: "Tokens obtained from a token endpoint",
  incremental: true
})

/** @internal */
export const tokenFetchFailures = Metric.counter("grantflow_token_fetch_failures_total", {
  description: "Token refreshes that failed after their retries",
  incremental: true
})

/** @internal */
export const backgroundRefreshes = Metric.counter("grantflow_background_refreshes_total", {
  description: "Refreshes started before expiry, tagged by outcome",
  incremental: true
})

/** @internal */
export const requestReplays = Metric.counter("grantflow_request_replays_total", {
  description: "API requests sent again with a new token after the API rejected the first",
  incremental: true
})
