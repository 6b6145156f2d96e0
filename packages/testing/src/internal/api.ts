import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type * as AuthServer from "../AuthServer.js"
import * as Dpop from "./dpop.js"
import * as Faults from "./faults.js"
import type { Endpoint } from "./handler.js"
import { type Note, pathOf } from "./journal.js"
import { json, methodNotAllowed, realm } from "./responses.js"
import type { State, TokenStatus } from "./state.js"
import { withoutTrailingSlashes } from "./text.js"

type Response = HttpServerResponse.HttpServerResponse

type RequiredHeaders = AuthServer.Options["apiRequiredHeaders"]

const methods: ReadonlyArray<string> = ["GET", "POST", "PUT", "DELETE"]

const descriptions = {
  Unknown: "The access token is not recognised",
  Expired: "The access token expired",
  Revoked: "The access token was revoked"
} as const

const tokenStates = {
  Valid: "valid",
  Unknown: "unknown",
  Expired: "expired",
  Revoked: "revoked"
} as const satisfies Record<TokenStatus["_tag"], AuthServer.TokenState>

/** The path of the API's protected resource metadata (RFC 9728 §3.1, for the resource `${issuer}/api`). @internal */
export const metadataPath = "/.well-known/oauth-protected-resource/api"

/** How a token is presented: RFC 6750, or DPoP (RFC 9449 §7.1) when the server takes it. */
type Scheme = "Bearer" | "DPoP"

// RFC 9728 §5.1: every challenge says where the API's metadata is; RFC 9449 §7.1: a DPoP one, the algorithms
const challenge = (state: State, params: string, scheme: Scheme = "Bearer") =>
  `${scheme} realm="${realm}"${params}${
    scheme === "DPoP" ? `, algs="${Dpop.algorithms.join(" ")}"` : ""
  }, resource_metadata="${state.issuer}${metadataPath}"`

// RFC 6750 §3: a request without a token gets the bare challenge; one with a bad token, an error code too.
const missingToken = (state: State) =>
  HttpServerResponse.empty({ status: 401, headers: { "www-authenticate": challenge(state, "") } })

const unauthorized = (
  state: State,
  status: number,
  error: string,
  description: string,
  scheme: Scheme = "Bearer",
  nonce?: string
) =>
  json({ error, error_description: description }, status, {
    "www-authenticate": challenge(state, `, error="${error}", error_description="${description}"`, scheme),
    ...(nonce === undefined ? {} : { "dpop-nonce": nonce })
  })

// RFC 6750 §3.1: the token is good, but not for this resource; the challenge names the scope it needs
const insufficientScope = (state: State, required: ReadonlyArray<string>, scheme: Scheme) => {
  const description = "The access token lacks the scope this resource requires"
  const scope = required.join(" ")
  return json({ error: "insufficient_scope", error_description: description, scope }, 403, {
    "www-authenticate": challenge(
      state,
      `, error="insufficient_scope", error_description="${description}", scope="${scope}"`,
      scheme
    )
  })
}

/** The scopes `path` requires: those of the longest route of `apiScopes` it lies under. */
const requiredScopes = (options: AuthServer.Options, path: string): ReadonlyArray<string> => {
  let best: [string, ReadonlyArray<string>] | undefined
  for (const [route, scopes] of Object.entries(options.apiScopes ?? {})) {
    const base = withoutTrailingSlashes(route)
    const under = path === base || path.startsWith(`${base}/`)
    if (under && (best === undefined || base.length > best[0].length)) best = [base, scopes]
  }
  return best?.[1] ?? []
}

const reject = (state: State, tag: keyof typeof descriptions, scheme: Scheme): Response => {
  const { options } = state
  // some providers answer a bad token with a 200 (or other) and an error body instead of a challenge
  if (options.errorBodyOnInvalidToken !== undefined) {
    return json(options.errorBodyOnInvalidToken.body, options.errorBodyOnInvalidToken.status)
  }
  const httpStatus = tag === "Expired" ? options.expiredTokenStatus ?? 401 : 401
  return unauthorized(state, httpStatus, "invalid_token", descriptions[tag], scheme)
}

// RFC 6750 §2.3: the URI query parameter, for clients of APIs that take the token there
const queryToken = (url: string): string | undefined => {
  const query = url.indexOf("?")
  const token = query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get("access_token")
  return token === null || token === "" ? undefined : token
}

const nonEmpty = (value: string | undefined) => value === undefined || value.trim() === "" ? undefined : value.trim()

/** The key of the request's DPoP proof for `token` (RFC 9449 §7.1), or the challenge that refuses it. */
const proofKey = (state: State, request: HttpServerRequest.HttpServerRequest, note: Note, token: string) =>
  Effect.flatMap(
    Dpop.checkRequest(state.options, state.proofs, request, Dpop.requestUrls(state.issuer, request), note, token),
    (outcome): Effect.Effect<string, Response> => {
      switch (outcome._tag) {
        case "Valid":
          return Effect.succeed(outcome.jkt)
        case "Absent":
          note.dpop = "missing"
          return Effect.fail(unauthorized(state, 401, "invalid_dpop_proof", "The request has no DPoP proof", "DPoP"))
        case "Invalid":
          return Effect.fail(unauthorized(state, 401, outcome.error, outcome.description, "DPoP", outcome.nonce))
      }
    }
  )

