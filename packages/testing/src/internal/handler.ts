import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as AuthServer from "../AuthServer.js"
import * as Faults from "./faults.js"
import { type Note, pathOf } from "./journal.js"
import type { State } from "./state.js"

/**
 * One endpoint of the server: it answers a request from the shared state,
 * fails with an early answer (an error response), and fills in the note.
 *
 * @internal
 */
export type Endpoint = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  note: Note
) => Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse>

/**
 * An endpoint handler, whose early answers (errors) come through the error
 * channel, turned into one that answers every request and records it in the
 * journal.
 *
 * @internal
 */
export const journaled = <R>(
  state: State,
  endpoint: AuthServer.JournalEntry["endpoint"],
  handler: (
    request: HttpServerRequest.HttpServerRequest,
    note: Note
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse, R>
) =>
(request: HttpServerRequest.HttpServerRequest): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  Effect.flatMap(Clock.currentTimeMillis, (at) => {
    const note: Note = {}
    return Effect.flatMap(Effect.merge(handler(request, note)), (response) => {
      state.record({
        at,
        endpoint,
        method: request.method,
        path: pathOf(request.url),
        ...note,
        status: response.status
      })
      // recorded first: a dropped connection is still a request the server handled
      return Faults.isDropped(response) ? Faults.drop(request) : Effect.succeed(response)
    })
  })
