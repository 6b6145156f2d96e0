/**
 * Every grant, and revocation, against every error the simulated server can
 * answer it with.
 *
 * Each refusal runs the grant through a `TokenProvider` that retries at once
 * and often, and asserts the typed error (its tag, the OAuth code and status
 * it keeps, `retryable: false`), that the request was sent once — nothing
 * retries what cannot succeed —, that the server issued nothing, that nothing
 * was stored or shown, and that no rendering of the error shows a secret.
 *
 * Most errors are the server's own answers to a bad request. Those it has no
 * reason to give a well-formed grantflow request (grantflow always sends the
 * parameters a grant needs, and the server knows every grant type) are
 * scripted with a `Status` fault, and marked "(scripted)".
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import {
  type AccessToken,
  AuthorizationCode,
  type Endpoint,
  type ClientAuth,
  Grant,
  Revocation,
  type TokenError,
  TokenProvider
} from "@grantflow/core"
import { AuthServer } from "@grantflow/testing"
import { type Duration, Effect, Fiber, Option, Redacted, Ref, TestClock } from "effect"
import {
  assertShowsNone,
  auth,
  authorized,
  browser,
  endpoint,
  endpointOf,
  type Env,
  firstToken,
  issuer,
  machine,
  oauthCause,
  policy,
  refreshTokenOf,
  secrets,
  withServer,
  wrongSecret
} from "./simServer.js"

interface Prepared {
  readonly fetch: Grant.TokenSource
  /** What the grant stored or showed on its way (rotated refresh tokens, user codes): must stay empty. */
  readonly stored?: Effect.Effect<ReadonlyArray<unknown>> | undefined
}

interface Refusal {
  readonly title: string
  readonly code: string
  readonly tag: TokenError.TokenError["_tag"]
  /** The endpoint that refused, named by the OAuth error. Default: `token`. */
  readonly endpoint?: Endpoint.Name
  /** Default: 401 for `invalid_client`, else 400 (RFC 6749 §5.2). */
  readonly status?: number
  /** Answered by a `Status` fault rather than by the server's own checks. */
  readonly scripted?: boolean
  readonly server?: Partial<AuthServer.Options>
  /** Builds the fetch, after whatever it needs from the server (a code, a refresh token). */
  readonly prepare: Effect.Effect<Prepared, unknown, Env>
  /** The requests the server receives from the fetch, when there are more than the refused one. */
  readonly requests?: ReadonlyArray<readonly [AuthServer.JournalEntry["endpoint"], number]>
  /** How far the TestClock moves while the fetch runs (the device flow polls after an interval). */
  readonly advance?: Duration.DurationInput
}

const statusOf = (refusal: Refusal) => refusal.status ?? (refusal.code === "invalid_client" ? 401 : 400)

const check = (refusal: Refusal) =>
  withServer(
    Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { fetch, stored } = yield* refusal.prepare
      const status = statusOf(refusal)
      if (refusal.scripted === true) {
        yield* server.fail(
          AuthServer.Status({ status, body: { error: refusal.code, error_description: `scripted ${refusal.code}` } })
        )
      }
      yield* server.clearJournal
      const issuedBefore = yield* server.issued

      const provider = yield* TokenProvider.make(fetch, { policy })
      const fiber = yield* Effect.fork(Effect.flip(provider.get))
      yield* TestClock.adjust(refusal.advance ?? 0)
      const error = yield* Fiber.join(fiber)

      assert.strictEqual(error._tag, refusal.tag, error.message)
      assert.isFalse(error.retryable)
      const cause = oauthCause(error)
      assert.isDefined(cause, `${error._tag} keeps the server's OAuth error`)
      assert.strictEqual(cause!.error, refusal.code)
      assert.strictEqual(cause!.status, status)
      assert.strictEqual(cause!.endpoint, refusal.endpoint ?? "token")
      assert.isTrue(Option.isSome(cause!.description))
      assert.include(error.message, refusal.code)
      assertShowsNone(error, [...secrets, "never-issued", "rejected-assertion", "rejected-subject"])

      // sent once, answered with the error, and nothing issued
      const journal = yield* server.journal
      assert.deepStrictEqual(
        journal.map((entry) => [entry.endpoint, entry.status]),
        refusal.requests ?? [["token", status]]
      )
      for (const entry of journal) {
        assert.isUndefined(entry.tokenId)
        assert.isUndefined(entry.issuedRefreshTokenId)
      }
      assert.strictEqual(yield* server.issued, issuedBefore)
      if (stored !== undefined) assert.deepStrictEqual(yield* stored, [])
    }),
    refusal.server
  )

