import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as AccessToken from "../AccessToken.js"
import type { Options } from "../BearerAuth.js"
import type * as Dpop from "../Dpop.js"
import * as TokenError from "../TokenError.js"
import type * as TokenProvider from "../TokenProvider.js"
import * as bytes from "./bytes.js"
import * as challenge from "./challenge.js"
import * as credentialFree from "./credentialFree.js"
import * as dpop from "./dpop.js"
import * as tokenError from "./tokenError.js"
import { internalOf } from "./tokenProvider.js"

/**
 * Whether a `WWW-Authenticate` header holds a Bearer challenge with
 * `error="invalid_token"` (RFC 6750 §3.1), read by the one challenge parser:
 * its first 8 KiB, in one linear pass.
 *
 * @internal
 */
export const isInvalidTokenChallenge = (header: string): boolean =>
  challenge.parse(header).some((one) =>
    (one.scheme === "bearer" || one.scheme === "dpop") && one.params.get("error")?.toLowerCase() === "invalid_token"
  )

/**
 * Whether an API's answer asks for a DPoP nonce (RFC 9449 §9): a 401 with a
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"` challenge and a
 * `DPoP-Nonce` header. Not a rejection of the token: the request is to be
 * sent again, with the same token, and a proof carrying that nonce.
 *
 * @internal
 */
export const isNonceChallenge = (status: number, headers: Readonly<Record<string, string | undefined>>): boolean => {
  const header = headers["www-authenticate"]
  return status === 401 && headers["dpop-nonce"] !== undefined && header !== undefined &&
    challenge.parse(header).some((one) => one.scheme === "dpop" && one.params.get("error") === "use_dpop_nonce")
}

const rejectedByStatus = (response: HttpClientResponse.HttpClientResponse, rules: Options): boolean => {
  if ((rules.statuses ?? [401]).includes(response.status)) return true
  // RFC 6750 challenges come with error statuses; reading headers costs a copy
  if (response.status < 400 || !(rules.invalidTokenChallenge ?? true)) return false
  const challenge = response.headers["www-authenticate"]
  return challenge !== undefined && isInvalidTokenChallenge(challenge)
}

/**
 * The most of a body that the `bodyPattern` rule reads, 64 KiB: an error
 * body is small, and the body comes from the API.
 *
 * @internal
 */
export const maxRuleBodyBytes = 64 * 1024

const nullBodyStatuses = new Set([101, 103, 204, 205, 304])

/** `response`, answering the same request, with `body` (a status that may have one). */
const copy = (response: HttpClientResponse.HttpClientResponse, body: BodyInit) =>
  HttpClientResponse.fromWeb(response.request, new Response(body, { status: response.status, headers: response.headers }))

/**
 * The first {@link maxRuleBodyBytes} of a body as text, and a response that
 * still has the whole body: the bytes read are put back in front of the ones
 * not read yet, which are read only when the new response is.
 */
const peek = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<readonly [string, HttpClientResponse.HttpClientResponse]> =>
  Effect.flatMap(Stream.toReadableStreamEffect(response.stream), (body) =>
    Effect.tryPromise(async () => {
      const reader = body.getReader()
      const chunks: Array<Uint8Array> = []
      let size = 0
      let done = false
      while (!done && size <= maxRuleBodyBytes) {
        const next = await reader.read()
        if (next.done) done = true
        else {
          chunks.push(next.value)
          size += next.value.length
        }
      }
      const read = bytes.concat(chunks, size)
      const whole: BodyInit = done ? read : new ReadableStream<Uint8Array>({
        start: (controller) => controller.enqueue(read),
        pull: async (controller) => {
          const next = await reader.read()
          if (next.done) controller.close()
          else controller.enqueue(next.value)
        },
        cancel: (reason) => reader.cancel(reason)
      })
      return [new TextDecoder().decode(read.subarray(0, maxRuleBodyBytes)), copy(response, whole)] as const
    })).pipe(Effect.orElseSucceed(() => ["", response] as const))

/**
 * The rules' answer, and the response to hand on: the same one, or — when
 * the body rule read the body — a copy that still has the whole body.
 *
 * @internal
 */
