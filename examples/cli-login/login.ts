/**
 * "Log in from a command line": a CLI gets a user's tokens from an
 * authorization server, then calls an API for them with a `TokenProvider`
 * that refreshes with the user's refresh token.
 *
 * Two ways to log in, both for a public client (no secret: a CLI cannot keep
 * one):
 *
 * - `browser`: the authorization code flow with PKCE, the browser coming back
 *   to a loopback redirect receiver on 127.0.0.1 (RFC 8252);
 * - `device`: the device flow (RFC 8628): the user opens a page, anywhere,
 *   and types the code the CLI shows.
 *
 * {@link run} starts the simulated authorization server of
 * `@grantflow/testing` (with its orders API) on 127.0.0.1 for the life of its
 * scope, discovers its endpoints, logs in, and calls the API. Nobody sits at
 * the keyboard, so the program plays the user as well: a headless "browser"
 * follows the authorization URL (the server approves at once), or the "user"
 * opens the verification page and approves the code. Those steps print
 * `[simulated user]`; a real CLI would print the URL or the code and wait.
 */
import { HttpClient, HttpClientRequest, HttpClientResponse, type HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { BearerAuth, ClientAuth, Discovery, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { RedirectReceiver } from "@grantflow/node"
import { AuthServer } from "@grantflow/testing"
import { Console, Data, Duration, Effect, Either, Option, type Redacted, Ref } from "effect"
import { createServer } from "node:http"

/** How the user logs in. */
export type Mode = "browser" | "device"

/** The mode the arguments ask for, or one line saying what is wrong with them and what to do. */
export const parseArgs = (args: ReadonlyArray<string>): Either.Either<Mode, string> => {
  const unknown = args.find((arg) => arg !== "--browser" && arg !== "--device")
  if (unknown !== undefined) return Either.left(`unknown argument ${unknown}: run it with --browser (the default) or --device`)
  if (new Set(args).size > 1) return Either.left("--browser and --device together: choose one")
  return Either.right(args[0] === "--device" ? "device" : "browser")
}

/** The server's metadata leaves out its authorization endpoint, which the browser login needs. */
export class MissingEndpoint extends Data.TaggedError("MissingEndpoint")<{ readonly name: string }> {
  override get message() {
    return `the authorization server does not advertise its ${this.name}`
  }
}

/** The server issued no refresh token: the CLI could not stay logged in. */
export class NoRefreshToken extends Data.TaggedError("NoRefreshToken")<{}> {
  override get message() {
    return "the authorization server issued no refresh token, so the login would not last"
  }
}

const clientId = "orders-cli"
const scopes = ["orders.read"]

/** Where output goes: the console, or a test's recorder. */
export interface Options {
  readonly print?: ((line: string) => Effect.Effect<void>) | undefined
}

const advertised = (name: string, value: Option.Option<string>) =>
  Option.match(value, { onNone: () => Effect.fail(new MissingEndpoint({ name })), onSome: Effect.succeed })

const title = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? "(no title)"

/** [simulated user] A browser opens `url` and follows the redirects: to the consent page, then back to the CLI. */
const simulatedBrowser = (url: URL, print: (line: string) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const browser = (yield* HttpClient.HttpClient).pipe(HttpClient.followRedirects(5))
    const page = yield* Effect.flatMap(browser.get(url), (response) => response.text)
    yield* print(`[simulated user] the browser opened it and now shows "${title(page)}"`)
  })

/** [simulated user] Someone opens the verification page with the code filled in, and approves. */
const simulatedApproval = (info: Grant.UserCode, print: (line: string) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const page = yield* Effect.flatMap(client.get(info.verificationUriComplete ?? info.verificationUri), (r) => r.text)
    const answer = yield* client.execute(
      HttpClientRequest.post(info.verificationUri).pipe(
        HttpClientRequest.bodyUrlParams({ user_code: info.userCode, decision: "approve" })
      )
    )
    const result = yield* answer.text
    yield* print(`[simulated user] opened "${title(page)}", approved the code: "${title(result)}"`)
  })

