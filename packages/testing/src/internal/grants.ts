import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as AuthServer from "../AuthServer.js"
import type { Form } from "./form.js"
import type { Note } from "./journal.js"
import * as Pkce from "./pkce.js"
import type { RefreshToken } from "./refreshFamilies.js"
import { oauthError, tokenResponse } from "./responses.js"
import * as Scopes from "./scopes.js"
import type { Client, State, TokenRecord } from "./state.js"

type Response = HttpServerResponse.HttpServerResponse

/**
 * A grant of the token endpoint: given the authenticated client and the
 * request parameters, issues a token (noting its id for the journal) or
 * answers with an error. Failures are responses too, so a grant returns early
 * with `Effect.fail`.
 *
 * @internal
 */
export type Grant = (context: Context) => Effect.Effect<Response, Response>

interface Context {
  readonly state: State
  readonly client: Client
  readonly form: Form
  readonly note: Note
  /** The checked `resource` parameters (RFC 8707): the `aud` of the token issued. */
  readonly resource: ReadonlyArray<string> | undefined
  /** The thumbprint of the key of the request's valid DPoP proof (RFC 9449): the access token is bound to it. */
  readonly jkt: string | undefined
}

// RFC 6749 §5.2: every error of a grant is a 400 (invalid_client, the one 401, comes from client authentication)
const fail = (error: string, description: string) => Effect.fail(oauthError(400, error, description))

const required = (form: Form, name: string): Effect.Effect<string, Response> => {
  const value = form.get(name)
  return value === undefined ? fail("invalid_request", `The ${name} parameter is missing`) : Effect.succeed(value)
}

const clientScopes = (client: Client, form: Form) =>
  Either.match(Scopes.forClient(client, form.get("scope")), {
    onLeft: (unknown) => fail("invalid_scope", `The client may not request: ${unknown.join(" ")}`),
    onRight: Effect.succeed
  })

const accepts = <A extends ReadonlyArray<string>>(
  accepted: ReadonlyArray<string> | ((...args: A) => boolean) | undefined,
  ...args: A
): boolean =>
  accepted === undefined ? false : typeof accepted === "function" ? accepted(...args) : accepted.includes(args[0])

/**
 * Issues an access token, and with `refresh` (and a client that may use the
 * refresh token grant) a refresh token starting a new family: what a grant
 * gives, and what `AuthServer.grant` gives without a request.
 *
 * @internal
 */
export const issueTokens = (
  state: State,
  client: Client,
  grantType: AuthServer.GrantType,
  scopes: ReadonlyArray<string>,
  refresh: boolean,
  resource?: ReadonlyArray<string> | undefined,
  jkt?: string | undefined
) =>
  Effect.gen(function*() {
    const token = yield* state.issue(client, scopes, resource, jkt)
    if (!refresh || !client.grants.includes("refresh_token")) return { token, refreshToken: Option.none() }
    const refreshToken = yield* state.families.start(client.clientId, grantType, scopes, token.id, publicBinding(client, jkt))
    return { token, refreshToken: Option.some<RefreshToken & { readonly familyId: string }>(refreshToken) }
  })

// RFC 9449 §5: a confidential client's refresh token is bound by its authentication, a public client's by its key
const publicBinding = (client: Client, jkt: string | undefined) => client.authMethods.includes("none") ? jkt : undefined

const issue = (
  { client, jkt, note, resource, state }: Context,
  grantType: AuthServer.GrantType,
  scopes: ReadonlyArray<string>,
  refresh: boolean
) =>
  Effect.tap(issueTokens(state, client, grantType, scopes, refresh, resource, jkt), ({ token }) => {
    note.tokenId = token.id
  })

const respond = (
  note: Note,
  token: TokenRecord,
  refreshToken: Option.Option<RefreshToken>,
  extra: Readonly<Record<string, unknown>> = {}
): Response => {
  if (Option.isNone(refreshToken)) return tokenResponse(token, extra)
  note.issuedRefreshTokenId = refreshToken.value.id
  return tokenResponse(token, { refresh_token: refreshToken.value.value, ...extra })
}

