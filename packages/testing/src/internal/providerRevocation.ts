import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as AuthServer from "../AuthServer.js"
import * as ClientAuth from "./clientAuth.js"
import * as Form from "./form.js"
import type { Note } from "./journal.js"
import { json, methodNotAllowed, oauthError } from "./responses.js"
import type { State } from "./state.js"
import { bearerCredential } from "./text.js"

type Route = Extract<AuthServer.Route, { readonly token: unknown }>

/**
 * A provider's own revocation API (see `AuthServer.Route`): the token comes
 * as the bearer credential or as a member of a JSON body, the client (when
 * the route asks for it) by HTTP Basic. Revoking an access token ends its
 * whole grant — the refresh token it came with and that refresh token's
 * other access tokens — and revoking a refresh token ends its family. An
 * unknown, expired or revoked token, or another client's, gets the route's
 * refusal (default the server's answer to an invalid token).
 *
 * @internal
 */
export const handle = (state: State, route: Route) =>
(
  request: HttpServerRequest.HttpServerRequest,
  note: Note
): Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse> =>
  Effect.gen(function*() {
    const method = route.method ?? "POST"
    if (request.method !== method) return yield* Effect.fail(methodNotAllowed([method]))
    const refusal = route.refusal ?? state.options.errorBodyOnInvalidToken
    const refused = refusal === undefined
      ? oauthError(401, "invalid_token", "The token is not recognised")
      : json(refusal.body, refusal.status)
    const body = route.token === "bearer" ? new Map<string, string>() : yield* Form.readJson(request)
    const client = route.clientAuth === true ? yield* ClientAuth.authenticate(state, request, body, note) : undefined
    const value = route.token === "bearer" ? bearerCredential(request.headers.authorization) : body.get(route.token.json)
    if (value === undefined) return yield* Effect.fail(refused)
    const mine = (clientId: string) => client === undefined || client.clientId === clientId

    const access = yield* state.check(value)
    if (access._tag !== "Unknown") {
      note.tokenId = access.token.id
      // the bearer credential must be live; a token named in the body may have expired
      const usable = access._tag === "Valid" || (route.token !== "bearer" && access._tag === "Expired")
      if (!usable || !mine(access.token.clientId)) return yield* Effect.fail(refused)
      yield* state.revoke(value)
      yield* state.families.revokeHolding(access.token.id)
      return answer(route)
    }
    if (route.token === "bearer") return yield* Effect.fail(refused)
    const refresh = yield* state.families.find(value)
    if (Option.isNone(refresh) || refresh.value.revoked || !mine(refresh.value.clientId)) {
      return yield* Effect.fail(refused)
    }
    note.refreshTokenId = refresh.value.id
    yield* state.families.revoke(refresh.value.familyId)
    return answer(route)
  })

const answer = (route: Route): HttpServerResponse.HttpServerResponse =>
  route.answer?.body === undefined
    ? HttpServerResponse.empty({ status: route.answer?.status ?? 200 })
    : json(route.answer.body, route.answer.status)
