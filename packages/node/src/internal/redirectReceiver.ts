import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as AccessToken from "@grantflow/core/AccessToken"
import * as AuthorizationCode from "@grantflow/core/AuthorizationCode"
import type * as Endpoint from "@grantflow/core/Endpoint"
import * as TokenError from "@grantflow/core/TokenError"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Scope from "effect/Scope"
import * as Loopback from "../Loopback.js"
import type * as RedirectReceiver from "../RedirectReceiver.js"

type Response = HttpServerResponse.HttpServerResponse

// no-store and no-referrer: the URL of the page carries the code;
// `connection: close` lets the server close as soon as the page is sent
const pageHeaders = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "connection": "close"
} as const

// Every text of a page is the receiver's own (a registered error code at
// most): a callback arrives in a URL anyone can craft, and none of it is shown.
const page = (status: number, title: string, text: string): Response =>
  HttpServerResponse.text(
    `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto}</style></head>
<body>
<h1>${title}</h1>
<p id="message">${text}</p>
</body>
</html>
`,
    { status, contentType: "text/html; charset=utf-8", headers: pageHeaders }
  )

const signedIn = page(200, "Signed in", "You can close this tab and return to the application.")

const failed = (text: string) => page(400, "Authorization failed", `${text} Return to the application to try again.`)

const refused = (error: string) =>
  failed(
    AuthorizationCode.registeredErrors.has(error)
      ? `The authorization server answered "${error}".`
      : "The authorization server refused the sign-in."
  )

const notOurs = failed("This answer does not belong to the sign-in the application started.")

/** The page for a callback taken as it is: an error page when it carries an `error`. */
const rawPage = (params: URLSearchParams): Response => {
  const error = params.get("error")
  return error === null || error === "" ? signedIn : refused(error)
}

/** The page for a callback checked against the pending authorization. */
const checkedPage = (
  checked: Either.Either<AuthorizationCode.CallbackResult, AuthorizationCode.AuthorizationError>
): Response => {
  if (Either.isRight(checked)) return signedIn
  const error = checked.left
  return error._tag === "AuthorizationFailed" ? refused(error.error) : failed("This answer cannot be used to sign in.")
}

const notFound = HttpServerResponse.text("Not found", { status: 404 })

const methodNotAllowed = HttpServerResponse.text("Method not allowed", { status: 405, headers: { allow: "GET" } })

const wrongHost = HttpServerResponse.text("Unknown host", { status: 400 })

const tooLong = HttpServerResponse.text("URI too long", { status: 414 })

/** What the receiver waits for: a callback carrying `state`, and the page to answer it with. */
interface Expected {
  readonly state: string
  readonly page: (params: URLSearchParams) => Response
}

const defaultTimeout: Duration.DurationInput = "5 minutes"

/** @internal */
export class RedirectTimeout extends TokenError.TaggedError("RedirectTimeout")<{
  readonly redirectUri: string
  readonly timeout: Duration.Duration
}> {
  override get message(): string {
    return `no redirect arrived at ${this.redirectUri} within ${Duration.format(this.timeout)}: ` +
      "the authorization was not completed in the browser; start it again"
  }
}

/** @internal */
export interface Receiver extends RedirectReceiver.RedirectReceiver {
  /**
   * `callback`, running `before` once the receiver knows what to expect (so
   * that the browser's page reflects the check) and before the wait starts.
   */
  readonly callbackAfter: <E, R>(
    pending: AuthorizationCode.Pending,
    options: AuthorizationCode.CallbackOptions,
    before: Effect.Effect<void, E, R>
  ) => Effect.Effect<
    AuthorizationCode.CallbackResult,
    AuthorizationCode.AuthorizationError | RedirectTimeout | E,
    R
  >
}