/** RFC 6749 §4.4. @internal */
export const clientCredentials: Grant = (context) =>
  Effect.gen(function*() {
    const scopes = yield* clientScopes(context.client, context.form)
    const refresh = context.state.options.refreshTokenForClientCredentials === true
    const { refreshToken, token } = yield* issue(context, "client_credentials", scopes, refresh)
    return respond(context.note, token, refreshToken)
  })

/** RFC 6749 §6, with rotation and reuse detection (RFC 9700 §4.14.2). @internal */
export const refreshToken: Grant = ({ client, form, jkt, note, resource, state }) =>
  Effect.gen(function*() {
    const value = yield* required(form, "refresh_token")
    const binding = Option.flatMapNullable(yield* state.families.find(value), (found) => found.jkt)
    if (Option.isSome(binding) && binding.value !== jkt) {
      note.dpop = jkt === undefined ? "missing" : "mismatch"
      return yield* jkt === undefined
        ? fail("invalid_dpop_proof", "The refresh token is DPoP-bound: send a DPoP proof of its key")
        : fail("invalid_grant", "The refresh token is bound to another DPoP key")
    }
    const used = yield* state.families.use({ value, clientId: client.clientId, scope: form.get("scope") })
    if (used.presentedId !== undefined) note.refreshTokenId = used.presentedId
    if (used._tag === "Rejected") return yield* fail(used.error, used.description)
    const token = yield* state.issue(client, used.scopes, resource, jkt)
    note.tokenId = token.id
    if (!(yield* state.families.attach(used.familyId, token.id))) {
      return yield* fail("invalid_grant", "The refresh token was revoked")
    }
    return respond(note, token, used.refreshToken)
  })

const replayed = "The authorization code was already used; the tokens issued with it are revoked"

/** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5, §4.6). @internal */
export const authorizationCode: Grant = (context) =>
  Effect.gen(function*() {
    const { client, form, state } = context
    const value = yield* required(form, "code")
    const redeemed = yield* state.codes.redeem(value)
    if (redeemed._tag === "Unknown") return yield* fail("invalid_grant", "The authorization code is not recognised")
    if (redeemed._tag === "Replayed") {
      return yield* fail("invalid_grant", replayed)
    }
    const code = redeemed.code
    if (code.clientId !== client.clientId) {
      return yield* fail("invalid_grant", "The authorization code was issued to another client")
    }
    if ((yield* Clock.currentTimeMillis) >= code.expiresAt) {
      return yield* fail("invalid_grant", "The authorization code expired")
    }
    // RFC 6749 §4.1.3: required, and identical, when the authorization request had it
    const redirectUri = form.get("redirect_uri")
    if (redirectUri !== code.redirectUri && (code.redirectUriSent || redirectUri !== undefined)) {
      return yield* fail("invalid_grant", "The redirect_uri differs from the one of the authorization request")
    }
    const verifier = form.get("code_verifier")
    if (code.codeChallenge === undefined) {
      // RFC 9700 §2.1.1: a verifier without a challenge may be a PKCE downgrade
      if (verifier !== undefined) {
        return yield* fail("invalid_grant", "A code_verifier was sent, but the authorization had no code_challenge")
      }
    } else {
      if (verifier === undefined) return yield* fail("invalid_request", "The code_verifier parameter is missing")
      if (!(yield* Pkce.verify(verifier, code.codeChallenge, code.codeChallengeMethod ?? "plain"))) {
        return yield* fail("invalid_grant", "The code_verifier does not match the code_challenge")
      }
    }
    // RFC 9449 §10: a code bound to a key is exchanged with a proof of that key only
    if (code.dpopJkt !== undefined && context.jkt !== code.dpopJkt) {
      context.note.dpop = context.jkt === undefined ? "missing" : "mismatch"
      return yield* fail("invalid_grant", "The authorization code is bound to another DPoP key (dpop_jkt)")
    }
    const { refreshToken, token } = yield* issue(context, "authorization_code", code.scopes, code.offline)
    const familyId = Option.getOrUndefined(Option.map(refreshToken, (r) => r.familyId))
    if (!(yield* state.codes.attach(value, token.id, familyId))) {
      return yield* fail("invalid_grant", replayed)
    }
    return respond(context.note, token, refreshToken)
  })

