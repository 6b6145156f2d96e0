import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, TestClock } from "effect"
import * as AuthServer from "../src/AuthServer.js"
import * as ServerConfig from "../src/ServerConfig.js"
import { body, expectError, introspect, send, tokenRequest, tokens, withServer } from "./grantFixtures.js"

const issuer = "https://as.example"
const orders = "https://orders.example"

const options = (extra: Partial<AuthServer.Options> = {}): AuthServer.Options => ({
  clients: [{ clientId: "crm", clientSecret: "s3cret" }],
  issuer,
  registration: {},
  ...extra
})

const register = (metadata: unknown, initialAccessToken?: string) =>
  send(
    HttpClientRequest.post("/register").pipe(
      HttpClientRequest.bodyUnsafeJson(metadata),
      initialAccessToken === undefined ? (r) => r : HttpClientRequest.bearerToken(initialAccessToken)
    )
  )

const registered = (metadata: unknown, initialAccessToken?: string) =>
  Effect.gen(function*() {
    const response = yield* register(metadata, initialAccessToken)
    const json = yield* body(response)
    assert.strictEqual(response.status, 201, JSON.stringify(json))
    assert.strictEqual(response.headers["cache-control"], "no-store")
    return json as Record<string, unknown> & { readonly client_id: string; readonly client_secret?: string }
  })

describe("registration endpoint (RFC 7591)", () => {
  it.effect("registers a client, which then authenticates; advertised in the metadata; journaled without the secret", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        yield* TestClock.adjust("3 seconds")
        const client = yield* registered({
          client_name: "job",
          grant_types: ["client_credentials"],
          token_endpoint_auth_method: "client_secret_post",
          scope: "reports"
        })
        assert.deepInclude(client, {
          client_name: "job",
          grant_types: ["client_credentials"],
          token_endpoint_auth_method: "client_secret_post",
          client_id_issued_at: 3,
          client_secret_expires_at: 0
        })
        const issued = yield* tokens(tokenRequest([client.client_id], {
          grant_type: "client_credentials",
          client_secret: client.client_secret!
        }))
        assert.strictEqual(issued.scope, "reports")
        // the method registered is the only one accepted
        yield* expectError(tokenRequest([client.client_id, client.client_secret!], { grant_type: "client_credentials" }), "invalid_client", 401)

        const metadata = yield* body(yield* send(HttpClientRequest.get("/.well-known/oauth-authorization-server")))
        assert.strictEqual(metadata["registration_endpoint"], `${issuer}/register`)
        const server = yield* AuthServer.AuthServer
        const journal = yield* server.journal
        assert.deepInclude(journal[0], { endpoint: "register", method: "POST", clientId: client.client_id, status: 201 })
        assert.notInclude(JSON.stringify(journal), client.client_secret!)
      })
    ))

  it.effect("a public client gets no secret", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const client = yield* registered({
          redirect_uris: ["http://127.0.0.1/cb"],
          token_endpoint_auth_method: "none",
          // credentials in the request are not the client's: the server makes its own
          client_id: "chosen",
          client_secret: "chosen-secret"
        })
        assert.notStrictEqual(client.client_id, "chosen")
        assert.isUndefined(client.client_secret)
        assert.isUndefined(client["client_secret_expires_at"])
        assert.deepStrictEqual(client["grant_types"], ["authorization_code"])
      })
    ))

  it.effect("requires the initial access token when configured", () =>
    withServer(
      options({ registration: { initialAccessToken: "iat" } }),
      Effect.gen(function*() {
        for (const token of [undefined, "wrong"]) {
          const response = yield* register({}, token)
          assert.strictEqual(response.status, 401)
          assert.match(response.headers["www-authenticate"] ?? "", /^Bearer /)
          assert.strictEqual((yield* body(response))["error"], "invalid_token")
        }
        yield* registered({}, "iat")
      })
    ))

  it.effect("refuses bad metadata with invalid_redirect_uri and invalid_client_metadata", () =>
    withServer(
      options(),
      Effect.gen(function*() {
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [{ redirect_uris: ["https://app.example/cb#frag"] }, "invalid_redirect_uri"],
          [{ redirect_uris: "https://app.example/cb" }, "invalid_redirect_uri"],
          [{ token_endpoint_auth_method: "tls_client_auth" }, "invalid_client_metadata"],
          [{ grant_types: ["password"] }, "invalid_client_metadata"],
          [{ scope: ["a"] }, "invalid_client_metadata"],
          [["not", "an", "object"], "invalid_client_metadata"]
        ]
        for (const [metadata, error] of cases) {
          const response = yield* register(metadata)
          assert.strictEqual(response.status, 400, JSON.stringify(metadata))
          assert.strictEqual((yield* body(response))["error"], error, JSON.stringify(metadata))
        }
        const server = yield* AuthServer.AuthServer
        assert.strictEqual(yield* server.issued, 0)
      })
    ))

  it.effect("a secret with a lifetime expires on the Clock: the client is then refused with invalid_client", () =>
    withServer(
      options({ registration: { secretLifetime: "10 minutes" } }),
      Effect.gen(function*() {
        const client = yield* registered({ grant_types: ["client_credentials"] })
        assert.strictEqual(client["client_secret_expires_at"], 600)
        const request = tokenRequest([client.client_id, client.client_secret!], { grant_type: "client_credentials" })
        yield* tokens(request)
        yield* TestClock.adjust("10 minutes")
        const description = yield* expectError(request, "invalid_client", 401)
        assert.include(description, "expired")
      })
    ))

  it.effect("without the option there is no registration endpoint, advertised or served", () =>
    withServer(
      options({ registration: undefined }),
      Effect.gen(function*() {
        const metadata = yield* body(yield* send(HttpClientRequest.get("/.well-known/oauth-authorization-server")))
        assert.notProperty(metadata, "registration_endpoint")
        assert.strictEqual((yield* register({})).status, 404)
      })
    ))
})

