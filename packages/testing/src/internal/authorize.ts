import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { AuthorizationRequest } from "./authorizationCodes.js"
import * as Page from "./consentPage.js"
import * as Form from "./form.js"
import type { Endpoint } from "./handler.js"
import type { Note } from "./journal.js"
import { methodNotAllowed } from "./responses.js"
import * as Pkce from "./pkce.js"
import * as Resources from "./resources.js"
import * as Scopes from "./scopes.js"
import type { State } from "./state.js"

type Response = HttpServerResponse.HttpServerResponse

/**
 * Exact match, except that a loopback IP redirect URI matches on any port
 * (RFC 8252 §7.3): a native app picks a free port when it starts listening.
 */
const redirectUriMatches = (registered: string, sent: string): boolean => {
  if (registered === sent) return true
  if (!URL.canParse(registered) || !URL.canParse(sent)) return false
  const [a, b] = [new URL(registered), new URL(sent)]
  const loopback = (url: URL) => url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "[::1]")
  return loopback(a) && loopback(b) && a.hostname === b.hostname && a.pathname === b.pathname && a.search === b.search
}

/** Sends the user agent back to the client with `params` and the issuer (RFC 9207) in the query. */
const redirectBack = (state: State, redirectUri: string, params: Record<string, string | undefined>): Response => {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.append(name, value)
  }
  url.searchParams.append("iss", state.issuer)
  return HttpServerResponse.redirect(url, { status: 302, headers: { "cache-control": "no-store" } })
}

/** The query parameters, each once; a parameter without a value is absent (RFC 6749 §3.1). */
const readQuery = (url: string): Params => {
  const values = new Map<string, string>()
  const repeated: Array<string> = []
  const seen = new Set<string>()
  for (const [name, value] of new URL(url, "http://localhost").searchParams) {
    if (seen.has(name) && !Form.repeatable.has(name)) repeated.push(name)
    seen.add(name)
    if (value !== "") Form.add(values, name, value)
  }
  return { values, repeated }
}

/**
 * Why an authorization request was refused: before the client and its
 * redirect URI are known good, with a `Page` for the user; after that with
 * an error to send back to the client (RFC 6749 §4.1.2.1).
 *
 * @internal
 */
export type Rejection =
  | { readonly _tag: "Page"; readonly description: string }
  | {
    readonly _tag: "Redirect"
    readonly redirectUri: string
    readonly state: string | undefined
    readonly error: string
    readonly description: string
  }

/**
 * The parameters of an authorization request: each value once (the
 * repeatable `resource`'s joined, see `form.ts`), and the names sent more
 * than once.
 *
 * @internal
 */
export interface Params {
  readonly values: ReadonlyMap<string, string>
  readonly repeated: ReadonlyArray<string>
}

/** An RFC 7638 SHA-256 thumbprint as base64url: 43 characters of A-Z a-z 0-9 - _. */
const isThumbprint = (value: string): boolean => value.length === 43 && /^[\w-]+$/.test(value)

/**
 * Checks an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3), whether
 * it arrives in the query of `/authorize` or pushed to `/par` (RFC 9126).
 *
 * @internal
 */
