import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type * as AccessToken from "../AccessToken.js"
import type * as Endpoint from "../Endpoint.js"
import type * as Grant from "../Grant.js"
import * as TokenError from "../TokenError.js"
import * as TokenResponse from "../TokenResponse.js"
import * as endpointInternal from "./endpoint.js"
import * as excerpt from "./excerpt.js"
import * as printable from "./printable.js"
import * as seconds from "./seconds.js"
import * as tokenRequest from "./tokenRequest.js"

/** RFC 8628 §3.4. @internal */
export const grantType = "urn:ietf:params:oauth:grant-type:device_code"

/** The polling interval when the server states none (RFC 8628 §3.2). @internal */
export const defaultInterval: Duration.Duration = Duration.seconds(5)

/**
 * The shortest polling interval, 1 second, whatever the server states: an
 * interval of `0.001` would otherwise poll a thousand times a second.
 *
 * @internal
 */
export const minInterval: Duration.Duration = Duration.seconds(1)

/** What a `slow_down` answer adds to the interval (RFC 8628 §3.5). @internal */
export const slowDownStep: Duration.Duration = Duration.seconds(5)

interface Authorization {
  readonly deviceCode: Redacted.Redacted<string>
  readonly userCode: string
  readonly verificationUri: string
  readonly verificationUriComplete: string | undefined
  readonly expiresIn: Duration.Duration
  readonly interval: Duration.Duration
}

// `0` is a valid minimum wait (RFC 8628 §3.2); the floor makes it usable.
const interval = (value: unknown): Option.Option<Duration.Duration> => {
  if (value === undefined || value === null) return Option.some(defaultInterval)
  const n = seconds.number(value)
  return Number.isFinite(n) && n >= 0 ? Option.some(Duration.max(Duration.seconds(n), minInterval)) : Option.none()
}

const text = (value: unknown): Option.Option<string> =>
  typeof value === "string" && value.trim() !== "" ? Option.some(value.trim()) : Option.none()

// The user code and the URIs are shown to the user, often on a terminal.
const maxUserCodeLength = 128
const maxUriLength = 2048

/**
 * Reads a device authorization response (RFC 8628 §3.2). Google names the
 * verification URI `verification_url`; it is accepted too. The interval is
 * at least {@link minInterval}, 5 seconds when absent.
 */
const decodeAuthorization = (
  body: Readonly<Record<string, unknown>>
): Either.Either<Authorization, tokenRequest.Problem> => {
  const malformed = (field: string, reason: string) =>
    Either.left({ field, reason, excerpt: excerpt.fields(body, field) })
  // a value shown to the user: bounded, and without characters that would rewrite the screen
  const unfit = (value: string, max: number): string | undefined =>
    value.length > max
      ? `is longer than ${max} characters`
      : printable.hasControl(value)
      ? "contains a control character"
      : undefined
  const deviceCode = text(body["device_code"])
  if (Option.isNone(deviceCode)) return malformed("device_code", "is missing or empty")
  if (deviceCode.value.length > TokenResponse.maxTokenLength) {
    return malformed("device_code", `is longer than ${TokenResponse.maxTokenLength} characters`)
  }
  const userCode = text(body["user_code"])
  if (Option.isNone(userCode)) return malformed("user_code", "is missing or empty")
  const badUserCode = unfit(userCode.value, maxUserCodeLength)
  if (badUserCode !== undefined) return malformed("user_code", badUserCode)
  const uriField = Option.isSome(text(body["verification_uri"])) ? "verification_uri" : "verification_url"
  const verificationUri = text(body[uriField])
  if (Option.isNone(verificationUri)) return malformed("verification_uri", "is missing or empty")
  const badUri = unfit(verificationUri.value, maxUriLength)
  if (badUri !== undefined) return malformed(uriField, badUri)
  const verificationUriComplete = Option.getOrUndefined(text(body["verification_uri_complete"]))
  const badComplete = verificationUriComplete === undefined ? undefined : unfit(verificationUriComplete, maxUriLength)
  if (badComplete !== undefined) return malformed("verification_uri_complete", badComplete)
  const expiresIn = seconds.positive(body["expires_in"])
  if (Option.isNone(expiresIn)) return malformed("expires_in", "is not a positive number of seconds")
  const wait = interval(body["interval"])
  if (Option.isNone(wait)) return malformed("interval", "is not a number of seconds")
  return Either.right({
    deviceCode: Redacted.make(deviceCode.value),
    userCode: userCode.value,
    verificationUri: verificationUri.value,
    verificationUriComplete,
    expiresIn: Duration.seconds(expiresIn.value),
    interval: wait.value
  })
}

const isOAuth = (error: TokenError.TokenError, code: string): boolean =>
  error._tag === "OAuthError" && error.error === code

