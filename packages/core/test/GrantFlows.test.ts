/**
 * The user flows of the grants against the simulated server, in memory:
 * client authentication with reserved characters, the callback of a real
 * redirect, a replayed code, refresh token rotation and reuse detection, the
 * device flow's pacing and parameters, discovery of the wrong issuer, and a
 * token response with a refresh token but no access token.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import {
  AuthorizationCode,
  ClientAuth,
  Discovery,
  Grant,
  Revocation,
  type TokenError,
  TokenProvider
} from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { Effect, Either, Fiber, Option, Redacted, Ref, TestClock } from "effect"
import {
  assertShowsNone,
  authorize,
  authorized,
  deviceAuthorizationUrl,
  deviceGrant,
  endpoint,
  endpointOf,
  firstToken,
  issuer,
  oauthCause,
  policy,
  refreshTokenOf,
  secret,
  start,
  tokenUrl,
  withServer
} from "./simServer.js"

/** The status of an API call with `token`. */
const apiStatus = (token: Redacted.Redacted<string>) =>
  Effect.map(
    HttpClient.get(`${issuer}/api/orders`, { headers: { authorization: `Bearer ${Redacted.value(token)}` } }),
    (response) => response.status
  )

const tokenRequests = (journal: ReadonlyArray<AuthServer.JournalEntry>) =>
  journal.filter((entry) => entry.endpoint === "token")

const failureOf = <E>(either: Either.Either<unknown, E>): E =>
  Either.isLeft(either) ? either.left : assert.fail("expected a failure")

describe("client authentication with reserved characters in ids and secrets", () => {
  const secretClient = "svc:reporting/ü +%&=?#"
  const clientSecret = "pä ss:w%rd+&=/?#€ \"'"
  const keyClient = "key:client/ü +%&="
  const publicClient = "cli:ü +%&="
  const keys = Effect.promise(() =>
    crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])
  )

  const clientCredentials = (client: ClientAuth.ClientAuth) =>
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      yield* server.clearJournal
      const outcome = yield* Effect.either(Grant.clientCredentials(endpointOf(client)))
      const [entry] = yield* server.journal
      return { outcome, entry: entry! }
    })

  const withClients = <A, E, R>(self: (key: CryptoKeyPair) => Effect.Effect<A, E, R>) =>
    Effect.flatMap(keys, (key) =>
      Effect.flatMap(
        Effect.promise(() => crypto.subtle.exportKey("jwk", key.publicKey)),
        (publicJwk) =>
          withServer(self(key), {
            clients: [
              {
                clientId: secretClient,
                clientSecret,
                authMethods: ["client_secret_basic", "client_secret_post", "client_secret_jwt"]
              },
              { clientId: keyClient, jwks: { keys: [{ ...publicJwk, alg: "ES256" }] } },
              { clientId: publicClient, authMethods: ["none"] }
            ]
          })
      ))

  it.effect("every method reaches the server with the id and secret intact; a wrong secret is invalid_client", () =>
    withClients((key) =>
      Effect.gen(function*() {
        const secret = Redacted.make(clientSecret)
        const wrong = Redacted.make(`${clientSecret}x`)
        const methods: ReadonlyArray<readonly [string, ClientAuth.ClientAuth, ClientAuth.ClientAuth | undefined]> = [
          [
            "client_secret_basic",
            ClientAuth.clientSecretBasic(secretClient, secret),
            ClientAuth.clientSecretBasic(secretClient, wrong)
          ],
          [
            "client_secret_post",
            ClientAuth.clientSecretPost(secretClient, secret),
            ClientAuth.clientSecretPost(secretClient, wrong)
          ],
          [
            "client_secret_jwt",
            ClientAuth.clientSecretJwt(secretClient, secret),
            ClientAuth.clientSecretJwt(secretClient, wrong)
          ],
          [
            "private_key_jwt",
            ClientAuth.privateKeyJwt(keyClient, Redacted.make<CryptoKey>(key.privateKey)),
            ClientAuth.privateKeyJwt(keyClient, Redacted.make<CryptoKey>((yield* keys).privateKey))
          ],
          ["none", ClientAuth.none(publicClient), undefined]
        ]
        for (const [method, right, wrongAuth] of methods) {
          const accepted = yield* clientCredentials(right)
          assert.isTrue(Either.isRight(accepted.outcome), `${method}: ${JSON.stringify(accepted.outcome)}`)
          assert.strictEqual(accepted.entry.clientId, right.clientId)
          assert.strictEqual(accepted.entry.status, 200)
          if (wrongAuth === undefined) continue
          const refused = yield* clientCredentials(wrongAuth)
          const error = failureOf(refused.outcome)
          assert.strictEqual(oauthCause(error)?.error, "invalid_client", method)
          assert.isFalse(error.retryable)
          assertShowsNone(error, [clientSecret])
        }
      })))

  it.effect("a JWT assertion's default audience, the endpoint it is sent to, is accepted at revocation too", () =>
    withClients((key) =>
      Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const keyEndpoint = endpointOf(ClientAuth.privateKeyJwt(keyClient, Redacted.make<CryptoKey>(key.privateKey)))
        const token = yield* Grant.clientCredentials(keyEndpoint)
        yield* Revocation.revoke(keyEndpoint, { token: token.token })
        assert.isTrue((yield* server.tokens)[0]!.revoked)
      })))
})

