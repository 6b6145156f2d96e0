import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as AuthorizationCode from "@grantflow/core/AuthorizationCode"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Ref from "effect/Ref"
import * as Scope from "effect/Scope"
import * as Loopback from "../Loopback.js"
// a cycle, but the error class is only used once a wait times out
import * as RedirectReceiver from "../RedirectReceiver.js"

type Response = HttpServerResponse.HttpServerResponse

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

// no-store and no-referrer: the URL of the page carries the code;
// `connection: close` lets the server close as soon as the page is sent
const pageHeaders = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "connection": "close"
} as const

const page = (status: number, title: string, text: string): Response =>
  HttpServerResponse.text(
    `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto}</style></head>
<body>
<h1>${escape(title)}</h1>
<p id="message">${escape(text)}</p>
</body>
</html>
`,
    { status, contentType: "text/html; charset=utf-8", headers: pageHeaders }
  )

const signedIn = page(200, "Signed in", "You can close this tab and return to the application.")

const failed = (text: string) => page(400, "Authorization failed", `${text} Return to the application to try again.`)

// the server's words arrive in a URL anyone can craft: a line of printable text at most
const printable = (text: string): string => {
  const clean = text.replace(/[^\x20-\x7e]/g, "?")
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean
}

const refused = (error: string, description: string | null) =>
  failed(
    `The authorization server answered "${printable(error)}"${
      description === null || description === "" ? "." : `: ${printable(description)}.`
    }`
  )

/** The page for a callback taken as it is: an error page when it carries an `error`. */
const rawPage = (params: URLSearchParams): Response => {
  const error = params.get("error")
  return error === null || error === "" ? signedIn : refused(error, params.get("error_description"))
}

/** The page for a callback checked against the pending authorization. */
const checkedPage = (
  checked: Either.Either<AuthorizationCode.CallbackResult, AuthorizationCode.AuthorizationError>
): Response => {
  if (Either.isRight(checked)) return signedIn
  const error = checked.left
  return error._tag === "AuthorizationFailed"
    ? refused(error.error, error.description._tag === "Some" ? error.description.value : null)
    : failed("This answer does not belong to the sign-in the application started.")
}

const notFound = HttpServerResponse.text("Not found", { status: 404 })

const methodNotAllowed = HttpServerResponse.text("Method not allowed", { status: 405, headers: { allow: "GET" } })

const defaultTimeout: Duration.DurationInput = "5 minutes"

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
    AuthorizationCode.AuthorizationError | RedirectReceiver.RedirectTimeout | E,
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
    const pageFor = yield* Ref.make<(params: URLSearchParams) => Response>(rawPage)

    const handler = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const query = request.url.indexOf("?")
      if ((query === -1 ? request.url : request.url.slice(0, query)) !== path) return notFound
      if (request.method !== "GET") return methodNotAllowed
      const params = new URLSearchParams(query === -1 ? "" : request.url.slice(query + 1))
      // the request's scope closes once the page is handed to the socket:
      // only then may the waiting fiber close the server
      yield* Effect.addFinalizer(() => Deferred.succeed(arrived, params))
      return (yield* Ref.get(pageFor))(params)
    })

    const { port, url } = yield* Scope.extend(Loopback.make(handler, { port: options.port ?? 0 }), serverScope)
    const redirectUri = new URL(path, url).href
    const timeout = Duration.decode(options.timeout ?? defaultTimeout)

    const wait = <E, R>(page: (params: URLSearchParams) => Response, before: Effect.Effect<void, E, R>) =>
      Ref.set(pageFor, page).pipe(
        Effect.zipRight(before),
        Effect.zipRight(
          Deferred.await(arrived).pipe(
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: () => new RedirectReceiver.RedirectTimeout({ redirectUri, timeout })
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
      return Effect.flatMap(wait((params) => checkedPage(check(params)), before), check)
    }

    return {
      redirectUri,
      port,
      receive: wait(rawPage, Effect.void),
      callback: (pending, callbackOptions = {}) => callbackAfter(pending, callbackOptions, Effect.void),
      callbackAfter
    }
  })
