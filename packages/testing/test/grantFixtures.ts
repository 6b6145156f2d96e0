/**
 * Shared steps of the grant tests: a fresh server with its in-memory client,
 * raw token requests and the assertions every OAuth error answer must pass.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as AuthServer from "../src/AuthServer.js"

export type Env = AuthServer.AuthServer | HttpClient.HttpClient

export const withServer = <A, E>(options: AuthServer.Options, self: Effect.Effect<A, E, Env>) =>
  Effect.provide(self, AuthServer.layerClient.pipe(Layer.provideMerge(AuthServer.layer(options))))

export const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(request))

export const body = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.json, (json) => json as Record<string, unknown>)

/** A form POST to `path` with client_secret_basic when `secret` is given, else with `client_id` in the body. */
export const post = (path: string, client: readonly [string, string?], params: Record<string, string>) =>
  send(
    HttpClientRequest.post(path).pipe(
      HttpClientRequest.bodyUrlParams(client[1] === undefined ? { ...params, client_id: client[0] } : params),
      client[1] === undefined ? (r) => r : HttpClientRequest.basicAuth(client[0], client[1])
    )
  )

/** A token request, authenticated as {@link post} does. */
export const tokenRequest = (client: readonly [string, string?], params: Record<string, string>) =>
  post("/token", client, params)

/** The introspection answer's body for `token`, asked by `client` (default the `crm` client of the grant tests). */
export const introspect = (
  token: string,
  client: readonly [string, string?] = ["crm", "s3cret"],
  hint?: string
) => Effect.flatMap(post("/introspect", client, { token, ...(hint === undefined ? {} : { token_type_hint: hint }) }), body)

/** A successful token response's body. */
export const tokens = (response: Effect.Effect<HttpClientResponse.HttpClientResponse, unknown, Env>) =>
  Effect.gen(function*() {
    const r = yield* response
    const json = yield* body(r)
    assert.strictEqual(r.status, 200, JSON.stringify(json))
    return json as {
      readonly access_token: string
      readonly token_type: string
      readonly expires_in: number
      readonly scope?: string
      readonly refresh_token?: string
      readonly issued_token_type?: string
    }
  })

/** Asserts an error answer of the token endpoint as RFC 6749 §5.2 shapes it, and returns its description. */
export const expectError = (
  response: Effect.Effect<HttpClientResponse.HttpClientResponse, unknown, Env>,
  error: string,
  status = 400
) =>
  Effect.gen(function*() {
    const r = yield* response
    const json = yield* body(r)
    assert.strictEqual(r.status, status)
    assert.strictEqual(r.headers["cache-control"], "no-store")
    assert.match(r.headers["content-type"] ?? "", /^application\/json/)
    assert.deepStrictEqual(Object.keys(json).sort(), ["error", "error_description"])
    assert.strictEqual(json.error, error, String(json.error_description))
    return json.error_description as string
  })

/** The status of an API call with that access token. */
export const apiStatus = (accessToken: string) =>
  Effect.map(
    send(HttpClientRequest.get("https://api.example.com/api/things").pipe(HttpClientRequest.bearerToken(accessToken))),
    (r) => r.status
  )
