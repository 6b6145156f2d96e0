import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import type * as AuthServer from "../AuthServer.js"
import { grants } from "./grants.js"
import * as Form from "./form.js"
import type { Endpoint } from "./handler.js"
import { randomValue } from "./random.js"
import { json, methodNotAllowed, noStore, oauthError, realm } from "./responses.js"
import * as Scopes from "./scopes.js"
import type { Client } from "./state.js"

// the methods a client may register; the assertion methods need keys the simulated server has no way to take
const authMethods: ReadonlyArray<AuthServer.AuthMethod> = ["client_secret_basic", "client_secret_post", "none"]

// the fields of the client information response that are not client metadata (RFC 7591 §3.2.1)
const credentialFields: ReadonlySet<string> = new Set([
  "client_id",
  "client_secret",
  "client_id_issued_at",
  "client_secret_expires_at",
  "registration_access_token",
  "registration_client_uri"
])

// a registration request is a few hundred bytes: a larger one is refused before it is parsed
const maxBodyLength = 64 * 1024

const invalidMetadata = (description: string) => oauthError(400, "invalid_client_metadata", description)

const strings = (value: unknown): value is ReadonlyArray<string> =>
  Array.isArray(value) && value.every((item) => typeof item === "string")

const isRedirectUri = (uri: string): boolean => URL.canParse(uri) && !uri.includes("#")

/**
 * The client metadata of a registration request checked (RFC 7591 §2): the
 * client it describes, or the error answer (§3.2.2).
 */
const checkMetadata = (body: Readonly<Record<string, unknown>>) => {
  const redirectUris = body["redirect_uris"] ?? []
  if (!strings(redirectUris) || !redirectUris.every(isRedirectUri)) {
    return Effect.fail(
      oauthError(400, "invalid_redirect_uri", "The redirect_uris must be absolute URIs without a fragment")
    )
  }
  const method = body["token_endpoint_auth_method"] ?? "client_secret_basic"
  if (typeof method !== "string" || !(authMethods as ReadonlyArray<string>).includes(method)) {
    return Effect.fail(invalidMetadata(`The token_endpoint_auth_method must be one of: ${authMethods.join(", ")}`))
  }
  const grantTypes = body["grant_types"] ?? ["authorization_code"]
  if (!strings(grantTypes) || grantTypes.some((grant) => !grants.has(grant))) {
    return Effect.fail(invalidMetadata("The grant_types name a grant the server does not support"))
  }
  const scope = body["scope"]
  if (scope !== undefined && typeof scope !== "string") return Effect.fail(invalidMetadata("The scope must be a string"))
  return Effect.succeed({
    method: method as AuthServer.AuthMethod,
    redirectUris,
    grantTypes: grantTypes as ReadonlyArray<AuthServer.GrantType>,
    scopes: Scopes.parse(scope)
  })
}

/**
 * `POST /register` (RFC 7591 §3): registers a client at run time, open or
 * behind an initial access token, with a generated id and secret whose
 * lifetime is the `secretLifetime` option. Answers 201 with the client
 * information and the registered metadata (§3.2.1).
 *
 * @internal
 */
export const handle: Endpoint = (state, request, note) =>
  Effect.gen(function*() {
    const options = state.options.registration
    if (options === undefined) return yield* Effect.fail(json({ error: "not_found" }, 404))
    if (request.method !== "POST") return yield* Effect.fail(methodNotAllowed(["POST"]))
    if (options.initialAccessToken !== undefined) {
      const authorization = request.headers.authorization ?? ""
      const presented = /^bearer /i.test(authorization) ? authorization.slice(7).trim() : undefined
      if (presented !== options.initialAccessToken) {
        return yield* Effect.fail(
          oauthError(401, "invalid_token", "A valid initial access token is required to register", {
            "www-authenticate": `Bearer realm="${realm}", error="invalid_token"`
          })
        )
      }
    }
    if (!/^application\/json\s*(?:;|$)/i.test(request.headers["content-type"] ?? "")) {
      return yield* Effect.fail(invalidMetadata("The request body must be application/json"))
    }
    const text = yield* Effect.mapError(
      Form.readText(request, maxBodyLength),
      (why) => invalidMetadata(why === "TooLarge" ? "The request body is too large" : "The request body could not be read")
    )
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return yield* Effect.fail(invalidMetadata("The request body is not JSON"))
    }
    if (!Predicate.isRecord(body)) return yield* Effect.fail(invalidMetadata("The request body is not a JSON object"))
    const metadata = yield* checkMetadata(body)

    const now = yield* Clock.currentTimeMillis
    const isPublic = metadata.method === "none"
    const clientId = `dyn-${randomValue().slice(0, 16)}`
    const clientSecret = isPublic ? undefined : randomValue()
    const secretExpiresAt = isPublic || options.secretLifetime === undefined
      ? undefined
      : now + Duration.toMillis(Duration.decode(options.secretLifetime))
    const client: Client = {
      clientId,
      clientSecret,
      authMethods: [metadata.method],
      scopes: metadata.scopes,
      grants: metadata.grantTypes,
      redirectUris: metadata.redirectUris,
      jwks: undefined,
      secretExpiresAt
    }
    yield* state.register(client)
    note.clientId = clientId
    const seconds = (millis: number) => Math.floor(millis / 1000)
    // the metadata as registered (RFC 7591 §3.2.1); the credentials are the server's, whatever the request said.
    // Metadata is strings and arrays of strings: any other value is metadata the server does not understand,
    // which it ignores (§2) — and a deeply nested one is not held on to
    const echoed = Object.fromEntries(
      Object.entries(body).filter(([field, value]) =>
        !credentialFields.has(field) &&
        (typeof value === "string" || typeof value === "number" || typeof value === "boolean" || strings(value))
      )
    )
    return json(
      {
        ...echoed,
        client_id: clientId,
        client_id_issued_at: seconds(now),
        ...(clientSecret === undefined
          ? {}
          : { client_secret: clientSecret, client_secret_expires_at: secretExpiresAt === undefined ? 0 : seconds(secretExpiresAt) }),
        redirect_uris: metadata.redirectUris,
        grant_types: metadata.grantTypes,
        token_endpoint_auth_method: metadata.method
      },
      201,
      noStore
    )
  })
