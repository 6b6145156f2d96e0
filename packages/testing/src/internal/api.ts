import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import { type Note, pathOf } from "./journal.js"
import { json, methodNotAllowed, realm } from "./responses.js"
import type { State } from "./state.js"

const methods: ReadonlyArray<string> = ["GET", "POST", "PUT", "DELETE"]

const descriptions = {
  Unknown: "The access token is not recognised",
  Expired: "The access token expired",
  Revoked: "The access token was revoked"
} as const

// RFC 6750 §3: a request without a token gets the bare challenge; one with a bad token, an error code too.
const missingToken = HttpServerResponse.empty({
  status: 401,
  headers: { "www-authenticate": `Bearer realm="${realm}"` }
})

const invalidToken = (description: string) =>
  json({ error: "invalid_token", error_description: description }, 401, {
    "www-authenticate": `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`
  })

/**
 * `/api/*`: a protected resource that answers any path for a valid bearer
 * token (RFC 6750 §2.1), and counts the calls it served.
 *
 * @internal
 */
export const handle = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  note: Note
): Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse> =>
  Effect.gen(function*() {
    if (!methods.includes(request.method)) return yield* Effect.fail(methodNotAllowed(methods))
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")
    if (bearer === null) return yield* Effect.fail(missingToken)

    const status = yield* state.check(bearer[1]!)
    if (status._tag !== "Unknown") {
      note.tokenId = status.token.id
      note.clientId = status.token.clientId
    }
    if (status._tag !== "Valid") {
      return yield* Effect.fail(invalidToken(descriptions[status._tag]))
    }
    const call = yield* state.nextApiCall
    return json({ ok: true, path: pathOf(request.url), clientId: status.token.clientId, call })
  })