const run = (grant: string, refusals: ReadonlyArray<Refusal>) =>
  describe(grant, () => {
    for (const refusal of refusals) {
      const title = `${refusal.code}${refusal.scripted === true ? " (scripted)" : ""}: ${refusal.title} → ${refusal.tag}`
      it.scoped(title, () => check(refusal))
    }
  })

/** The codes a grant cannot provoke from the server, scripted for it. */
const scripted = (
  codes: ReadonlyArray<string>,
  tag: TokenError.TokenError["_tag"],
  prepare: Refusal["prepare"],
  extra: Partial<Refusal> = {}
): ReadonlyArray<Refusal> =>
  codes.map((code) => ({ title: "answered to a well-formed request", code, tag, prepare, scripted: true, ...extra }))

// ── client credentials ───────────────────────────────────────────────────────

const clientCredentials = (
  client: ClientAuth.ClientAuth,
  scopes?: ReadonlyArray<string>
): Refusal["prepare"] => Effect.succeed({ fetch: Grant.clientCredentials(endpointOf(client), { scopes }) })

run("client credentials", [
  { title: "a wrong client secret", code: "invalid_client", tag: "OAuthError", prepare: clientCredentials(wrongSecret) },
  {
    title: "a client that may not use the grant",
    code: "unauthorized_client",
    tag: "OAuthError",
    prepare: clientCredentials(browser)
  },
  {
    title: "a scope the client may not have",
    code: "invalid_scope",
    tag: "OAuthError",
    prepare: clientCredentials(auth, ["orders.read", "admin"])
  },
  ...scripted(["invalid_request", "invalid_grant", "unsupported_grant_type"], "OAuthError", clientCredentials(auth))
])

// ── refresh token ────────────────────────────────────────────────────────────

/**
 * A `Grant.refreshTokenFlow` whose rotated refresh tokens are stored: from the
 * refresh token of a first token (its family revoked, with `revoked`), or
 * from one the server never issued.
 */
const refreshFlow = (options: {
  readonly client?: ClientAuth.ClientAuth
  readonly refreshToken?: "issued" | "never-issued" | "revoked"
  readonly scopes?: ReadonlyArray<string>
  readonly wait?: Duration.DurationInput
} = {}): Refusal["prepare"] =>
  Effect.gen(function*() {
    const server = yield* AuthServer.AuthServer
    const initial = options.refreshToken === "never-issued"
      ? Redacted.make("never-issued")
      : refreshTokenOf(yield* firstToken())
    if (options.refreshToken === "revoked") {
      for (const family of yield* server.families) yield* server.revokeFamily(family.id)
    }
    if (options.wait !== undefined) yield* TestClock.adjust(options.wait)
    const stored = yield* Ref.make<ReadonlyArray<string>>([])
    const fetch = yield* Grant.refreshTokenFlow(endpointOf(options.client ?? auth), {
      initial,
      scopes: options.scopes,
      onRotate: (refreshToken) => Ref.update(stored, (all) => [...all, Redacted.value(refreshToken)])
    })
    return { fetch, stored: Ref.get(stored) }
  })

run("refresh token", [
  { title: "a wrong client secret", code: "invalid_client", tag: "OAuthError", prepare: refreshFlow({ client: wrongSecret }) },
  {
    title: "a client that may not use the grant",
    code: "unauthorized_client",
    tag: "OAuthError",
    prepare: refreshFlow({ client: machine })
  },
  {
    title: "a refresh token the server never issued",
    code: "invalid_grant",
    tag: "ReauthorizationRequired",
    prepare: refreshFlow({ refreshToken: "never-issued" })
  },
  {
    title: "a refresh token whose family was revoked",
    code: "invalid_grant",
    tag: "ReauthorizationRequired",
    prepare: refreshFlow({ refreshToken: "revoked" })
  },
  {
    title: "an expired refresh token",
    code: "invalid_grant",
    tag: "ReauthorizationRequired",
    server: { refreshTokenLifetime: "1 day" },
    prepare: refreshFlow({ wait: "25 hours" })
  },
  {
    title: "a scope that was not granted",
    code: "invalid_scope",
    tag: "OAuthError",
    prepare: refreshFlow({ scopes: ["orders.write"] })
  },
  ...scripted(["invalid_request", "unsupported_grant_type"], "OAuthError", refreshFlow())
])

// ── authorization code ───────────────────────────────────────────────────────

