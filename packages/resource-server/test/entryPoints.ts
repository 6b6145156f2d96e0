/**
 * The resource server's parsers of bytes from a header or a server, called
 * the way it calls them, for Hardening.test.ts and Fuzz.test.ts. The JWKS and
 * introspection answers are served by an in-memory router: real requests and
 * responses, no socket.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import { ClientAuth } from "@grantflow/core"
import { Effect, Redacted } from "effect"
import { document, issuer } from "../../core/test/entryPoints.js"
import { layerOf } from "../../core/test/routerClient.js"
import * as DpopProof from "../src/DpopProof.js"
import * as bearerToken from "../src/internal/bearerToken.js"
import * as TokenVerifier from "../src/TokenVerifier.js"

/** An `Authorization` header at the resource server. */
export const authorizationHeader = (value: string) => bearerToken.parseHeader(value)

/** An `Authorization` header at a resource server that takes the DPoP scheme too. */
export const dpopAuthorizationHeader = (value: string) => bearerToken.parseHeader(value, bearerToken.defaultMaxLength, true)

/** A DPoP proof's `htu` (or a request URL) as proofs are compared. */
export const proofUrl = (value: string) => DpopProof.normalizeUrl(value)

/** A `DPoP` header sent with `GET https://api.example.com/orders` and an access token, checked as the middleware does. */
export const dpopProof = (proof: string) =>
  Effect.flatMap(DpopProof.make(), (verifier) =>
    Effect.either(
      verifier.verify(Redacted.make(proof), {
        method: "GET",
        url: "https://api.example.com/orders",
        accessToken: Redacted.make("access-token")
      })
    ))

const b64url = (value: string) => Buffer.from(value).toString("base64url")

/** A compact JWS with a well-formed header asking for key `k1`: verifying it fetches the JWKS. */
export const jwsForKey = [
  b64url(JSON.stringify({ alg: "RS256", typ: "at+jwt", kid: "k1" })),
  b64url(JSON.stringify({ iss: issuer, sub: "user-1", exp: 1 })),
  b64url("signature")
].join(".")

const jwksRouter = (body: string) =>
  HttpRouter.empty.pipe(HttpRouter.get("/jwks", document(body)))

/** A JWT verifier whose JWKS is `body`, asked to verify `token` (by default one that needs key `k1`). */
export const jwks = (body: string, token: string = jwsForKey) =>
  Effect.gen(function*() {
    const verifier = yield* TokenVerifier.jwt({ issuer, audience: "https://api.example.com", jwksUri: `${issuer}/jwks` })
    return yield* Effect.either(verifier.verify(Redacted.make(token)))
  }).pipe(Effect.provide(layerOf(jwksRouter(body))))

/** An introspection verifier whose endpoint answers `body`. */
export const introspection = (body: string) =>
  Effect.gen(function*() {
    const verifier = yield* TokenVerifier.introspection({
      introspectionUrl: `${issuer}/introspect`,
      auth: ClientAuth.clientSecretBasic("orders-api", Redacted.make("cs_PLANTED_3Hq7Rt5Yu9"))
    })
    return yield* Effect.either(verifier.verify(Redacted.make("opaque-token")))
  }).pipe(
    Effect.provide(layerOf(HttpRouter.empty.pipe(HttpRouter.post("/introspect", document(body)))))
  )

