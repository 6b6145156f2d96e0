/**
 * What a token provider did with its tokens, as data: the events of a
 * provider's `events` stream.
 *
 * One stream shows a token's whole life: the provider publishes what it
 * fetched, refreshed, retried and gave up on, and `BearerAuth` publishes, on
 * the provider it authenticates with, the API's rejections and the requests it
 * replayed. Every event names its provider and identifies tokens by their
 * `tokenId`: the provider's own number for a token (1 for the first it held,
 * then counting), neither the token nor anything derived from it. No event
 * holds a token, a refresh token or a secret; errors are `TokenError`s, whose
 * messages hold none either.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Option from "effect/Option"
import type * as TokenError from "./TokenError.js"

/**
 * Why a provider started a refresh:
 *
 * - `initial`: it held no token yet;
 * - `expired`: the token reached its safety margin, and callers waited;
 * - `background`: the token entered its refresh window and was still served;
 * - `invalidated`: the token was rejected, and a caller asked for another;
 * - `forced`: a token obtained after the call was demanded (`refresh`, or
 *   `BearerAuth` before a replay).
 *
 * @since 0.1.0
 * @category models
 */
export type Reason = "initial" | "expired" | "background" | "invalidated" | "forced"

/**
 * An API request whose response rejected a token: its method, its URL
 * without the query string (where tokens and secrets travel), and the
 * status of the response that rejected it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiRequest {
  readonly method: string
  readonly url: string
  readonly status: number
}

/**
 * An event of a token provider.
 *
 * - `Fetched`: a refresh that callers waited for (or asked for) obtained
 *   token `tokenId`, replacing `previousTokenId` if it held one before;
 *   `attempts` counts its token requests, retries included.
 * - `BackgroundRefresh`: a refresh started inside the refresh window obtained
 *   token `tokenId`; `previousTokenId` was served meanwhile.
 * - `RefreshFailed`: one token request of a refresh failed. The refresh
 *   retries it when `error.retryable` and the policy's schedule allow,
 *   waiting at least `retryAfter` when the server said so.
 * - `CoolingDown`: a refresh failed for good, after its retries. No token
 *   request is sent for callers before `until` (`Clock` epoch milliseconds);
 *   `serving` is the token still handed out meanwhile, if one has not
 *   reached its safety margin yet.
 * - `Reauthorize`: the refresh token was refused, or is bound to a DPoP key
 *   that is gone (the error's `reason` is then `DpopKeyLost`); a user must
 *   authorize again. It follows the refresh's `CoolingDown`.
 * - `Rejected`: token `tokenId` was reported rejected — by `BearerAuth`,
 *   with the API `request` whose response rejected it, or by a call of
 *   `invalidate`. `invalidated` tells whether the provider discarded it;
 *   it had not when it held another token already.
 * - `Replayed`: `BearerAuth` sent a rejected request again, once, with
 *   token `tokenId`, obtained after the rejection of `rejectedTokenId`.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenEvent = Data.TaggedEnum<{
  Fetched: {
    readonly provider: string
    readonly tokenId: number
    readonly previousTokenId: Option.Option<number>
    readonly reason: Exclude<Reason, "background">
    /** `Clock` epoch milliseconds. */
    readonly expiresAt: number
    readonly attempts: number
  }
  BackgroundRefresh: {
    readonly provider: string
    readonly tokenId: number
    readonly previousTokenId: Option.Option<number>
    readonly expiresAt: number
    readonly attempts: number
  }
  RefreshFailed: {
    readonly provider: string
    readonly reason: Reason
    /** The request's number within its refresh, from 1. */
    readonly attempt: number
    readonly error: TokenError.TokenError
    readonly retryAfter: Option.Option<Duration.Duration>
  }
  CoolingDown: {
    readonly provider: string
    readonly reason: Reason
    readonly attempts: number
    readonly error: TokenError.TokenError
    readonly until: number
    readonly serving: Option.Option<number>
  }
  Reauthorize: {
    readonly provider: string
    readonly error: TokenError.ReauthorizationRequired
  }
  Rejected: {
    readonly provider: string
    readonly tokenId: number
    readonly invalidated: boolean
    readonly request: Option.Option<ApiRequest>
  }
  Replayed: {
    readonly provider: string
    readonly tokenId: number
    readonly rejectedTokenId: number
    readonly request: ApiRequest
  }
}>

const TokenEvent = Data.taggedEnum<TokenEvent>()

/**
 * A `Fetched` event.
 *
 * @since 0.1.0
 * @category models
 */
export type Fetched = Data.TaggedEnum.Value<TokenEvent, "Fetched">

/**
 * Makes a `Fetched` event.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenEvent } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const event = TokenEvent.Fetched({
 *   provider: "crm",
 *   tokenId: 1,
 *   previousTokenId: Option.none(),
 *   reason: "initial",
 *   expiresAt: 3_600_000,
 *   attempts: 1
 * })
 * ```
 */
export const Fetched = TokenEvent.Fetched

/**
 * A `BackgroundRefresh` event.
 *
 * @since 0.1.0
 * @category models
 */
export type BackgroundRefresh = Data.TaggedEnum.Value<TokenEvent, "BackgroundRefresh">