export const rejection = (
  response: HttpClientResponse.HttpClientResponse,
  rules: Options
): Effect.Effect<readonly [boolean, HttpClientResponse.HttpClientResponse]> => {
  if (rejectedByStatus(response, rules)) return Effect.succeed([true, response])
  const pattern = rules.bodyPattern
  // `new Response` refuses a body for these statuses, and they have none
  if (pattern === undefined || nullBodyStatuses.has(response.status) || response.status < 200 || response.status > 599) {
    return Effect.succeed([false, response])
  }
  const test = (body: string) => {
    pattern.lastIndex = 0
    return pattern.test(body)
  }
  // A small body of declared length is read whole by `text`, which the
  // response caches: the caller can still read it. Any other body is streamed
  // (a declared length counts encoded bytes; an absent one bounds nothing).
  const declared = Number(response.headers["content-length"] ?? Number.NaN)
  const encoding = response.headers["content-encoding"]
  if (
    Number.isInteger(declared) && declared <= maxRuleBodyBytes &&
    (encoding === undefined || encoding.toLowerCase() === "identity")
  ) {
    // handed on: a copy with that text, whose body every client can read again in any form
    return response.text.pipe(
      Effect.map((body) => [test(body), copy(response, body)] as const),
      Effect.orElseSucceed(() => [false, response] as const)
    )
  }
  return Effect.map(peek(response), ([body, copy]) => [test(body), copy] as const)
}

/** @internal */
export const isRejected = (
  response: HttpClientResponse.HttpClientResponse,
  rules: Options = {}
): Effect.Effect<boolean> => Effect.map(rejection(response, rules), ([rejected]) => rejected)

