/**
 * The simulated authorization server and protected API of
 * `@grantflow/testing`, run standalone on a loopback port from a JSON
 * configuration file, so that clients written in any language can be tested
 * against it: `grantflow-sim --config sim.json --port 9000`.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as PlatformError from "@effect/platform/Error"
import { Loopback } from "@grantflow/node"
import { AuthServer, ServerConfig } from "@grantflow/testing"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/**
 * Where and with what to run the server. Without `configPath`, one
 * confidential client `demo-client` / `demo-secret` is registered. `traced`
 * (default `false`: the journal is the standalone server's record) gives
 * every request its `http.server` span.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly configPath?: string | undefined
  readonly port?: number | undefined
  readonly host?: string | undefined
  readonly traced?: boolean | undefined
}

/**
 * A running standalone server: its base URL and the server itself (journal,
 * faults and the other controls).
 *
 * @since 0.1.0
 * @category models
 */
export interface Running {
  readonly url: URL
  readonly server: AuthServer.AuthServer["Type"]
}

const defaultOptions: AuthServer.Options = {
  clients: [{ clientId: "demo-client", clientSecret: "demo-secret" }]
}

/**
 * Reads the configuration, starts the server on loopback for the life of
 * the scope, and logs where it listens and its endpoints. A configuration
 * that does not decode fails with a `ServerConfigError` naming each field in
 * error.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { SimServer } from "@grantflow/cli"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * const program = SimServer.start({ configPath: "sim.json", port: 9000 }).pipe(
 *   Effect.zipRight(Effect.never),
 *   Effect.scoped,
 *   Effect.provide(NodeContext.layer)
 * )
 * ```
 */
export const start = (
  options: Options = {}
): Effect.Effect<
  Running,
  ServerConfig.ServerConfigError | PlatformError.PlatformError | HttpServerError.ServeError,
  FileSystem.FileSystem | Scope.Scope
> =>
  Effect.gen(function*() {
    const serverOptions = options.configPath === undefined
      ? defaultOptions
      : yield* Effect.flatMap(
        FileSystem.FileSystem,
        (fs) => Effect.flatMap(fs.readFileString(options.configPath!), (text) => ServerConfig.parse(text))
      )
    const server = yield* AuthServer.make({
      ...serverOptions,
      // tokens name the issuer clients reach, unless the configuration says otherwise
      ...(serverOptions.issuer === undefined && options.port !== undefined && options.port !== 0
        ? { issuer: `http://${options.host ?? "127.0.0.1"}:${options.port}` }
        : {})
    })
    const { url } = yield* Loopback.make(server.app, {
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.host === undefined ? {} : { host: options.host }),
      traced: options.traced ?? false
    })
    yield* Effect.logInfo(`grantflow simulated authorization server listening on ${url.origin}`).pipe(
      Effect.annotateLogs({
        token: new URL("/token", url).toString(),
        authorize: new URL("/authorize", url).toString(),
        api: new URL("/api/", url).toString(),
        clients: serverOptions.clients.map((client) => client.clientId).join(", ")
      })
    )
    return { url, server }
  })
