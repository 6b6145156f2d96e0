import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as AccessToken from "../AccessToken.js"
import type * as Endpoint from "../Endpoint.js"
import * as TokenError from "../TokenError.js"
import * as endpointInternal from "./endpoint.js"
import * as tokenRequest from "./tokenRequest.js"

/**
 * One authorization code exchange (RFC 6749 §4.1.3). `code` is `None` for
 * the integrations whose callback carries no code.
 *
 * @internal
 */
export interface ExchangeRequest {
  readonly endpoint: Endpoint.Endpoint
  readonly code: Option.Option<Redacted.Redacted<string>>
  readonly redirectUri: string
  readonly verifier: Option.Option<Redacted.Redacted<string>>
  readonly resource?: ReadonlyArray<string> | undefined
}

const alreadySent = () =>
  new TokenError.InvalidTokenRequest({
    reason: "this authorization code was already sent to the token endpoint, and a code can be exchanged only once; " +
      "start the authorization again (do not retry or repeat the exchange)"
  })

/**
 * Exchanges a code, at most once: the effect sends one token request the
 * first time it runs and refuses, without sending anything, every time after
 * (a repeated code makes the server revoke what it issued for it, RFC 6749
 * §4.1.2). Failures of the request are {@link TokenError.CodeExchangeFailed},
 * which nothing retries. A token URL that fails its checks does not use the
 * code up.
 *
 * @internal
 */
export const exchange = (
  request: ExchangeRequest
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, HttpClient.HttpClient> => {
  let sent = false
  return Effect.suspend(() => {
    const url = endpointInternal.url(request.endpoint, "token")
    if (Either.isLeft(url)) return Effect.fail(url.left)
    if (sent) return Effect.fail(alreadySent())
    sent = true
    return tokenRequest.execute({
      endpoint: request.endpoint,
      grantType: "authorization_code",
      params: [
        ...Option.match(request.code, { onNone: () => [], onSome: (code) => [["code", code] as const] }),
        ["redirect_uri", request.redirectUri],
        ...Option.match(request.verifier, {
          onNone: () => [],
          onSome: (verifier) => [["code_verifier", verifier] as const]
        }),
        ...tokenRequest.resourceParams(request.resource)
      ]
    }).pipe(
      Effect.mapError((error): TokenError.TokenError =>
        error._tag === "OAuthError" || error._tag === "EndpointUnavailable" ||
          error._tag === "MalformedResponse"
          ? new TokenError.CodeExchangeFailed({ cause: error })
          : error
      )
    )
  })
}
