/**
 * Every parser that reads bytes from a server, a header, a query or a file,
 * called the way grantflow calls it, for Hardening.test.ts and Fuzz.test.ts
 * (the resource server's are in its package). The documents of Discovery are
 * served by an in-memory router: real requests and responses, no socket.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Either, Option, Redacted, Schema } from "effect"
import * as AccessToken from "../src/AccessToken.js"
import * as AuthorizationCode from "../src/AuthorizationCode.js"
import * as Connector from "../src/Connector.js"
import * as ConnectorSpec from "../src/ConnectorSpec.js"
import * as Discovery from "../src/Discovery.js"
import * as authorizationCode from "../src/internal/authorizationCode.js"
import * as bearerAuth from "../src/internal/bearerAuth.js"
import * as retryAfter from "../src/internal/retryAfter.js"
import * as Registration from "../src/Registration.js"
import * as tokenRequest from "../src/internal/tokenRequest.js"
import * as TokenResponse from "../src/TokenResponse.js"
import { stopwatch, timeBoundMs, timingAttempts } from "./hostile.js"
import { layerOf } from "./routerClient.js"

export const issuer = "https://auth.example.com"
export const sentAt = 1_767_225_600_000

/** A token endpoint's answer as the transport hands it over. */
export const raw = (text: string, contentType: string | undefined, status = 200): tokenRequest.RawResponse => ({
  status,
  contentType,
  body: Option.some(text),
  retryAfter: Option.none()
})

/** The token endpoint path: the body parsed, then decoded (grants). */
export const interpret = (text: string, contentType: string | undefined, status = 200) =>
  tokenRequest.interpret(raw(text, contentType, status), { sentAt })

/** The device authorization endpoint's path: the body parsed, an object kept. */
export const interpretJson = (text: string, contentType: string | undefined, status = 200) =>
  tokenRequest.interpretJson(raw(text, contentType, status), "deviceAuthorization")

/** The registration endpoint's answer (RFC 7591 §3.2), as `Registration.register` interprets it. */
export const registration = (text: string, contentType: string | undefined, status = 201) =>
  Registration.interpret({ status, contentType, body: Option.some(text) })

/** The pushed authorization request endpoint's answer (RFC 9126 §2.2), decoded. */
export const interpretPushed = (text: string, contentType: string | undefined, status = 201) =>
  authorizationCode.interpretPushed(raw(text, contentType, status))

/** `TokenResponse.parseBody` then `TokenResponse.decode`, optionally with a shape. */
export const parseAndDecode = (
  text: string,
  contentType: string | undefined,
  status = 200,
  shape?: TokenResponse.Shape
) =>
  Either.flatMap(
    TokenResponse.parseBody(contentType, text, status),
    (body) => TokenResponse.decode(body, { status, sentAt, shape })
  )

/** A connector spec file. */
export const connectorSpec = (text: string) => ConnectorSpec.parse(text)

export const pending = new AuthorizationCode.Pending({
  clientId: "my-client",
  redirectUri: "http://127.0.0.1:53123/callback",
  state: "state-123",
  verifier: Option.none(),
  nonce: Option.none()
})

/** A callback's query, as a URL (the receiver) and as a `URLSearchParams` (a form_post body). */
export const callback = (query: string) => [
  AuthorizationCode.callback(pending, new URL(`${pending.redirectUri}?${query}`), { issuer }),
  AuthorizationCode.callback(pending, new URLSearchParams(query))
]

/** What a `fetch` `Headers` accepts: no NUL, CR or LF, nothing above U+00FF. */
export const asHeaderValue = (value: string): string => {
  let out = ""
  for (const c of value) out += c === "\0" || c === "\r" || c === "\n" || c.charCodeAt(0) > 0xff ? "?" : c
  return out
}

const api = HttpClientRequest.get("https://api.example.com/orders")

/** Whether a 403 with this `WWW-Authenticate` challenge counts as a rejected token. */
export const challenge = (value: string): boolean =>
  Effect.runSync(
    bearerAuth.isRejected(
      HttpClientResponse.fromWeb(api, new Response(null, { status: 403, headers: { "www-authenticate": value } }))
    )
  )

/** The `resource_metadata` of a `WWW-Authenticate` header's challenges (`Discovery.parseChallenges`). */
export const resourceMetadataChallenge = (value: string): ReadonlyArray<string | undefined> =>
  Discovery.parseChallenges(value).map((one) => one.params.get("resource_metadata"))

/** A `Retry-After` header of a token endpoint. */
export const retryAfterHeader = (value: string) => retryAfter.parse(value, sentAt)

/** A JSON document as a route answers it. */
export const document = (body: string) =>
  Effect.succeed(HttpServerResponse.text(body, { contentType: "application/json" }))

/** `Discovery.fetch` of an issuer whose metadata document is `body`. */
export const discovery = (body: string) =>
  Effect.either(Discovery.fetch(issuer)).pipe(
    Effect.provide(layerOf(HttpRouter.empty.pipe(HttpRouter.get("/.well-known/oauth-authorization-server", document(body)))))
  )

/** `Discovery.fetchResource` of a resource whose metadata document is `body`. */
export const resourceDiscovery = (body: string) =>
  Effect.either(Discovery.fetchResource("https://api.example.com/v1")).pipe(
    Effect.provide(layerOf(HttpRouter.empty.pipe(HttpRouter.get("/.well-known/oauth-protected-resource/v1", document(body)))))
  )

/** A connector that learns its API's base URL from the answer at `/whereami` (`Connector.discovery`). */
const discovering = Connector.define({
  name: "discovering",
  config: Schema.Struct({}),
  auth: () =>
    Connector.fetch(Effect.succeed(
      new AccessToken.AccessToken({
        token: Redacted.make("a-token"),
        type: "Bearer",
        issuedAt: sentAt,
        expiresAt: sentAt + 3_600_000,
        scopes: [],
        refreshToken: Option.none()
      })
    )),
  baseUrl: () => "https://api.example.com",
  discovery: () =>
    Connector.discovery({
      path: "/whereami",
      hosts: ["*.example.com"],
      schema: Schema.Struct({ base: Schema.String }),
      baseUrl: (answer) => answer.base
    })
})

/** A connector's first API request, whose base URL comes from the discovery answer `body`. */
export const baseUrlDiscovery = (body: string) =>
  Effect.either(
    Effect.scoped(Effect.flatMap(Connector.connect(discovering, {}), (connection) => connection.client.get("/me")))
  ).pipe(
    Effect.provide(layerOf(
      HttpRouter.empty.pipe(
        HttpRouter.get("/whereami", document(body)),
        HttpRouter.get("/me", Effect.succeed(HttpServerResponse.text("{}")))
      )
    ))
  )

/**
 * An effect's result and how long it took (see `stopwatch`), run again (up
 * to `timingAttempts` runs in all) while over the bound, as `timed` does.
 */
export const timedEffect = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    let best = Number.POSITIVE_INFINITY
    let result: A | undefined
    for (let n = 0; n < timingAttempts && best > timeBoundMs; n++) {
      const elapsed = stopwatch()
      result = yield* effect
      best = Math.min(best, elapsed())
    }
    return { result: result as A, ms: best }
  })
