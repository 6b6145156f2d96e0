/**
 * The simulated authorization server and protected API of
 * `@grantflow/testing`, run standalone on a loopback port from a JSON
 * configuration file, so that clients written in any language can be tested
 * against it: `grantflow-sim --config sim.json --port 9000`.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as PlatformError from "@effect/platform/Error"
import { Loopback } from "@grantflow/node"
import { AuthServer, ServerConfig } from "@grantflow/testing"
import * as Deferred from "effect/Deferred"
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
  /** The issuer the server advertises: the configured one, or the bound address. */
  readonly issuer: string
  readonly server: AuthServer.AuthServer["Type"]
}

const defaultOptions: AuthServer.Options = {
  clients: [{ clientId: "demo-client", clientSecret: "demo-secret" }]
}

/**
 * Reads the configuration and starts the server on loopback for the life of
 * the scope. Unless the configuration names an issuer, the server advertises
 * the address it is bound to (the port the system picked for port 0). A configuration
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
    // Bind first, so that the issuer the server advertises is the address it
    // listens on whatever the port (0 included); requests that arrive before
    // the server is built wait for it.
    const ready = yield* Deferred.make<HttpApp.Default>()
    const { url } = yield* Loopback.make(Effect.flatten(Deferred.await(ready)), {
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.host === undefined ? {} : { host: options.host }),
      traced: options.traced ?? false
    })
    const server = yield* AuthServer.make({
      ...serverOptions,
      issuer: serverOptions.issuer ?? url.origin
    })
    yield* Deferred.succeed(ready, server.app)
    return { url, issuer: server.issuer, server }
  })
