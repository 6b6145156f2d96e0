import type * as HttpClient from "@effect/platform/HttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as AccessToken from "../AccessToken.js"
import type * as Endpoint from "../Endpoint.js"
import * as TokenError from "../TokenError.js"
import * as endpointInternal from "./endpoint.js"
import * as excerpt from "./excerpt.js"
import * as printable from "./printable.js"
import * as seconds from "./seconds.js"
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
  readonly extraParams?: Readonly<Record<string, string>> | undefined
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
    const params = [
      ...Option.match(request.code, { onNone: () => [], onSome: (code) => [["code", code] as const] }),
      ["redirect_uri", request.redirectUri] as const,
      ...Option.match(request.verifier, {
        onNone: () => [],
        onSome: (verifier) => [["code_verifier", verifier] as const]
      }),
      ...tokenRequest.resourceParams(request.resource)
    ]
    // refused before the code is used up
    const extra = tokenRequest.checkExtraParams(request.extraParams, ["code", "redirect_uri", "code_verifier", "resource"])
    if (Either.isLeft(extra)) return Effect.fail(extra.left)
    sent = true
    return tokenRequest.execute({
      endpoint: request.endpoint,
      grantType: "authorization_code",
      params: [...params, ...extra.right]
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

/**
 * What a pushed authorization request endpoint answered (RFC 9126 §2.2):
 * the `request_uri` to send the user with, and how long it may be used.
 *
 * @internal
 */
export interface PushedRequest {
  readonly requestUri: string
  readonly expiresIn: Duration.Duration
}

/**
 * The longest `request_uri` accepted, 2048 characters: it goes into the URL
 * the user is sent to, and servers make it a URN of a few dozen characters.
 *
 * @internal
 */
export const maxRequestUriLength = 2048

/**
 * Reads the body of a pushed authorization response (RFC 9126 §2.2):
 * `request_uri` a non-empty string of at most {@link maxRequestUriLength}
 * characters without control characters, `expires_in` a positive number of
 * seconds (a numeric string is accepted too). Pure.
 *
 * @internal
 */
export const decodePushed = (
  body: Readonly<Record<string, unknown>>
): Either.Either<PushedRequest, tokenRequest.Problem> => {
  const malformed = (field: string, reason: string) =>
    Either.left({ field, reason, excerpt: excerpt.fields(body, field) })
  const requestUri = body["request_uri"]
  if (typeof requestUri !== "string" || requestUri === "") return malformed("request_uri", "is missing or empty")
  if (requestUri.length > maxRequestUriLength) {
    return malformed("request_uri", `is longer than ${maxRequestUriLength} characters`)
  }
  if (printable.hasControl(requestUri)) return malformed("request_uri", "contains a control character")
  const expiresIn = seconds.positive(body["expires_in"])
  if (Option.isNone(expiresIn)) return malformed("expires_in", "is not a positive number of seconds")
  return Either.right({ requestUri, expiresIn: Duration.seconds(expiresIn.value) })
}

/**
 * Interprets the answer of a pushed authorization request endpoint: a 2xx
 * (201 Created, RFC 9126 §2.2, or 200, which some servers send) whose body
 * {@link decodePushed} reads; an OAuth error body is an `OAuthError`, any
 * other failure an `EndpointUnavailable` or a `MalformedResponse`, each
 * naming the `pushedAuthorization` endpoint. Pure.
 *
 * @internal
 */
export const interpretPushed = (
  response: tokenRequest.RawResponse
): Either.Either<PushedRequest, tokenRequest.Failure> =>
  tokenRequest.interpretJson(response, "pushedAuthorization", decodePushed)

const noEndpoint = (endpoint: Endpoint.Endpoint, reason: TokenError.InvalidTokenRequest) =>
  endpoint.requirePushedAuthorizationRequests
    ? new TokenError.InvalidTokenRequest({
      reason: "the server requires pushed authorization requests (require_pushed_authorization_requests), but " +
        "names no pushed authorization request endpoint: set pushedAuthorizationUrl in Endpoint.make"
    })
    : reason

/**
 * Pushes the parameters of an authorization request to the endpoint's
 * pushed authorization request endpoint (RFC 9126 §2.1) with its client
 * authentication, as a token request would carry it. The client id is in
 * the form whatever the method (RFC 9126 §2.1): the methods that do not put
 * it there themselves (`client_secret_basic`) get it added.
 *
 * @internal
 */
export const push = (
  endpoint: Endpoint.Endpoint,
  params: ReadonlyArray<readonly [string, string]>
): Effect.Effect<PushedRequest, TokenError.TokenError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const url = yield* Either.mapLeft(
      endpointInternal.url(endpoint, "pushedAuthorization"),
      (reason) => noEndpoint(endpoint, reason)
    )
    const clientId = endpoint.auth?._tag === "ClientSecretBasic" ? [["client_id", endpoint.auth.clientId] as const] : []
    const answer = yield* tokenRequest.post({
      endpoint: "pushedAuthorization",
      url,
      auth: endpoint.auth,
      params: [...clientId, ...params],
      timeout: endpoint.timeout
    }).pipe(
      Effect.withSpan("grantflow.pushed_authorization_request", {
        kind: "client",
        attributes: { "server.address": url.host, "url.path": url.pathname }
      })
    )
    return yield* interpretPushed(answer)
  })
