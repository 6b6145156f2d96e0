import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Jose from "jose"
import type { Form } from "./form.js"
import { type Note, pathOf } from "./journal.js"
import { oauthError } from "./responses.js"
import type { Client, State } from "./state.js"

type Response = HttpServerResponse.HttpServerResponse

/** RFC 7523 §2.2. @internal */
export const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/** The algorithms of `client_secret_jwt`. @internal */
export const secretAlgorithms: Array<string> = ["HS256", "HS384", "HS512"]
/** The algorithms of `private_key_jwt`. @internal */
export const keyAlgorithms: Array<string> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

/**
 * The `jti`s of the client assertions accepted so far, each kept until its
 * assertion expires: after that the assertion is refused as expired anyway.
 *
 * @internal
 */
export interface SeenAssertions {
  /** Remembers `jti` of `clientId` until `expiresAt`; `false` when it is remembered already. */
  readonly remember: (clientId: string, jti: string, expiresAt: number, now: number) => Effect.Effect<boolean>
}

/** @internal */
export const makeSeen: Effect.Effect<SeenAssertions> = Effect.map(
  Ref.make(HashMap.empty<string, number>()),
  (seen) => ({
    remember: (clientId, jti, expiresAt, now) =>
      Ref.modify(seen, (map) => {
        const live = HashMap.filter(map, (until) => until > now)
        // the client id keeps two clients' jtis apart; it cannot contain the NUL that separates them
        const key = `${clientId}\u0000${jti}`
        return HashMap.has(live, key) ? [false, live] : [true, HashMap.set(live, key, expiresAt)]
      })
  })
)

const invalidClient = (description: string) => Effect.fail(oauthError(401, "invalid_client", description))
const invalidRequest = (description: string) => Effect.fail(oauthError(400, "invalid_request", description))

const describe = (error: unknown): string => {
  if (error instanceof Jose.errors.JWTExpired) return "The client_assertion expired"
  if (error instanceof Jose.errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "aud":
        return "The client_assertion's aud is neither the issuer, the token endpoint nor the endpoint it was sent to"
      case "iss":
      case "sub":
        return "The client_assertion's iss and sub must both be the client_id"
      default:
        return `The client_assertion's ${error.claim} claim is missing or invalid`
    }
  }
  if (error instanceof Jose.errors.JOSEAlgNotAllowed) return "The client_assertion is signed with an algorithm the method does not allow"
  return "The client_assertion's signature does not verify with the client's registered key"
}

/**
 * Authenticates a client by a JWT assertion (RFC 7523 §2.2, RFC 7521 §4.2,
 * OpenID Connect Core §9): `private_key_jwt` when it is signed with a key of
 * the client's registered JWKS, `client_secret_jwt` when it is an HMAC with
 * the client's secret. `iss` and `sub` are the client id, `aud` the issuer,
 * the token endpoint or the endpoint the assertion was sent to (each
 * identifies this server, RFC 7523 §3), `exp` is checked on the `Clock` and a
 * `jti` is accepted once. An assertion whose header names `x5t#S256` is
 * verified only with the registered key of that certificate thumbprint.
 *
 * @internal
 */
export const authenticate = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  form: Form,
  note: Note
): Effect.Effect<Client, Response> =>
  Effect.gen(function*() {
    const headers = request.headers
    if (form.get("client_assertion_type") !== assertionType) {
      return yield* invalidRequest(`The client_assertion_type must be ${assertionType}`)
    }
    const assertion = form.get("client_assertion")
    if (assertion === undefined) return yield* invalidRequest("The client_assertion parameter is missing")
    if (headers.authorization !== undefined || form.has("client_secret")) {
      return yield* invalidRequest("The client used more than one authentication method")
    }

    const unverified = Option.liftThrowable(() => ({
      claims: Jose.decodeJwt(assertion),
      header: Jose.decodeProtectedHeader(assertion)
    }))()
    if (Option.isNone(unverified)) return yield* invalidClient("The client_assertion is not a JWT")
    const { claims, header } = unverified.value
    const clientId = claims.sub ?? claims.iss
    if (clientId === undefined) return yield* invalidClient("The client_assertion names no client (sub, iss)")
    note.clientId = clientId
    const bodyId = form.get("client_id")
    if (bodyId !== undefined && bodyId !== clientId) {
      return yield* invalidClient("The client_id differs from the client_assertion's sub")
    }

    const client = state.client(clientId)
    if (Option.isNone(client)) return yield* invalidClient("Client authentication failed")
    const bySecret = secretAlgorithms.includes(header.alg ?? "")
    const method = bySecret ? "client_secret_jwt" : "private_key_jwt"
    if (!client.value.authMethods.includes(method)) {
      return yield* invalidClient(`The client may not authenticate with ${method}`)
    }
    const { clientSecret, jwks } = client.value
    const now = yield* Clock.currentTimeMillis
    const options: Jose.JWTVerifyOptions = {
      algorithms: bySecret ? secretAlgorithms : keyAlgorithms,
      issuer: clientId,
      subject: clientId,
      audience: [state.issuer, `${state.issuer}/token`, `${state.issuer}${pathOf(request.url)}`],
      requiredClaims: ["exp", "jti"],
      currentDate: new Date(now)
    }
    // a header that names a certificate's thumbprint (RFC 7515 §4.1.8) picks the key registered with it
    const thumbprint = header["x5t#S256"]
    const keys = (jwks?.keys ?? []).filter((key) => thumbprint === undefined || key["x5t#S256"] === thumbprint)
    const verified = yield* Effect.tryPromise(() =>
      bySecret
        ? Jose.jwtVerify(assertion, new TextEncoder().encode(clientSecret ?? ""), options)
        : Jose.jwtVerify(assertion, Jose.createLocalJWKSet({ keys }), options)
    ).pipe(Effect.catchAll((error) => invalidClient(describe(error.error))))

    const { exp, jti } = verified.payload
    if (!(yield* state.assertions.remember(clientId, jti!, exp! * 1000, now))) {
      return yield* invalidClient("The client_assertion was used before (its jti is replayed)")
    }
    return client.value
  })
