import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ClientAuth from "./clientAuth.js"
import type { Endpoint } from "./handler.js"
import { json, noStore, oauthError } from "./responses.js"

const seconds = (millis: number) => Math.floor(millis / 1000)

const scope = (scopes: ReadonlyArray<string>) => scopes.length > 0 ? { scope: scopes.join(" ") } : {}

/**
 * `POST /introspect` (RFC 7662): tells an authenticated confidential client
 * (typically a resource server) whether a token is active and what it
 * carries. An expired, revoked, retired or unknown token gets
 * `{ "active": false }` and nothing else (§2.2).
 *
 * @internal
 */
export const handle: Endpoint = (state, request, note) =>
  Effect.gen(function*() {
    const { client, form } = yield* ClientAuth.authenticatedPost(state, request, note)
    // RFC 7662 §4: only a client that can keep a credential may probe tokens
    if (client.authMethods.includes("none")) {
      return yield* Effect.fail(oauthError(401, "invalid_client", "A public client may not introspect tokens"))
    }
    const value = form.get("token")
    if (value === undefined) return yield* Effect.fail(oauthError(400, "invalid_request", "The token parameter is missing"))
    const answer = (body: Readonly<Record<string, unknown>>) => json(body, 200, noStore)

    const access = yield* state.check(value)
    if (access._tag !== "Unknown") note.tokenId = access.token.id
    if (access._tag === "Valid") {
      const token = access.token
      return answer({
        active: true,
        ...scope(token.scopes),
        client_id: token.clientId,
        token_type: token.jkt === undefined ? "Bearer" : "DPoP",
        // RFC 9449 §6.2: the binding of a DPoP token
        ...(token.jkt === undefined ? {} : { cnf: { jkt: token.jkt } }),
        exp: seconds(token.expiresAt),
        iat: seconds(token.issuedAt),
        // the simulated server has no users: every token is the client's own
        sub: token.clientId,
        aud: token.audience,
        iss: state.issuer
      })
    }

    const refresh = access._tag === "Unknown" ? yield* state.families.find(value) : Option.none()
    if (Option.isSome(refresh)) {
      note.refreshTokenId = refresh.value.id
      const { clientId, current, expiresAt, revoked, scopes } = refresh.value
      const now = yield* Clock.currentTimeMillis
      if (current && !revoked && (expiresAt === undefined || now < expiresAt)) {
        return answer({
          active: true,
          ...scope(scopes),
          client_id: clientId,
          ...(expiresAt === undefined ? {} : { exp: seconds(expiresAt) }),
          sub: clientId,
          iss: state.issuer
        })
      }
    }
    return answer({ active: false })
  })