/** @internal */
export const urlWithoutQuery = (request: HttpClientRequest.HttpClientRequest): string => {
  const url = UrlParams.makeUrl(request.url, [], Option.none())
  return url._tag === "Right" ? `${url.right.origin}${url.right.pathname}` : request.url.split(/[?#]/)[0] ?? ""
}

/**
 * A rejected response attached to the request as it was *before*
 * authentication, its body unread. Errors keep their response, and a response
 * keeps its request, whose `Authorization` header `JSON.stringify` would print
 * outside a fiber, where Effect cannot redact it.
 *
 * @internal
 */
export const withoutCredentials = (
  response: HttpClientResponse.HttpClientResponse,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientResponse.HttpClientResponse> => Effect.succeed(credentialFree.responseFor(response, request))

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
 * The `TokenError` that {@link platformFailures} put under a `RequestError`.
 *
 * @internal
 */
export const tokenErrorOf = (error: HttpClientError.HttpClientError): Option.Option<TokenError.TokenError> =>
  // only a TokenError is ever the cause of a RequestError made here
  error._tag === "RequestError" && tokenError.isGrantflowError(error.cause)
    ? Option.some(error.cause as TokenError.TokenError)
    : Option.none()

/**
 * The failures of a decorated client that keeps the plain `HttpClient` error
 * type: no token is a `RequestError` whose cause is the `TokenError`; a token
 * still rejected after a refresh a `StatusCode` `ResponseError`, on the
 * response without credentials, whose cause is `rejected`'s error.
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

// The first answer is dropped: drain its body so the connection can be reused —
// up to 64 KiB; a longer one is cut off (the connection with it), not buffered.
const discard = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.ignore(
    Stream.runFoldWhile(response.stream, 0, (size) => size <= maxRuleBodyBytes, (size, chunk) => size + chunk.length)
  )

const unboundKey = new TokenError.InvalidTokenRequest({
  reason: "the token is DPoP-bound (token_type DPoP) but holds no DPoP key, nor does BearerAuth: pass the key " +
    "as the dpop option"
})

/** @internal */
export const authenticate = <E, R, E1, E2>(
  client: HttpClient.HttpClient.With<E, R>,
  provider: TokenProvider.TokenProvider["Type"],
  options: Options | undefined,
  failures: Failures<E1, E2>,
  apply: Apply = withToken
): HttpClient.HttpClient.With<E | E1 | E2, R> => {
  const tokenFor = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.mapError(provider.get, (error) => failures.noToken(request, error))

  const rejectionRules = options ?? {}
  // the key the token was requested with — the one it is bound to — else the option's
  const keyOf = (token: AccessToken.AccessToken) => token.dpop ?? rejectionRules.dpop

  // A DPoP-bound token goes with a proof signed for this very request (RFC 9449 §7).
  const withProof = (
    request: HttpClientRequest.HttpClientRequest,
    token: AccessToken.AccessToken,
    authorized: HttpClientRequest.HttpClientRequest,
    key: Dpop.DpopKey | undefined
  ): Effect.Effect<HttpClientRequest.HttpClientRequest, E1> =>
    key === undefined
      ? Effect.fail(failures.noToken(request, unboundKey))
      : dpop.proof(key, { htm: request.method, htu: urlWithoutQuery(request), accessToken: Redacted.value(token.token) })
        .pipe(
          Effect.mapBoth({
            onFailure: (error) => failures.noToken(request, error),
            onSuccess: (proof) => HttpClientRequest.setHeader(authorized, "dpop", proof)
          })
        )

  // The one exit: the response and the client's errors carry the request
  // with whatever `apply` put on it redacted, wherever it put it. The server's
  // DPoP nonce, if it gives one, is kept for the next proof.
  const send = (request: HttpClientRequest.HttpClientRequest, token: AccessToken.AccessToken) => {
    const authorized = apply(request, token)
    if (token.type !== "DPoP") return credentialFree.execute(client, authorized, credentialFree.credentialsOf(request, authorized))
    const key = keyOf(token)
    return Effect.flatMap(withProof(request, token, authorized, key), (sent) =>
      credentialFree.execute(client, sent, credentialFree.credentialsOf(request, sent)).pipe(
        Effect.tap((response) => {
          if (key !== undefined) dpop.rememberNonce(key, response.request.url, response.headers["dpop-nonce"])
        })
      ))
  }

  // what becomes of the provider's tokens goes on the provider's events
  const reports = internalOf(provider)

  // A request's second and last sending (a replay with a new token, or the
  // same token with a DPoP nonce): still rejected, it is rejected.
  const sendLast = (
    request: HttpClientRequest.HttpClientRequest,
    token: AccessToken.AccessToken,
    seen: { readonly method: string; readonly url: string; readonly status: number }
  ) =>
    Effect.gen(function*() {
      const [rejected, answered] = yield* rejection(yield* send(request, token), rejectionRules)
      if (!rejected) return answered
      yield* reports.rejected(token, { ...seen, status: answered.status })
      return yield* Effect.flip(failures.rejected(request, answered))
    })

  const replay = (
    request: HttpClientRequest.HttpClientRequest,
    token: AccessToken.AccessToken,
    response: HttpClientResponse.HttpClientResponse
  ) =>
    Effect.gen(function*() {
      yield* discard(response)
      const seen = { method: request.method, url: urlWithoutQuery(request), status: response.status }
      yield* reports.rejected(token, seen)
      // not `get`: a cached token, or one whose request was under way, may predate the rejection (and share
      // its cause); only a token requested from now on makes "rejected with a freshly obtained token" true
      const renewed = yield* Effect.mapError(reports.renew, (error) => failures.noToken(request, error))
      yield* reports.replayed(token, renewed, seen)
      yield* Effect.logDebug("grantflow: the API rejected the token; request replayed with a new one").pipe(
        Effect.annotateLogs({ method: request.method, status: response.status })
      )
      return yield* sendLast(request, renewed, seen)
    })

  // The server asked for a DPoP nonce, which `send` remembered: a new proof,
  // and the request's last sending, as a replay is. The token is not
  // rejected: the provider's current one goes — the same, unless it went
  // stale while the request was out, which must not be sent again.
  const withNonce = (
    request: HttpClientRequest.HttpClientRequest,
    response: HttpClientResponse.HttpClientResponse
  ) =>
    Effect.zipRight(
      discard(response),
      Effect.flatMap(tokenFor(request), (current) =>
        sendLast(request, current, { method: request.method, url: urlWithoutQuery(request), status: response.status }))
    )

  // Written as plain flatMaps: this runs on every API request, and the common
  // answer (not rejected, no body pattern) is decided without another step.
  const execute = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.flatMap(tokenFor(request), (token) =>
      Effect.flatMap(send(request, token), (response) => {
        if (token.type === "DPoP" && isNonceChallenge(response.status, response.headers)) {
          return withNonce(request, response)
        }
        if (rejectedByStatus(response, rejectionRules)) return replay(request, token, response)
        if (rejectionRules.bodyPattern === undefined) return Effect.succeed(response)
        return Effect.flatMap(
          rejection(response, rejectionRules),
          ([rejected, read]) => rejected ? replay(request, token, read) : Effect.succeed(read)
        )
      }))

  return HttpClient.makeWith(
    (request: Effect.Effect<HttpClientRequest.HttpClientRequest, E | E1 | E2, R>) => Effect.flatMap(request, execute),
    Effect.succeed
  )
}