/** @internal */
export const make = (
  options: RedirectReceiver.Options = {}
): Effect.Effect<Receiver, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    // the server gets a scope of its own, so that it closes when the wait ends,
    // not when the caller's scope does
    const serverScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const path = new URL(options.path ?? "/callback", "http://127.0.0.1").pathname
    const arrived = yield* Deferred.make<URLSearchParams>()
    const expected = yield* Ref.make(Option.none<Expected>())
    // the redirect URI's host, set once the port is known
    let host = ""

    // Only the awaited callback ends the wait: anything else — another host
    // name (a DNS rebinding page), another path, another state (a forged
    // callback, or one before the wait starts) — is answered and the wait goes on.
    const handler = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (host === "" || request.headers["host"]?.toLowerCase() !== host) return wrongHost
      if (request.url.length > path.length + 1 + AuthorizationCode.maxCallbackLength) return tooLong
      const query = request.url.indexOf("?")
      if ((query === -1 ? request.url : request.url.slice(0, query)) !== path) return notFound
      if (request.method !== "GET") return methodNotAllowed
      const params = new URLSearchParams(query === -1 ? "" : request.url.slice(query + 1))
      const states = params.getAll("state")
      const awaited = yield* Ref.get(expected)
      if (Option.isNone(awaited) || states.length !== 1 || states[0] === "" || states[0] !== awaited.value.state) {
        return notOurs
      }
      // the request's scope closes once the page is handed to the socket:
      // only then may the waiting fiber close the server
      yield* Effect.addFinalizer(() => Deferred.succeed(arrived, params))
      return awaited.value.page(params)
    })

    const { port, url } = yield* Scope.extend(Loopback.make(handler, { port: options.port ?? 0 }), serverScope)
    const redirectUri = new URL(path, url).href
    host = new URL(redirectUri).host
    const timeout = Duration.decode(options.timeout ?? defaultTimeout)

    const wait = <E, R>(state: string, page: (params: URLSearchParams) => Response, before: Effect.Effect<void, E, R>) =>
      Ref.set(expected, Option.some({ state, page })).pipe(
        Effect.zipRight(before),
        Effect.zipRight(
          Deferred.await(arrived).pipe(
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: () => new RedirectTimeout({ redirectUri, timeout })
            })
          )
        ),
        Effect.ensuring(Scope.close(serverScope, Exit.void))
      )

    const callbackAfter = <E, R>(
      pending: AuthorizationCode.Pending,
      callbackOptions: AuthorizationCode.CallbackOptions,
      before: Effect.Effect<void, E, R>
    ) => {
      const check = (params: URLSearchParams) => AuthorizationCode.callback(pending, params, callbackOptions)
      return Effect.flatMap(wait(pending.state, (params) => checkedPage(check(params)), before), check)
    }

    return {
      redirectUri,
      port,
      receive: (state) => wait(state, rawPage, Effect.void),
      callback: (pending, callbackOptions = {}) => callbackAfter(pending, callbackOptions, Effect.void),
      callbackAfter
    }
  })

const logUrl = (url: URL) => Effect.logInfo(`grantflow: open this URL in a browser to authorize: ${url.href}`)

/** @internal */
export const authorize = <E = never, R = never>(
  endpoint: Endpoint.Endpoint,
  options: RedirectReceiver.AuthorizeOptions<E, R>
): Effect.Effect<AccessToken.AccessToken, RedirectReceiver.AuthorizeError<E>, HttpClient.HttpClient | R> =>
  Effect.scoped(Effect.gen(function*() {
    const clientId = endpoint.auth?.clientId
    if (clientId === undefined) {
      return yield* new TokenError.InvalidTokenRequest({
        reason: "the endpoint has no client authentication, so no client id to authorize (ClientAuth.none for a public client)"
      })
    }
    const receiver = yield* make({ port: options.port, path: options.path, timeout: options.timeout })
    const request: AuthorizationCode.StartOptions = {
      authorizeUrl: options.authorizeUrl,
      clientId,
      redirectUri: receiver.redirectUri,
      scopes: options.scopes,
      resource: options.resource,
      extraParams: options.extraParams,
      allowInsecure: endpoint.allowInsecure
    }
    const { pending, url } = yield* options.pushedAuthorization === true || endpoint.requirePushedAuthorizationRequests
      ? AuthorizationCode.push(endpoint, request)
      : AuthorizationCode.start(request)
    const result = yield* receiver.callbackAfter(pending, options, (options.onAuthorizeUrl ?? logUrl)(url))
    return yield* AuthorizationCode.exchange(endpoint, pending, result)
  }))
