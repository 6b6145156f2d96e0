/**
 * A small DPoP-checking authorization server and API (RFC 9449), served in
 * memory by an `HttpRouter` (see routerClient.ts): every proof is verified
 * with jose against its own `jwk` header, its claims checked against the
 * request, and the key's thumbprint bound to the token issued. Each side
 * asks for a nonce first when told to.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Ref } from "effect"
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from "jose"
import * as dpop from "../src/internal/dpop.js"

export const origin = "http://127.0.0.1:9449"
export const tokenUrl = `${origin}/token`
export const apiUrl = `${origin}/api`

/** One request either side received: its proof's claims, or why it was refused. */
export interface Seen {
  readonly path: string
  readonly authorization: string | undefined
  readonly claims: Readonly<Record<string, unknown>> | undefined
  readonly jkt: string | undefined
  readonly answer: number
}

export interface Options {
  /** The token endpoint asks for this nonce (RFC 9449 §8). */
  readonly tokenNonce?: string | undefined
  /**
   * The token endpoint's nonce rotates right after each of its first
   * `tokenNonceRotations` nonce challenges: the nonce a challenge gives is
   * stale by the time the client proves it (default 0).
   */
  readonly tokenNonceRotations?: number | undefined
  /** The API asks for this nonce (RFC 9449 §9). */
  readonly apiNonce?: string | undefined
  /** The API rejects the token (401 invalid_token) on these calls, counted from 1. */
  readonly apiRejects?: ReadonlyArray<number> | undefined
}

const verify = (header: string | undefined) =>
  header === undefined
    ? Effect.succeed(undefined)
    : Effect.promise(async () => {
      try {
        const { payload, protectedHeader } = await jwtVerify(header, EmbeddedJWK, { typ: "dpop+jwt" })
        return { claims: payload as Record<string, unknown>, jkt: await calculateJwkThumbprint(protectedHeader.jwk!) }
      } catch {
        return undefined
      }
    })

export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const log = yield* Ref.make<ReadonlyArray<Seen>>([])
    // token value → the thumbprint it is bound to
    const bound = new Map<string, string>()
    let issued = 0
    let apiCalls = 0
    let nonceRotations = 0
    const tokenNonce = () =>
      options.tokenNonce === undefined || nonceRotations === 0 ? options.tokenNonce : `${options.tokenNonce}-${nonceRotations}`

    const answer = (seen: Omit<Seen, "answer">, response: HttpServerResponse.HttpServerResponse) =>
      Effect.as(Ref.update(log, (all) => [...all, { ...seen, answer: response.status }]), response)

    const token = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const form = Object.fromEntries(yield* Effect.orDie(request.urlParamsBody))
      const proof = yield* verify(request.headers["dpop"])
      const seen = { path: "/token", authorization: request.headers["authorization"], claims: proof?.claims, jkt: proof?.jkt }
      if (proof === undefined || proof.claims.htm !== "POST" || proof.claims.htu !== tokenUrl) {
        return yield* answer(seen, HttpServerResponse.unsafeJson({ error: "invalid_dpop_proof" }, { status: 400 }))
      }
      const nonce = tokenNonce()
      if (nonce !== undefined && proof.claims.nonce !== nonce) {
        if (nonceRotations < (options.tokenNonceRotations ?? 0)) nonceRotations++
        return yield* answer(
          seen,
          HttpServerResponse.unsafeJson({ error: "use_dpop_nonce" }, {
            status: 400,
            headers: { "dpop-nonce": nonce }
          })
        )
      }
      if (form.grant_type === "refresh_token" && bound.get(form.refresh_token ?? "") !== proof.jkt) {
        return yield* answer(seen, HttpServerResponse.unsafeJson({ error: "invalid_grant" }, { status: 400 }))
      }
      issued++
      const accessToken = `at-${issued}`
      const refreshToken = `rt-${issued}`
      bound.set(accessToken, proof.jkt)
      bound.set(refreshToken, proof.jkt)
      return yield* answer(
        seen,
        HttpServerResponse.unsafeJson({
          access_token: accessToken,
          token_type: "DPoP",
          expires_in: 3600,
          refresh_token: refreshToken
        })
      )
    })

    const api = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      apiCalls++
      const authorization = request.headers["authorization"]
      const proof = yield* verify(request.headers["dpop"])
      const seen = { path: "/api", authorization, claims: proof?.claims, jkt: proof?.jkt }
      const value = authorization?.startsWith("DPoP ") === true ? authorization.slice(5) : undefined
      const ath = value === undefined ? undefined : yield* dpop.ath(value)
      if (
        value === undefined || proof === undefined || proof.claims.htm !== request.method ||
        proof.claims.htu !== apiUrl || proof.claims.ath !== ath || bound.get(value) !== proof.jkt
      ) {
        return yield* answer(
          seen,
          HttpServerResponse.empty({ status: 401, headers: { "www-authenticate": `DPoP error="invalid_token"` } })
        )
      }
      if (options.apiNonce !== undefined && proof.claims.nonce !== options.apiNonce) {
        return yield* answer(
          seen,
          HttpServerResponse.empty({
            status: 401,
            headers: {
              "www-authenticate": `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce"`,
              "dpop-nonce": options.apiNonce
            }
          })
        )
      }
      if (options.apiRejects?.includes(apiCalls) === true) {
        return yield* answer(
          seen,
          HttpServerResponse.empty({ status: 401, headers: { "www-authenticate": `DPoP error="invalid_token"` } })
        )
      }
      return yield* answer(seen, HttpServerResponse.unsafeJson({ ok: true, token: value }))
    })

    const router = HttpRouter.empty.pipe(HttpRouter.post("/token", token), HttpRouter.get("/api", api))
    return { router, seen: Ref.get(log) }
  })