/**
 * Makes a `BackgroundRefresh` event.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenEvent } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const event = TokenEvent.BackgroundRefresh({
 *   provider: "crm",
 *   tokenId: 2,
 *   previousTokenId: Option.some(1),
 *   expiresAt: 7_200_000,
 *   attempts: 1
 * })
 * ```
 */
export const BackgroundRefresh = TokenEvent.BackgroundRefresh

/**
 * A `RefreshFailed` event.
 *
 * @since 0.1.0
 * @category models
 */
export type RefreshFailed = Data.TaggedEnum.Value<TokenEvent, "RefreshFailed">

/**
 * Makes a `RefreshFailed` event.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenError, TokenEvent } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const event = TokenEvent.RefreshFailed({
 *   provider: "crm",
 *   reason: "background",
 *   attempt: 1,
 *   error: new TokenError.EndpointUnavailable({
 *     endpoint: "token",
 *     reason: "Status",
 *     status: Option.some(503),
 *     retryAfter: Option.none()
 *   }),
 *   retryAfter: Option.none()
 * })
 * ```
 */
export const RefreshFailed = TokenEvent.RefreshFailed

/**
 * A `CoolingDown` event.
 *
 * @since 0.1.0
 * @category models
 */
export type CoolingDown = Data.TaggedEnum.Value<TokenEvent, "CoolingDown">

/**
 * Makes a `CoolingDown` event.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenError, TokenEvent } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const event = TokenEvent.CoolingDown({
 *   provider: "crm",
 *   reason: "background",
 *   attempts: 4,
 *   error: new TokenError.EndpointUnavailable({
 *     endpoint: "token",
 *     reason: "Timeout",
 *     status: Option.none(),
 *     retryAfter: Option.none()
 *   }),
 *   until: 3_630_000,
 *   serving: Option.some(1)
 * })
 * ```
 */
export const CoolingDown = TokenEvent.CoolingDown

/**
 * A `Reauthorize` event.
 *
 * @since 0.1.0
 * @category models
 */
export type Reauthorize = Data.TaggedEnum.Value<TokenEvent, "Reauthorize">

/**
 * Makes a `Reauthorize` event.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenError, TokenEvent } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const event = TokenEvent.Reauthorize({
 *   provider: "crm",
 *   error: new TokenError.ReauthorizationRequired({
 *     cause: new TokenError.OAuthError({
 *       endpoint: "token",
 *       status: 400, error: "invalid_grant", description: Option.none(), uri: Option.none(), retryAfter: Option.none()
 *     })
 *   })
 * })
 * ```
 */
export const Reauthorize = TokenEvent.Reauthorize

/**
 * A `Rejected` event.
 *
 * @since 0.1.0
 * @category models
 */
export type Rejected = Data.TaggedEnum.Value<TokenEvent, "Rejected">

/**
 * Makes a `Rejected` event.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenEvent } from "@grantflow/core"
 * import { Option } from "effect"
 *
 * const event = TokenEvent.Rejected({
 *   provider: "crm",
 *   tokenId: 1,
 *   invalidated: true,
 *   request: Option.some({ method: "GET", url: "https://api.example.com/v1/me", status: 401 })
 * })
 * ```
 */
export const Rejected = TokenEvent.Rejected

/**
 * A `Replayed` event.
 *
 * @since 0.1.0
 * @category models
 */
export type Replayed = Data.TaggedEnum.Value<TokenEvent, "Replayed">

/**
 * Makes a `Replayed` event.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { TokenEvent } from "@grantflow/core"
 *
 * const event = TokenEvent.Replayed({
 *   provider: "crm",
 *   tokenId: 2,
 *   rejectedTokenId: 1,
 *   request: { method: "GET", url: "https://api.example.com/v1/me", status: 401 }
 * })
 * ```
 */
export const Replayed = TokenEvent.Replayed

/**
 * Tells whether an event has the given tag, narrowing its type.
 *
 * @since 0.1.0
 * @category guards
 * @example
 * ```ts
 * import { TokenEvent } from "@grantflow/core"
 * import { Stream } from "effect"
 *
 * declare const events: Stream.Stream<TokenEvent.TokenEvent>
 * const rejections = Stream.filter(events, TokenEvent.$is("Rejected"))
 * ```
 */
export const $is = TokenEvent.$is

/**
 * Handles every kind of event, one function per tag.
 *
 * @since 0.1.0
 * @category pattern matching
 * @example
 * ```ts
 * import { TokenEvent } from "@grantflow/core"
 *
 * const describe = TokenEvent.$match({
 *   Fetched: (e) => `token #${e.tokenId} fetched (${e.reason})`,
 *   BackgroundRefresh: (e) => `token #${e.tokenId} refreshed in the background`,
 *   RefreshFailed: (e) => `token request ${e.attempt} failed: ${e.error.message}`,
 *   CoolingDown: (e) => `refresh failed; next attempt at ${e.until}`,
 *   Reauthorize: () => "the user must authorize again",
 *   Rejected: (e) => `token #${e.tokenId} rejected`,
 *   Replayed: (e) => `request replayed with token #${e.tokenId}`
 * })
 * ```
 */
export const $match = TokenEvent.$match
