import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type { Form } from "./form.js"
import type { Note } from "./journal.js"
import { oauthError, tokenResponse } from "./responses.js"
import type { Client, State } from "./state.js"

/**
 * A grant of the token endpoint: given the authenticated client and the
 * request parameters, issues a token (noting its id for the journal) or
 * answers with an error. Failures are responses too, so a grant returns early
 * with `Effect.fail`.
 *
 * @internal
 */
export type Grant = (context: {
  readonly state: State
  readonly client: Client
  readonly form: Form
  readonly note: Note
}) => Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse>

/**
 * The granted scopes: what was asked for, which must lie within the client's
 * scopes when it has any, or else all of the client's scopes.
 */
const grantedScopes = (client: Client, form: Form) => {
  const requested = Array.from(new Set((form.get("scope") ?? "").split(" ").filter((s) => s !== "")))
  if (client.scopes.length === 0) return Effect.succeed(requested)
  const unknown = requested.filter((scope) => !client.scopes.includes(scope))
  if (unknown.length > 0) {
    return Effect.fail(oauthError(400, "invalid_scope", `The client may not request: ${unknown.join(" ")}`))
  }
  return Effect.succeed(requested.length > 0 ? requested : client.scopes)
}

/** RFC 6749 §4.4. @internal */
export const clientCredentials: Grant = ({ client, form, note, state }) =>
  Effect.gen(function*() {
    const scopes = yield* grantedScopes(client, form)
    const token = yield* state.issue(client, scopes)
    note.tokenId = token.id
    return tokenResponse(token)
  })

/** The grants the token endpoint supports, by `grant_type`. @internal */
export const grants: ReadonlyMap<string, Grant> = new Map([
  ["client_credentials", clientCredentials]
])