/**
 * The code of an authorization (by `app`, or `authorizedBy`), exchanged as
 * told: the pending authorization is presented with the client's id, and the
 * verifier or redirect URI given, so that the request carries what the server
 * must refuse.
 */
const codeExchange = (options: {
  readonly client?: ClientAuth.ClientAuth
  readonly authorizedBy?: string
  readonly verifier?: "sent" | "omitted" | "wrong"
  readonly redirectUri?: string
  readonly wait?: Duration.DurationInput
} = {}): Refusal["prepare"] =>
  Effect.gen(function*() {
    const { pending, result } = yield* authorized({ clientId: options.authorizedBy })
    if (options.wait !== undefined) yield* TestClock.adjust(options.wait)
    const client = options.client ?? auth
    const presented = new AuthorizationCode.Pending({
      ...pending,
      clientId: client.clientId,
      redirectUri: options.redirectUri ?? pending.redirectUri,
      verifier: options.verifier === "omitted"
        ? Option.none()
        : options.verifier === "wrong"
        ? Option.some(Redacted.make("w".repeat(64)))
        : pending.verifier
    })
    return { fetch: AuthorizationCode.exchange(endpointOf(client), presented, result) }
  })

run("authorization code", [
  { title: "a wrong client secret", code: "invalid_client", tag: "CodeExchangeFailed", prepare: codeExchange({ client: wrongSecret }) },
  {
    title: "a client that may not use the grant",
    code: "unauthorized_client",
    tag: "CodeExchangeFailed",
    prepare: codeExchange({ client: machine })
  },
  {
    title: "no code_verifier for a code with a PKCE challenge",
    code: "invalid_request",
    tag: "CodeExchangeFailed",
    prepare: codeExchange({ verifier: "omitted" })
  },
  {
    title: "a code_verifier that does not match the challenge",
    code: "invalid_grant",
    tag: "CodeExchangeFailed",
    prepare: codeExchange({ verifier: "wrong" })
  },
  {
    title: "another redirect_uri than the authorization request's",
    code: "invalid_grant",
    tag: "CodeExchangeFailed",
    prepare: codeExchange({ redirectUri: "http://127.0.0.1/elsewhere" })
  },
  {
    title: "an expired code",
    code: "invalid_grant",
    tag: "CodeExchangeFailed",
    prepare: codeExchange({ wait: "61 seconds" })
  },
  {
    title: "a code issued to another client",
    code: "invalid_grant",
    tag: "CodeExchangeFailed",
    prepare: codeExchange({ authorizedBy: "browser" })
  },
  ...scripted(["unsupported_grant_type", "invalid_scope"], "CodeExchangeFailed", codeExchange())
])

// ── device authorization ─────────────────────────────────────────────────────

/** A device flow whose user codes are recorded, and answered with `decide` when given. */
const deviceFlow = (options: {
  readonly client?: ClientAuth.ClientAuth
  readonly scopes?: ReadonlyArray<string>
  readonly decide?: boolean
} = {}): Refusal["prepare"] =>
  Effect.gen(function*() {
    const server = yield* AuthServer.AuthServer
    const shown = yield* Ref.make<ReadonlyArray<string>>([])
    const fetch = Grant.deviceCode(endpointOf(options.client ?? auth), {
      scopes: options.scopes,
      onUserCode: ({ userCode }) =>
        Effect.zipRight(
          Ref.update(shown, (all) => [...all, userCode]),
          options.decide === undefined ? Effect.void : server.decideDevice(userCode, options.decide)
        )
    })
    return { fetch, stored: Ref.get(shown) }
  })

// the device authorization request is refused: the user is never shown a code
run("device authorization request", [
  {
    title: "a wrong client secret",
    code: "invalid_client",
    tag: "OAuthError",
    endpoint: "deviceAuthorization",
    prepare: deviceFlow({ client: wrongSecret }),
    requests: [["device_authorization", 401]]
  },
  {
    title: "a client that may not use the grant",
    code: "unauthorized_client",
    tag: "OAuthError",
    endpoint: "deviceAuthorization",
    prepare: deviceFlow({ client: machine }),
    requests: [["device_authorization", 400]]
  },
  {
    title: "a scope the client may not have",
    code: "invalid_scope",
    tag: "OAuthError",
    endpoint: "deviceAuthorization",
    prepare: deviceFlow({ scopes: ["admin"] }),
    requests: [["device_authorization", 400]]
  }
])

// the device authorization succeeds; the first poll, 5 seconds later, is refused
const firstPollRefused = (status: number): Pick<Refusal, "requests" | "advance"> => ({
  requests: [["device_authorization", 200], ["token", status]],
  advance: "5 seconds"
})

