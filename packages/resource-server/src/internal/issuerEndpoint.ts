import * as Discovery from "@grantflow/core/Discovery"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as TokenError from "@grantflow/core/TokenError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as HttpClient from "@effect/platform/HttpClient"

/**
 * What resolving an endpoint fails with: the issuer's metadata could not be
 * read, or the verifier is configured in a way that cannot work.
 *
 * @internal
 */
export type ResolveError = TokenError.EndpointUnavailable | TokenError.MalformedResponse | TokenError.InvalidTokenRequest

const misconfigured = (reason: string, cause?: unknown) =>
  new TokenError.InvalidTokenRequest({ reason, ...(cause === undefined ? {} : { cause }) })

// An issuer that cannot be discovered as configured, or whose document names another
// issuer, is the verifier's configuration to fix: the discovery error stays the cause.
const fromDiscovery = (error: Discovery.DiscoveryError): ResolveError =>
  error._tag === "InvalidIssuer" || error._tag === "IssuerMismatch" ? misconfigured(error.message, error) : error

/**
 * The URL of one of the issuer's endpoints: `configured` when it is set,
 * else the one the issuer's metadata names (RFC 8414, read with
 * `Discovery.fetch`). Either way it is checked like a token URL (`https:`
 * unless loopback or `allowInsecure`).
 *
 * @internal
 */
export const resolve = (
  target: {
    readonly name: string
    readonly configured: string | undefined
    readonly field: (metadata: Discovery.Metadata) => Option.Option<string>
  },
  verifier: {
    readonly issuer?: string | undefined
    readonly allowInsecure?: boolean | undefined
    readonly timeout?: Duration.DurationInput | undefined
  }
): Effect.Effect<URL, ResolveError, HttpClient.HttpClient> => {
  const allowInsecure = verifier.allowInsecure === true
  const check = (url: string) => Endpoint.checkUrl(url, { name: target.name, allowInsecure })
  if (target.configured !== undefined) return Effect.suspend(() => check(target.configured!))
  const issuer = verifier.issuer
  if (issuer === undefined) {
    return Effect.fail(misconfigured(`neither the ${target.name} nor the issuer is configured`))
  }
  return Discovery.fetch(issuer, { allowInsecure, timeout: verifier.timeout }).pipe(
    Effect.mapError(fromDiscovery),
    Effect.flatMap((metadata) =>
      Option.match(target.field(metadata), {
        onNone: () => Effect.fail(misconfigured(`the issuer's metadata names no ${target.name}: configure it`)),
        onSome: check
      })
    )
  )
}
