/**
 * One error vocabulary: every error class of grantflow carries the TypeId,
 * one table decides what is retryable, and every endpoint of the
 * authorization server fails with the same three errors, naming itself.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import { Data, Effect, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as AuthorizationCode from "../src/AuthorizationCode.js"
import * as BearerAuth from "../src/BearerAuth.js"
import * as ClientAuth from "../src/ClientAuth.js"
import * as Connector from "../src/Connector.js"
import * as ConnectorSpec from "../src/ConnectorSpec.js"
import * as Discovery from "../src/Discovery.js"
import * as Endpoint from "../src/Endpoint.js"
import * as Grant from "../src/Grant.js"
import * as Introspection from "../src/Introspection.js"
import * as Registration from "../src/Registration.js"
import * as Revocation from "../src/Revocation.js"
import * as TokenCipher from "../src/TokenCipher.js"
import * as TokenError from "../src/TokenError.js"
import * as TokenStore from "../src/TokenStore.js"
import { json, layerOf } from "./routerClient.js"

const oauth = (endpoint: Endpoint.Name, error: string, status = 400) =>
  new TokenError.OAuthError({
    endpoint,
    status,
    error,
    description: Option.none(),
    uri: Option.none(),
    retryAfter: Option.none()
  })

const unavailable = (status: number | undefined, reason: "Transport" | "Timeout" | "Status" = "Status") =>
  new TokenError.EndpointUnavailable({
    endpoint: "token",
    reason,
    status: Option.fromNullable(status),
    retryAfter: Option.none()
  })

const malformed = new TokenError.MalformedResponse({
  endpoint: "token",
  status: 200,
  field: "access_token",
  reason: "is empty",
  excerpt: ""
})

const storeError = (reason: TokenStore.TokenStoreError["reason"]) =>
  new TokenStore.TokenStoreError({ reason, operation: "get", cause: new Error("ECONNREFUSED") })

/** One instance of every error class of core. */
const everyError = [
  oauth("token", "invalid_client", 401),
  unavailable(503),
  malformed,
  new TokenError.InvalidTokenRequest({ reason: "the token URL must use https:" }),
  new TokenError.ReauthorizationRequired({ cause: oauth("token", "invalid_grant") }),
  new TokenError.RefreshTokenNotSaved({ cause: new Error("disk full") }),
  new TokenError.CodeExchangeFailed({ cause: unavailable(503) }),
  new TokenError.DeviceCodeExpired({ reason: "Elapsed" }),
  new TokenError.DeviceAccessDenied({ cause: oauth("token", "access_denied") }),
  storeError("Unavailable"),
  new Discovery.InvalidIssuer({ reason: "the issuer must use https:" }),
  new Discovery.IssuerMismatch({ expected: "https://a.example", received: "https://b.example" }),
  new Discovery.NoSupportedAuthMethod({ supported: ["private_key_jwt"], usable: ["client_secret_basic"] }),
  new AuthorizationCode.InvalidAuthorizationRequest({ reason: "the redirect URI has a fragment" }),
  new AuthorizationCode.AuthorizationFailed({ error: "access_denied", description: Option.none(), uri: Option.none() }),
  new AuthorizationCode.InvalidCallback({ reason: "StateMismatch" }),
  new BearerAuth.TokenRejected({ method: "GET", url: "https://api.example.com/me", status: 401 }),
  new TokenCipher.DecryptionFailed({ keyId: "k1", reason: "Tampered" }),
  new TokenCipher.InvalidKey({ keyId: "k1", reason: "is not 32 bytes" }),
  new ConnectorSpec.ConnectorSpecError({ issues: [{ path: "auth", message: "is missing" }] }),
  new Connector.ConnectorConfigError({ connector: "acme", reason: "the client id is missing" }),
  new Connector.BaseUrlDiscoveryError({ connector: "acme", reason: "the discovery request answered HTTP 500", status: 500 })
] as const

