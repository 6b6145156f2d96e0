/**
 * Discovery, `private_key_jwt`, the device flow and revocation against an
 * authorization server served on a real loopback socket, which verifies the
 * client assertions itself, with WebCrypto and the client's public key.
 */
import { assert, describe, it } from "@effect/vitest"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Discovery, Endpoint, Grant, Revocation, TokenProvider } from "@grantflow/core"
import { Effect, Option, Redacted, Ref, type Scope } from "effect"
import { createServer } from "node:http"

const clientId = "svc:reporting"
const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])

/** The claims of an ES256 JWT whose signature verifies with `key`; `undefined` otherwise. */
const verifyEs256 = async (jwt: string, key: CryptoKey): Promise<Record<string, unknown> | undefined> => {
  const [header, payload, signature] = jwt.split(".")
  if (header === undefined || payload === undefined || signature === undefined) return undefined
  const decode = (part: string) => Buffer.from(part, "base64url")
  if (JSON.parse(decode(header).toString()).alg !== "ES256") return undefined
  const valid = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    decode(signature),
    new TextEncoder().encode(`${header}.${payload}`)
  )
  return valid ? JSON.parse(decode(payload).toString()) : undefined
}

interface Seen {
  readonly path: string
  readonly form: Readonly<Record<string, string>>
  /** The assertion's `aud` when the assertion verified, `undefined` when it was refused. */
  readonly aud: string | undefined
}

const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

/**
 * Serves an authorization server on 127.0.0.1 (port 0) that publishes only an
 * OpenID configuration, accepts `private_key_jwt` with `keys`, refuses a
 * replayed `jti`, runs a device flow whose first poll is pending, and records
 * revocations. `use` gets the issuer and what the server saw.
 */
