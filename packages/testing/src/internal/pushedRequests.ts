import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as AuthServer from "../AuthServer.js"
import type { AuthorizationRequest } from "./authorizationCodes.js"
import { randomValue } from "./random.js"

/** RFC 9126 §2.2: the prefix of every `request_uri` the server issues. @internal */
export const requestUriPrefix = "urn:ietf:params:oauth:request_uri:"

/** A pushed authorization request as it is stored: `id` (`"p1"`, …) is what the journal shows. @internal */
export interface Pushed {
  readonly id: string
  readonly request: AuthorizationRequest
  readonly expiresAt: number
  readonly used: boolean
}

/**
 * What presenting a `request_uri` at `/authorize` finds: nothing, a request
 * already used or expired (each kept, so the answer can say which), or the
 * request, now used.
 *
 * @internal
 */
export type Taken =
  | { readonly _tag: "Unknown" }
  | { readonly _tag: "Used" | "Expired" | "Fresh"; readonly pushed: Pushed }

/**
 * The pushed authorization requests (RFC 9126): each under a `request_uri`
 * that serves once, until it expires `pushedRequestLifetime` (default 60
 * seconds, on `Clock`) after it was pushed.
 *
 * @internal
 */
export interface PushedRequests {
  readonly push: (request: AuthorizationRequest) => Effect.Effect<{
    readonly requestUri: string
    readonly id: string
    readonly expiresIn: number
  }>
  /** Uses the request pushed under `requestUri` by `clientId`: another client's is `Unknown`, and stays unused. */
  readonly take: (requestUri: string, clientId: string) => Effect.Effect<Taken>
}

/** @internal */
export const make = (options: AuthServer.Options): Effect.Effect<PushedRequests> =>
  Effect.sync(() => {
    const lifetime = Duration.toMillis(options.pushedRequestLifetime ?? "60 seconds")
    const stored = new Map<string, Pushed>()
    return {
      push: (request) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const requestUri = `${requestUriPrefix}${randomValue()}`
          const id = `p${stored.size + 1}`
          stored.set(requestUri, { id, request, expiresAt: now + lifetime, used: false })
          return { requestUri, id, expiresIn: Math.floor(lifetime / 1000) }
        }),
      take: (requestUri, clientId) =>
        Effect.map(Clock.currentTimeMillis, (now): Taken => {
          const pushed = stored.get(requestUri)
          if (pushed === undefined || pushed.request.clientId !== clientId) return { _tag: "Unknown" }
          if (pushed.used) return { _tag: "Used", pushed }
          stored.set(requestUri, { ...pushed, used: true })
          return { _tag: now >= pushed.expiresAt ? "Expired" : "Fresh", pushed }
        })
    }
  })
