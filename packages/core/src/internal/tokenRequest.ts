import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as AccessToken from "../AccessToken.js"
import * as ClientAuth from "../ClientAuth.js"
import type * as Dpop from "../Dpop.js"
import type * as Endpoint from "../Endpoint.js"
import * as TokenError from "../TokenError.js"
import * as TokenResponse from "../TokenResponse.js"
import * as bytes from "./bytes.js"
import * as dpop from "./dpop.js"
import * as endpoint from "./endpoint.js"
import * as oauthError from "./oauthError.js"
import * as redirect from "./redirect.js"
import * as retryAfter from "./retryAfter.js"

/**
 * One token request, whatever the grant: the endpoint, and the grant's own
 * form parameters (secret ones `Redacted` until they are encoded).
 *
 * @internal
 */
export interface TokenRequest {
  readonly endpoint: Endpoint.Endpoint
  readonly grantType: string
  readonly params: ReadonlyArray<readonly [string, string | Redacted.Redacted<string>]>
  /** The DPoP key to prove, when not the endpoint's: the key the refresh token sent is bound to. */
  readonly dpop?: Dpop.DpopKey | undefined
}

/**
 * The largest token response read, 1 MiB: a token response is a few
 * kilobytes, and a misconfigured URL can point at anything.
 *
 * @internal
 */
export const maxBodyBytes = 1024 * 1024

// Set by the grant or by the client authentication: an extra parameter that
// repeats one of them would make the request ambiguous.
const reservedParams: ReadonlySet<string> = new Set([
  "grant_type",
  "client_id",
  "client_secret",
  "client_assertion",
  "client_assertion_type"
])

/**
 * Checks a grant's `extraParams` before anything is sent: they cannot set
 * `grant_type`, a client authentication parameter, or a parameter in `set`
 * (those the request already carries from its own options, e.g. `scope`).
 *
 * @internal
 */
export const checkExtraParams = (
  extraParams: Readonly<Record<string, string>> | undefined,
  set: ReadonlyArray<string>
): Either.Either<ReadonlyArray<readonly [string, string]>, TokenError.InvalidTokenRequest> => {
  const extra = Object.entries(extraParams ?? {})
  const clash = extra.find(([key]) => reservedParams.has(key) || set.includes(key))
  return clash === undefined
    ? Either.right(extra)
    : Either.left(
      new TokenError.InvalidTokenRequest({
        reason: `extraParams cannot set "${clash[0]}": ` +
          (reservedParams.has(clash[0])
            ? "the grant or the client authentication sets it"
            : "the request already sets it from its own options")
      })
    )
}

/**
 * An option that takes one value or several, as a list.
 *
 * @internal
 */
export const many = (value: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : typeof value === "string" ? [value] : value

/**
 * The resource indicators of a request (RFC 8707 §2): one `resource`
 * parameter per URI given, in order. Every grant and the authorization
 * request send them through here.
 *
 * @internal
 */
export const resourceParams = (
  resource: string | ReadonlyArray<string> | undefined
): ReadonlyArray<readonly ["resource", string]> => many(resource).map((value) => ["resource", value] as const)

/**
 * Reads a response body up to `max` bytes, counted after any content decoding;
 * `None` when it is larger. Stopping the stream early aborts the request.
 *
 * @internal
 */
export const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  max: number
): Effect.Effect<Option.Option<string>, HttpClientError.ResponseError> => {
  // With a declared length the HTTP client already holds the body to it, so the
  // cap is a header check and the body is read in one go; streaming chunk by
  // chunk costs several times a token request's own work. Not with a
  // content-encoding: the length counts encoded bytes, the fetch client decodes
  // them, and 64 KiB of gzip unpack to 64 MiB — the decoded bytes are counted.
  const declared = Number(response.headers["content-length"] ?? Number.NaN)
  const encoding = response.headers["content-encoding"]
  const read = Number.isInteger(declared) && declared >= 0 &&
      (encoding === undefined || encoding.trim().toLowerCase() === "identity")
    ? declared > max ? Effect.succeed(Option.none()) : Effect.map(response.text, Option.some)
    : readBodyCapped(response, max)
  // a response without a body at all (a bare 200 from a revocation endpoint) reads as empty
  return Effect.catchIf(read, (error) => error.reason === "EmptyBody", () => Effect.succeed(Option.some("")))
}

