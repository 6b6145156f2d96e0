import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as AuthServer from "../AuthServer.js"
import * as App from "./app.js"
import * as Grants from "./grants.js"
import type * as Jwt from "./jwt.js"
import * as Scopes from "./scopes.js"
import * as State from "./state.js"

/** @internal */
export const make = (options: AuthServer.Options): Effect.Effect<AuthServer.AuthServer["Type"]> =>
  Effect.map(State.make(options), (state) => ({
    issuer: state.issuer,
    app: App.make(state),
    journal: state.journal,
    clearJournal: state.clearJournal,
    fail: (fault: AuthServer.Fault, options?: {
      readonly times?: number | undefined
      readonly endpoint?: AuthServer.FaultEndpoint | undefined
    }) => state.fail(fault, options?.times ?? 1, options?.endpoint ?? "token"),
    revoke: (token) => state.revoke(Redacted.isRedacted(token) ? Redacted.value(token) : token),
    revokeById: (tokenId) => state.revokeTokens([tokenId]),
    revokeAll: state.revokeAll,
    issued: state.issued,
    tokens: state.tokens,
    setTokenLifetime: state.setTokenLifetime,
    grant: (clientId, options) => grant(state, clientId, options?.scopes, options?.dpopJkt),
    families: state.families.list,
    revokeFamily: state.families.revoke,
    codes: state.codes.list,
    decideDevice: state.devices.decide,
    ...signingControls(state.accessTokens)
  }))

const grant = (
  state: State.State,
  clientId: string,
  scopes: ReadonlyArray<string> | undefined,
  jkt: string | undefined
): Effect.Effect<AuthServer.GrantedTokens> =>
  Effect.gen(function*() {
    const client = yield* Option.match(state.client(clientId), {
      onNone: () => Effect.dieMessage(`AuthServer.grant: no client ${clientId} is registered`),
      onSome: Effect.succeed
    })
    const granted = yield* Either.match(Scopes.forClient(client, scopes?.join(" ")), {
      onLeft: (unknown) => Effect.dieMessage(`AuthServer.grant: client ${clientId} may not ask for ${unknown.join(" ")}`),
      onRight: Effect.succeed
    })
    const { refreshToken, token } = yield* Grants.issueTokens(state, client, "authorization_code", granted, true, undefined, jkt)
    return {
      accessToken: Redacted.make(token.value),
      tokenId: token.id,
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
      scopes: token.scopes,
      refreshToken: Option.getOrUndefined(Option.map(refreshToken, (refresh) => Redacted.make(refresh.value))),
      familyId: Option.getOrUndefined(Option.map(refreshToken, (refresh) => refresh.familyId))
    }
  })

const opaque = "The server issues opaque access tokens: set accessTokenFormat: \"jwt\" to sign them"

const signingControls = (accessTokens: Jwt.AccessTokens) =>
  Option.match(accessTokens.signer, {
    onNone: () => ({
      jwks: Effect.succeed({ keys: [] }),
      rotateSigningKey: Effect.dieMessage(opaque),
      retireSigningKey: () => Effect.dieMessage(opaque)
    }),
    onSome: (signer) => ({ jwks: signer.jwks, rotateSigningKey: signer.rotate, retireSigningKey: signer.retire })
  })
