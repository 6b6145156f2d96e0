import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as AuthServer from "../AuthServer.js"
import { inIssueOrder } from "./issueOrder.js"
import type * as Pkce from "./pkce.js"
import { randomValue } from "./random.js"

/**
 * A checked authorization request (RFC 6749 §4.1.1): `redirectUriSent` tells
 * whether the request named its `redirect_uri`, which the token request must
 * then repeat (§4.1.3).
 *
 * @internal
 */
export interface AuthorizationRequest {
  readonly clientId: string
  readonly redirectUri: string
  readonly redirectUriSent: boolean
  readonly scopes: ReadonlyArray<string>
  readonly state: string | undefined
  readonly nonce: string | undefined
  readonly codeChallenge: string | undefined
  readonly codeChallengeMethod: Pkce.Method | undefined
  /** Whether a refresh token is to be issued with the code (see `AuthServer.OfflineAccess`). */
  readonly offline: boolean
  /** The thumbprint of the DPoP key the code must be exchanged with (RFC 9449 §10), when the request named one. */
  readonly dpopJkt: string | undefined
}

/** @internal */
export interface Code extends AuthorizationRequest {
  readonly seq: number
  readonly id: string
  readonly issuedAt: number
  readonly expiresAt: number
  readonly used: boolean
  readonly replayed: boolean
  // what was issued with it, revoked if it is replayed
  readonly accessTokenIds: ReadonlyArray<string>
  readonly familyIds: ReadonlyArray<string>
}

interface Store {
  readonly pending: HashMap.HashMap<string, AuthorizationRequest>
  readonly codes: HashMap.HashMap<string, Code>
  readonly count: number
}

/** @internal */
export type Redeem =
  | { readonly _tag: "Unknown" }
  | { readonly _tag: "Replayed"; readonly code: Code }
  | { readonly _tag: "Fresh"; readonly code: Code }

/**
 * The authorization requests awaiting the user's answer, and the codes
 * issued. Codes are one-time: redeeming one twice revokes what was issued
 * with it (RFC 6749 §4.1.2).
 *
 * @internal
 */
export interface AuthorizationCodes {
  /** Keeps a request until the user answers it; returns the id its consent page posts back. */
  readonly hold: (request: AuthorizationRequest) => Effect.Effect<string>
  /** The request held under that id, which is forgotten. */
  readonly take: (pendingId: string) => Effect.Effect<Option.Option<AuthorizationRequest>>
  readonly issue: (request: AuthorizationRequest) => Effect.Effect<string>
  /** Marks a code used; a code used before has what was issued with it revoked. */
  readonly redeem: (value: string) => Effect.Effect<Redeem>
  /** Records what a code was exchanged for; `false` (and all revoked) when the code was replayed meanwhile. */
  readonly attach: (value: string, accessTokenId: string, familyId: string | undefined) => Effect.Effect<boolean>
  readonly list: Effect.Effect<ReadonlyArray<AuthServer.IssuedCode>>
}

/** @internal */
export const make = (
  options: AuthServer.Options,
  revoke: (issued: {
    readonly accessTokenIds: ReadonlyArray<string>
    readonly familyIds: ReadonlyArray<string>
  }) => Effect.Effect<void>
): Effect.Effect<AuthorizationCodes> =>
  Effect.gen(function*() {
    const lifetime = Duration.toMillis(options.codeLifetime ?? "60 seconds")
    const store = yield* Ref.make<Store>({ pending: HashMap.empty(), codes: HashMap.empty(), count: 0 })

    const hold: AuthorizationCodes["hold"] = (request) => {
      const pendingId = randomValue()
      return Ref.update(store, (s) => ({ ...s, pending: HashMap.set(s.pending, pendingId, request) })).pipe(
        Effect.as(pendingId)
      )
    }

    const take: AuthorizationCodes["take"] = (pendingId) =>
      Ref.modify(store, (s) => [
        HashMap.get(s.pending, pendingId),
        { ...s, pending: HashMap.remove(s.pending, pendingId) }
      ])

    const issue: AuthorizationCodes["issue"] = (request) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const value = randomValue()
        yield* Ref.update(store, (s) => ({
          ...s,
          codes: HashMap.set(s.codes, value, {
            ...request,
            seq: s.count + 1,
            id: `c${s.count + 1}`,
            issuedAt: now,
            expiresAt: now + lifetime,
            used: false,
            replayed: false,
            accessTokenIds: [],
            familyIds: []
          }),
          count: s.count + 1
        }))
        return value
      })

    const redeem: AuthorizationCodes["redeem"] = (value) =>
      Effect.tap(
        Ref.modify(store, (s): [Redeem, Store] => {
          const code = HashMap.get(s.codes, value)
          if (Option.isNone(code)) return [{ _tag: "Unknown" }, s]
          if (code.value.used) {
            return [{ _tag: "Replayed", code: code.value }, {
              ...s,
              codes: HashMap.set(s.codes, value, { ...code.value, replayed: true })
            }]
          }
          const used = { ...code.value, used: true }
          return [{ _tag: "Fresh", code: used }, { ...s, codes: HashMap.set(s.codes, value, used) }]
        }),
        (redeemed) => redeemed._tag === "Replayed" ? revoke(redeemed.code) : Effect.void
      )

    const attach: AuthorizationCodes["attach"] = (value, accessTokenId, familyId) => {
      const issued = { accessTokenIds: [accessTokenId], familyIds: familyId === undefined ? [] : [familyId] }
      return Effect.flatMap(
        Ref.modify(store, (s): [boolean, Store] => {
          const code = HashMap.get(s.codes, value)
          // a replay that came in between found nothing to revoke yet: what this exchange issued goes now
          if (Option.isNone(code) || code.value.replayed) return [false, s]
          return [true, { ...s, codes: HashMap.set(s.codes, value, { ...code.value, ...issued }) }]
        }),
        (attached) => attached ? Effect.succeed(true) : Effect.as(revoke(issued), false)
      )
    }

    const list: AuthorizationCodes["list"] = Effect.map(Ref.get(store), (s) =>
      inIssueOrder(s.codes).map((code) => ({
          id: code.id,
          clientId: code.clientId,
          redirectUri: code.redirectUri,
          scopes: code.scopes,
          ...(code.nonce === undefined ? {} : { nonce: code.nonce }),
          ...(code.codeChallengeMethod === undefined ? {} : { codeChallengeMethod: code.codeChallengeMethod }),
          ...(code.dpopJkt === undefined ? {} : { dpopJkt: code.dpopJkt }),
          issuedAt: code.issuedAt,
          expiresAt: code.expiresAt,
          used: code.used
        })))

    return { hold, take, issue, redeem, attach, list }
  })