const readBodyCapped = (
  response: HttpClientResponse.HttpClientResponse,
  max: number
): Effect.Effect<Option.Option<string>, HttpClientError.ResponseError> =>
  Stream.runFoldWhile(
    response.stream,
    { chunks: [] as Array<Uint8Array>, size: 0 },
    (state) => state.size <= max,
    (state, chunk) => {
      state.chunks.push(chunk)
      state.size += chunk.length
      return state
    }
  ).pipe(
    Effect.map(({ chunks, size }) => {
      if (size > max) return Option.none()
      return Option.some(new TextDecoder().decode(bytes.concat(chunks, size)))
    })
  )

/**
 * What a token endpoint answered, read in full.
 *
 * @internal
 */
export interface RawResponse {
  readonly status: number
  readonly contentType: string | undefined
  /** `None` when the body was larger than {@link maxBodyBytes}. */
  readonly body: Option.Option<string>
  readonly retryAfter: Option.Option<Duration.Duration>
  /** The `DPoP-Nonce` header (RFC 9449 §8), when the server sent one. */
  readonly dpopNonce?: string | undefined
}

/**
 * A token and the token response's fields, for the grants whose response
 * carries more than RFC 6749 §5.1 (RFC 8693's `issued_token_type`).
 *
 * @internal
 */
export interface Issued {
  readonly token: AccessToken.AccessToken
  readonly fields: Readonly<Record<string, unknown>>
}

/**
 * What is wrong with an answer, as a decoder says it: the field and how it
 * fails, with a secret-free excerpt of what was received.
 *
 * @internal
 */
export interface Problem {
  readonly field: string
  readonly reason: string
  readonly excerpt?: string | undefined
}

const malformed = (endpoint: Endpoint.Name, status: number, problem: Problem) =>
  new TokenError.MalformedResponse({
    endpoint,
    status,
    field: problem.field,
    reason: problem.reason,
    excerpt: problem.excerpt ?? ""
  })

const mebibyte = 1024 * 1024

const tooLarge = (max: number): Problem => ({
  field: "body",
  reason: `is larger than ${max % mebibyte === 0 ? `${max / mebibyte} MiB` : `${max} bytes`}`
})

const unavailable = (endpoint: Endpoint.Name, response: RawResponse, cause?: unknown) =>
  new TokenError.EndpointUnavailable({
    endpoint,
    reason: "Status",
    status: Option.some(response.status),
    retryAfter: response.retryAfter,
    ...(cause === undefined ? {} : { cause })
  })

const isSuccess = (status: number): boolean => status >= 200 && status < 300

/**
 * Interprets a token endpoint response. Pure: everything it needs is in the
 * response and the options.
 *
 * - 2xx: the body must parse and decode as a token response;
 * - otherwise an OAuth error body gives an `OAuthError`, and anything else
 *   (a gateway's HTML page, an empty or oversized body) an
 *   `EndpointUnavailable` with the status.
 *
 * @internal
 */
export const interpretIssued = (
  response: RawResponse,
  options: Pick<TokenResponse.DecodeOptions, "sentAt" | "defaultLifetime" | "maxLifetime">
): Either.Either<Issued, TokenError.TokenError> => {
  const { status } = response
  const ok = isSuccess(status)
  if (Option.isNone(response.body)) {
    return Either.left(ok ? malformed("token", status, tooLarge(maxBodyBytes)) : unavailable("token", response))
  }
  const parsed = TokenResponse.parseBody(response.contentType, response.body.value, status)
  if (Either.isLeft(parsed)) return Either.left(ok ? parsed.left : unavailable("token", response, parsed.left))
  return Either.map(
    TokenResponse.decode(parsed.right, {
      status,
      sentAt: options.sentAt,
      defaultLifetime: options.defaultLifetime,
      maxLifetime: options.maxLifetime,
      retryAfter: response.retryAfter
    }),
    // a decoded token means the body was an object
    (token) => ({ token, fields: parsed.right as Readonly<Record<string, unknown>> })
  )
}

