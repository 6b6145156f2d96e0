import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as ClientAuth from "./clientAuth.js"
import * as Dpop from "./dpop.js"
import * as Form from "./form.js"
import { grants } from "./grants.js"
import type { Endpoint } from "./handler.js"
import type { Note } from "./journal.js"
import * as Resources from "./resources.js"
import { oauthError } from "./responses.js"
import type { State } from "./state.js"
import * as TokenShape from "./tokenShape.js"

/**
 * The thumbprint of the key of the request's DPoP proof (RFC 9449 §5), when
 * the server takes DPoP; an invalid proof, or none when one is required, is
 * refused (§8: a missing nonce with `use_dpop_nonce` and the nonce).
 */
const proofKey = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  note: Note
): Effect.Effect<string | undefined, HttpServerResponse.HttpServerResponse> => {
  const { options } = state
  if (options.dpop === undefined) return Effect.succeed(undefined)
  return Effect.flatMap(
    Dpop.checkRequest(options, state.proofs, request, Dpop.requestUrls(state.issuer, request), note),
    (outcome) => {
      switch (outcome._tag) {
        case "Valid":
          return Effect.succeed(outcome.jkt)
        case "Absent":
          if (options.dpop?.required !== true) return Effect.succeed(undefined)
          note.dpop = "missing"
          return Effect.fail(oauthError(400, "invalid_dpop_proof", "The server requires a DPoP proof"))
        case "Invalid":
          return Effect.fail(
            oauthError(400, outcome.error, outcome.description, outcome.nonce === undefined ? {} : { "dpop-nonce": outcome.nonce })
          )
      }
    }
  )
}

/**
 * `POST /token` (RFC 6749 §3.2): the form, the grant type, client
 * authentication and the grant itself. Scripted faults are applied around it
 * (see `faults.ts`).
 *
 * @internal
 */
export const handle: Endpoint = (state, request, note) =>
  Effect.mapError(grant(state, request, note), (response) => TokenShape.applyToError(state.options, request, response, note.grantType))

const grant: Endpoint = (state, request, note) =>
  Effect.gen(function*() {
    const form = yield* (state.options.tokenRequestBody === "json" ? Form.readJsonPost(request) : Form.readPost(request))
    const grantType = form.get("grant_type")
    if (grantType === undefined) {
      return yield* Effect.fail(oauthError(400, "invalid_request", "The grant_type parameter is missing"))
    }
    note.grantType = grantType
    const issue = grants.get(grantType)
    if (issue === undefined) {
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
    const jkt = yield* proofKey(state, request, note)
    return yield* TokenShape.apply(state.options, request, yield* issue({ state, client, form, note, resource, jkt }))
  })