describe("TokenError.isGrantflowError", () => {
  it("is true for an instance of every error class", () => {
    for (const error of everyError) {
      assert.isTrue(TokenError.isGrantflowError(error), error._tag)
      assert.isTrue(TokenError.TypeId in error, error._tag)
      assert.instanceOf(error, Error, error._tag)
    }
  })

  it("is false for every other value, a tagged error of another library included", () => {
    class Foreign extends Data.TaggedError("OAuthError")<{ readonly status: number }> {}
    const others: ReadonlyArray<unknown> = [
      new Error("boom"),
      new Foreign({ status: 400 }),
      { _tag: "OAuthError", status: 400 },
      new HttpClientError.RequestError({
        request: undefined as never,
        reason: "Transport",
        cause: oauth("token", "invalid_client")
      }),
      "OAuthError",
      null,
      undefined,
      42
    ]
    others.forEach((other, i) => assert.isFalse(TokenError.isGrantflowError(other), `value ${i}`))
  })

  it("the mark takes no part in equality or in the JSON of an error", () => {
    assert.deepStrictEqual(Object.keys(malformed).sort(), ["_tag", "endpoint", "excerpt", "field", "reason", "status"])
    assert.notInclude(JSON.stringify(malformed), "TokenError")
  })

  it("a class of the user's own, on the base, is recognised too and never retryable", () => {
    class QuotaExhausted extends TokenError.TaggedError("QuotaExhausted")<{ readonly limit: number }> {}
    const error = new QuotaExhausted({ limit: 10 })
    assert.isTrue(TokenError.isGrantflowError(error))
    assert.isFalse(error.retryable)
    assert.strictEqual(error.limit, 10)
  })

  it("every error class in core, node and resource-server is built on the base", () => {
    const root = join(__dirname, "..", "..", "..")
    const sources = ["core", "node", "resource-server"].flatMap((pkg) => {
      const src = join("packages", pkg, "src")
      return [src, join(src, "internal")].flatMap((dir) =>
        readdirSync(join(root, dir)).filter((f) => f.endsWith(".ts")).map((f) => join(dir, f))
      )
    })
    const classes = sources.flatMap((file) =>
      Array.from(
        readFileSync(join(root, file), "utf8").matchAll(/class (\w+) extends ([\w.]+)\("/g),
        ([, name, base]) => [file, name, base] as const
      ).filter(([, , base]) => base!.endsWith("TaggedError"))
    )
    assert.isAtLeast(classes.length, everyError.length + 2)
    for (const [file, name, base] of classes) {
      assert.oneOf(base, ["TaggedError", "TokenError.TaggedError", "tokenError.TaggedError"], `${file}: ${name}`)
    }
  })
})

describe("TokenError.isRetryable: the one table", () => {
  const table: ReadonlyArray<readonly [string, unknown, boolean]> = [
    ["OAuthError 503 server_error", oauth("token", "server_error", 503), true],
    ["OAuthError 400 temporarily_unavailable", oauth("token", "temporarily_unavailable"), true],
    ["OAuthError 429 slow_down", oauth("token", "slow_down", 429), true],
    ["OAuthError 400 use_dpop_nonce (asked again after the one nonce retry)", oauth("token", "use_dpop_nonce"), true],
    ["OAuthError 503 invalid_client (terminal code wins)", oauth("token", "invalid_client", 503), false],
    ["OAuthError 400 invalid_grant", oauth("token", "invalid_grant"), false],
    ["OAuthError 400 unsupported_token_type", oauth("revocation", "unsupported_token_type"), false],
    ["EndpointUnavailable Transport", unavailable(undefined, "Transport"), true],
    ["EndpointUnavailable Timeout", unavailable(undefined, "Timeout"), true],
    ["EndpointUnavailable 500", unavailable(500), true],
    ["EndpointUnavailable 408", unavailable(408), true],
    ["EndpointUnavailable 429", unavailable(429), true],
    ["EndpointUnavailable 404", unavailable(404), false],
    ["EndpointUnavailable 302 (a redirect)", unavailable(302), false],
    ["MalformedResponse", malformed, false],
    ["TokenStoreError Unavailable", storeError("Unavailable"), true],
    ["TokenStoreError Corrupt", storeError("Corrupt"), false],
    ["TokenStoreError Undecryptable", storeError("Undecryptable"), false],
    ["TokenStoreError DpopKeyNotExtractable", storeError("DpopKeyNotExtractable"), false],
    [
      "ReauthorizationRequired DpopKeyLost",
      new TokenError.ReauthorizationRequired({ cause: oauth("token", "invalid_grant"), reason: "DpopKeyLost" }),
      false
    ],
    ["CodeExchangeFailed of a 503", new TokenError.CodeExchangeFailed({ cause: unavailable(503) }), false],
    ["a plain Error", new Error("ECONNRESET"), false],
    ["a look-alike object", { _tag: "EndpointUnavailable", status: Option.none() }, false]
  ]

  it("decides each case, and every error's retryable getter agrees", () => {
    for (const [name, error, expected] of table) {
      assert.strictEqual(TokenError.isRetryable(error), expected, name)
      if (TokenError.isGrantflowError(error)) assert.strictEqual(error.retryable, expected, name)
    }
  })

  it("no other error class is retryable", () => {
    const conditional = new Set(["OAuthError", "EndpointUnavailable", "TokenStoreError"])
    for (const error of everyError) {
      if (!conditional.has(error._tag)) assert.isFalse(error.retryable, error._tag)
    }
  })
})

// ---------------------------------------------------------------------------
// Every endpoint names itself

const issuer = "https://auth.example.com"
const auth = ClientAuth.clientSecretBasic("cli", Redacted.make("cli-secret-value"))
const endpoint = Endpoint.make({
  tokenUrl: `${issuer}/token`,
  revocationUrl: `${issuer}/revoke`,
  deviceAuthorizationUrl: `${issuer}/device`,
  introspectionUrl: `${issuer}/introspect`,
  pushedAuthorizationUrl: `${issuer}/par`,
  auth
})
const wellKnown = "/.well-known/oauth-authorization-server"

type Answer = Effect.Effect<HttpServerResponse.HttpServerResponse>

/** Every endpoint of the server answering `answer`. */
const everyEndpoint = (answer: Answer) =>
  layerOf(HttpRouter.empty.pipe(
    HttpRouter.post("/token", answer),
    HttpRouter.post("/revoke", answer),
    HttpRouter.post("/device", answer),
    HttpRouter.post("/introspect", answer),
    HttpRouter.post("/register", answer),
    HttpRouter.post("/par", answer),
    HttpRouter.get(wellKnown, answer),
    HttpRouter.get("/.well-known/openid-configuration", answer),
    HttpRouter.get("/.well-known/oauth-protected-resource/api", answer)
  ))

/** A network that never answers. */
const unreachable = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make((request) =>
    Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("ECONNREFUSED") }))
  )
)