describe("the callback of the simulated server's redirect", () => {
  it.effect("the redirect of another authorization is StateMismatch, and its code is never sent", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const mine = yield* authorize()
      const theirs = yield* authorize()
      const checked = AuthorizationCode.callback(mine.pending, theirs.callbackUrl, { issuer, issuerRequired: true })
      const error = failureOf(checked)
      assert.strictEqual(error._tag, "InvalidCallback")
      if (error._tag === "InvalidCallback") assert.strictEqual(error.reason, "StateMismatch")
      assert.deepStrictEqual(tokenRequests(yield* server.journal), [])
      assert.isTrue((yield* server.codes).every((code) => !code.used))
    })))

  it.effect("extra parameters are ignored; missing or repeated ones are typed errors and nothing is exchanged", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      // whether `iss` is required comes from the server's metadata (RFC 9207)
      const metadata = yield* Discovery.fetch(issuer)
      assert.isTrue(metadata.authorizationResponseIssParameterSupported)
      const options = { issuer, issuerRequired: metadata.authorizationResponseIssParameterSupported }
      const { callbackUrl, pending } = yield* authorize()
      const edited = (edit: (params: URLSearchParams) => void) => {
        const url = new URL(callbackUrl)
        edit(url.searchParams)
        return AuthorizationCode.callback(pending, url, options)
      }
      const reasons = [
        edited((params) => params.delete("code")),
        edited((params) => params.delete("state")),
        edited((params) => params.delete("iss")),
        edited((params) => params.set("iss", "https://evil.example.com")),
        edited((params) => params.append("code", "another-code"))
      ].map((checked) => {
        const error = failureOf(checked)
        return error._tag === "InvalidCallback" ? error.reason : error._tag
      })
      assert.deepStrictEqual(reasons, ["CodeMissing", "StateMissing", "IssuerMissing", "IssuerMismatch", "DuplicateParameter"])
      assert.deepStrictEqual(tokenRequests(yield* server.journal), [])

      const extra = edited((params) => {
        params.append("session_state", "abc")
        params.append("authuser", "0")
      })
      assert.isTrue(Either.isRight(extra))
      if (Either.isRight(extra)) yield* AuthorizationCode.exchange(endpoint, pending, extra.right)
      assert.deepStrictEqual(tokenRequests(yield* server.journal).map((entry) => entry.status), [200])
    })))

  it.effect("an error redirect (a scope the client may not have) is AuthorizationFailed with the server's code", () =>
    withServer(Effect.gen(function*() {
      const { callbackUrl, pending } = yield* authorize({ scopes: ["admin"] })
      const error = failureOf(AuthorizationCode.callback(pending, callbackUrl, { issuer, issuerRequired: true }))
      assert.strictEqual(error._tag, "AuthorizationFailed")
      if (error._tag === "AuthorizationFailed") {
        assert.strictEqual(error.error, "invalid_scope")
        assert.isTrue(Option.isSome(error.description))
      }
    })))
})