/**
 * Starts the simulated server, logs in the way `mode` says, calls the orders
 * API, has the server revoke the access token, and calls again: grantflow
 * refreshes with the saved refresh token. Succeeds with the server (its
 * journal shows every request) and how often the refresh token rotated.
 */
export const run = (mode: Mode, options: Options = {}) =>
  Effect.gen(function*() {
    const print = options.print ?? ((line: string) => Console.log(line))

    // the port is bound first: the server's issuer and endpoints name it
    const http = yield* NodeHttpServer.make(() => createServer(), { port: 0, host: "127.0.0.1" })
    const issuer = `http://127.0.0.1:${(http.address as HttpServer.TcpAddress).port}`
    const server = yield* AuthServer.make({
      issuer,
      autoApprove: true,
      deviceInterval: "1 second",
      clients: [{ clientId, public: true, redirectUris: ["http://127.0.0.1/callback"], scopes }]
    })
    yield* http.serve(server.app)
    yield* print(`the simulated authorization server runs on ${issuer}`)

    // the token and device authorization endpoints, for a public client: one
    // the metadata leaves out fails the request that needs it, saying so
    const metadata = yield* Discovery.fetch(issuer)
    const endpoint = Endpoint.fromMetadata(metadata, { auth: ClientAuth.none(clientId) })

    const first = mode === "browser"
      ? yield* RedirectReceiver.authorize(endpoint, {
        authorizeUrl: yield* advertised("authorization endpoint", metadata.authorizationEndpoint),
        scopes,
        issuer: metadata.issuer,
        issuerRequired: metadata.authorizationResponseIssParameterSupported,
        timeout: "2 minutes",
        onAuthorizeUrl: (url) =>
          Effect.zipRight(
            print(`Open this URL in your browser to sign in:\n  ${url.href}`),
            simulatedBrowser(url, print)
          )
      })
      : yield* Grant.deviceCode(endpoint, {
        scopes,
        onUserCode: (info) =>
          Effect.zipRight(
            print(
              `To sign in, open ${info.verificationUri} and enter the code ${info.userCode} ` +
                `(it expires in ${Duration.format(info.expiresIn)})`
            ),
            // the user takes a moment: meanwhile the CLI polls, and hears "authorization_pending"
            Effect.forkScoped(Effect.delay(simulatedApproval(info, print), "1500 millis"))
          )
      })
    const refreshToken = yield* Option.match(first.refreshToken, {
      onNone: () => Effect.fail(new NoRefreshToken()),
      onSome: Effect.succeed
    })
    yield* print(`signed in: an access token for "${first.scopes.join(" ")}" and a refresh token`)

    // A real CLI keeps the refresh token where only the user can read it (a
    // 0600 file, the system keychain); this one keeps it in memory.
    const saved = yield* Ref.make<Redacted.Redacted<string>>(refreshToken)
    const rotations = yield* Ref.make(0)
    const fetch = yield* Grant.refreshTokenFlow(endpoint, {
      initial: refreshToken,
      onRotate: (next) =>
        Ref.set(saved, next).pipe(
          Effect.zipRight(Ref.update(rotations, (n) => n + 1)),
          Effect.zipRight(print("the server rotated the refresh token: the new one is saved"))
        )
    })
    const provider = yield* TokenProvider.make(fetch, { initial: first, name: "orders-cli" })
    const api = (yield* HttpClient.HttpClient).pipe(BearerAuth.authenticate(provider))
    const callApi = api.get(new URL("/api/orders", issuer)).pipe(
      Effect.flatMap(HttpClientResponse.filterStatusOk),
      Effect.flatMap((response) => response.json),
      Effect.flatMap((body) => print(`GET /api/orders → ${JSON.stringify(body)}`))
    )

    yield* callApi
    // the access token dies before its time (revoked, or expired): the API
    // answers 401, grantflow refreshes with the refresh token and replays
    yield* server.revokeAll
    yield* print("the server revoked the access token; calling the API again")
    yield* callApi
    return { server, issuer, rotations: yield* Ref.get(rotations) }
  })
