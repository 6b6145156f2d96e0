import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type * as AuthServer from "../AuthServer.js"
import * as Faults from "./faults.js"
import type { Endpoint } from "./handler.js"
import { pathOf } from "./journal.js"
import { json, methodNotAllowed, realm } from "./responses.js"
import type { State, TokenStatus } from "./state.js"
import { withoutTrailingSlashes } from "./text.js"

type Response = HttpServerResponse.HttpServerResponse

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

// RFC 9728 §5.1: every challenge says where the API's metadata is
const challenge = (state: State, params: string) =>
  `Bearer realm="${realm}"${params}, resource_metadata="${state.issuer}${metadataPath}"`

// RFC 6750 §3: a request without a token gets the bare challenge; one with a bad token, an error code too.
const missingToken = (state: State) =>
  HttpServerResponse.empty({ status: 401, headers: { "www-authenticate": challenge(state, "") } })

const invalidToken = (state: State, status: number, description: string) =>
  json({ error: "invalid_token", error_description: description }, status, {
    "www-authenticate": challenge(state, `, error="invalid_token", error_description="${description}"`)
  })

// RFC 6750 §3.1: the token is good, but not for this resource; the challenge names the scope it needs
const insufficientScope = (state: State, required: ReadonlyArray<string>) => {
  const description = "The access token lacks the scope this resource requires"
  const scope = required.join(" ")
  return json({ error: "insufficient_scope", error_description: description, scope }, 403, {
    "www-authenticate": challenge(state, `, error="insufficient_scope", error_description="${description}", scope="${scope}"`)
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

const reject = (state: State, tag: keyof typeof descriptions): Response => {
  const { options } = state
  // some providers answer a bad token with a 200 (or other) and an error body instead of a challenge
  if (options.errorBodyOnInvalidToken !== undefined) {
    return json(options.errorBodyOnInvalidToken.body, options.errorBodyOnInvalidToken.status)
  }
  const httpStatus = tag === "Expired" ? options.expiredTokenStatus ?? 401 : 401
  return invalidToken(state, httpStatus, descriptions[tag])
}

// RFC 6750 §2.3: the URI query parameter, for clients of APIs that take the token there
const queryToken = (url: string): string | undefined => {
  const query = url.indexOf("?")
  const token = query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get("access_token")
  return token === null || token === "" ? undefined : token
}

/**
 * `/api/*`: a protected resource that answers any path for a valid bearer
 * token (RFC 6750 §2.1, or its §2.3 `access_token` query parameter) that
 * holds the scopes its route requires, and counts the calls it served. Its
 * challenges name its metadata (RFC 9728 §5.1). The
 * journal gets the state of the token presented as the server knew it on
 * arrival, even when a fault answers the request.
 *
 * @internal
 */
export const handle: Endpoint = (state, request, note) =>
  Effect.gen(function*() {
    if (!methods.includes(request.method)) return yield* Effect.fail(methodNotAllowed(methods))
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1] ?? queryToken(request.url)
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
        if (status._tag !== "Valid") return yield* Effect.fail(reject(state, status._tag))
        const path = pathOf(request.url)
        const required = requiredScopes(state.options, path)
        if (!required.every((scope) => status.token.scopes.includes(scope))) {
          return yield* Effect.fail(insufficientScope(state, required))
        }
        const call = yield* state.nextApiCall
        return json({ ok: true, path, clientId: status.token.clientId, call })
      })
    )
  })
