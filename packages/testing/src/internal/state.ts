import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Jose from "jose"
import type * as AuthServer from "../AuthServer.js"
import * as AuthorizationCodes from "./authorizationCodes.js"
import * as ClientAssertion from "./clientAssertion.js"
import * as DeviceCodes from "./deviceCodes.js"
import * as Dpop from "./dpop.js"
import * as Faults from "./faults.js"
import * as Jwt from "./jwt.js"
import * as PushedRequests from "./pushedRequests.js"
import * as RefreshFamilies from "./refreshFamilies.js"
import { withoutTrailingSlashes } from "./text.js"

/** @internal */
export interface Client {
  readonly clientId: string
  readonly clientSecret: string | undefined
  readonly authMethods: ReadonlyArray<AuthServer.AuthMethod>
  readonly scopes: ReadonlyArray<string>
  readonly grants: ReadonlyArray<AuthServer.GrantType>
  readonly redirectUris: ReadonlyArray<string>
  readonly jwks: Jose.JSONWebKeySet | undefined
  /** When the secret of a client registered at run time expires (epoch milliseconds). */
  readonly secretExpiresAt?: number | undefined
}

/** @internal */
export interface TokenRecord extends AuthServer.IssuedToken {
  readonly value: string
  readonly seq: number
  /** The `aud` of the token: the resources it was requested for (RFC 8707), else the server's own API. */
  readonly audience: string | ReadonlyArray<string>
  /** The thumbprint of the DPoP key the token is bound to (RFC 9449 §6), if any. */
  readonly jkt?: string | undefined
}

/** @internal */
export type TokenStatus =
  | { readonly _tag: "Valid" | "Expired" | "Revoked"; readonly token: TokenRecord }
  | { readonly _tag: "Unknown" }

/**
 * Everything the endpoints share. Endpoints read and change it only through
 * these operations, so a new grant or endpoint adds operations here rather
 * than reaching into the `Ref`s.
 *
 * @internal
 */
export interface State {
  readonly issuer: string
  readonly options: AuthServer.Options
  readonly client: (clientId: string) => Option.Option<Client>
  /** Adds a client registered at run time (RFC 7591). */
  readonly register: (client: Client) => Effect.Effect<void>
  readonly issue: (
    client: Client,
    scopes: ReadonlyArray<string>,
    resource?: ReadonlyArray<string> | undefined,
    jkt?: string | undefined
  ) => Effect.Effect<TokenRecord>
  readonly check: (value: string) => Effect.Effect<TokenStatus>
  readonly revoke: (value: string) => Effect.Effect<void>
  readonly revokeAll: Effect.Effect<void>
  readonly revokeTokens: (ids: ReadonlyArray<string>) => Effect.Effect<void>
  readonly families: RefreshFamilies.Families
  readonly codes: AuthorizationCodes.AuthorizationCodes
  readonly devices: DeviceCodes.DeviceCodes
  readonly pushedRequests: PushedRequests.PushedRequests
  readonly accessTokens: Jwt.AccessTokens
  readonly assertions: ClientAssertion.SeenAssertions
  readonly proofs: Dpop.Proofs
  readonly tokens: Effect.Effect<ReadonlyArray<AuthServer.IssuedToken>>
  readonly issued: Effect.Effect<number>
  readonly setTokenLifetime: (lifetime: Duration.DurationInput) => Effect.Effect<void>
  readonly nextApiCall: Effect.Effect<number>
  readonly takeFault: Faults.Faults["take"]
  readonly fail: Faults.Faults["push"]
  /** Appends to the journal at once. */
  readonly record: (entry: AuthServer.JournalEntry) => void
  readonly journal: Effect.Effect<ReadonlyArray<AuthServer.JournalEntry>>
  readonly clearJournal: Effect.Effect<void>
}

const publicGrants: ReadonlyArray<AuthServer.GrantType> = [
  "authorization_code",
  "refresh_token",
  "urn:ietf:params:oauth:grant-type:device_code"
]

