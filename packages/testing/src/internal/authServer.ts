import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as AuthServer from "../AuthServer.js"
import * as App from "./app.js"
import * as State from "./state.js"

/** @internal */
export const make = (options: AuthServer.Options): Effect.Effect<AuthServer.AuthServer["Type"]> =>
  Effect.map(State.make(options), (state) => ({
    issuer: state.issuer,
    app: App.make(state),
    journal: state.journal,
    clearJournal: state.clearJournal,
    fail: (fault, options) => state.fail(fault, options?.times ?? 1),
    revoke: (token) => state.revoke(Redacted.isRedacted(token) ? Redacted.value(token) : token),
    revokeAll: state.revokeAll,
    issued: state.issued,
    tokens: state.tokens,
    setTokenLifetime: state.setTokenLifetime,
    families: state.families.list,
    revokeFamily: state.families.revoke,
    codes: state.codes.list,
    decideDevice: state.devices.decide
  }))