/**
 * {@link interpretIssued}, the token only.
 *
 * @internal
 */
export const interpret = (
  response: RawResponse,
  options: Pick<TokenResponse.DecodeOptions, "sentAt" | "defaultLifetime" | "maxLifetime">
): Either.Either<AccessToken.AccessToken, TokenError.TokenError> =>
  Either.map(interpretIssued(response, options), (issued) => issued.token)

/**
 * What an endpoint's answer fails with.
 *
 * @internal
 */
export type Failure = TokenError.OAuthError | TokenError.EndpointUnavailable | TokenError.MalformedResponse

/**
 * Interprets the JSON answer of an endpoint that does not issue tokens
 * (device authorization, introspection, revocation): a 2xx JSON object is
 * handed to `decode` (by default returned as it is); an OAuth error body is
 * an `OAuthError`, another error status an `EndpointUnavailable`; a 2xx body
 * that is not an object (or too large), or that `decode` finds a problem
 * with, a `MalformedResponse`. Each names `endpoint`.
 *
 * @internal
 */
export const interpretJson: {
  (response: RawResponse, endpoint: Endpoint.Name): Either.Either<Readonly<Record<string, unknown>>, Failure>
  <A>(
    response: RawResponse,
    endpoint: Endpoint.Name,
    decode: (body: Readonly<Record<string, unknown>>) => Either.Either<A, Problem>
  ): Either.Either<A, Failure>
} = <A>(
  response: RawResponse,
  endpoint: Endpoint.Name,
  decode?: (body: Readonly<Record<string, unknown>>) => Either.Either<A, Problem>
): Either.Either<A, Failure> => {
  const { status } = response
  const ok = isSuccess(status)
  if (Option.isNone(response.body)) {
    return Either.left(ok ? malformed(endpoint, status, tooLarge(maxBodyBytes)) : unavailable(endpoint, response))
  }
  const parsed = TokenResponse.parseBody(response.contentType, response.body.value, status, endpoint)
  if (Either.isLeft(parsed)) return Either.left(ok ? parsed.left : unavailable(endpoint, response, parsed.left))
  const body = parsed.right
  const error = Predicate.isRecord(body) ? oauthError.read(endpoint, body, status, response.retryAfter) : undefined
  if (error !== undefined && error !== "Unusable") return Either.left(error)
  if (!ok) return Either.left(unavailable(endpoint, response))
  if (error === "Unusable") return Either.left(malformed(endpoint, status, { field: "error", reason: oauthError.unusableReason }))
  if (!Predicate.isRecord(body)) return Either.left(malformed(endpoint, status, { field: "body", reason: "is not a JSON object" }))
  if (decode === undefined) return Either.right(body as A)
  return Either.mapLeft(decode(body), (problem) => malformed(endpoint, status, problem))
}

/**
 * Interprets the answer of an endpoint whose 2xx body means nothing (RFC
 * 7009 §2.2: the revocation endpoint answers 200 whether the token was valid,
 * unknown or already revoked): any 2xx is a success; an error status is an
 * `OAuthError` when it carries an OAuth body, an `EndpointUnavailable`
 * otherwise.
 *
 * @internal
 */
export const interpretStatus = (
  response: RawResponse,
  endpoint: Endpoint.Name
): Either.Either<void, TokenError.OAuthError | TokenError.EndpointUnavailable> => {
  if (isSuccess(response.status)) return Either.void
  // interpretJson decodes, or finds malformed, 2xx bodies only: an error status comes back as one of the two errors
  return Either.left(Either.match(interpretJson(response, endpoint), {
    onLeft: (error) => error._tag === "MalformedResponse" ? unavailable(endpoint, response, error) : error,
    onRight: () => unavailable(endpoint, response)
  }))
}

/**
 * Interprets a document read with {@link get} (the issuer's metadata, its
 * JWKS): only 200 is an answer, any other status an `EndpointUnavailable`; a
 * body over `maxBytes` (the bound it was read with) and a problem `decode`
 * finds in the text are a `MalformedResponse`.
 *
 * @internal
 */
