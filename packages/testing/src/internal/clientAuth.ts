import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import type * as AuthServer from "../AuthServer.js"
import * as ClientAssertion from "./clientAssertion.js"
import * as Form from "./form.js"
import type { Note } from "./journal.js"
import { oauthError, realm } from "./responses.js"
import type { Client, State } from "./state.js"

interface Credentials {
  readonly method: AuthServer.AuthMethod
  readonly clientId: string
  readonly clientSecret: string | undefined
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded.
const formDecode = (s: string): string => decodeURIComponent(s.replace(/\+/g, " "))

const decodeBasic = (encoded: string): Option.Option<Credentials> =>
  Either.getRight(Encoding.decodeBase64String(encoded.trim())).pipe(
    Option.flatMap((decoded) => {
      const colon = decoded.indexOf(":")
      if (colon === -1) return Option.none()
      return Option.liftThrowable(() => ({
        method: "client_secret_basic" as const,
        clientId: formDecode(decoded.slice(0, colon)),
        clientSecret: formDecode(decoded.slice(colon + 1))
      }))()
    })
  )

/**
 * Authenticates the client of a token request by HTTP Basic, by
 * `client_id` / `client_secret` in the body, or by a JWT assertion
 * (`clientAssertion.ts`). The journal gets the client id
 * the request claims, whether or not the claim holds.
 *
 * @internal
 */
export const authenticate = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  form: Form.Form,
  note: Note
): Effect.Effect<Client, HttpServerResponse.HttpServerResponse> => {
  if (form.has("client_assertion") || form.has("client_assertion_type")) {
    return ClientAssertion.authenticate(state, request, form, note)
  }
  const authorization = request.headers.authorization
  const bodyId = form.get("client_id")
  const bodySecret = form.get("client_secret")
  // a client that tried the Authorization header is told how to use it (RFC 6749 §5.2)
  const invalidClient = (description: string) =>
    Either.left(
      oauthError(
        401,
        "invalid_client",
        description,
        authorization === undefined ? undefined : { "www-authenticate": `Basic realm="${realm}"` }
      )
    )

  let credentials: Credentials
  if (authorization !== undefined) {
    // the scheme, then whitespace; decodeBasic trims the rest
    const decoded = /^basic\s/i.test(authorization) ? decodeBasic(authorization.slice(6)) : Option.none()
    if (Option.isNone(decoded)) return invalidClient("The Authorization header is not valid Basic credentials")
    if (bodySecret !== undefined || (bodyId !== undefined && bodyId !== decoded.value.clientId)) {
      return Either.left(oauthError(400, "invalid_request", "The client used more than one authentication method"))
    }
    credentials = decoded.value
  } else if (bodyId !== undefined) {
    // without a secret, a public client names itself (RFC 6749 §2.1); a confidential one's secret is empty
    const isPublic = bodySecret === undefined &&
      Option.exists(state.client(bodyId), (client) => client.authMethods.includes("none"))
    credentials = isPublic
      ? { method: "none", clientId: bodyId, clientSecret: undefined }
      : { method: "client_secret_post", clientId: bodyId, clientSecret: bodySecret ?? "" }
  } else {
    return invalidClient("Client authentication is required")
  }

  note.clientId = credentials.clientId
  const client = state.client(credentials.clientId)
  if (
    Option.isNone(client) ||
    client.value.clientSecret !== credentials.clientSecret ||
    !client.value.authMethods.includes(credentials.method)
  ) {
    return invalidClient("Client authentication failed")
  }
  const { secretExpiresAt } = client.value
  if (secretExpiresAt === undefined || credentials.clientSecret === undefined) return Either.right(client.value)
  return Effect.flatMap(
    Clock.currentTimeMillis,
    (now) =>
      now >= secretExpiresAt
        ? invalidClient("The client secret expired; register the client again")
        : Either.right(client.value)
  )
}

/**
 * The form of a `POST` to an endpoint that only authenticated clients may
 * call (token, revocation, introspection, device authorization), with the
 * client it authenticates.
 *
 * @internal
 */
export const authenticatedPost = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  note: Note
): Effect.Effect<{ readonly form: Form.Form; readonly client: Client }, HttpServerResponse.HttpServerResponse> =>
  Effect.flatMap(Form.readPost(request), (form) =>
    Effect.map(authenticate(state, request, form, note), (client) => ({ form, client })))
