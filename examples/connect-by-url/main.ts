/**
 * The connect-by-url program: connects to the API at the URL given — by
 * default the simulated one of `simulated.ts`, whose consent a simulated
 * user approves — keeps the connection in a directory (given, or a temporary
 * one), and calls the API.
 */
import { HttpClientResponse } from "@effect/platform"
import { FileTokenStore, RedirectReceiver } from "@grantflow/node"
import { Console, Effect, Either, Option } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ConnectByUrl from "./connect.js"
import * as Simulated from "./simulated.js"

/** What to connect to, and where to keep the connection. */
export interface Args {
  readonly url: Option.Option<URL>
  readonly store: Option.Option<string>
}

const usage = "run it as: pnpm example:connect-by-url [API-URL] [--store DIRECTORY]"

/** The arguments, or one line saying what is wrong with them and what to do. */
export const parseArgs = (args: ReadonlyArray<string>): Either.Either<Args, string> => {
  let url: Option.Option<URL> = Option.none()
  let store: Option.Option<string> = Option.none()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--store") {
      const directory = args[++i]
      if (directory === undefined || directory === "") return Either.left(`--store needs a directory: ${usage}`)
      store = Option.some(directory)
    } else if (Option.isNone(url) && URL.canParse(arg) && /^https?:$/.test(new URL(arg).protocol)) {
      url = Option.some(new URL(arg))
    } else {
      return Either.left(`unexpected argument ${JSON.stringify(arg).slice(0, 80)}: ${usage}`)
    }
  }
  return Either.right({ url, store })
}

/** A directory for the connection: the one given, or a temporary one removed with the scope. */
const directory = (given: Option.Option<string>) =>
  Option.match(given, {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "grantflow-connect-"))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )
  })

/** Connects, calls the API, and — against the simulated API — calls it again after a revocation: a refresh. */
export const run = (args: Args, print: (line: string) => Effect.Effect<void> = Console.log) =>
  Effect.gen(function*() {
    const simulated = Option.isNone(args.url) ? Option.some(yield* Simulated.start) : Option.none()
    const url = Option.getOrElse(args.url, () => Option.getOrThrow(simulated).api)
    if (Option.isSome(simulated)) yield* print(`the simulated protected API runs at ${url.href}`)
    const dir = yield* directory(args.store)

    const connection = yield* ConnectByUrl.connect(url, {
      print,
      // the browser comes back to a loopback receiver; the request was pushed first (PAR)
      signIn: (endpoint, request) =>
        RedirectReceiver.authorize(endpoint, {
          ...request,
          timeout: "5 minutes",
          onAuthorizeUrl: (authorizeUrl) =>
            Effect.zipRight(
              print(`open this URL in your browser to sign in:\n  ${authorizeUrl.href}`),
              Option.isSome(simulated)
                ? Effect.zipRight(Simulated.approve(authorizeUrl), print("[simulated user] approved on the consent page"))
                : Effect.void
            )
        })
    }).pipe(
      Effect.provide(FileTokenStore.layer(dir, { encryption: "none" }))
    )
    yield* print(
      `DPoP key ${connection.jkt}; the connection is kept in ${
        Option.isSome(args.store) ? dir : "a temporary directory, removed at exit"
      }`
    )

    const call = connection.api.get(url).pipe(
      Effect.flatMap(HttpClientResponse.filterStatusOk),
      Effect.flatMap((response) => response.text),
      Effect.flatMap((body) => print(`GET ${url.pathname} with a DPoP-bound token → 200 ${body.slice(0, 200)}`))
    )
    yield* call
    if (Option.isSome(simulated)) {
      // the access token dies before its time: the API answers 401, grantflow
      // refreshes — with a proof of the same key — and sends the request again
      yield* simulated.value.server.revokeAll
      yield* print("the server revoked the access token; calling again")
      yield* call
    }
    return { url, connection, server: Option.map(simulated, (s) => s.server) }
  })
