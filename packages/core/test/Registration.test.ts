/**
 * Dynamic client registration (RFC 7591): the pure interpretation of the
 * registration endpoint's answer, registration at the simulated server (open
 * and behind an initial access token), and the store-backed client that is
 * registered again once its secret has expired.
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { assert, describe, it } from "@effect/vitest"
import { Discovery, Endpoint, Grant, Registration, TokenCipher, TokenError, TokenStore } from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Either, Option, Redacted, TestClock } from "effect"
import { printings } from "./leakCapture.js"
import { issuer, withServer } from "./simServer.js"

const answer = (body: unknown, status = 201, contentType = "application/json") => ({
  status,
  contentType,
  body: Option.some(typeof body === "string" ? body : JSON.stringify(body))
})

const secretValue = "registered-secret-value"

describe("Registration.interpret", () => {
  it("reads a 201 client information response, the secret redacted and the metadata kept", () => {
    const client = Either.getOrThrow(Registration.interpret(answer({
      client_id: "c-1",
      client_secret: secretValue,
      client_id_issued_at: 1_700_000_000,
      client_secret_expires_at: 1_700_003_600,
      registration_access_token: "rat-value",
      registration_client_uri: "https://auth.example.com/register/c-1",
      token_endpoint_auth_method: "client_secret_post",
      client_name: "reporting job",
      grant_types: ["client_credentials"]
    })))
    assert.strictEqual(client.clientId, "c-1")
    assert.strictEqual(Redacted.value(Option.getOrThrow(client.clientSecret)), secretValue)
    assert.deepStrictEqual(client.clientIdIssuedAt, Option.some(1_700_000_000_000))
    assert.deepStrictEqual(client.clientSecretExpiresAt, Option.some(1_700_003_600_000))
    assert.strictEqual(Redacted.value(Option.getOrThrow(client.registrationAccessToken)), "rat-value")
    assert.strictEqual(client.tokenEndpointAuthMethod, "client_secret_post")
    assert.deepStrictEqual(client.metadata, {
      token_endpoint_auth_method: "client_secret_post",
      client_name: "reporting job",
      grant_types: ["client_credentials"]
    })
    assert.notInclude(JSON.stringify(client), secretValue)
    assert.notInclude(String(client.clientSecret), secretValue)
    for (const printed of printings(client)) {
      assert.notInclude(printed, secretValue)
      assert.notInclude(printed, "rat-value")
    }
  })

  it("tolerates a 200; a secret that expires at 0 never expires; basic is the default method", () => {
    const client = Either.getOrThrow(
      Registration.interpret(answer({ client_id: "c-2", client_secret: secretValue, client_secret_expires_at: 0 }, 200))
    )
    assert.isTrue(Option.isNone(client.clientSecretExpiresAt))
    assert.strictEqual(client.tokenEndpointAuthMethod, "client_secret_basic")
    const auth = Registration.auth(client)
    assert.strictEqual(auth._tag, "ClientSecretBasic")
  })

  it("a public client has no secret and authenticates with none", () => {
    const client = Either.getOrThrow(Registration.interpret(answer({ client_id: "spa", token_endpoint_auth_method: "none" })))
    assert.isTrue(Option.isNone(client.clientSecret))
    assert.strictEqual(Registration.auth(client)._tag, "None")
  })

  it("a response without a client_id, or with a field of the wrong type, is malformed, and quotes no secret", () => {
    for (
      const body of [
        { client_secret: secretValue },
        { client_id: "", client_secret: secretValue },
        { client_id: "c-3", client_secret: 42 },
        { client_id: "c-3", client_secret: secretValue, client_secret_expires_at: "soon" },
        { client_id: "c\u001b[31m", client_secret: secretValue },
        [secretValue]
      ]
    ) {
      const error = Either.flip(Registration.interpret(answer(body)))
      assert.isTrue(Either.isRight(error), JSON.stringify(body))
      const found = Either.getOrThrow(error)
      assert.strictEqual(found._tag, "MalformedResponse")
      assert.strictEqual(found.endpoint, "registration")
      assert.notInclude(found.message, secretValue)
      assert.notInclude(JSON.stringify(found), secretValue)
    }
  })

  it("an error body is an OAuthError of the registration endpoint, never retryable", () => {
    for (const code of ["invalid_redirect_uri", "invalid_client_metadata"]) {
      const error = Either.getOrThrow(Either.flip(Registration.interpret(
        answer({ error: code, error_description: "The redirect_uris are not allowed" }, 400)
      )))
      assert.instanceOf(error, TokenError.OAuthError)
      assert.strictEqual((error as TokenError.OAuthError).error, code)
      assert.include(error.message, "the client registration endpoint answered HTTP 400")
      assert.isFalse(error.retryable)
    }
  })

  it("an oversized body is malformed; a gateway's page is EndpointUnavailable", () => {
    const oversized = Either.getOrThrow(Either.flip(Registration.interpret({
      status: 201,
      contentType: "application/json",
      body: Option.none()
    })))
    assert.strictEqual(oversized._tag, "MalformedResponse")
    const gateway = Either.getOrThrow(Either.flip(Registration.interpret(answer("<html>bad gateway</html>", 502, "text/html"))))
    assert.strictEqual(gateway._tag, "EndpointUnavailable")
    assert.isTrue(gateway.retryable)
  })
})

const metadataOf = Discovery.fetch(issuer)

/** Registers a machine client and gets a token with it. */
const registerAndUse = (options?: Registration.RegisterOptions) =>
  Effect.gen(function*() {
    const metadata = yield* metadataOf
    const client = yield* Registration.register(metadata, {
      client_name: "reporting job",
      grant_types: ["client_credentials"],
      token_endpoint_auth_method: "client_secret_post"
    }, options)
    const token = yield* Grant.clientCredentials(Endpoint.fromMetadata(metadata, { auth: Registration.auth(client) }))
    return { client, token }
  })