/** RFC 8628 §3.4, §3.5. @internal */
export const deviceCode: Grant = (context) =>
  Effect.gen(function*() {
    const value = yield* required(context.form, "device_code")
    const poll = yield* context.state.devices.poll(value, context.client.clientId)
    switch (poll._tag) {
      case "Unknown":
        return yield* fail("invalid_grant", "The device code is not recognised")
      case "WrongClient":
        return yield* fail("invalid_grant", "The device code was issued to another client")
      case "Redeemed":
        return yield* fail("invalid_grant", "The device code was already used")
      case "Expired":
        return yield* fail("expired_token", "The device code expired; start a new device authorization")
      case "SlowDown":
        return yield* fail("slow_down", `Polling too fast: wait ${poll.intervalMillis / 1000} seconds between requests`)
      case "Pending":
        return yield* fail("authorization_pending", "The user has not answered yet")
      case "Denied":
        return yield* fail("access_denied", "The user denied the request")
      case "Approved": {
        const { refreshToken, token } = yield* issue(
          context,
          "urn:ietf:params:oauth:grant-type:device_code",
          poll.scopes,
          true
        )
        return respond(context.note, token, refreshToken)
      }
    }
  })

/** RFC 7523 §2.1: an assertion the server was told to accept. @internal */
export const jwtBearer: Grant = (context) =>
  Effect.gen(function*() {
    const assertion = yield* required(context.form, "assertion")
    if (!accepts(context.state.options.jwtBearerAssertions, assertion)) {
      return yield* fail("invalid_grant", "The assertion is not accepted")
    }
    const scopes = yield* clientScopes(context.client, context.form)
    const { token } = yield* issue(context, "urn:ietf:params:oauth:grant-type:jwt-bearer", scopes, false)
    return respond(context.note, token, Option.none())
  })

const accessTokenType = "urn:ietf:params:oauth:token-type:access_token"

/** RFC 8693 §2.1, §2.2: a subject token the server was told to accept, for an access token. @internal */
export const tokenExchange: Grant = (context) =>
  Effect.gen(function*() {
    const { form } = context
    const subjectToken = yield* required(form, "subject_token")
    const subjectTokenType = yield* required(form, "subject_token_type")
    if (form.has("actor_token") !== form.has("actor_token_type")) {
      return yield* fail("invalid_request", "The actor_token and actor_token_type parameters go together")
    }
    const requested = form.get("requested_token_type")
    if (requested !== undefined && requested !== accessTokenType) {
      return yield* fail("invalid_request", `The server issues only ${accessTokenType} (requested_token_type)`)
    }
    if (!accepts(context.state.options.tokenExchangeSubjects, subjectToken, subjectTokenType)) {
      return yield* fail("invalid_grant", "The subject_token is not accepted")
    }
    const scopes = yield* clientScopes(context.client, form)
    const { token } = yield* issue(context, "urn:ietf:params:oauth:grant-type:token-exchange", scopes, false)
    return respond(context.note, token, Option.none(), { issued_token_type: accessTokenType })
  })

/** The grants the token endpoint supports, by `grant_type`. @internal */
export const grants: ReadonlyMap<string, Grant> = new Map<AuthServer.GrantType, Grant>([
  ["client_credentials", clientCredentials],
  ["refresh_token", refreshToken],
  ["authorization_code", authorizationCode],
  ["urn:ietf:params:oauth:grant-type:device_code", deviceCode],
  ["urn:ietf:params:oauth:grant-type:jwt-bearer", jwtBearer],
  ["urn:ietf:params:oauth:grant-type:token-exchange", tokenExchange]
])
