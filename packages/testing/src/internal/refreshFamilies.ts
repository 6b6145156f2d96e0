import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as AuthServer from "../AuthServer.js"
import { inIssueOrder } from "./issueOrder.js"
import { randomValue } from "./random.js"
import * as Scopes from "./scopes.js"

/** A refresh token as it goes on the wire, with its short id. @internal */
export interface RefreshToken {
  readonly id: string
  readonly value: string
}

interface Retired extends RefreshToken {
  // the grace window of the token retired last: until when, and how many more uses
  readonly graceUntil: number
  readonly graceUses: number
}

interface Family {
  readonly seq: number
  readonly id: string
  readonly clientId: string
  readonly grantType: AuthServer.GrantType
  readonly scopes: ReadonlyArray<string>
  readonly refreshTokenIds: ReadonlyArray<string>
  readonly accessTokenIds: ReadonlyArray<string>
  readonly revoked: boolean
  /** The thumbprint of the DPoP key the family is bound to (RFC 9449 §5), if any. */
  readonly jkt: string | undefined
  readonly current: RefreshToken & { readonly expiresAt: number | undefined }
  readonly retired: Option.Option<Retired>
}

interface Entry {
  readonly id: string
  readonly familyId: string
}

interface Store {
  readonly families: HashMap.HashMap<string, Family>
  readonly byValue: HashMap.HashMap<string, Entry>
  readonly familyCount: number
  readonly tokenCount: number
}

/**
 * What a refresh request may get: the scopes of its new access token and the
 * refresh token to answer with (none when rotation is off), or an error.
 *
 * @internal
 */
export type Use =
  | {
    readonly _tag: "Refreshed"
    readonly presentedId: string
    readonly familyId: string
    readonly scopes: ReadonlyArray<string>
    readonly refreshToken: Option.Option<RefreshToken>
  }
  | {
    readonly _tag: "Rejected"
    readonly presentedId: string | undefined
    readonly error: "invalid_grant" | "invalid_scope"
    readonly description: string
  }

/**
 * The refresh token families of a server (RFC 9700 §4.14.2). Revoking a
 * family revokes its access tokens through `revokeAccessTokens`.
 *
 * @internal
 */
export interface Families {
  /** Starts a family for a grant that just issued `accessTokenId`. */
  readonly start: (
    clientId: string,
    grantType: AuthServer.GrantType,
    scopes: ReadonlyArray<string>,
    accessTokenId: string,
    jkt?: string | undefined
  ) => Effect.Effect<RefreshToken & { readonly familyId: string }>
  /** Redeems a refresh token: rotates it, or detects its reuse and revokes its family. */
  readonly use: (request: {
    readonly value: string
    readonly clientId: string
    readonly scope: string | undefined
  }) => Effect.Effect<Use>
  /** Adds an access token to a family; a family revoked meanwhile revokes it at once and answers `false`. */
  readonly attach: (familyId: string, accessTokenId: string) => Effect.Effect<boolean>
  readonly revoke: (familyId: string) => Effect.Effect<void>
  /** Revokes the family an access token was issued in, if any: the whole grant (a provider's "revoke this token"). */
  readonly revokeHolding: (accessTokenId: string) => Effect.Effect<void>
  readonly list: Effect.Effect<ReadonlyArray<AuthServer.RefreshFamily>>
  /** What the server knows of a refresh token value, without using it (revocation, introspection). */
  readonly find: (value: string) => Effect.Effect<Option.Option<Found>>
}

/** A refresh token looked up by value: its family, and whether it is the family's current one. @internal */
export interface Found {
  readonly id: string
  readonly familyId: string
  readonly clientId: string
  readonly scopes: ReadonlyArray<string>
  readonly current: boolean
  readonly expiresAt: number | undefined
  readonly revoked: boolean
  readonly jkt: string | undefined
}