const withServer = <A, E>(
  use: (issuer: string, seen: Effect.Effect<ReadonlyArray<Seen>>) => Effect.Effect<A, E, HttpClient.HttpClient | Scope.Scope>
) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<ReadonlyArray<Seen>>([])
    const jtis = new Set<string>()
    const issuerRef = yield* Ref.make("")
    let polls = 0

    const authenticated = (answer: (form: Readonly<Record<string, string>>) => HttpServerResponse.HttpServerResponse) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const form = Object.fromEntries(yield* request.urlParamsBody)
        const issuer = yield* Ref.get(issuerRef)
        const path = new URL(request.url, issuer).pathname
        const endpoint = `${issuer}${path}`
        const claims = yield* Effect.promise(() => verifyEs256(form["client_assertion"] ?? "", keys.publicKey))
        const now = Date.now() / 1000
        const valid = claims !== undefined && claims["iss"] === clientId && claims["sub"] === clientId &&
          claims["aud"] === endpoint && typeof claims["jti"] === "string" && typeof claims["iat"] === "number" &&
          typeof claims["exp"] === "number" && claims["exp"] > now
        const jti = valid ? Option.some(claims["jti"] as string) : Option.none()
        yield* Ref.update(seen, (all) => [...all, { path, form, aud: valid ? endpoint : undefined }])
        if (Option.isNone(jti) || jtis.has(jti.value)) return json({ error: "invalid_client" }, 401)
        jtis.add(jti.value)
        return answer(form)
      })

    const router = HttpRouter.empty.pipe(
      HttpRouter.get(
        "/.well-known/openid-configuration",
        Effect.map(Ref.get(issuerRef), (issuer) =>
          json({
            issuer,
            token_endpoint: `${issuer}/token`,
            device_authorization_endpoint: `${issuer}/device`,
            revocation_endpoint: `${issuer}/revoke`,
            grant_types_supported: ["client_credentials", "urn:ietf:params:oauth:grant-type:device_code"],
            token_endpoint_auth_methods_supported: ["private_key_jwt"],
            token_endpoint_auth_signing_alg_values_supported: ["ES256"],
            revocation_endpoint_auth_methods_supported: ["private_key_jwt"]
          }))
      ),
      HttpRouter.post(
        "/token",
        authenticated((form) => {
          if (form["grant_type"] === "urn:ietf:params:oauth:grant-type:device_code") {
            polls += 1
            if (polls === 1) return json({ error: "authorization_pending" }, 400)
          }
          return json({ access_token: `at-${form["grant_type"]}`, token_type: "Bearer", expires_in: 3600 })
        })
      ),
      HttpRouter.post(
        "/device",
        authenticated(() =>
          json({
            device_code: "dc-1",
            user_code: "ABCD-EFGH",
            verification_uri: "http://127.0.0.1/activate",
            expires_in: 60,
            // RFC 8628 says seconds; a fraction keeps this live test short
            interval: 0.05
          })
        )
      ),
      HttpRouter.post("/revoke", authenticated(() => HttpServerResponse.empty({ status: 200 })))
    )
    yield* HttpServer.serveEffect(router)
    const port = yield* HttpServer.addressWith((address) =>
      Effect.succeed(address._tag === "TcpAddress" ? address.port : assert.fail("expected a TCP address"))
    )
    const issuer = `http://127.0.0.1:${port}`
    yield* Ref.set(issuerRef, issuer)
    return yield* use(issuer, Ref.get(seen))
  }).pipe(
    Effect.scoped,
    Effect.provide(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
    Effect.provide(NodeHttpClient.layerUndici)
  )

describe("discovery, private_key_jwt and revocation over a loopback socket", () => {
  it.live("discovers the server, picks private_key_jwt, gets a token, and revokes it when the scope closes", () =>
    withServer((issuer, seen) =>
      Effect.gen(function*() {
        const metadata = yield* Discovery.fetch(issuer)
        const client = { clientId, privateKey: Redacted.make<CryptoKey>(keys.privateKey) }
        const auth = yield* Discovery.chooseClientAuth(metadata, client)
        const revocationAuth = yield* Discovery.chooseClientAuth(metadata, client, "revocation")
        assert.strictEqual(auth._tag, "PrivateKeyJwt")

        yield* Effect.gen(function*() {
          const fetch = yield* Revocation.onScopeClose(
            Grant.clientCredentials(Endpoint.fromMetadata(metadata, { auth })),
            Endpoint.fromMetadata(metadata, { auth: revocationAuth })
          )
          const provider = yield* TokenProvider.make(fetch)
          assert.strictEqual(Redacted.value((yield* provider.get).token), "at-client_credentials")
          // a forced refresh signs a new assertion, which the server accepts: its jti is new
          assert.strictEqual(Redacted.value((yield* provider.refresh).token), "at-client_credentials")
        }).pipe(Effect.scoped)

        const all = yield* seen
        assert.deepStrictEqual(all.map((s) => s.path), ["/token", "/token", "/revoke"])
        assert.deepStrictEqual(all.map((s) => s.aud), [`${issuer}/token`, `${issuer}/token`, `${issuer}/revoke`])
        assert.deepStrictEqual(
          [all[2]!.form["token"], all[2]!.form["token_type_hint"]],
          ["at-client_credentials", "access_token"]
        )
      })))

  it.live("the device flow polls a real token endpoint until the user has approved", () =>
    withServer((issuer, seen) =>
      Effect.gen(function*() {
        const metadata = yield* Discovery.fetch(issuer)
        const auth = yield* Discovery.chooseClientAuth(metadata, {
          clientId,
          privateKey: Redacted.make<CryptoKey>(keys.privateKey)
        })
        const shown: Array<string> = []
        const token = yield* Grant.deviceCode(Endpoint.fromMetadata(metadata, { auth }), {
          onUserCode: ({ userCode }) => Effect.sync(() => shown.push(userCode))
        })
        assert.strictEqual(Redacted.value(token.token), "at-urn:ietf:params:oauth:grant-type:device_code")
        assert.deepStrictEqual(shown, ["ABCD-EFGH"])
        const all = yield* seen
        assert.deepStrictEqual(all.map((s) => s.path), ["/device", "/token", "/token"])
        assert.deepStrictEqual(all.map((s) => s.aud), [`${issuer}/device`, `${issuer}/token`, `${issuer}/token`])
      })))
})
