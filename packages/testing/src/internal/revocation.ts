import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ClientAuth from "./clientAuth.js"
import type { Endpoint } from "./handler.js"
import { noStore, oauthError } from "./responses.js"

const notYours = oauthError(400, "unauthorized_client", "The token was issued to another client")

/**
 * `POST /revoke` (RFC 7009): an authenticated client revokes one of its
 * access or refresh tokens. Revoking a refresh token revokes its family and
 * the access tokens issued with it (§2.1). The `token_type_hint` only orders
 * a search that covers both kinds anyway, and a token the server does not
 * know is answered like a revoked one (§2.2).
 *
 * @internal
 */
export const handle: Endpoint = (state, request, note) =>
  Effect.gen(function*() {
    const { client, form } = yield* ClientAuth.authenticatedPost(state, request, note)
    const value = form.get("token")
    if (value === undefined) return yield* Effect.fail(oauthError(400, "invalid_request", "The token parameter is missing"))
    const revoked = HttpServerResponse.empty({ status: 200, headers: noStore })

    const access = yield* state.check(value)
    if (access._tag !== "Unknown") {
      note.tokenId = access.token.id
      if (access.token.clientId !== client.clientId) return yield* Effect.fail(notYours)
      yield* state.revoke(value)
      return revoked
    }
    const refresh = yield* state.families.find(value)
    if (Option.isSome(refresh)) {
      note.refreshTokenId = refresh.value.id
      if (refresh.value.clientId !== client.clientId) return yield* Effect.fail(notYours)
      yield* state.families.revoke(refresh.value.familyId)
    }
    return revoked
  })
