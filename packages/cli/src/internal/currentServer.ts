import type { AuthServer } from "@grantflow/testing"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

type Server = AuthServer.AuthServer["Type"]

/**
 * A server whose every operation acts on the one `current` holds when it
 * runs, so that what callers were given keeps working after the standalone
 * server's reset swaps in a fresh server.
 *
 * @internal
 */
export const make = (current: Ref.Ref<Server>, issuer: string): Server => {
  const use = <A>(f: (server: Server) => Effect.Effect<A>): Effect.Effect<A> => Effect.flatMap(Ref.get(current), f)
  return {
    issuer,
    app: Effect.flatMap(Ref.get(current), (server) => server.app),
    journal: use((server) => server.journal),
    clearJournal: use((server) => server.clearJournal),
    // one signature for both overloads: the caller's overload has already matched fault and endpoint
    fail: ((fault: AuthServer.AnyEndpointFault, options?: { readonly endpoint: AuthServer.FaultEndpoint }) =>
      use((server) => server.fail(fault, options!))) as Server["fail"],
    revoke: (token) => use((server) => server.revoke(token)),
    revokeById: (tokenId) => use((server) => server.revokeById(tokenId)),
    revokeAll: use((server) => server.revokeAll),
    issued: use((server) => server.issued),
    tokens: use((server) => server.tokens),
    setTokenLifetime: (lifetime) => use((server) => server.setTokenLifetime(lifetime)),
    grant: (clientId, options) => use((server) => server.grant(clientId, options)),
    families: use((server) => server.families),
    revokeFamily: (familyId) => use((server) => server.revokeFamily(familyId)),
    codes: use((server) => server.codes),
    decideDevice: (userCode, approve) => use((server) => server.decideDevice(userCode, approve)),
    jwks: use((server) => server.jwks),
    rotateSigningKey: use((server) => server.rotateSigningKey),
    retireSigningKey: (kid) => use((server) => server.retireSigningKey(kid))
  }
}
