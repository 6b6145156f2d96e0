import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AccessToken from "../AccessToken.js"
import type { RejectionRules } from "../BearerAuth.js"
import type * as TokenError from "../TokenError.js"
import type * as TokenProvider from "../TokenProvider.js"
import * as metrics from "./metrics.js"

const invalidTokenChallenge = /^\s*Bearer\b.*\berror\s*=\s*"?invalid_token\b/i

const rejectedByStatus = (response: HttpClientResponse.HttpClientResponse, rules: RejectionRules): boolean => {
  if ((rules.statuses ?? [401]).includes(response.status)) return true
  // RFC 6750 challenges come with error statuses; reading headers costs a copy
  if (response.status < 400 || !(rules.invalidTokenChallenge ?? true)) return false
  const challenge = response.headers["www-authenticate"]
  return challenge !== undefined && invalidTokenChallenge.test(challenge)
}

/** @internal */
export const isRejected = (
  response: HttpClientResponse.HttpClientResponse,
  rules: RejectionRules = {}
): Effect.Effect<boolean> => {
  if (rejectedByStatus(response, rules)) return Effect.succeed(true)
  const pattern = rules.bodyPattern
  if (pattern === undefined) return Effect.succeed(false)
  // `text` is cached by the response, so the caller can still read the body.
  return response.text.pipe(
    Effect.map((body) => {
      pattern.lastIndex = 0
      return pattern.test(body)
    }),
    Effect.orElseSucceed(() => false)
  )
}

/** @internal */
export const urlWithoutQuery = (request: HttpClientRequest.HttpClientRequest): string => {
  const url = UrlParams.makeUrl(request.url, [], Option.none())
  return url._tag === "Right" ? `${url.right.origin}${url.right.pathname}` : request.url.split(/[?#]/)[0] ?? ""
}

const nullBodyStatuses = new Set([101, 103, 204, 205, 304])

/**
 * A copy of a rejected response (status, headers, body) attached to the
 * request as it was *before* authentication. Errors keep their response, and
 * a response keeps its request, whose `Authorization` header `JSON.stringify`
 * would print outside a fiber, where Effect cannot redact it.
 *
 * @internal
 */
export const withoutCredentials = (
  response: HttpClientResponse.HttpClientResponse,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientResponse.HttpClientResponse> =>
  Effect.map(Effect.orElseSucceed(response.text, () => ""), (body) =>
    HttpClientResponse.fromWeb(
      request,
      new Response(body === "" || nullBodyStatuses.has(response.status) ? null : body, {
        status: response.status,
        headers: response.headers
      })
    ))

/** @internal */
export interface Failures<E1, E2> {
  readonly noToken: (request: HttpClientRequest.HttpClientRequest, error: TokenError.TokenError) => E1
  readonly rejected: (
    request: HttpClientRequest.HttpClientRequest,
    response: HttpClientResponse.HttpClientResponse
  ) => Effect.Effect<E2>
}

/**
 * Puts a token on a request; by default as `Authorization: <type> <token>`.
 *
 * @internal
 */
export type Apply = (
  request: HttpClientRequest.HttpClientRequest,
  token: AccessToken.AccessToken
) => HttpClientRequest.HttpClientRequest

/** @internal */
export const withToken: Apply = (request, token) =>
  HttpClientRequest.setHeader(request, "authorization", Redacted.value(AccessToken.authorizationHeader(token)))

/**
 * The failures of a decorated client that keeps the plain `HttpClient` error
 * type: no token is a `RequestError` whose cause is the `TokenError`; a token
 * still rejected after a refresh a `StatusCode` `ResponseError`, on a copy of
 * the response without credentials, whose cause is `rejected`'s error.
 *
 * @internal
 */
export const platformFailures = (
  rejected: (request: HttpClientRequest.HttpClientRequest, response: HttpClientResponse.HttpClientResponse) => Error
): Failures<HttpClientError.RequestError, HttpClientError.ResponseError> => ({
  noToken: (request, error) =>
    new HttpClientError.RequestError({ request, reason: "Transport", cause: error, description: error.message }),
  rejected: (request, response) =>
    Effect.map(withoutCredentials(response, request), (copy) => {
      const cause = rejected(request, response)
      return new HttpClientError.ResponseError({
        request,
        response: copy,
        reason: "StatusCode",
        cause,
        description: cause.message
      })
    })
})

// The first answer is dropped: drain its body so the connection can be reused.
const discard = (response: HttpClientResponse.HttpClientResponse) => Effect.ignore(response.arrayBuffer)

/** @internal */
export const authenticate = <E, R, E1, E2>(
  client: HttpClient.HttpClient.With<E, R>,
  provider: TokenProvider.TokenProvider["Type"],
  rules: RejectionRules | undefined,
  failures: Failures<E1, E2>,
  apply: Apply = withToken
): HttpClient.HttpClient.With<E | E1 | E2, R> => {
  const tokenFor = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.mapError(provider.get, (error) => failures.noToken(request, error))

  const rejectionRules = rules ?? {}

  const replay = (
    request: HttpClientRequest.HttpClientRequest,
    token: AccessToken.AccessToken,
    response: HttpClientResponse.HttpClientResponse
  ) =>
    Effect.gen(function*() {
      yield* discard(response)
      yield* provider.invalidate(token)
      const renewed = yield* tokenFor(request)
      yield* Metric.increment(metrics.requestReplays)
      yield* Effect.logDebug("grantflow: the API rejected the token; request replayed with a new one").pipe(
        Effect.annotateLogs({ method: request.method, status: response.status })
      )
      const replayed = yield* client.execute(apply(request, renewed))
      if (!(yield* isRejected(replayed, rejectionRules))) return replayed
      yield* provider.invalidate(renewed)
      return yield* Effect.flip(failures.rejected(request, replayed))
    })

  // Written as plain flatMaps: this runs on every API request, and the common
  // answer (not rejected, no body pattern) is decided without another step.
  const execute = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.flatMap(tokenFor(request), (token) =>
      Effect.flatMap(client.execute(apply(request, token)), (response) => {
        if (rejectedByStatus(response, rejectionRules)) return replay(request, token, response)
        if (rejectionRules.bodyPattern === undefined) return Effect.succeed(response)
        return Effect.flatMap(
          isRejected(response, rejectionRules),
          (rejected) => rejected ? replay(request, token, response) : Effect.succeed(response)
        )
      }))

  return HttpClient.makeWith(
    (request: Effect.Effect<HttpClientRequest.HttpClientRequest, E | E1 | E2, R>) => Effect.flatMap(request, execute),
    Effect.succeed
  )
}