export const validate = (
  state: State,
  { repeated, values }: Params,
  note: Note
): Either.Either<AuthorizationRequest, Rejection> => {
  const page = (description: string) => Either.left({ _tag: "Page" as const, description })
  if (repeated.includes("client_id") || repeated.includes("redirect_uri")) {
    return page("The client_id and redirect_uri parameters may be sent only once.")
  }
  const clientId = values.get("client_id")
  if (clientId === undefined) return page("The request names no client (client_id).")
  note.clientId = clientId
  const client = state.client(clientId)
  if (Option.isNone(client)) return page("The client is not registered.")
  const sent = values.get("redirect_uri")
  const registered = client.value.redirectUris
  if (sent !== undefined && !registered.some((uri) => redirectUriMatches(uri, sent))) {
    return page("The redirect_uri is not registered for this client.")
  }
  if (sent === undefined && registered.length !== 1) {
    return page("The request must name its redirect_uri: the client has none or several registered.")
  }
  const redirectUri = sent ?? registered[0]!
  const clientState = repeated.includes("state") ? undefined : values.get("state")
  const reject = (error: string, description: string) =>
    Either.left({ _tag: "Redirect" as const, redirectUri, state: clientState, error, description })

  if (repeated.length > 0) return reject("invalid_request", `The parameter ${repeated[0]} was sent more than once`)
  const responseType = values.get("response_type")
  if (responseType === undefined) return reject("invalid_request", "The response_type parameter is missing")
  if (responseType !== "code") return reject("unsupported_response_type", "The server supports only response_type=code")
  if (!client.value.grants.includes("authorization_code")) {
    return reject("unauthorized_client", "The client may not use the authorization code grant")
  }
  const scopes = Scopes.forClient(client.value, values.get("scope"))
  if (Either.isLeft(scopes)) return reject("invalid_scope", `The client may not request: ${scopes.left.join(" ")}`)

  const resource = Resources.check(state, values.get("resource"))
  if (Either.isLeft(resource)) return reject("invalid_target", resource.left)

  const challenge = values.get("code_challenge")
  const method = values.get("code_challenge_method")
  if (challenge === undefined) {
    if (method !== undefined) return reject("invalid_request", "code_challenge_method needs a code_challenge")
    if (client.value.authMethods.includes("none")) {
      return reject("invalid_request", "A public client must use PKCE (code_challenge)")
    }
  } else {
    // RFC 7636 §4.3: a challenge without a method is plain
    if (method !== undefined && !Pkce.isMethod(method)) {
      return reject("invalid_request", "The code_challenge_method must be S256 or plain")
    }
    if (!Pkce.isWellFormed(challenge)) {
      return reject("invalid_request", "The code_challenge must be 43-128 characters of A-Z a-z 0-9 - . _ ~")
    }
  }
  // RFC 9449 §10: the key the code is to be exchanged with, when the server takes DPoP
  const dpopJkt = state.options.dpop === undefined ? undefined : values.get("dpop_jkt")
  if (dpopJkt !== undefined && !isThumbprint(dpopJkt)) {
    return reject("invalid_request", "The dpop_jkt must be a JWK SHA-256 thumbprint: 43 base64url characters")
  }
  return Either.right({
    dpopJkt,
    clientId,
    redirectUri,
    redirectUriSent: sent !== undefined,
    scopes: scopes.right,
    state: clientState,
    nonce: values.get("nonce"),
    codeChallenge: challenge,
    codeChallengeMethod: challenge === undefined ? undefined : method === "S256" ? "S256" : "plain",
    offline: asksOffline(state, values)
  })
}

/** Whether the request asked for a refresh token, when the server issues one only on request (`offlineAccess`). */
const asksOffline = (state: State, values: ReadonlyMap<string, string>): boolean => {
  const offline = state.options.offlineAccess
  if (offline === undefined) return true
  const value = values.get(offline.param)
  return offline.param === "scope" ? (value ?? "").split(" ").includes(offline.value) : value === offline.value
}

const answer = (state: State, rejection: Rejection): Response =>
  rejection._tag === "Page"
    ? Page.error(400, rejection.description)
    : redirectBack(state, rejection.redirectUri, {
      error: rejection.error,
      error_description: rejection.description,
      state: rejection.state
    })

/**
 * The request a `request_uri` stands for (RFC 9126 §4): it must have been
 * pushed by the client named in `client_id`, and serves once before it
 * expires. The other query parameters are ignored: only what was pushed
 * counts. An unknown one is a page (where to send the user back is not
 * known); a used or expired one goes back to the client as
 * `invalid_request_uri`.
 */
