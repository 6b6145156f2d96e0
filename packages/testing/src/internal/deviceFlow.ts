import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ClientAuth from "./clientAuth.js"
import * as Page from "./consentPage.js"
import * as Form from "./form.js"
import type { Endpoint } from "./handler.js"
import * as Resources from "./resources.js"
import { json, methodNotAllowed, noStore, oauthError, secondsBetween } from "./responses.js"
import * as Scopes from "./scopes.js"
import type { State } from "./state.js"

type Response = HttpServerResponse.HttpServerResponse

/**
 * `POST /device_authorization` (RFC 8628 §3.1, §3.2): an authenticated
 * client that may use the device code grant gets a device code, the user
 * code and where the user enters it.
 *
 * @internal
 */
export const authorization: Endpoint = (state, request, note) =>
  Effect.gen(function*() {
    const { client, form } = yield* ClientAuth.authenticatedPost(state, request, note)
    if (!client.grants.includes("urn:ietf:params:oauth:grant-type:device_code")) {
      return yield* Effect.fail(
        oauthError(400, "unauthorized_client", "The client may not use the device authorization grant")
      )
    }
    const scopes = Scopes.forClient(client, form.get("scope"))
    if (Either.isLeft(scopes)) {
      return yield* Effect.fail(
        oauthError(400, "invalid_scope", `The client may not request: ${scopes.left.join(" ")}`)
      )
    }
    const resource = Resources.check(state, form.get("resource"))
    if (Either.isLeft(resource)) return yield* Effect.fail(oauthError(400, "invalid_target", resource.left))
    const device = yield* state.devices.start(client.clientId, scopes.right)
    const verificationUri = `${state.issuer}/device`
    return json(
      {
        device_code: device.deviceCode,
        user_code: device.userCode,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(device.userCode)}`,
        expires_in: secondsBetween(device.issuedAt, device.expiresAt),
        interval: Math.ceil(device.intervalMillis / 1000)
      },
      200,
      noStore
    )
  })

/**
 * `GET /device` asks the user for the code their device shows (filled in
 * from `user_code` in the query); `POST /device` is their answer.
 *
 * @internal
 */
export const page = (
  state: State,
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<Response, Response> =>
  Effect.gen(function*() {
    if (request.method === "GET") {
      const userCode = new URL(request.url, "http://localhost").searchParams.get("user_code")
      return Page.device(userCode ?? undefined)
    }
    if (request.method !== "POST") return yield* Effect.fail(methodNotAllowed(["GET", "POST"]))
    const form = yield* Effect.mapError(Form.read(request), () => Page.error(400, "The form could not be read."))
    const decision = form.get("decision")
    if (decision !== "approve" && decision !== "deny") {
      return yield* Effect.fail(Page.error(400, "The answer must be approve or deny."))
    }
    const decided = yield* state.devices.decide(form.get("user_code") ?? "", decision === "approve")
    return Page.deviceResult(!decided ? "unknown" : decision === "approve" ? "approved" : "denied")
  })
