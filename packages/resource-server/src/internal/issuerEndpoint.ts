import * as Discovery from "@grantflow/core/Discovery"
import * as Endpoint from "@grantflow/core/Endpoint"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as TokenVerifier from "../TokenVerifier.js"
import * as tokenVerifier from "./tokenVerifier.js"

type Target = TokenVerifier.VerifierUnavailable["endpoint"]

/**
 * A verifier's configuration error: it will not work until it is changed.
 *
 * @internal
 */
export const misconfigured = (endpoint: Target, detail: string, cause?: unknown) =>
  new tokenVerifier.VerifierUnavailable({
    endpoint,
    reason: "Misconfigured",
    status: Option.none(),
    detail,
    ...(cause === undefined ? {} : { cause })
  })

const fromDiscovery = (error: Discovery.DiscoveryError): TokenVerifier.VerifierUnavailable =>
  error._tag === "EndpointUnavailable"
    ? new tokenVerifier.VerifierUnavailable({
      endpoint: "metadata",
      reason: error.reason,
      status: error.status,
      cause: error
    })
    : error._tag === "MalformedResponse"
    ? new tokenVerifier.VerifierUnavailable({
      endpoint: "metadata",
      reason: "Malformed",
      status: Option.none(),
      detail: error.message,
      cause: error
    })
    : misconfigured("metadata", error.message, error)

/**
 * The URL of one of the issuer's endpoints: `configured` when it is set,
 * else the one the issuer's metadata names (RFC 8414, read with
 * `Discovery.fetch`). Either way it is checked like a token URL (`https:`
 * unless loopback or `allowInsecure`).
 *
 * @internal
 */
export const resolve = (options: {
  readonly endpoint: Target
  readonly name: string
  readonly configured: string | undefined
  readonly issuer: string | undefined
  readonly field: (metadata: Discovery.Metadata) => Option.Option<string>
  readonly allowInsecure: boolean
  readonly timeout: Duration.DurationInput | undefined
}): Effect.Effect<URL, TokenVerifier.VerifierUnavailable, HttpClient.HttpClient> => {
  const check = (url: string) =>
    Either.mapLeft(
      Endpoint.checkUrl(url, { name: options.name, allowInsecure: options.allowInsecure }),
      (error) => misconfigured(options.endpoint, error.reason, error)
    )
  if (options.configured !== undefined) return Effect.suspend(() => check(options.configured!))
  const issuer = options.issuer
  if (issuer === undefined) {
    return Effect.fail(misconfigured(options.endpoint, `neither the ${options.name} nor the issuer is configured`))
  }
  return Discovery.fetch(issuer, { allowInsecure: options.allowInsecure, timeout: options.timeout }).pipe(
    Effect.mapError(fromDiscovery),
    Effect.flatMap((metadata) =>
      Option.match(options.field(metadata), {
        onNone: () =>
          Effect.fail(
            misconfigured(options.endpoint, `the issuer's metadata names no ${options.name}: configure it`)
          ),
        onSome: check
      })
    )
  )
}