const pushed = (
  state: State,
  { repeated, values }: Params,
  requestUri: string,
  note: Note
): Effect.Effect<AuthorizationRequest, Response> =>
  Effect.gen(function*() {
    if (repeated.includes("client_id") || repeated.includes("request_uri")) {
      return yield* Effect.fail(Page.error(400, "The client_id and request_uri parameters may be sent only once."))
    }
    const clientId = values.get("client_id")
    if (clientId === undefined) return yield* Effect.fail(Page.error(400, "The request names no client (client_id)."))
    note.clientId = clientId
    const taken = yield* state.pushedRequests.take(requestUri, clientId)
    if (taken._tag === "Unknown") {
      return yield* Effect.fail(
        Page.error(400, "The request_uri is not one this server issued to this client (invalid_request_uri).")
      )
    }
    note.pushedRequestId = taken.pushed.id
    const { request } = taken.pushed
    if (taken._tag === "Fresh") return request
    return yield* Effect.fail(redirectBack(state, request.redirectUri, {
      error: "invalid_request_uri",
      error_description: taken._tag === "Used" ? "The request_uri was already used" : "The request_uri has expired",
      state: request.state
    }))
  })

/**
 * Checks what `GET /authorize` received: a pushed request's `request_uri`,
 * or the whole request in the query unless the server requires pushed
 * requests (RFC 9126 §5).
 */
const check = (state: State, url: string, note: Note): Effect.Effect<AuthorizationRequest, Response> => {
  const params = readQuery(url)
  const requestUri = params.values.get("request_uri")
  if (requestUri !== undefined) return pushed(state, params, requestUri, note)
  const checked = validate(state, params, note)
  if (Either.isLeft(checked)) return Effect.fail(answer(state, checked.left))
  if (state.options.requirePushedAuthorizationRequests === true) {
    return Effect.fail(answer(state, {
      _tag: "Redirect",
      redirectUri: checked.right.redirectUri,
      state: checked.right.state,
      error: "invalid_request",
      description: "This server accepts only pushed authorization requests (RFC 9126): push the request to " +
        "its pushed_authorization_request_endpoint and send request_uri"
    }))
  }
  return Effect.succeed(checked.right)
}

const approve = (state: State, request: AuthorizationRequest) =>
  Effect.map(
    state.codes.issue(request),
    (code) => redirectBack(state, request.redirectUri, { code, state: request.state })
  )

const deny = (state: State, request: AuthorizationRequest) =>
  redirectBack(state, request.redirectUri, {
    error: "access_denied",
    error_description: "The user denied the request",
    state: request.state
  })

/**
 * `GET /authorize` checks the request and shows the consent page, or with
 * `autoApprove` redirects at once; `POST /authorize` is the user's answer
 * from that page.
 *
 * @internal
 */
export const handle: Endpoint = (state, request, note) =>
  Effect.gen(function*() {
    if (request.method === "GET") {
      const checked = yield* check(state, request.url, note)
      if (state.options.autoApprove === true) return yield* approve(state, checked)
      const pendingId = yield* state.codes.hold(checked)
      return Page.consent({ pendingId, clientId: checked.clientId, scopes: checked.scopes })
    }
    if (request.method !== "POST") return yield* Effect.fail(methodNotAllowed(["GET", "POST"]))

    const form = yield* Effect.mapError(Form.read(request), () => Page.error(400, "The form could not be read."))
    const decision = form.get("decision")
    if (decision !== "approve" && decision !== "deny") {
      return yield* Effect.fail(Page.error(400, "The answer must be approve or deny."))
    }
    const held = yield* state.codes.take(form.get("request_id") ?? "")
    if (Option.isNone(held)) {
      return yield* Effect.fail(Page.error(400, "This authorization request is unknown or was already answered."))
    }
    note.clientId = held.value.clientId
    return decision === "approve" ? yield* approve(state, held.value) : deny(state, held.value)
  })