describe("a replayed authorization code", () => {
  it.effect("the second exchange is refused with invalid_grant, and the server revokes what the first one issued", () =>
    withServer(Effect.gen(function*() {
      const { pending, result } = yield* authorized()
      const first = yield* AuthorizationCode.exchange(endpoint, pending, result)
      assert.strictEqual(yield* apiStatus(first.token), 200)

      const error = yield* Effect.flip(AuthorizationCode.exchange(endpoint, pending, result))
      assert.strictEqual(error._tag, "CodeExchangeFailed")
      assert.isFalse(error.retryable)
      assert.strictEqual(oauthCause(error)?.error, "invalid_grant")
      assertShowsNone(error, [Redacted.value(Option.getOrThrow(result.code))])

      // RFC 6749 §4.1.2: the tokens issued for a code that comes back are revoked
      assert.strictEqual(yield* apiStatus(first.token), 401)
      const refreshed = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: refreshTokenOf(first) }))
      assert.strictEqual(refreshed._tag, "ReauthorizationRequired")
    })))

  it.effect("an exchange sends its code once: running it again sends nothing", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { pending, result } = yield* authorized()
      const exchange = AuthorizationCode.exchange(endpoint, pending, result)
      const token = yield* exchange
      const again = yield* Effect.flip(exchange)
      assert.strictEqual(again._tag, "InvalidTokenRequest")
      assert.strictEqual(yield* apiStatus(token.token), 200)
      assert.deepStrictEqual(tokenRequests(yield* server.journal).map((entry) => entry.status), [200])
    })))
})

/** A refresh token flow from the first token of an authorization, saving each rotated refresh token. */
const refreshFlow = Effect.gen(function*() {
  const first = yield* firstToken()
  const saved = yield* Ref.make<ReadonlyArray<string>>([])
  const fetch = yield* Grant.refreshTokenFlow(endpoint, {
    initial: refreshTokenOf(first),
    onRotate: (refreshToken) => Ref.update(saved, (all) => [...all, Redacted.value(refreshToken)])
  })
  return { first, fetch, saved: Ref.get(saved) }
})

describe("refresh token rotation", () => {
  it.scoped("with a new refresh token on each refresh: each is saved, then sent next; the family grows", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { fetch, first, saved } = yield* refreshFlow
      const provider = yield* TokenProvider.make(fetch, { policy, initial: first })
      yield* server.clearJournal
      const tokens = [yield* provider.refresh, yield* provider.refresh, yield* provider.refresh]

      const journal = tokenRequests(yield* server.journal)
      assert.deepStrictEqual(journal.map((entry) => entry.refreshTokenId), ["r1", "r2", "r3"])
      assert.deepStrictEqual(journal.map((entry) => entry.issuedRefreshTokenId), ["r2", "r3", "r4"])
      const values = yield* saved
      assert.strictEqual(new Set([Redacted.value(refreshTokenOf(first)), ...values]).size, 4)
      assert.deepStrictEqual(tokens.map((token) => Redacted.value(refreshTokenOf(token))), values)
      const [family] = yield* server.families
      assert.strictEqual(family!.generation, 4)
      assert.isFalse(family!.revoked)
    }), { refreshRotation: true }))

  it.scoped("without one: the refresh token is kept and sent again, and onRotate never runs", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { fetch, first, saved } = yield* refreshFlow
      const provider = yield* TokenProvider.make(fetch, { policy, initial: first })
      yield* server.clearJournal
      const tokens = [yield* provider.refresh, yield* provider.refresh]

      const journal = tokenRequests(yield* server.journal)
      assert.deepStrictEqual(journal.map((entry) => [entry.refreshTokenId, entry.issuedRefreshTokenId]), [
        ["r1", undefined],
        ["r1", undefined]
      ])
      assert.deepStrictEqual(yield* saved, [])
      for (const token of tokens) assert.isTrue(Redacted.value(refreshTokenOf(token)) === Redacted.value(refreshTokenOf(first)))
    }), { refreshRotation: false }))

  it.scoped("invalid_grant is terminal: ReauthorizationRequired once, then later runs send nothing", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { fetch } = yield* refreshFlow
      for (const family of yield* server.families) yield* server.revokeFamily(family.id)
      yield* server.clearJournal
      const provider = yield* TokenProvider.make(fetch, { policy })
      const errors = [yield* Effect.flip(provider.get), yield* Effect.flip(fetch), yield* Effect.flip(fetch)]
      assert.deepStrictEqual(errors.map((error) => error._tag), Array(3).fill("ReauthorizationRequired"))
      assert.strictEqual(tokenRequests(yield* server.journal).length, 1)
    })))
})