/** @internal */
export const make = (options: AuthServer.Options): Effect.Effect<State> =>
  Effect.gen(function*() {
    const clients = new Map(options.clients.map((client): [string, Client] => [client.clientId, {
      clientId: client.clientId,
      clientSecret: client.public === true ? undefined : client.clientSecret,
      authMethods: client.public === true
        ? ["none"]
        : client.authMethods ?? [
          ...(client.clientSecret !== undefined || client.jwks === undefined
            ? ["client_secret_basic", "client_secret_post"] as const
            : []),
          ...(client.jwks === undefined ? [] : ["private_key_jwt"] as const)
        ],
      scopes: client.scopes ?? [],
      grants: client.grants ?? (client.public === true ? publicGrants : ["client_credentials"]),
      redirectUris: client.redirectUris ?? [],
      jwks: client.jwks
    }]))
    const issuer = withoutTrailingSlashes(options.issuer ?? "http://127.0.0.1")
    const accessTokens = yield* Jwt.make(options, issuer)
    const assertions = yield* ClientAssertion.makeSeen
    const proofs = yield* Dpop.make(options)
    const lifetime = yield* Ref.make(Duration.decode(options.tokenLifetime ?? "1 hour"))
    const rounding = options.issueTimeRounding === undefined
      ? 0
      : Duration.toMillis(Duration.decode(options.issueTimeRounding))
    // a server that keeps issue times coarser than its clock: its tokens die earlier than `expires_in` says
    const issueTime = (now: number) => rounding > 0 && Number.isFinite(rounding) ? now - (now % rounding) : now
    // by value, in the order they were issued (a revoked record replaces the original in place)
    const tokens = new Map<string, TokenRecord>()
    let apiCalls = 0
    const faults = yield* Faults.make
    // appended in place: the journal is read far less often than it grows
    const journal: Array<AuthServer.JournalEntry> = []

    const defaultAudience = Jwt.audience(options, issuer)
    const issue: State["issue"] = (client, scopes, resource, jkt) =>
      Effect.gen(function*() {
        const now = issueTime(yield* Clock.currentTimeMillis)
        const millis = Duration.toMillis(yield* Ref.get(lifetime))
        // one resource is a string `aud`, several an array (RFC 7519 §4.1.3)
        const audience = resource === undefined ? defaultAudience : resource.length === 1 ? resource[0]! : resource
        const value = yield* accessTokens.mint({
          clientId: client.clientId,
          scopes,
          audience,
          issuedAt: now,
          expiresAt: now + millis,
          jkt
        })
        const seq = tokens.size + 1
        const token: TokenRecord = {
          id: `t${seq}`,
          seq,
          value,
          clientId: client.clientId,
          scopes,
          audience,
          issuedAt: now,
          expiresAt: now + millis,
          revoked: false,
          ...(jkt === undefined ? {} : { jkt })
        }
        tokens.set(value, token)
        return token
      })

    const check = (value: string) =>
      Effect.map(Clock.currentTimeMillis, (now): TokenStatus => {
        const token = tokens.get(value)
        if (token === undefined) return { _tag: "Unknown" }
        if (token.revoked) return { _tag: "Revoked", token }
        return { _tag: now >= token.expiresAt ? "Expired" : "Valid", token }
      })

    const revokeWhere = (predicate: (token: TokenRecord) => boolean) =>
      Effect.sync(() => {
        for (const token of tokens.values()) {
          if (!token.revoked && predicate(token)) tokens.set(token.value, { ...token, revoked: true })
        }
      })

    const revokeTokens = (ids: ReadonlyArray<string>) => revokeWhere((token) => ids.includes(token.id))
    const families = yield* RefreshFamilies.make(options, revokeTokens)
    const codes = yield* AuthorizationCodes.make(options, (issued) =>
      Effect.zipRight(
        revokeTokens(issued.accessTokenIds),
        Effect.forEach(issued.familyIds, families.revoke, { discard: true })
      ))
    const devices = yield* DeviceCodes.make(options)
    const pushedRequests = yield* PushedRequests.make(options)

    return {
      issuer,
      options,
      client: (clientId) => Option.fromNullable(clients.get(clientId)),
      register: (client) =>
        Effect.sync(() => {
          clients.set(client.clientId, client)
        }),
      issue,
      check,
      revoke: (value) => revokeWhere((token) => token.value === value),
      revokeAll: revokeWhere(() => true),
      revokeTokens,
      families,
      codes,
      devices,
      pushedRequests,
      accessTokens,
      assertions,
      proofs,
      tokens: Effect.sync(() =>
        Array.from(tokens.values(), ({ clientId, expiresAt, id, issuedAt, revoked, scopes }) => ({
          id,
          clientId,
          scopes,
          issuedAt,
          expiresAt,
          revoked
        }))
      ),
      issued: Effect.sync(() => tokens.size),
      setTokenLifetime: (input) => Ref.set(lifetime, Duration.decode(input)),
      nextApiCall: Effect.sync(() => ++apiCalls),
      takeFault: faults.take,
      fail: faults.push,
      record: (entry) => {
        journal.push(entry)
      },
      journal: Effect.sync(() => journal.slice()),
      clearJournal: Effect.sync(() => {
        journal.length = 0
      })
    }
  })
