import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as AuthServer from "../AuthServer.js"
import { keyAlgorithms, secretAlgorithms } from "./clientAssertion.js"
import * as Dpop from "./dpop.js"
import { grants } from "./grants.js"
import { json, methodNotAllowed } from "./responses.js"
import type { State } from "./state.js"

const authMethods: ReadonlyArray<AuthServer.AuthMethod> = [
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
  "private_key_jwt",
  "none"
]

// RFC 9449 §5.1 (authorization server) and RFC 9728 §2 (protected resource)
const dpopAlgorithms = (state: State) =>
  state.options.dpop === undefined ? {} : { dpop_signing_alg_values_supported: Dpop.algorithms }

/**
 * The server's metadata (RFC 8414 §2), also served as an OpenID Connect
 * discovery document, which many clients read instead.
 *
 * @internal
 */
export const document = (state: State): Readonly<Record<string, unknown>> => {
  const { issuer } = state
  const confidentialMethods = authMethods.filter((method) => method !== "none")
  const scopes = Array.from(new Set(state.options.clients.flatMap((client) => client.scopes ?? [])))
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    device_authorization_endpoint: `${issuer}/device_authorization`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    ...(state.options.registration === undefined ? {} : { registration_endpoint: `${issuer}/register` }),
    pushed_authorization_request_endpoint: `${issuer}/par`,
    ...(state.options.requirePushedAuthorizationRequests === true ? { require_pushed_authorization_requests: true } : {}),
    ...(Option.isSome(state.accessTokens.signer) ? { jwks_uri: `${issuer}/jwks` } : {}),
    ...(scopes.length > 0 ? { scopes_supported: scopes } : {}),
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: Array.from(grants.keys()),
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: [...secretAlgorithms, ...keyAlgorithms],
    revocation_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_methods_supported: confidentialMethods,
    code_challenge_methods_supported: ["S256", "plain"],
    authorization_response_iss_parameter_supported: true,
    ...dpopAlgorithms(state)
  }
}

/** `GET /.well-known/oauth-authorization-server` and `/.well-known/openid-configuration`. @internal */
export const handle = (
  state: State,
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse> =>
  request.method === "GET" ? Effect.succeed(json(document(state))) : Effect.fail(methodNotAllowed(["GET"]))

/**
 * The API's protected resource metadata (RFC 9728 §2): the resource
 * `${issuer}/api`, whose tokens this server issues, the scopes its routes
 * require, and the two ways it takes a token.
 *
 * @internal
 */
export const resourceDocument = (state: State): Readonly<Record<string, unknown>> => {
  const scopes = Array.from(new Set(Object.values(state.options.apiScopes ?? {}).flat()))
  return {
    resource: `${state.issuer}/api`,
    authorization_servers: [state.issuer],
    ...(scopes.length > 0 ? { scopes_supported: scopes } : {}),
    bearer_methods_supported: ["header", "query"],
    resource_name: "grantflow simulated API",
    ...dpopAlgorithms(state)
  }
}

/** `GET /.well-known/oauth-protected-resource/api`. @internal */
export const resource = (
  state: State,
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse> =>
  request.method === "GET" ? Effect.succeed(json(resourceDocument(state))) : Effect.fail(methodNotAllowed(["GET"]))

/** `GET /jwks`: the keys that verify JWT access tokens, when the server issues them. @internal */
export const jwks = (
  state: State,
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse> => {
  if (request.method !== "GET") return Effect.fail(methodNotAllowed(["GET"]))
  return Option.match(state.accessTokens.signer, {
    onNone: () => Effect.fail(HttpServerResponse.empty({ status: 404 })),
    onSome: (signer) => Effect.map(signer.jwks, (keys) => json(keys))
  })
}