// The JWKS is read by @grantflow/resource-server, whose tests cover what its answers mean; core
// only fetches it (see Discovery.fetchDocument's tests).
type Asked = Exclude<Endpoint.Name, "jwks">

/** The hub's error from asking `name`. */
const failureOf = (name: Asked): Effect.Effect<unknown, unknown, HttpClient.HttpClient> => {
  switch (name) {
    case "token":
      return Effect.flip(Grant.clientCredentials(endpoint))
    case "revocation":
      return Effect.flip(Revocation.revoke(endpoint, { token: Redacted.make("rt-secret-value") }))
    case "deviceAuthorization":
      return Effect.flip(Grant.deviceCode(endpoint, { onUserCode: () => Effect.void }))
    case "metadata":
      return Effect.flip(Discovery.fetch(issuer))
    case "introspection":
      return Effect.flip(Introspection.introspect(endpoint, { token: Redacted.make("at-secret-value") }))
    case "registration":
      return Effect.flip(
        Registration.register(`${issuer}/register`, { client_name: "cli" }, {
          initialAccessToken: Redacted.make("at-secret-value")
        })
      )
    case "pushedAuthorization":
      return Effect.flip(AuthorizationCode.push(endpoint, {
        authorizeUrl: `${issuer}/authorize`,
        clientId: "cli",
        redirectUri: "http://127.0.0.1/callback"
      }))
    case "resourceMetadata":
      return Effect.flip(Discovery.fetchResource(`${issuer}/api`))
  }
}