export const interpretDocument = <A>(
  response: RawResponse,
  endpoint: Endpoint.Name,
  decode: (text: string) => Either.Either<A, Problem>,
  maxBytes: number = maxBodyBytes
): Either.Either<A, TokenError.EndpointUnavailable | TokenError.MalformedResponse> => {
  if (response.status !== 200) return Either.left(unavailable(endpoint, response))
  if (Option.isNone(response.body)) return Either.left(malformed(endpoint, response.status, tooLarge(maxBytes)))
  return Either.mapLeft(decode(response.body.value), (problem) => malformed(endpoint, response.status, problem))
}

/**
 * Runs an HTTP exchange that must not follow redirects: the fetch client
 * follows them unless told not to (Node's clients never do), and the request
 * would carry the client's credentials to wherever the server points, whose
 * answer would then be taken for the endpoint's. Other `RequestInit` options
 * set by the caller are kept.
 *
 * @internal
 */
export const withoutRedirects = <A, E, R>(exchange: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.serviceOption(FetchHttpClient.RequestInit), (init) =>
    Effect.provideService(exchange, FetchHttpClient.RequestInit, {
      ...Option.getOrElse(init, () => ({})),
      redirect: "manual"
    }))

// The platform error holds the request, whose Authorization header (Basic
// credentials) JSON.stringify would print outside a fiber, where Effect cannot
// redact it: keep what went wrong underneath, not the request.
const transportError = (endpoint: Endpoint.Name) => (error: HttpClientError.HttpClientError) =>
  new TokenError.EndpointUnavailable({
    endpoint,
    reason: "Transport",
    status: Option.none(),
    retryAfter: Option.none(),
    cause: error.cause ?? error.reason
  })

/**
 * What an endpoint answered, and when the request was sent (epoch
 * milliseconds, from `Clock`).
 *
 * @internal
 */
export interface Answer extends RawResponse {
  readonly sentAt: number
}

/**
 * The one place where grantflow performs HTTP with an endpoint of the
 * authorization server. It builds the request (`build`, which may sign a
 * client assertion for this very attempt), sends it and reads the answer in
 * full: the whole exchange is bounded by `timeout`, the body included, and
 * the body is capped at {@link maxBodyBytes}. It annotates the current span
 * with the status. A transport failure or a time-out is an
 * `EndpointUnavailable` naming `endpoint`. A request that carries
 * credentials or a token never follows a redirect (see
 * {@link withoutRedirects}): a 3xx is an `EndpointUnavailable` too.
 */
const exchange = <E>(options: {
  readonly endpoint: Endpoint.Name
  readonly build: Effect.Effect<HttpClientRequest.HttpClientRequest, E>
  readonly timeout: Duration.Duration
  readonly credentials: boolean
  readonly maxBytes?: number | undefined
}): Effect.Effect<Answer, TokenError.EndpointUnavailable | E, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const httpRequest = yield* options.build
    const sentAt = yield* Clock.currentTimeMillis
    return yield* receive(options.endpoint, httpRequest, options.credentials, sentAt, options.maxBytes ?? maxBodyBytes)
  }).pipe(
    Effect.timeoutFail({
      duration: options.timeout,
      onTimeout: () =>
        new TokenError.EndpointUnavailable({
          endpoint: options.endpoint,
          reason: "Timeout",
          status: Option.none(),
          retryAfter: Option.none()
        })
    })
  )

const receive = (
  endpoint: Endpoint.Name,
  httpRequest: HttpClientRequest.HttpClientRequest,
  credentials: boolean,
  sentAt: number,
  maxBytes: number
): Effect.Effect<Answer, TokenError.EndpointUnavailable, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const execute = HttpClient.execute(httpRequest)
    const response = yield* credentials ? withoutRedirects(execute) : execute
    yield* Effect.annotateCurrentSpan("http.response.status_code", response.status)
    if (credentials && redirect.isRedirect(response.status)) {
      return yield* new TokenError.EndpointUnavailable({
        endpoint,
        reason: "Status",
        status: Option.some(response.status),
        retryAfter: Option.none()
      })
    }
    // read even when unused, so that the connection is free again
    const body = yield* readBody(response, maxBytes)
    const now = yield* Clock.currentTimeMillis
    return {
      sentAt,
      status: response.status,
      contentType: response.headers["content-type"],
      body,
      retryAfter: retryAfter.parse(response.headers["retry-after"], now),
      dpopNonce: response.headers["dpop-nonce"]
    }
  }).pipe(Effect.catchTags({ RequestError: transportError(endpoint), ResponseError: transportError(endpoint) }))