describe("refresh token reuse detection", () => {
  it.effect("a buggy client refreshing twice at once with the same refresh token gets the whole family revoked", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const first = yield* firstToken()
      // no single flight: two raw refreshes race with the same refresh token
      const refresh = Grant.refreshToken(endpoint, { refreshToken: refreshTokenOf(first) })
      const outcomes = yield* Effect.all([Effect.either(refresh), Effect.either(refresh)], { concurrency: 2 })
      const won = outcomes.filter(Either.isRight).map((either) => either.right)
      const lost = outcomes.filter(Either.isLeft).map((either) => either.left)
      assert.strictEqual(won.length, 1)
      assert.deepStrictEqual(lost.map((error) => error._tag), ["ReauthorizationRequired"])
      assert.include(oauthCause(lost[0]!)?.description.pipe(Option.getOrUndefined), "already used")

      // the server took the second use for a stolen token: what the winner got is dead too
      const [family] = yield* server.families
      assert.isTrue(family!.revoked)
      assert.strictEqual(yield* apiStatus(won[0]!.token), 401)
      const next = yield* Effect.flip(Grant.refreshToken(endpoint, { refreshToken: refreshTokenOf(won[0]!) }))
      assert.strictEqual(next._tag, "ReauthorizationRequired")
    }), { refreshRotation: true }))

  it.scoped("through grantflow's TokenProvider, concurrent callers share one refresh: no reuse, the family lives", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { fetch } = yield* refreshFlow
      const provider = yield* TokenProvider.make(fetch, { policy })
      yield* server.clearJournal
      // each refresh takes a second at the server: every caller arrives while one runs
      yield* server.fail(AuthServer.Latency({ duration: "1 second" }), { times: 2 })
      const callers = yield* Effect.fork(Effect.all(Array.from({ length: 20 }, () => provider.get), { concurrency: "unbounded" }))
      yield* TestClock.adjust("1 second")
      const tokens = yield* Fiber.join(callers)
      const forced = yield* Effect.fork(Effect.all([provider.refresh, provider.refresh, provider.refresh], { concurrency: "unbounded" }))
      yield* TestClock.adjust("1 second")
      const refreshed = yield* Fiber.join(forced)

      assert.strictEqual(new Set(tokens.map((token) => Redacted.value(token.token))).size, 1)
      assert.strictEqual(new Set(refreshed.map((token) => Redacted.value(token.token))).size, 1)
      const journal = tokenRequests(yield* server.journal)
      assert.deepStrictEqual(journal.map((entry) => [entry.refreshTokenId, entry.status]), [["r1", 200], ["r2", 200]])
      const [family] = yield* server.families
      assert.isFalse(family!.revoked)
      assert.strictEqual(yield* apiStatus(refreshed[0]!.token), 200)
    }), { refreshRotation: true }))
})

