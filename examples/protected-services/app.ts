/**
 * Two services and a webhook, all on 127.0.0.1 in one process:
 *
 * - the simulated authorization server issues RFC 9068 JWT access tokens;
 * - "orders" is protected by `ResourceServer.middleware`: it verifies each
 *   token against the server's JWKS and requires `orders.write` to cancel;
 * - "billing" calls orders with a grantflow client (client credentials +
 *   BearerAuth): it never handles a token by hand;
 * - a webhook receiver is protected by a static shared token from `Config`,
 *   with the previous value still accepted during a rotation.
 *
 * `run` plays the scenario and returns what each step answered.
 */
import { HttpClient, HttpClientRequest, HttpRouter, type HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { BearerAuth, ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { Loopback } from "@grantflow/node"
import { ResourceServer, TokenVerifier } from "@grantflow/resource-server"
import { AuthServer } from "@grantflow/testing"
import { Config, Effect, Option, Redacted } from "effect"
import { createServer } from "node:http"

const ordersAudience = "https://orders.internal"
const billingSecret = Redacted.make("billing-secret: never printed")

/** One step of the scenario: what was asked, and the status (and challenge) it got. */
export interface Step {
  readonly what: string
  readonly status: number
  readonly challenge: string | undefined
  readonly body: string
}

const ordersApp = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/orders",
    Effect.flatMap(ResourceServer.Caller, (token) =>
      HttpServerResponse.json({
        caller: Option.getOrNull(token.clientId),
        orders: [{ id: 1, amount: 120 }, { id: 2, amount: 80 }]
      }))
  ),
  HttpRouter.del(
    "/orders/:id",
    Effect.as(ResourceServer.requireScopes("orders.write"), HttpServerResponse.empty({ status: 204 }))
  ),
  ResourceServer.middleware({ realm: "orders" })
)

const webhookApp = HttpRouter.empty.pipe(
  HttpRouter.post("/webhooks/payment", HttpServerResponse.empty({ status: 204 })),
  ResourceServer.middleware({ realm: "webhooks" })
)

/** Starts everything on loopback until the scope closes, then plays the scenario. */
export const run = Effect.gen(function*() {
  // the authorization server: its port first, as it is also its issuer
  const authHttp = yield* NodeHttpServer.make(() => createServer(), { port: 0, host: "127.0.0.1" })
  const issuer = `http://127.0.0.1:${(authHttp.address as HttpServer.TcpAddress).port}`
  const authServer = yield* AuthServer.make({
    issuer,
    accessTokenFormat: "jwt",
    audience: ordersAudience,
    clients: [{ clientId: "billing", clientSecret: Redacted.value(billingSecret), scopes: ["orders.read"] }]
  })
  yield* authHttp.serve(authServer.app)

  // orders: verifies JWT access tokens with the issuer's keys, found through its metadata
  const ordersVerifier = yield* TokenVerifier.jwt({ issuer, audience: ordersAudience })
  const orders = yield* Loopback.make(Effect.provideService(ordersApp, TokenVerifier.TokenVerifier, ordersVerifier))

  // billing: a grantflow client with its own client credentials
  const provider = yield* TokenProvider.make(
    Grant.clientCredentials(
      Endpoint.make({ tokenUrl: `${issuer}/token`, auth: ClientAuth.clientSecretBasic("billing", billingSecret) }),
      { scopes: ["orders.read"] }
    )
  )
  const ordersClient = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider))
  const billingApp = HttpRouter.empty.pipe(
    HttpRouter.get(
      "/invoice",
      ordersClient.get(new URL("/orders", orders.url)).pipe(
        Effect.flatMap((response) => response.json),
        Effect.flatMap((body) => {
          const { caller, orders } = body as { caller: string; orders: ReadonlyArray<{ amount: number }> }
          return HttpServerResponse.json({ caller, total: orders.reduce((sum, order) => sum + order.amount, 0) })
        }),
        Effect.catchAll((error) => HttpServerResponse.text(`orders refused: ${error._tag}`, { status: 502 }))
      )
    ),
    HttpRouter.post(
      "/cancel/:id",
      Effect.flatMap(HttpRouter.params, ({ id }) => ordersClient.del(new URL(`/orders/${id}`, orders.url))).pipe(
        Effect.map((response) => HttpServerResponse.empty({ status: response.status })),
        Effect.catchAll(() => Effect.succeed(HttpServerResponse.empty({ status: 502 })))
      )
    )
  )
  const billing = yield* Loopback.make(billingApp)

  // the webhook receiver: a shared token from the configuration (WEBHOOK_TOKEN, WEBHOOK_PREVIOUS_TOKEN)
  const webhookVerifier = yield* Effect.flatten(TokenVerifier.staticTokenConfig({ prefix: "WEBHOOK" }))
  const webhook = yield* Loopback.make(Effect.provideService(webhookApp, TokenVerifier.TokenVerifier, webhookVerifier))
  const currentWebhookToken = yield* Config.redacted("WEBHOOK_TOKEN")
  const previousWebhookToken = yield* Config.redacted("WEBHOOK_PREVIOUS_TOKEN")

  const plain = yield* HttpClient.HttpClient
  const steps: Array<Step> = []
  const step = (what: string, request: HttpClientRequest.HttpClientRequest) =>
    Effect.flatMap(plain.execute(request), (response) =>
      Effect.map(response.text, (body) => {
        steps.push({ what, status: response.status, challenge: response.headers["www-authenticate"], body })
      }))
  const forged = `${Buffer.from(`{"alg":"none","typ":"at+jwt"}`).toString("base64url")}.` +
    `${Buffer.from(`{"iss":"${issuer}","aud":"${ordersAudience}","scope":"orders.write"}`).toString("base64url")}.`

  yield* step("billing asks for an invoice (billing → orders with its token)", HttpClientRequest.get(new URL("/invoice", billing.url)))
  yield* step("billing cancels an order without orders.write", HttpClientRequest.post(new URL("/cancel/1", billing.url)))
  yield* step("someone calls orders without a token", HttpClientRequest.get(new URL("/orders", orders.url)))
  yield* step(
    "someone calls orders with a forged alg:none token",
    HttpClientRequest.get(new URL("/orders", orders.url)).pipe(HttpClientRequest.bearerToken(forged))
  )
  const payment = HttpClientRequest.post(new URL("/webhooks/payment", webhook.url))
  yield* step("the payment provider posts with the current webhook token", HttpClientRequest.bearerToken(payment, currentWebhookToken))
  yield* step("…and with the previous one, during the rotation", HttpClientRequest.bearerToken(payment, previousWebhookToken))
  yield* step("…and with a wrong one", HttpClientRequest.bearerToken(payment, "not-the-webhook-token"))
  return steps
})