/**
 * A form POST to an endpoint of the authorization server, with the client
 * authentication.
 *
 * @internal
 */
export interface FormPost {
  readonly endpoint: Endpoint.Name
  /** Already checked with {@link checkEndpointUrl}. */
  readonly url: URL
  readonly auth: ClientAuth.ClientAuth | undefined
  readonly params: ReadonlyArray<readonly [string, string | Redacted.Redacted<string>]>
  readonly timeout: Duration.Duration
  /** The DPoP key whose proof the request carries (RFC 9449 §5), if any. */
  readonly dpop?: Dpop.DpopKey | undefined
  /** The parameters as one JSON object instead of a form, for the providers that take JSON. */
  readonly body?: Endpoint.RequestBody | undefined
}

/**
 * Sends a form POST asking for JSON, with the client authentication added at
 * send time, through the endpoints' one exchange: never following a
 * redirect. Every request of grantflow to an endpoint of the authorization
 * server that carries credentials or a token goes through here. With a
 * `dpop` key it carries a proof signed for this attempt, with the nonce last
 * heard from the server, and remembers the nonce the answer gives.
 *
 * @internal
 */
export const post = (
  request: FormPost
): Effect.Effect<Answer, TokenError.EndpointUnavailable | TokenError.InvalidTokenRequest, HttpClient.HttpClient> =>
  exchange({
    endpoint: request.endpoint,
    timeout: request.timeout,
    credentials: true,
    build: Effect.gen(function*() {
      const base: ClientAuth.TokenRequestParts = {
        headers: Headers.fromInput({ accept: "application/json" }),
        params: UrlParams.fromInput(
          request.params.map(([key, value]) => [key, Redacted.isRedacted(value) ? Redacted.value(value) : value] as const)
        )
      }
      const parts = request.auth === undefined ? base : yield* ClientAuth.authenticate(base, request.auth, request.url)
      const httpRequest = HttpClientRequest.post(request.url).pipe(
        HttpClientRequest.setHeaders(parts.headers),
        request.body === "json"
          ? HttpClientRequest.bodyUnsafeJson(Object.fromEntries(parts.params))
          : HttpClientRequest.bodyUrlParams(parts.params)
      )
      return request.dpop === undefined
        ? httpRequest
        : HttpClientRequest.setHeader(httpRequest, "dpop", yield* dpop.proof(request.dpop, { htm: "POST", htu: request.url }))
    })
  }).pipe(
    Effect.tap((answer) => {
      if (request.dpop !== undefined) dpop.rememberNonce(request.dpop, request.url, answer.dpopNonce)
    })
  )

/**
 * Whether a token endpoint's answer asks for a DPoP nonce (RFC 9449 §8): a
 * 400 with the OAuth error `use_dpop_nonce` and a `DPoP-Nonce` header — the
 * request is to be sent again with that nonce in its proof.
 *
 * @internal
 */
export const isNonceChallenge = (response: RawResponse): boolean => {
  if (response.status !== 400 || response.dpopNonce === undefined || Option.isNone(response.body)) return false
  const parsed = TokenResponse.parseBody(response.contentType, response.body.value, response.status)
  return Either.isRight(parsed) && Predicate.isRecord(parsed.right) && parsed.right["error"] === "use_dpop_nonce"
}

/**
 * A {@link post}, sent once more when it carries a DPoP proof and the
 * answer asks for a nonce (see {@link isNonceChallenge}): the second proof
 * carries the nonce {@link post} remembered. Never more than twice.
 *
 * @internal
 */
export const postWithNonce = (
  request: FormPost
): Effect.Effect<Answer, TokenError.EndpointUnavailable | TokenError.InvalidTokenRequest, HttpClient.HttpClient> =>
  request.dpop === undefined
    ? post(request)
    : Effect.flatMap(post(request), (answer) => isNonceChallenge(answer) ? post(request) : Effect.succeed(answer))