describe("the device flow against the simulated server", () => {
  const secondsAfterStart = (journal: ReadonlyArray<AuthServer.JournalEntry>) =>
    tokenRequests(journal).map((entry) => (entry.at - start) / 1000)

  it.effect("slow_down adds 5 seconds to the interval from then on; the user approves; the token comes", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const shown = yield* Ref.make<ReadonlyArray<Grant.UserCode>>([])
      yield* server.fail(AuthServer.Status({ status: 400, body: { error: "slow_down", error_description: "slow down" } }))
      const flow = yield* Effect.fork(Grant.deviceCode(endpoint, {
        scopes: ["orders.read"],
        onUserCode: (info) => Ref.update(shown, (all) => [...all, info])
      }))
      yield* TestClock.adjust("15 seconds")
      const [info] = yield* Ref.get(shown)
      assert.isTrue(yield* server.decideDevice(info!.userCode, true))
      yield* TestClock.adjust("10 seconds")
      const token = yield* Fiber.join(flow)

      assert.deepStrictEqual(token.scopes, ["orders.read"])
      assert.isTrue(Option.isSome(token.refreshToken))
      assert.strictEqual(info!.verificationUri, `${issuer}/device`)
      const journal = yield* server.journal
      // 5 s, then 10 s after slow_down, and 10 s again: the server never had to say slow_down itself
      assert.deepStrictEqual(secondsAfterStart(journal), [5, 15, 25])
      assert.deepStrictEqual(tokenRequests(journal).map((entry) => [entry.status, entry.fault]), [
        [400, "Status"],
        [400, undefined],
        [200, undefined]
      ])
    }), { deviceInterval: "5 seconds" }))

  it.effect("a code the user never answers: pending polls until it expires, then DeviceCodeExpired (Elapsed)", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const flow = yield* Effect.fork(Effect.flip(Grant.deviceCode(endpoint, { onUserCode: () => Effect.void })))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(flow)
      assert.strictEqual(error._tag, "DeviceCodeExpired")
      if (error._tag === "DeviceCodeExpired") assert.strictEqual(error.reason, "Elapsed")
      assert.isFalse(error.retryable)
      // never polled after the code's 30 seconds
      assert.deepStrictEqual(secondsAfterStart(yield* server.journal), [5, 10, 15, 20, 25])
      assert.strictEqual(yield* server.issued, 0)
    }), { deviceInterval: "5 seconds", deviceCodeLifetime: "30 seconds" }))

  /** The forms the client sends, by path. */
  const recordingClient = Effect.gen(function*() {
    type Sent = readonly [path: string, form: ReadonlyArray<readonly [string, string]>]
    const forms = yield* Ref.make<ReadonlyArray<Sent>>([])
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.tapRequest((request) => {
        const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
        const sent: Sent = [new URL(request.url).pathname, [...new URLSearchParams(body)]]
        return Ref.update(forms, (all) => [...all, sent])
      })
    )
    return { client, forms: Ref.get(forms) }
  })

  it.effect("audience and extraParams go on the device authorization request, and the server grants the code", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { client, forms } = yield* recordingClient
      const flow = yield* Grant.deviceCode(endpointOf(ClientAuth.clientSecretPost("app", Redacted.make(secret))), {
        scopes: ["orders.read"],
        audience: "https://orders.example.com",
        extraParams: { organization: "acme & co", prompt: "login" },
        onUserCode: ({ userCode }) => Effect.asVoid(server.decideDevice(userCode, true))
      }).pipe(Effect.provideService(HttpClient.HttpClient, client), Effect.fork)
      yield* TestClock.adjust("5 seconds")
      const token = yield* Fiber.join(flow)
      assert.deepStrictEqual(token.scopes, ["orders.read"])

      const [device, poll] = yield* forms
      assert.deepStrictEqual(device, ["/device_authorization", [
        ["scope", "orders.read"],
        ["audience", "https://orders.example.com"],
        ["organization", "acme & co"],
        ["prompt", "login"],
        ["client_id", "app"],
        ["client_secret", secret]
      ]])
      // the polls carry the device code only
      assert.deepStrictEqual(poll![1].map(([key]) => key), ["grant_type", "device_code", "client_id", "client_secret"])
      assert.deepStrictEqual(poll![1][0], ["grant_type", deviceGrant])
    })))

  it.effect("extraParams that repeat a parameter of the request are refused before anything is sent", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const shown = yield* Ref.make(0)
      const attempt = (options: Pick<Grant.DeviceCodeOptions, "scopes" | "audience" | "extraParams">) =>
        Effect.flip(Grant.deviceCode(endpoint, {
          ...options,
          onUserCode: () => Ref.update(shown, (n) => n + 1)
        }))
      const refusals: ReadonlyArray<readonly [Pick<Grant.DeviceCodeOptions, "scopes" | "audience" | "extraParams">, string]> =
        [
          [{ extraParams: { client_id: "someone-else" } }, "client_id"],
          [{ extraParams: { client_assertion: "x" } }, "client_assertion"],
          [{ audience: "https://a.example.com", extraParams: { audience: "https://b.example.com" } }, "audience"],
          [{ scopes: ["orders.read"], extraParams: { scope: "admin" } }, "scope"]
        ]
      for (const [options, parameter] of refusals) {
        const error: TokenError.TokenError = yield* attempt(options)
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        assert.include(error.message, `"${parameter}"`)
      }
      assert.deepStrictEqual(yield* server.journal, [])
      assert.strictEqual(yield* Ref.get(shown), 0)
    })))
})