/** @internal */
export const make = (
  options: AuthServer.Options,
  revokeAccessTokens: (ids: ReadonlyArray<string>) => Effect.Effect<void>
): Effect.Effect<Families> =>
  Effect.gen(function*() {
    const rotation = options.refreshRotation ?? true
    const graceMillis = options.refreshGrace === undefined ? 0 : Duration.toMillis(options.refreshGrace)
    const graceUses = graceMillis > 0 ? (options.refreshGraceReuses ?? 1) : 0
    const lifetime = options.refreshTokenLifetime === undefined
      ? undefined
      : Duration.toMillis(options.refreshTokenLifetime)
    const store = yield* Ref.make<Store>({
      families: HashMap.empty(),
      byValue: HashMap.empty(),
      familyCount: 0,
      tokenCount: 0
    })

    const expiry = (now: number) => lifetime === undefined ? undefined : now + lifetime

    // Marks a family revoked in `s`; the caller revokes the access tokens it returns.
    const revokeIn = (s: Store, family: Family): [ReadonlyArray<string>, Store] => [
      family.revoked ? [] : family.accessTokenIds,
      { ...s, families: HashMap.set(s.families, family.id, { ...family, revoked: true }) }
    ]

    const start: Families["start"] = (clientId, grantType, scopes, accessTokenId, jkt) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const value = randomValue()
        return yield* Ref.modify(store, (s) => {
          const familyId = `f${s.familyCount + 1}`
          const id = `r${s.tokenCount + 1}`
          const family: Family = {
            seq: s.familyCount + 1,
            id: familyId,
            clientId,
            grantType,
            scopes,
            refreshTokenIds: [id],
            accessTokenIds: [accessTokenId],
            revoked: false,
            jkt,
            current: { id, value, expiresAt: expiry(now) },
            retired: Option.none()
          }
          return [{ id, value, familyId }, {
            families: HashMap.set(s.families, familyId, family),
            byValue: HashMap.set(s.byValue, value, { id, familyId }),
            familyCount: s.familyCount + 1,
            tokenCount: s.tokenCount + 1
          }]
        })
      })

    const use: Families["use"] = ({ clientId, scope, value }) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const next = randomValue()
        const [outcome, revoked] = yield* Ref.modify(
          store,
          (s): [readonly [Use, ReadonlyArray<string>], Store] => {
            const reject = (
              description: string,
              presentedId?: string,
              error: "invalid_grant" | "invalid_scope" = "invalid_grant"
            ): readonly [Use, ReadonlyArray<string>] => [{ _tag: "Rejected", presentedId, error, description }, []]
            const entry = HashMap.get(s.byValue, value)
            if (Option.isNone(entry)) return [reject("The refresh token is not recognised"), s]
            const presentedId = entry.value.id
            const family = HashMap.unsafeGet(s.families, entry.value.familyId)
            if (family.clientId !== clientId) {
              return [reject("The refresh token was issued to another client", presentedId), s]
            }
            if (family.revoked) return [reject("The refresh token was revoked", presentedId), s]

            const isCurrent = family.current.id === presentedId
            const grace = Option.filter(
              family.retired,
              (retired) => retired.id === presentedId && now < retired.graceUntil && retired.graceUses > 0
            )
            if (!isCurrent && Option.isNone(grace)) {
              // a retired token came back: someone else holds the family (RFC 9700 §4.14.2)
              const [accessTokenIds, revokedStore] = revokeIn(s, family)
              const [rejected] = reject("The refresh token was already used; its family is revoked", presentedId)
              return [[rejected, accessTokenIds], revokedStore]
            }
            if (isCurrent && family.current.expiresAt !== undefined && now >= family.current.expiresAt) {
              return [reject("The refresh token expired", presentedId), s]
            }
            const scopes = Scopes.narrow(family.scopes, scope)
            if (Either.isLeft(scopes)) {
              return [
                reject(`The refresh token was not granted: ${scopes.left.join(" ")}`, presentedId, "invalid_scope"),
                s
              ]
            }
            const refreshed = (refreshToken: Option.Option<RefreshToken>): Use => ({
              _tag: "Refreshed",
              presentedId,
              familyId: family.id,
              scopes: scopes.right,
              refreshToken
            })

            if (Option.isSome(grace)) {
              // a concurrent refresh with the token just retired gets the current one
              const retired = { ...grace.value, graceUses: grace.value.graceUses - 1 }
              return [
                [refreshed(Option.some({ id: family.current.id, value: family.current.value })), []],
                { ...s, families: HashMap.set(s.families, family.id, { ...family, retired: Option.some(retired) }) }
              ]
            }
            if (!rotation) return [[refreshed(Option.none()), []], s]

            const id = `r${s.tokenCount + 1}`
            const rotated: Family = {
              ...family,
              refreshTokenIds: [...family.refreshTokenIds, id],
              current: { id, value: next, expiresAt: expiry(now) },
              retired: Option.some({
                id: family.current.id,
                value: family.current.value,
                graceUntil: now + graceMillis,
                graceUses
              })
            }
            return [[refreshed(Option.some({ id, value: next })), []], {
              ...s,
              families: HashMap.set(s.families, family.id, rotated),
              byValue: HashMap.set(s.byValue, next, { id, familyId: family.id }),
              tokenCount: s.tokenCount + 1
            }]
          }
        )
        if (revoked.length > 0) yield* revokeAccessTokens(revoked)
        return outcome
      })

    const attach: Families["attach"] = (familyId, accessTokenId) =>
      Effect.flatMap(
        Ref.modify(store, (s): [boolean, Store] => {
          const family = HashMap.get(s.families, familyId)
          if (Option.isNone(family) || family.value.revoked) return [false, s]
          const attached = { ...family.value, accessTokenIds: [...family.value.accessTokenIds, accessTokenId] }
          return [true, { ...s, families: HashMap.set(s.families, familyId, attached) }]
        }),
        (attached) => attached ? Effect.succeed(true) : Effect.as(revokeAccessTokens([accessTokenId]), false)
      )

    const revoke: Families["revoke"] = (familyId) =>
      Effect.flatMap(
        Ref.modify(store, (s): [ReadonlyArray<string>, Store] => {
          const family = HashMap.get(s.families, familyId)
          return Option.isNone(family) ? [[], s] : revokeIn(s, family.value)
        }),
        revokeAccessTokens
      )

    const revokeHolding: Families["revokeHolding"] = (accessTokenId) =>
      Effect.flatMap(
        Ref.modify(store, (s): [ReadonlyArray<string>, Store] => {
          for (const family of HashMap.values(s.families)) {
            if (family.accessTokenIds.includes(accessTokenId)) return revokeIn(s, family)
          }
          return [[], s]
        }),
        revokeAccessTokens
      )

    const list: Families["list"] = Effect.map(Ref.get(store), (s) =>
      inIssueOrder(s.families).map(({ current: _current, jkt: _jkt, retired: _retired, seq: _seq, ...family }) => ({
        ...family,
        generation: family.refreshTokenIds.length
      })))

    const find: Families["find"] = (value) =>
      Effect.map(Ref.get(store), (s) =>
        Option.map(HashMap.get(s.byValue, value), ({ familyId, id }): Found => {
          const family = HashMap.unsafeGet(s.families, familyId)
          const current = family.current.id === id
          return {
            id,
            familyId,
            clientId: family.clientId,
            scopes: family.scopes,
            current,
            expiresAt: current ? family.current.expiresAt : undefined,
            revoked: family.revoked,
            jkt: family.jkt
          }
        }))

    return { start, use, attach, revoke, revokeHolding, list, find }
  })
