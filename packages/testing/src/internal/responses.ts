import type * as Headers from "@effect/platform/Headers"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type { TokenRecord } from "./state.js"

/** The realm named in every challenge the server sends. @internal */
export const realm = "grantflow-sim"

/** Token endpoint answers must not be cached (RFC 6749 §5.1). @internal */
export const noStore = { "cache-control": "no-store", pragma: "no-cache" } as const

/**
 * The whole seconds from `from` to `to`, rounded down so that a client never
 * believes something lives longer than it does. The difference of two clock
 * readings with fractions of a millisecond (retry jitter makes them) is
 * rounded to the microsecond first: 1 second is not `999.9999999` milliseconds.
 *
 * @internal
 */
export const secondsBetween = (from: number, to: number): number => Math.floor(Math.round((to - from) * 1000) / 1e6)

/** @internal */
export const json = (body: unknown, status = 200, headers?: Headers.Input): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(body, { status, headers })

const decoder = new TextDecoder()

/**
 * The JSON body of an answer that carries an `access_token` (a token
 * response), for the options and faults that rewrite it; `None` for any other
 * answer.
 *
 * @internal
 */
export const tokenBody = (response: HttpServerResponse.HttpServerResponse): Option.Option<Record<string, unknown>> => {
  if (response.body._tag !== "Uint8Array") return Option.none()
  const { body } = response.body
  return Option.liftThrowable(() => JSON.parse(decoder.decode(body)) as unknown)().pipe(
    Option.filter((parsed): parsed is Record<string, unknown> => Predicate.isRecord(parsed) && "access_token" in parsed)
  )
}

/**
 * The RFC 6749 §5.2 error an answer carries (one {@link oauthError} built),
 * for the options that answer it in another shape; `None` for any other
 * answer.
 *
 * @internal
 */
export const errorBody = (
  response: HttpServerResponse.HttpServerResponse
): Option.Option<{ readonly error: string; readonly error_description?: string }> => {
  if (response.body._tag !== "Uint8Array") return Option.none()
  const { body } = response.body
  return Option.liftThrowable(() => JSON.parse(decoder.decode(body)) as unknown)().pipe(
    Option.filter((parsed): parsed is { error: string; error_description?: string } =>
      Predicate.isRecord(parsed) && typeof parsed["error"] === "string" &&
      (parsed["error_description"] === undefined || typeof parsed["error_description"] === "string")
    )
  )
}

/** An error of the token endpoint, shaped as RFC 6749 §5.2 says. @internal */
export const oauthError = (
  status: number,
  error: string,
  description: string,
  headers?: Headers.Input
): HttpServerResponse.HttpServerResponse =>
  json({ error, error_description: description }, status, { ...noStore, ...headers })

/** A successful token response (RFC 6749 §5.1), with the grant's `extra` fields (e.g. `refresh_token`). @internal */
export const tokenResponse = (
  token: TokenRecord,
  extra: Readonly<Record<string, unknown>> = {}
): HttpServerResponse.HttpServerResponse =>
  json(
    {
      access_token: token.value,
      // RFC 9449 §5: a bound token is a DPoP token
      token_type: token.jkt === undefined ? "Bearer" : "DPoP",
      expires_in: secondsBetween(token.issuedAt, token.expiresAt),
      ...(token.scopes.length > 0 ? { scope: token.scopes.join(" ") } : {}),
      ...extra
    },
    200,
    noStore
  )

/** @internal */
export const methodNotAllowed = (allowed: ReadonlyArray<string>): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.empty({ status: 405, headers: { allow: allowed.join(", ") } })