describe("extraParams of the client credentials grant", () => {
  it.effect("cannot repeat a parameter the options set: refused before anything is sent; others go through", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const refusals: ReadonlyArray<readonly [Partial<Grant.ClientCredentialsOptions>, string]> = [
        [{ scopes: ["orders.read"], extraParams: { scope: "admin" } }, "scope"],
        [{ audience: "https://a.example.com", extraParams: { audience: "https://b.example.com" } }, "audience"],
        [{ resource: "https://a.example.com", extraParams: { resource: "https://b.example.com" } }, "resource"],
        [{ extraParams: { grant_type: "password" } }, "grant_type"]
      ]
      for (const [options, parameter] of refusals) {
        const error = yield* Effect.flip(Grant.clientCredentials(endpoint, options))
        assert.strictEqual(error._tag, "InvalidTokenRequest")
        assert.include(error.message, `"${parameter}"`)
      }
      assert.deepStrictEqual(yield* server.journal, [])

      // without `scopes`, a scope among the extra parameters is the scope
      const token = yield* Grant.clientCredentials(endpoint, { extraParams: { scope: "orders.write" } })
      assert.deepStrictEqual(token.scopes, ["orders.write"])
    })))
})

describe("discovery of the simulated server", () => {
  it.effect("metadata naming another issuer is IssuerMismatch, never cached; the right issuer passes", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      // the in-memory client sends every host to the server, which calls itself https://auth.example.com
      const impostor = "https://login.example.com"
      const error = yield* Effect.flip(Discovery.fetch(impostor))
      assert.strictEqual(error._tag, "IssuerMismatch")
      if (error._tag === "IssuerMismatch") {
        assert.strictEqual(error.expected, impostor)
        assert.strictEqual(error.received, issuer)
      }
      assert.isFalse(error.retryable)

      const discovery = yield* Discovery.make({ ttl: "1 hour" })
      yield* server.clearJournal
      for (let i = 0; i < 2; i++) assert.strictEqual((yield* Effect.flip(discovery.get(impostor)))._tag, "IssuerMismatch")
      assert.strictEqual((yield* server.journal).filter((entry) => entry.endpoint === "metadata").length, 2)

      const metadata = yield* discovery.get(issuer)
      assert.deepStrictEqual(metadata.tokenEndpoint, Option.some(tokenUrl))
      assert.deepStrictEqual(metadata.deviceAuthorizationEndpoint, Option.some(deviceAuthorizationUrl))
    })))
})

describe("a token response with a refresh token but no access token", () => {
  const orphan = AuthServer.Status({
    status: 200,
    body: { refresh_token: "rt-without-access-token", token_type: "Bearer", expires_in: 3600 }
  })

  it.effect("to a refresh: MalformedResponse, nothing saved, and the next refresh sends the refresh token it had", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { fetch, saved } = yield* refreshFlow
      yield* server.fail(orphan)
      yield* server.clearJournal

      const error = yield* Effect.flip(fetch)
      assert.strictEqual(error._tag, "MalformedResponse")
      if (error._tag === "MalformedResponse") assert.strictEqual(error.field, "access_token")
      assert.isFalse(error.retryable)
      assertShowsNone(error, ["rt-without-access-token"])
      assert.deepStrictEqual(yield* saved, [])

      // the refresh token in use is still the server's current one: no reuse, a rotation saved as usual
      const token = yield* fetch
      const journal = tokenRequests(yield* server.journal)
      assert.deepStrictEqual(journal.map((entry) => [entry.status, entry.fault, entry.refreshTokenId]), [
        [200, "Status", undefined],
        [200, undefined, "r1"]
      ])
      assert.deepStrictEqual(yield* saved, [Redacted.value(refreshTokenOf(token))])
      assert.notInclude(yield* saved, "rt-without-access-token")
      assert.isFalse((yield* server.families)[0]!.revoked)
    })))

  it.effect("to a code exchange: CodeExchangeFailed naming access_token, and no token", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { pending, result } = yield* authorized()
      yield* server.fail(orphan)
      const error = yield* Effect.flip(AuthorizationCode.exchange(endpoint, pending, result))
      assert.strictEqual(error._tag, "CodeExchangeFailed")
      if (error._tag === "CodeExchangeFailed") {
        assert.strictEqual(error.cause._tag, "MalformedResponse")
        assert.include(error.message, "access_token")
      }
      assert.isFalse(error.retryable)
      assertShowsNone(error, ["rt-without-access-token"])
      assert.strictEqual(yield* server.issued, 0)
    })))
})