/**
 * A JSON POST to an endpoint of the authorization server (client
 * registration, RFC 7591 §3.1), with `bearer` — an initial access token —
 * as its `Authorization` when given, through the endpoints' one exchange:
 * never following a redirect.
 *
 * @internal
 */
export const postJson = (request: {
  readonly endpoint: Endpoint.Name
  /** Already checked with {@link checkEndpointUrl}. */
  readonly url: URL
  readonly body: Readonly<Record<string, unknown>>
  readonly bearer: Redacted.Redacted<string> | undefined
  readonly timeout: Duration.Duration
  readonly maxBytes?: number | undefined
}): Effect.Effect<Answer, TokenError.EndpointUnavailable, HttpClient.HttpClient> =>
  exchange({
    endpoint: request.endpoint,
    timeout: request.timeout,
    maxBytes: request.maxBytes,
    credentials: true,
    build: Effect.sync(() =>
      HttpClientRequest.post(request.url).pipe(
        HttpClientRequest.setHeaders({
          accept: "application/json",
          ...(request.bearer === undefined ? {} : { authorization: `Bearer ${Redacted.value(request.bearer)}` })
        }),
        HttpClientRequest.bodyUnsafeJson(request.body)
      )
    )
  })

/**
 * A token sent to the revocation or introspection endpoint with its type
 * hint (RFC 7009 §2.1, RFC 7662 §2.1), the endpoint's client authentication
 * and time-out: a {@link post} to `url`, the endpoint's checked URL for
 * `purpose`.
 *
 * @internal
 */
export const postToken = (
  self: Endpoint.Endpoint,
  purpose: "revocation" | "introspection",
  url: URL,
  token: {
    readonly token: Redacted.Redacted<string>
    readonly tokenTypeHint?: string | undefined
  }
): Effect.Effect<Answer, TokenError.EndpointUnavailable | TokenError.InvalidTokenRequest, HttpClient.HttpClient> =>
  post({
    endpoint: purpose,
    url,
    auth: self.auth,
    params: [
      ["token", token.token],
      ...(token.tokenTypeHint === undefined ? [] : [["token_type_hint", token.tokenTypeHint] as const])
    ],
    timeout: self.timeout,
    body: self.requestBody
  })

/**
 * A request of a provider's own revocation API, not RFC 7009's form POST:
 * `method` to `url` with the token as the bearer credential or as the
 * member `json` of a JSON body, the client authentication's headers (and,
 * for credentials in the body, its parameters as JSON members), through the
 * endpoints' one exchange: never following a redirect.
 *
 * @internal
 */
export const sendRevocation = (request: {
  /** Already checked with {@link checkEndpointUrl}. */
  readonly url: URL
  readonly method: "POST" | "DELETE"
  readonly token: Redacted.Redacted<string>
  readonly placement: "bearer" | { readonly json: string }
  readonly auth: ClientAuth.ClientAuth | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly timeout: Duration.Duration
}): Effect.Effect<Answer, TokenError.EndpointUnavailable | TokenError.InvalidTokenRequest, HttpClient.HttpClient> =>
  exchange({
    endpoint: "revocation",
    timeout: request.timeout,
    credentials: true,
    build: Effect.gen(function*() {
      const base: ClientAuth.TokenRequestParts = {
        // JSON unless the provider asks for its own media type (GitHub's application/vnd.github+json)
        headers: Headers.fromInput({ accept: "application/json", ...request.headers }),
        params: UrlParams.empty
      }
      const parts = request.auth === undefined ? base : yield* ClientAuth.authenticate(base, request.auth, request.url)
      const bearer = request.placement === "bearer"
        ? { authorization: `Bearer ${Redacted.value(request.token)}` }
        : {}
      const members = request.placement === "bearer"
        ? Object.fromEntries(parts.params)
        : { ...Object.fromEntries(parts.params), [request.placement.json]: Redacted.value(request.token) }
      const httpRequest = HttpClientRequest.make(request.method)(request.url).pipe(
        HttpClientRequest.setHeaders(parts.headers),
        HttpClientRequest.setHeaders(bearer)
      )
      // a bearer call with nothing else to say sends no body, as the providers' examples do
      return Object.keys(members).length === 0 ? httpRequest : HttpClientRequest.bodyUnsafeJson(httpRequest, members)
    })
  })

