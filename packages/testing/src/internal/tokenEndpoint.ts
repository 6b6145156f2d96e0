import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as AuthServer from "../AuthServer.js"
import * as ClientAuth from "./clientAuth.js"
import * as Form from "./form.js"
import { grants } from "./grants.js"
import type { Note } from "./journal.js"
import { json, methodNotAllowed, noStore, oauthError } from "./responses.js"
import type { State } from "./state.js"

const faultResponse = (fault: Exclude<AuthServer.Fault, { readonly _tag: "Latency" }>) => {
  switch (fault._tag) {
    case "Status": {
      const headers = fault.retryAfter === undefined ? {} : {
        "retry-after": String(Math.ceil(Duration.toSeconds(Duration.decode(fault.retryAfter))))
      }
      return fault.body === undefined
        ? HttpServerResponse.empty({ status: fault.status, headers })
        : json(fault.body, fault.status, headers)
    }
    case "MalformedJson":
      return HttpServerResponse.text(`{"access_token":"`, { status: 200, contentType: "application/json" })
    case "BlankToken":
      return json({ access_token: "", token_type: "Bearer", expires_in: 3600 }, 200, noStore)
  }
}

/**
 * `POST /token` (RFC 6749 §3.2): the next scripted fault, if any, then the
 * form, the grant type, client authentication and the grant itself.
 *
 * @internal
 */
export const handle = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  note: Note
): Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse> =>
  Effect.gen(function*() {
    if (request.method !== "POST") return yield* Effect.fail(methodNotAllowed(["POST"]))

    const fault = yield* state.takeFault
    if (Option.isSome(fault)) {
      note.fault = fault.value._tag
      if (fault.value._tag !== "Latency") return faultResponse(fault.value)
      yield* Effect.sleep(fault.value.duration)
    }

    const form = yield* Form.read(request)
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

    const client = yield* ClientAuth.authenticate(state, request.headers, form, note)
    if (!(client.grants as ReadonlyArray<string>).includes(grantType)) {
      return yield* Effect.fail(oauthError(400, "unauthorized_client", "The client may not use this grant type"))
    }
    return yield* grant({ state, client, form, note })
  })