/** Whether polling goes on after `error`: the user has not decided yet, or the server is briefly unavailable. */
const keepPolling = (error: TokenError.TokenError): boolean =>
  isOAuth(error, "authorization_pending") || isOAuth(error, "slow_down") ||
  ((error._tag === "EndpointUnavailable" || error._tag === "OAuthError") && error.retryable)

/**
 * The wait before the next poll: the same after `authorization_pending`, 5
 * seconds more after `slow_down` (kept for every later poll), and doubled —
 * or the server's `Retry-After`, if longer — when the endpoint was
 * unavailable (RFC 8628 §3.5 asks for a backoff).
 */
const nextWait = (current: Duration.Duration, error: TokenError.TokenError): Duration.Duration => {
  if (isOAuth(error, "authorization_pending")) return current
  if (isOAuth(error, "slow_down")) return Duration.sum(current, slowDownStep)
  return Option.match(TokenError.retryAfter(error), {
    onNone: () => Duration.times(current, 2),
    onSome: (wait) => Duration.max(Duration.times(current, 2), wait)
  })
}

const finalError = (error: TokenError.TokenError): TokenError.TokenError => {
  if (isOAuth(error, "expired_token")) return new TokenError.DeviceCodeExpired({ reason: "ExpiredToken", cause: error })
  if (error._tag === "OAuthError" && error.error === "access_denied") {
    return new TokenError.DeviceAccessDenied({ cause: error })
  }
  // polling stopped on an error it would have continued after: the code's lifetime ran out
  if (keepPolling(error)) return new TokenError.DeviceCodeExpired({ reason: "Elapsed", cause: error })
  return error
}

/**
 * The device authorization grant (RFC 8628): requests a device code, hands
 * the user code to `onUserCode`, then polls the token endpoint until the user
 * decides or the code expires. All time is read from `Clock`.
 *
 * @internal
 */
export const run = <E, R>(
  endpoint: Endpoint.Endpoint,
  options: Grant.DeviceCodeOptions<E, R>
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError | E, HttpClient.HttpClient | R> =>
  Effect.gen(function*() {
    const deviceUrl = yield* endpointInternal.url(endpoint, "deviceAuthorization")
    // checked before the user is shown a code that could never be redeemed
    yield* endpointInternal.url(endpoint, "token")
    const scopes = (options.scopes ?? []).filter((scope) => scope !== "")
    const params = [
      ...(scopes.length > 0 ? [["scope", scopes.join(" ")] as const] : []),
      ...(options.audience !== undefined ? [["audience", options.audience] as const] : []),
      ...tokenRequest.resourceParams(options.resource)
    ]
    const extra = yield* tokenRequest.checkExtraParams(options.extraParams, params.map(([key]) => key))

    const answer = yield* tokenRequest.post({
      endpoint: "deviceAuthorization",
      url: deviceUrl,
      auth: endpoint.auth,
      params: [...params, ...extra],
      timeout: endpoint.timeout
    }).pipe(
      Effect.withSpan("grantflow.device_authorization", {
        kind: "client",
        attributes: { "server.address": deviceUrl.host, "url.path": deviceUrl.pathname }
      })
    )
    const authorization = yield* tokenRequest.interpretJson(answer, "deviceAuthorization", decodeAuthorization)
    const deadline = answer.sentAt + Duration.toMillis(authorization.expiresIn)

    yield* options.onUserCode({
      userCode: authorization.userCode,
      verificationUri: authorization.verificationUri,
      ...(authorization.verificationUriComplete === undefined
        ? {}
        : { verificationUriComplete: authorization.verificationUriComplete }),
      expiresIn: authorization.expiresIn
    })

    const wait = yield* Ref.make(authorization.interval)
    const fitsBeforeDeadline = Effect.zipWith(
      Clock.currentTimeMillis,
      Ref.get(wait),
      (now, next) => now + Duration.toMillis(next) < deadline
    )
    const schedule = Schedule.identity<TokenError.TokenError>().pipe(
      Schedule.whileInput(keepPolling),
      Schedule.modifyDelayEffect((error) => Ref.updateAndGet(wait, (current) => nextWait(current, error))),
      Schedule.checkEffect(() => fitsBeforeDeadline)
    )
    const poll = tokenRequest.execute({ endpoint, grantType, params: [
        ["device_code", authorization.deviceCode],
        ...tokenRequest.resourceParams(options.resource)
      ]
    })

    // the user needs time to type the code: the first poll comes one interval in
    if (!(yield* fitsBeforeDeadline)) return yield* new TokenError.DeviceCodeExpired({ reason: "Elapsed" })
    yield* Effect.sleep(authorization.interval)
    return yield* Effect.retry(poll, schedule).pipe(Effect.mapError(finalError))
  })