/**
 * Interprets the answer of a provider's own revocation API: a 2xx is a
 * success unless its JSON body carries an OAuth `error` (providers that
 * answer every call with 200 and `{ "ok": false, "error": … }`), which is an
 * `OAuthError`; an error status is read as by {@link interpretStatus}.
 *
 * @internal
 */
export const interpretRevocation = (
  response: RawResponse
): Either.Either<void, TokenError.OAuthError | TokenError.EndpointUnavailable> => {
  if (!isSuccess(response.status) || Option.isNone(response.body)) return interpretStatus(response, "revocation")
  const parsed = TokenResponse.parseBody(response.contentType, response.body.value, response.status, "revocation")
  if (Either.isLeft(parsed) || !Predicate.isRecord(parsed.right)) return Either.void
  const error = oauthError.read("revocation", parsed.right, response.status, response.retryAfter)
  return error === undefined || error === "Unusable" ? Either.void : Either.left(error)
}

/**
 * A GET of a public document of the authorization server asking for JSON
 * (the issuer's metadata, its JWKS), its body capped at `maxBytes` (default
 * {@link maxBodyBytes}), through the endpoints' one exchange. It carries
 * no credentials, so the HTTP client may follow redirects.
 *
 * @internal
 */
export const get = (request: {
  readonly endpoint: Endpoint.Name
  readonly url: string
  readonly timeout: Duration.Duration
  readonly maxBytes?: number | undefined
}): Effect.Effect<Answer, TokenError.EndpointUnavailable, HttpClient.HttpClient> =>
  exchange({
    endpoint: request.endpoint,
    timeout: request.timeout,
    maxBytes: request.maxBytes,
    credentials: false,
    build: Effect.sync(() => HttpClientRequest.get(request.url, { acceptJson: true }))
  })

/**
 * Sends a token request and interprets the answer: a {@link post} to the
 * endpoint's checked token URL with `grant_type` first, the token issued at the instant
 * the request was sent. It runs in a `grantflow.token_request` span whose
 * attributes name the grant, the client authentication method and, after
 * OpenTelemetry's HTTP conventions, the method, the token URL's host, port
 * and address without its query, and the status: never a secret.
 *
 * @internal
 */
export const executeIssued = (
  request: TokenRequest
): Effect.Effect<Issued, TokenError.TokenError, HttpClient.HttpClient> => {
  const key = request.dpop ?? request.endpoint.dpop
  return Effect.flatMap(endpoint.url(request.endpoint, "token"), (url) =>
    postWithNonce({
      endpoint: "token",
      url,
      auth: request.endpoint.auth,
      params: [["grant_type", request.grantType], ...request.params],
      timeout: request.endpoint.timeout,
      dpop: key,
      body: request.endpoint.requestBody
    }).pipe(
      Effect.flatMap((answer) =>
        interpretIssued(answer, {
          sentAt: answer.sentAt,
          defaultLifetime: request.endpoint.defaultLifetime,
          maxLifetime: request.endpoint.maxLifetime
        })
      ),
      // the token remembers the key it was requested with: the key it (and its refresh token) is bound to
      Effect.map((issued) =>
        key === undefined ? issued : { ...issued, token: new AccessToken.AccessToken({ ...issued.token, dpop: key }) }
      ),
      Effect.withSpan("grantflow.token_request", {
        kind: "client",
        attributes: {
          "grantflow.grant_type": request.grantType,
          "grantflow.client_auth": request.endpoint.auth === undefined
            ? "absent"
            : ClientAuth.methodName(request.endpoint.auth),
          "http.request.method": "POST",
          "server.address": url.hostname,
          "server.port": Number(url.port || (url.protocol === "https:" ? 443 : 80)),
          "url.full": `${url.origin}${url.pathname}`
        }
      })
    ))
}

/**
 * {@link executeIssued}, the token only.
 *
 * @internal
 */
export const execute = (
  request: TokenRequest
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError, HttpClient.HttpClient> =>
  Effect.map(executeIssued(request), (issued) => issued.token)
