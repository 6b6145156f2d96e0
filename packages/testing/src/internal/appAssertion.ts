import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Jose from "jose"
import type * as AuthServer from "../AuthServer.js"
import { issueTokens } from "./grants.js"
import type { Note } from "./journal.js"
import { methodNotAllowed, oauthError, tokenResponse } from "./responses.js"
import type { State } from "./state.js"
import * as TokenShape from "./tokenShape.js"
import { bearerCredential } from "./text.js"

type Route = Extract<AuthServer.Route, { readonly endpoint: "assertion" }>
type Response = HttpServerResponse.HttpServerResponse

/** The grant type the journal records for these requests: a JWT the client signed is the grant (RFC 7523 §2.1). */
const grantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

const refused = (description: string) => Effect.fail(oauthError(401, "invalid_grant", description))

const describe = (error: unknown): string =>
  error instanceof Jose.errors.JWTExpired
    ? "The JWT expired"
    : error instanceof Jose.errors.JOSEAlgNotAllowed
    ? "The JWT must be signed with RS256"
    : error instanceof Jose.errors.JWTClaimValidationFailed
    ? `The JWT's ${error.claim} claim is missing or invalid`
    : "The JWT's signature does not verify with the app's registered key"

/**
 * An app's own token request (see `AuthServer.Route`, `assertion`): the app
 * signs a short JWT with its key and sends it as the bearer credential; the
 * server checks it with the public keys of the client its `iss` names and
 * answers an access token.
 *
 * @internal
 */
export const handle = (state: State, route: Route) =>
(request: HttpServerRequest.HttpServerRequest, note: Note): Effect.Effect<Response, Response> =>
  Effect.mapError(
    Effect.gen(function*() {
      note.grantType = grantType
      if (request.method !== "POST") return yield* Effect.fail(methodNotAllowed(["POST"]))
      const jwt = bearerCredential(request.headers.authorization)
      if (jwt === undefined) return yield* refused("The request carries no JWT as its bearer credential")
      const claims = Option.liftThrowable(() => Jose.decodeJwt(jwt))()
      if (Option.isNone(claims) || typeof claims.value.iss !== "string") return yield* refused("The JWT names no app (iss)")
      const clientId = claims.value.iss
      note.clientId = clientId
      const client = state.client(clientId)
      if (Option.isNone(client) || client.value.jwks === undefined) return yield* refused("The JWT's app is not known")
      const now = yield* Clock.currentTimeMillis
      const verified = yield* Effect.tryPromise(() =>
        Jose.jwtVerify(jwt, Jose.createLocalJWKSet({ keys: [...client.value.jwks!.keys] }), {
          algorithms: ["RS256"],
          issuer: clientId,
          requiredClaims: ["iat", "exp"],
          currentDate: new Date(now)
        })
      ).pipe(Effect.catchAll((error) => refused(describe(error.error))))
      const { exp, iat } = verified.payload
      const longest = Duration.toSeconds(Duration.decode(route.maxLifetime ?? "10 minutes"))
      if (exp! - Math.floor(now / 1000) > longest) return yield* refused("The JWT's exp is too far in the future")
      if (iat! > Math.ceil(now / 1000)) return yield* refused("The JWT's iat is in the future")
      const { token } = yield* issueTokens(state, client.value, grantType, [], false)
      note.tokenId = token.id
      const shaped = yield* TokenShape.apply(state.options, request, tokenResponse(token))
      return route.status === undefined ? shaped : HttpServerResponse.setStatus(shaped, route.status)
    }),
    (response) => TokenShape.applyToError(state.options, request, response, grantType)
  )