describe("resource indicators (RFC 8707)", () => {
  const withResources = options({
    resources: [orders],
    accessTokenFormat: "jwt",
    clients: [
      { clientId: "crm", clientSecret: "s3cret" },
      { clientId: "tv", public: true, grants: ["urn:ietf:params:oauth:grant-type:device_code"] }
    ]
  })

  it.effect("a token for a resource has it as aud, at introspection and in the JWT", () =>
    withServer(
      withResources,
      Effect.gen(function*() {
        const issued = yield* tokens(tokenRequest(["crm", "s3cret"], { grant_type: "client_credentials", resource: orders }))
        assert.strictEqual((yield* introspect(issued.access_token))["aud"], orders)
        const payload = JSON.parse(Buffer.from(issued.access_token.split(".")[1]!, "base64url").toString()) as {
          readonly aud: string
        }
        assert.strictEqual(payload.aud, orders)
        const plain = yield* tokens(tokenRequest(["crm", "s3cret"], { grant_type: "client_credentials" }))
        assert.strictEqual((yield* introspect(plain.access_token))["aud"], `${issuer}/api`)
      })
    ))

  it.effect("an unknown or malformed resource is invalid_target (token, device authorization); by default only the server's own API is known", () =>
    Effect.gen(function*() {
      yield* withServer(
        withResources,
        Effect.gen(function*() {
          for (const resource of ["https://elsewhere.example", "not a uri", `${orders}#part`]) {
            yield* expectError(
              tokenRequest(["crm", "s3cret"], { grant_type: "client_credentials", resource }),
              "invalid_target"
            )
          }
          yield* expectError(
            send(
              HttpClientRequest.post("/device_authorization").pipe(
                HttpClientRequest.bodyUrlParams({ client_id: "tv", resource: "https://elsewhere.example" })
              )
            ),
            "invalid_target"
          )
        })
      )
      yield* withServer(
        options(),
        Effect.gen(function*() {
          yield* tokens(tokenRequest(["crm", "s3cret"], { grant_type: "client_credentials", resource: `${issuer}/api` }))
          yield* expectError(
            tokenRequest(["crm", "s3cret"], { grant_type: "client_credentials", resource: orders }),
            "invalid_target"
          )
        })
      )
    }))
})

describe("ServerConfig", () => {
  it("decodes resources and registration", () => {
    const decoded = Either.getOrThrow(ServerConfig.decode({
      clients: [],
      resources: [orders],
      registration: { initialAccessToken: "iat", secretLifetime: "1 hour" }
    }))
    assert.deepStrictEqual(decoded.resources, [orders])
    assert.deepStrictEqual(decoded.registration, { initialAccessToken: "iat", secretLifetime: Duration.hours(1) })
    assert.isTrue(Either.isLeft(ServerConfig.decode({ clients: [], registration: { secretLifetme: "1 hour" } })))
    assert.isTrue(Either.isLeft(ServerConfig.decode({ clients: [], resources: ["not a url"] })))
  })
})
