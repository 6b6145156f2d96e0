import * as Effect from "effect/Effect"
import * as ClientAuth from "./clientAuth.js"
import * as Form from "./form.js"
import { grants } from "./grants.js"
import type { Endpoint } from "./handler.js"
import * as Resources from "./resources.js"
import { oauthError } from "./responses.js"
import * as TokenShape from "./tokenShape.js"

/**
 * `POST /token` (RFC 6749 §3.2): the form, the grant type, client
 * authentication and the grant itself. Scripted faults are applied around it
 * (see `faults.ts`).
 *
 * @internal
 */
export const handle: Endpoint = (state, request, note) =>
  Effect.gen(function*() {
    const form = yield* Form.readPost(request)
    const grantType = form.get("grant_type")
    if (grantType === undefined) {
      return yield* Effect.fail(oauthError(400, "invalid_request", "The grant_type parameter is missing"))
    }
    note.grantType = grantType
    const grant = grants.get(grantType)
    if (grant === undefined) {
      return yield* Effect.fail(
        oauthError(400, "unsupported_grant_type", "The server does not support this grant type")
      )
    }

    const client = yield* ClientAuth.authenticate(state, request, form, note)
    if (!(client.grants as ReadonlyArray<string>).includes(grantType)) {
      return yield* Effect.fail(oauthError(400, "unauthorized_client", "The client may not use this grant type"))
    }
    const resource = yield* Effect.mapError(
      Resources.check(state, form.get("resource")),
      (description) => oauthError(400, "invalid_target", description)
    )
    return yield* TokenShape.apply(state.options, yield* grant({ state, client, form, note, resource }))
  })