/** Why a token is refused for how it was presented: bound and sent as a bearer token, or not to the proof's key. */
const bindingError = (bound: string | undefined, jkt: string | undefined): string | undefined => {
  if (bound === jkt) return undefined
  if (jkt === undefined) return "The access token is DPoP-bound: send it with the DPoP scheme and a proof"
  return bound === undefined
    ? "The access token is not DPoP-bound: send it as a Bearer token"
    : "The DPoP proof's key is not the one the access token is bound to"
}

/**
 * `/api/*`: a protected resource that answers any path for a valid bearer
 * token (RFC 6750 §2.1, or its §2.3 `access_token` query parameter) that
 * holds the scopes its route requires, and counts the calls it served. A
 * DPoP-bound token comes in the DPoP scheme with a proof of its key (RFC 9449
 * §7), and is refused as a bearer token. Its challenges name its metadata
 * (RFC 9728 §5.1). The
 * journal gets the state of the token presented as the server knew it on
 * arrival, even when a fault answers the request. A route of a provider's
 * API adds the fields of its `body` to the answer, or answers its `body`
 * alone when it is an array (a list), refuses a request without one of its
 * `requiredHeaders`, and may take the token in another authorization
 * `scheme` too.
 *
 * @internal
 */
export const handle = (
  state: Parameters<Endpoint>[0],
  request: Parameters<Endpoint>[1],
  note: Parameters<Endpoint>[2],
  route: {
    readonly body?: Readonly<Record<string, unknown>> | ReadonlyArray<unknown> | undefined
    readonly requiredHeaders?: RequiredHeaders
    readonly scheme?: string | undefined
  } = {}
): ReturnType<Endpoint> =>
  Effect.gen(function*() {
    if (!methods.includes(request.method)) return yield* Effect.fail(methodNotAllowed(methods))
    // a provider's API that wants a header on every request (a version), or on this route's (the customer's
    // organisation), refuses one without it, token or not
    for (const required of [state.options.apiRequiredHeaders, route.requiredHeaders]) {
      for (const [name, answer] of Object.entries(required ?? {})) {
        if (nonEmpty(request.headers[name.toLowerCase()]) === undefined) {
          return yield* Effect.fail(json(answer.body, answer.status))
        }
      }
    }
    // the two classes are disjoint: one linear pass
    const authorization = /^(\S+)\s+(\S+)\s*$/.exec(request.headers.authorization ?? "")
    const word = authorization?.[1]?.toLowerCase()
    // the DPoP scheme only when the server takes DPoP: else such a header carries no token it knows of
    const scheme: Scheme = word === "dpop" ? "DPoP" : "Bearer"
    const accepted = word === "bearer" || (word === "dpop" && state.options.dpop !== undefined) ||
      (word !== undefined && word === route.scheme?.toLowerCase())
    const presented = accepted ? authorization?.[2] : undefined
    const header = state.options.apiTokenHeader
    const bearer = presented ?? (header === undefined ? undefined : nonEmpty(request.headers[header.toLowerCase()])) ??
      queryToken(request.url)
    if (bearer === undefined) return yield* Faults.inject(state, "api", note, Effect.fail(missingToken(state)))

    const status = yield* state.check(bearer)
    note.tokenState = tokenStates[status._tag]
    if (status._tag !== "Unknown") {
      note.tokenId = status.token.id
      note.clientId = status.token.clientId
    }
    return yield* Faults.inject(
      state,
      "api",
      note,
      Effect.gen(function*() {
        const jkt = presented !== undefined && scheme === "DPoP" ? yield* proofKey(state, request, note, bearer) : undefined
        const shown: Scheme = jkt === undefined ? "Bearer" : "DPoP"
        if (status._tag !== "Valid") return yield* Effect.fail(reject(state, status._tag, shown))
        const misbound = bindingError(status.token.jkt, jkt)
        if (misbound !== undefined) {
          note.dpop = jkt === undefined ? "missing" : "mismatch"
          return yield* Effect.fail(unauthorized(state, 401, "invalid_token", misbound, "DPoP"))
        }
        const path = pathOf(request.url)
        const required = requiredScopes(state.options, path)
        if (!required.every((scope) => status.token.scopes.includes(scope))) {
          return yield* Effect.fail(insufficientScope(state, required, shown))
        }
        const call = yield* state.nextApiCall
        if (Array.isArray(route.body)) return json(route.body)
        return json({ ...route.body, ok: true, path, clientId: status.token.clientId, call })
      })
    )
  })