const names: ReadonlyArray<readonly [Asked, string]> = [
  ["token", "the token endpoint"],
  ["revocation", "the revocation endpoint"],
  ["deviceAuthorization", "the device authorization endpoint"],
  ["introspection", "the introspection endpoint"],
  ["metadata", "the issuer's metadata endpoint"],
  ["registration", "the client registration endpoint"],
  ["pushedAuthorization", "the pushed authorization request endpoint"],
  ["resourceMetadata", "the protected resource's metadata endpoint"]
]

const expectError = (error: unknown, tag: string, name: Endpoint.Name, text: string) => {
  assert.isTrue(TokenError.isGrantflowError(error), `${name}: ${String(error)}`)
  const found = error as TokenError.GrantflowError & { readonly endpoint: Endpoint.Name }
  assert.strictEqual(found._tag, tag, `${name}: ${found.message}`)
  assert.strictEqual(found.endpoint, name)
  assert.include(found.message, text)
  for (const secret of ["cli-secret-value", "rt-secret-value", "at-secret-value"]) {
    assert.notInclude(found.message, secret)
    assert.notInclude(JSON.stringify(found), secret)
  }
}

describe("every endpoint fails with the same errors, naming itself", () => {
  for (const [name, text] of names) {
    it.effect(`${name}: unreachable is EndpointUnavailable (Transport)`, () =>
      Effect.gen(function*() {
        const error = yield* failureOf(name)
        expectError(error, "EndpointUnavailable", name, `${text} could not be reached`)
        assert.isTrue(TokenError.isRetryable(error))
      }).pipe(Effect.provide(unreachable)))

    it.effect(`${name}: a 503 without an OAuth body is EndpointUnavailable (Status)`, () =>
      Effect.gen(function*() {
        const error = yield* failureOf(name)
        expectError(error, "EndpointUnavailable", name, `${text} answered HTTP 503`)
        assert.isTrue(TokenError.isRetryable(error))
      }).pipe(Effect.provide(everyEndpoint(Effect.succeed(HttpServerResponse.text("down", { status: 503 }))))))
  }

  // the metadata documents are public: their error statuses are not read for an OAuth body
  for (const [name, text] of names.filter(([name]) => name !== "metadata" && name !== "resourceMetadata")) {
    it.effect(`${name}: invalid_client is an OAuthError`, () =>
      Effect.gen(function*() {
        const error = yield* failureOf(name)
        expectError(error, "OAuthError", name, `${text} answered HTTP 401 with OAuth error "invalid_client"`)
        assert.isFalse(TokenError.isRetryable(error))
      }).pipe(Effect.provide(everyEndpoint(json({ error: "invalid_client" }, 401)))))
  }

  // a revocation's 2xx body means nothing: it cannot be malformed
  for (const [name, text] of names.filter(([name]) => name !== "revocation")) {
    it.effect(`${name}: a 200 that is not JSON is a MalformedResponse`, () =>
      Effect.gen(function*() {
        const error = yield* failureOf(name)
        expectError(error, "MalformedResponse", name, `${text} answered HTTP 200, but \`body\``)
        assert.isFalse(TokenError.isRetryable(error))
      }).pipe(
        Effect.provide(everyEndpoint(Effect.succeed(HttpServerResponse.text("<html>oops</html>", { status: 200 }))))
      ))
  }

  it.effect("a time-out names the endpoint too", () =>
    Effect.gen(function*() {
      const slow = Endpoint.make({ tokenUrl: `${issuer}/token`, auth, timeout: "5 seconds" })
      const fiber = yield* Effect.fork(Effect.flip(Grant.clientCredentials(slow)))
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      expectError(error, "EndpointUnavailable", "token", "the token endpoint did not answer in time")
      assert.isTrue(TokenError.isRetryable(error))
    }).pipe(Effect.provide(everyEndpoint(Effect.as(Effect.never, HttpServerResponse.empty())))))
})