run("device code polling", [
  {
    title: "the user denied the request",
    code: "access_denied",
    tag: "DeviceAccessDenied",
    prepare: Effect.map(deviceFlow({ decide: false }), ({ fetch }) => ({ fetch })),
    ...firstPollRefused(400)
  },
  {
    title: "the device code expired",
    code: "expired_token",
    tag: "DeviceCodeExpired",
    scripted: true,
    prepare: Effect.map(deviceFlow(), ({ fetch }) => ({ fetch })),
    ...firstPollRefused(400)
  },
  ...[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope"
  ].flatMap((code) =>
    scripted([code], "OAuthError", Effect.map(deviceFlow(), ({ fetch }) => ({ fetch })), {
      ...firstPollRefused(code === "invalid_client" ? 401 : 400)
    })
  )
])

// ── JWT bearer ───────────────────────────────────────────────────────────────

const jwtBearer = (options: {
  readonly client?: ClientAuth.ClientAuth | "none"
  readonly assertion?: string
  readonly scopes?: ReadonlyArray<string>
} = {}): Refusal["prepare"] =>
  Effect.succeed({
    fetch: Grant.jwtBearer(endpointOf(options.client === "none" ? undefined : options.client ?? auth), {
      assertion: Redacted.make(options.assertion ?? "accepted-assertion"),
      scopes: options.scopes
    })
  })

run("JWT bearer", [
  { title: "a wrong client secret", code: "invalid_client", tag: "OAuthError", prepare: jwtBearer({ client: wrongSecret }) },
  {
    title: "no client authentication, which this server requires",
    code: "invalid_client",
    tag: "OAuthError",
    prepare: jwtBearer({ client: "none" })
  },
  {
    title: "a client that may not use the grant",
    code: "unauthorized_client",
    tag: "OAuthError",
    prepare: jwtBearer({ client: machine })
  },
  {
    title: "an assertion the server does not accept",
    code: "invalid_grant",
    tag: "OAuthError",
    prepare: jwtBearer({ assertion: "rejected-assertion" })
  },
  {
    title: "a scope the client may not have",
    code: "invalid_scope",
    tag: "OAuthError",
    prepare: jwtBearer({ scopes: ["admin"] })
  },
  ...scripted(["invalid_request", "unsupported_grant_type"], "OAuthError", jwtBearer())
])

// ── token exchange ───────────────────────────────────────────────────────────

const tokenExchange = (options: {
  readonly client?: ClientAuth.ClientAuth | "none"
  readonly subject?: string
  readonly requestedTokenType?: string
  readonly scopes?: ReadonlyArray<string>
} = {}): Refusal["prepare"] =>
  Effect.succeed({
    fetch: Grant.tokenExchange(endpointOf(options.client === "none" ? undefined : options.client ?? auth), {
      subjectToken: Redacted.make(options.subject ?? "accepted-subject"),
      subjectTokenType: Grant.tokenTypes.accessToken,
      requestedTokenType: options.requestedTokenType,
      scopes: options.scopes
    }).pipe(Effect.map((exchanged) => exchanged.token))
  })

run("token exchange", [
  { title: "a wrong client secret", code: "invalid_client", tag: "OAuthError", prepare: tokenExchange({ client: wrongSecret }) },
  {
    title: "no client authentication, which this server requires",
    code: "invalid_client",
    tag: "OAuthError",
    prepare: tokenExchange({ client: "none" })
  },
  {
    title: "a client that may not use the grant",
    code: "unauthorized_client",
    tag: "OAuthError",
    prepare: tokenExchange({ client: machine })
  },
  {
    title: "a requested token type the server does not issue",
    code: "invalid_request",
    tag: "OAuthError",
    prepare: tokenExchange({ requestedTokenType: Grant.tokenTypes.idToken })
  },
  {
    title: "a subject token the server does not accept",
    code: "invalid_grant",
    tag: "OAuthError",
    prepare: tokenExchange({ subject: "rejected-subject" })
  },
  {
    title: "a scope the client may not have",
    code: "invalid_scope",
    tag: "OAuthError",
    prepare: tokenExchange({ scopes: ["admin"] })
  },
  ...scripted(["unsupported_grant_type"], "OAuthError", tokenExchange())
])

// ── the contrast: what can succeed later is retried ──────────────────────────

