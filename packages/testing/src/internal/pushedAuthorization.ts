import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Authorize from "./authorize.js"
import * as ClientAuth from "./clientAuth.js"
import type { Endpoint } from "./handler.js"
import { json, noStore, oauthError } from "./responses.js"

/**
 * `POST /par` (RFC 9126 §2): an authenticated client pushes the parameters
 * of an authorization request, checked as `/authorize` checks them, and gets
 * the `request_uri` to send the user with (201 Created). Any refusal is an
 * OAuth error (§2.3).
 *
 * @internal
 */
export const handle: Endpoint = (state, request, note) =>
  Effect.gen(function*() {
    const { client, form } = yield* ClientAuth.authenticatedPost(state, request, note)
    if (form.has("request_uri")) {
      return yield* Effect.fail(
        oauthError(400, "invalid_request", "A pushed authorization request cannot carry a request_uri (RFC 9126 §2.1)")
      )
    }
    const named = form.get("client_id")
    if (named !== undefined && named !== client.clientId) {
      return yield* Effect.fail(oauthError(400, "invalid_request", "The client_id is not the authenticated client"))
    }
    const values = new Map(form).set("client_id", client.clientId)
    const checked = Authorize.validate(state, { values, repeated: [] }, note)
    if (Either.isLeft(checked)) {
      const rejection = checked.left
      return yield* Effect.fail(
        rejection._tag === "Page"
          ? oauthError(400, "invalid_request", rejection.description)
          : oauthError(400, rejection.error, rejection.description)
      )
    }
    const pushed = yield* state.pushedRequests.push(checked.right)
    note.pushedRequestId = pushed.id
    return json({ request_uri: pushed.requestUri, expires_in: pushed.expiresIn }, 201, noStore)
  })