describe("Registration.register at the simulated server", () => {
  it.effect("open registration: the registered client gets tokens, and the journal has no secret", () =>
    withServer(
      Effect.gen(function*() {
        const metadata = yield* metadataOf
        assert.deepStrictEqual(metadata.registrationEndpoint, Option.some(`${issuer}/register`))
        const { client, token } = yield* registerAndUse()
        assert.strictEqual(client.tokenEndpointAuthMethod, "client_secret_post")
        assert.deepStrictEqual(client.metadata["grant_types"], ["client_credentials"])
        assert.strictEqual(client.metadata["client_name"], "reporting job")
        assert.isTrue(Redacted.value(token.token).length > 0)
        const journal = yield* (yield* AuthServer.AuthServer).journal
        const registration = journal.find((entry) => entry.endpoint === "register")!
        assert.strictEqual(registration.status, 201)
        assert.strictEqual(registration.clientId, client.clientId)
        assert.notInclude(JSON.stringify(journal), Redacted.value(Option.getOrThrow(client.clientSecret)))
      }),
      { registration: {} }
    ))

  it.effect("with an initial access token: without or with a wrong one it is refused, with the right one it succeeds", () =>
    withServer(
      Effect.gen(function*() {
        for (const initialAccessToken of [undefined, Redacted.make("wrong-iat-value")]) {
          const error = yield* Effect.flip(registerAndUse({ initialAccessToken }))
          assert.instanceOf(error, TokenError.OAuthError)
          assert.strictEqual((error as TokenError.OAuthError).error, "invalid_token")
          assert.strictEqual((error as TokenError.OAuthError).endpoint, "registration")
          assert.strictEqual((error as TokenError.OAuthError).status, 401)
          assert.notInclude(JSON.stringify(error), "wrong-iat-value")
          for (const printed of printings(error)) assert.notInclude(printed, "wrong-iat-value")
        }
        const { client } = yield* registerAndUse({ initialAccessToken: Redacted.make("iat-value") })
        assert.isTrue(client.clientId.length > 0)
      }),
      { registration: { initialAccessToken: "iat-value" } }
    ))

  it.effect("bad metadata is refused with the RFC 7591 error codes", () =>
    withServer(
      Effect.gen(function*() {
        const badRedirect = yield* Effect.flip(Registration.register(`${issuer}/register`, { redirect_uris: ["not a uri"] }))
        assert.strictEqual((badRedirect as TokenError.OAuthError).error, "invalid_redirect_uri")
        const badMethod = yield* Effect.flip(
          Registration.register(`${issuer}/register`, { token_endpoint_auth_method: "tls_client_auth" })
        )
        assert.strictEqual((badMethod as TokenError.OAuthError).error, "invalid_client_metadata")
      }),
      { registration: {} }
    ))

  it.effect("an issuer without a registration endpoint: InvalidTokenRequest before anything is sent", () =>
    withServer(Effect.gen(function*() {
      const metadata = yield* metadataOf
      assert.isTrue(Option.isNone(metadata.registrationEndpoint))
      const error = yield* Effect.flip(Registration.register(metadata, {}))
      assert.strictEqual(error._tag, "InvalidTokenRequest")
      const journal = yield* (yield* AuthServer.AuthServer).journal
      assert.isFalse(journal.some((entry) => entry.endpoint === "register"))
    })))
})

