import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as AuthServer from "../AuthServer.js"
import type { Note } from "./journal.js"
import { json, noStore, tokenBody } from "./responses.js"

type Response = HttpServerResponse.HttpServerResponse

/**
 * The queues of scripted faults, one per endpoint.
 *
 * @internal
 */
export interface Faults {
  readonly take: (endpoint: AuthServer.FaultEndpoint) => Effect.Effect<Option.Option<AuthServer.Fault>>
  readonly push: (fault: AuthServer.Fault, times: number, endpoint: AuthServer.FaultEndpoint) => Effect.Effect<void>
}

/** @internal */
export const make: Effect.Effect<Faults> = Effect.sync(() => {
  // per endpoint, the faults still to meet, the next one first
  const queues = new Map<AuthServer.FaultEndpoint, Array<AuthServer.Fault>>()
  return {
    take: (endpoint) =>
      Effect.sync(() => {
        const queue = queues.get(endpoint)
        return queue === undefined || queue.length === 0 ? Option.none() : Option.some(queue.shift()!)
      }),
    push: (fault, times, endpoint) =>
      Effect.sync(() => {
        const queue = queues.get(endpoint) ?? []
        for (let i = 0; i < times; i++) queue.push(fault)
        queues.set(endpoint, queue)
      })
  }
})

/**
 * The defect with which a dropped connection ends a request that has no
 * socket to destroy; the in-memory client turns it into a transport error.
 *
 * @internal
 */
export class ConnectionDropped extends Data.TaggedError("ConnectionDropped")<{}> {
  override get message() {
    return "The simulated server dropped the connection (a scripted fault)"
  }
}

// answers that stand for "no answer at all": journaled with status 0, then dropped
const dropped = new WeakSet<Response>()

const dropConnection = (): Response => {
  const response = HttpServerResponse.empty({ status: 0 })
  dropped.add(response)
  return response
}

/** Whether the client must get no answer to this request, only a closed connection. @internal */
export const isDropped = (response: Response): boolean => dropped.has(response)

/**
 * Ends a request without an answer: on a platform server that exposes the
 * request's socket (Node's `IncomingMessage`), destroys it; elsewhere (the
 * in-memory client, other platforms, which answer it with a 500) fails with
 * the {@link ConnectionDropped} defect.
 *
 * @internal
 */
export const drop = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Response> => {
  const socket = (request.source as { readonly socket?: { readonly destroy?: unknown } } | undefined)?.socket
  if (socket !== undefined && typeof socket.destroy === "function") {
    ;(socket as { destroy: () => void }).destroy()
    // never written: the platform server finds the connection gone
    return Effect.succeed(HttpServerResponse.empty({ status: 502 }))
  }
  return Effect.die(new ConnectionDropped())
}

// 2^31 seconds: past a signed 32-bit integer, and past any timer once in milliseconds
const hugeExpiresIn = 2 ** 31

/** Rewrites the body of a successful token response; other answers pass as they are. */
const rewriteTokenResponse = (
  response: Response,
  rewrite: (body: Record<string, unknown>) => Record<string, unknown>
): Response =>
  Option.match(tokenBody(response), {
    onNone: () => response,
    onSome: (token) => json(rewrite(token), response.status, response.headers)
  })

const expiresIn = (as: "string" | "missing" | "huge") => (body: Record<string, unknown>) => {
  const { expires_in, ...rest } = body
  switch (as) {
    case "string":
      // a provider's answer without expires_in (a twin's) has none to send as a string
      return expires_in === undefined ? rest : { ...rest, expires_in: String(expires_in) }
    case "missing":
      return rest
    case "huge":
      return { ...rest, expires_in: hugeExpiresIn }
  }
}

const apply = <R>(
  fault: AuthServer.Fault,
  endpoint: AuthServer.FaultEndpoint,
  handle: Effect.Effect<Response, Response, R>
): Effect.Effect<Response, Response, R> => {
  switch (fault._tag) {
    case "Status": {
      const headers = fault.retryAfter === undefined ? {} : {
        "retry-after": String(Math.ceil(Duration.toSeconds(Duration.decode(fault.retryAfter))))
      }
      return Effect.succeed(
        fault.body === undefined
          ? HttpServerResponse.empty({ status: fault.status, headers })
          : json(fault.body, fault.status, headers)
      )
    }
    case "Latency":
      return Effect.zipRight(Effect.sleep(fault.duration), handle)
    case "MalformedJson":
      return Effect.succeed(
        HttpServerResponse.text(endpoint === "token" ? `{"access_token":"` : `{"`, {
          status: 200,
          contentType: "application/json"
        })
      )
    case "BlankToken":
      return Effect.succeed(json({ access_token: "", token_type: "Bearer", expires_in: 3600 }, 200, noStore))
    case "ErrorBody":
      return Effect.succeed(
        json(
          {
            error: fault.error ?? "server_error",
            error_description: fault.description ?? "The server could not handle the request"
          },
          200,
          noStore
        )
      )
    case "DropConnection":
      return Effect.succeed(dropConnection())
    case "ExpiresIn":
      return Effect.map(handle, (response) => rewriteTokenResponse(response, expiresIn(fault.as)))
    case "MissingTokenType":
      return Effect.map(handle, (response) => rewriteTokenResponse(response, ({ token_type: _, ...rest }) => rest))
    case "LostResponse":
      // the request is handled in full, state changes included; only its answer is lost
      return Effect.map(
        Effect.merge(handle),
        () => fault.drop === true ? dropConnection() : HttpServerResponse.empty({ status: 502 })
      )
  }
}

/**
 * Runs `handle` under the next fault scripted for `endpoint`, if any, and
 * notes the fault for the journal.
 *
 * @internal
 */
export const inject = <R>(
  state: { readonly takeFault: Faults["take"] },
  endpoint: AuthServer.FaultEndpoint,
  note: Note,
  handle: Effect.Effect<Response, Response, R>
): Effect.Effect<Response, Response, R> =>
  Effect.flatMap(state.takeFault(endpoint), (fault) => {
    if (Option.isNone(fault)) return handle
    note.fault = fault.value._tag
    return apply(fault.value, endpoint, handle)
  })

/** A route handler that meets the faults scripted for `endpoint` before it runs. @internal */
export const faulted = <R>(
  state: { readonly takeFault: Faults["take"] },
  endpoint: AuthServer.FaultEndpoint,
  handler: (request: HttpServerRequest.HttpServerRequest, note: Note) => Effect.Effect<Response, Response, R>
) =>
(request: HttpServerRequest.HttpServerRequest, note: Note): Effect.Effect<Response, Response, R> =>
  inject(state, endpoint, note, handler(request, note))