describe("a retryable answer (503 temporarily_unavailable, scripted)", () => {
  const unavailable = AuthServer.Status({
    status: 503,
    body: { error: "temporarily_unavailable", error_description: "try again" }
  })
  const retried: ReadonlyArray<readonly [string, Refusal["prepare"]]> = [
    ["client credentials", clientCredentials(auth)],
    ["refresh token", refreshFlow()],
    ["JWT bearer", jwtBearer()],
    ["token exchange", tokenExchange()]
  ]
  for (const [grant, prepare] of retried) {
    it.scoped(`${grant}: is retryable, and a TokenProvider gets the token on the next attempt`, () =>
      withServer(Effect.gen(function*() {
        const server = yield* AuthServer.AuthServer
        const { fetch } = yield* prepare
        yield* server.fail(unavailable)
        const error = yield* Effect.flip(fetch)
        assert.strictEqual(error._tag, "OAuthError")
        assert.isTrue(error.retryable)

        yield* server.fail(unavailable)
        yield* server.clearJournal
        const provider = yield* TokenProvider.make(fetch, { policy })
        yield* provider.get
        assert.deepStrictEqual((yield* server.journal).map((entry) => entry.status), [503, 200])
      })))
  }

  it.scoped("authorization code: never retried, because a code can be sent only once", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const { fetch } = yield* codeExchange()
      yield* server.fail(unavailable)
      yield* server.clearJournal
      const provider = yield* TokenProvider.make(fetch, { policy })
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error._tag, "CodeExchangeFailed")
      assert.isFalse(error.retryable)
      assert.deepStrictEqual((yield* server.journal).map((entry) => entry.status), [503])
    })))
})

// ── revocation (RFC 7009) ────────────────────────────────────────────────────

describe("revocation", () => {
  const apiStatus = (token: AccessToken.AccessToken) =>
    Effect.map(
      HttpClient.get(`${issuer}/api/orders`, { headers: { authorization: `Bearer ${Redacted.value(token.token)}` } }),
      (response) => response.status
    )

  it.effect("a refresh token is revoked with its family; a wrong secret or another client's token is refused", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const first = yield* firstToken()
      const revoke = (client: ClientAuth.ClientAuth) =>
        Revocation.revoke(endpointOf(client), { token: refreshTokenOf(first), tokenTypeHint: "refresh_token" })

      const wrong = yield* Effect.flip(revoke(wrongSecret))
      assert.strictEqual(wrong._tag, "OAuthError")
      if (wrong._tag === "OAuthError") {
        assert.deepStrictEqual([wrong.endpoint, wrong.status, wrong.error], ["revocation", 401, "invalid_client"])
      }
      const others = yield* Effect.flip(revoke(browser))
      assert.strictEqual(others._tag, "OAuthError")
      if (others._tag === "OAuthError") {
        assert.deepStrictEqual([others.endpoint, others.status, others.error], [
          "revocation",
          400,
          "unauthorized_client"
        ])
      }
      for (const error of [wrong, others]) {
        assert.isFalse(error.retryable)
        assert.notInclude(error.message, Redacted.value(refreshTokenOf(first)))
      }
      // refused: nothing was revoked
      assert.isFalse((yield* server.families)[0]!.revoked)
      assert.strictEqual(yield* apiStatus(first), 200)

      yield* revoke(auth)
      assert.isTrue((yield* server.families)[0]!.revoked)
      assert.strictEqual(yield* apiStatus(first), 401)
    })))

  it.effect("unsupported_token_type and an unavailable endpoint (scripted) name the revocation endpoint", () =>
    withServer(Effect.gen(function*() {
      const server = yield* AuthServer.AuthServer
      const first = yield* firstToken()
      const revoke = Revocation.revoke(endpoint, { token: first.token, tokenTypeHint: "access_token" })
      yield* server.fail(AuthServer.Status({ status: 400, body: { error: "unsupported_token_type" } }), { endpoint: "revoke" })
      yield* server.fail(AuthServer.Status({ status: 503, retryAfter: "2 seconds" }), { endpoint: "revoke" })
      const unsupported = yield* Effect.flip(revoke)
      assert.strictEqual(unsupported._tag, "OAuthError")
      if (unsupported._tag === "OAuthError") {
        assert.deepStrictEqual([unsupported.endpoint, unsupported.error], ["revocation", "unsupported_token_type"])
      }
      assert.isFalse(unsupported.retryable)
      const unavailable = yield* Effect.flip(revoke)
      assert.strictEqual(unavailable._tag, "EndpointUnavailable")
      if (unavailable._tag === "EndpointUnavailable") assert.strictEqual(unavailable.endpoint, "revocation")
      assert.isTrue(unavailable.retryable)
      assert.strictEqual(yield* apiStatus(first), 200)
    })))
})