describe("Registration.cached", () => {
  const register = Registration.register(`${issuer}/register`, {
    grant_types: ["client_credentials"],
    token_endpoint_auth_method: "client_secret_basic"
  })
  const key = Registration.key(issuer, "reporting job")
  const registrations = Effect.map(
    Effect.flatMap(AuthServer.AuthServer, (server) => server.journal),
    (journal) => journal.filter((entry) => entry.endpoint === "register").length
  )

  it.effect("keeps the client in the store, and registers again once the secret has expired", () =>
    withServer(
      Effect.gen(function*() {
        const first = yield* Registration.cached(key, register)
        const again = yield* Registration.cached(key, register)
        assert.strictEqual(again.clientId, first.clientId)
        assert.strictEqual(yield* registrations, 1)
        const tokenUrl = `${issuer}/token`
        yield* Grant.clientCredentials(Endpoint.make({ tokenUrl, auth: Registration.auth(again) }))

        yield* TestClock.adjust("59 minutes")
        assert.strictEqual((yield* Registration.cached(key, register)).clientId, first.clientId)
        yield* TestClock.adjust("1 minute")
        // the old secret has expired at the server too
        const expired = yield* Effect.flip(Grant.clientCredentials(Endpoint.make({ tokenUrl, auth: Registration.auth(first) })))
        assert.strictEqual((expired as TokenError.OAuthError).error, "invalid_client")

        const renewed = yield* Registration.cached(key, register)
        assert.notStrictEqual(renewed.clientId, first.clientId)
        assert.strictEqual(yield* registrations, 2)
        yield* Grant.clientCredentials(Endpoint.make({ tokenUrl, auth: Registration.auth(renewed) }))
      }).pipe(Effect.provide(TokenStore.layerMemory)),
      { registration: { secretLifetime: "1 hour" } }
    ))

  it.effect("in an encrypted store the secret is sealed like a token", () =>
    withServer(
      Effect.gen(function*() {
        const kv = yield* KeyValueStore.KeyValueStore
        const cipher = yield* TokenCipher.aesGcm({
          current: { id: "k1", secret: Redacted.make(Buffer.alloc(32, 7).toString("base64")) }
        })
        const store = yield* TokenStore.fromKeyValueStore(kv, { encryption: cipher })
        const client = yield* Registration.cached(key, register).pipe(
          Effect.provideService(TokenStore.TokenStore, store)
        )
        const secret = Redacted.value(Option.getOrThrow(client.clientSecret))
        const stored = JSON.stringify(yield* kv.get(key))
        assert.notInclude(stored, secret)
        const read = yield* Registration.cached(key, register).pipe(Effect.provideService(TokenStore.TokenStore, store))
        assert.strictEqual(Redacted.value(Option.getOrThrow(read.clientSecret)), secret)
        assert.strictEqual(read.clientId, client.clientId)
        assert.strictEqual(yield* registrations, 1)
      }).pipe(Effect.provide(KeyValueStore.layerMemory)),
      { registration: {} }
    ))
})

