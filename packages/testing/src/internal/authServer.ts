import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as AuthServer from "../AuthServer.js"
import * as App from "./app.js"
import type * as Jwt from "./jwt.js"
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
    revokeAll: state.revokeAll,
    issued: state.issued,
    tokens: state.tokens,
    setTokenLifetime: state.setTokenLifetime,
    families: state.families.list,
    revokeFamily: state.families.revoke,
    codes: state.codes.list,
    decideDevice: state.devices.decide,
    ...signingControls(state.accessTokens)
  }))

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
