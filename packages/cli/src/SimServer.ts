/**
 * The simulated authorization server and protected API of
 * `@grantflow/testing`, run standalone on a loopback port from a JSON
 * configuration file, so that clients written in any language can be tested
 * against it: `grantflow sim --config sim.json --port 9000`. With `admin`, the
 * same port serves a control plane under `/__grantflow/` (faults, revocation,
 * the virtual clock, the journal, reset) to loopback callers.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as PlatformError from "@effect/platform/Error"
import { Loopback } from "@grantflow/node"
import { AuthServer, type ProviderTwin, ServerConfig } from "@grantflow/testing"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Admin from "./internal/admin.js"
import * as CurrentServer from "./internal/currentServer.js"
import * as InternalClock from "./internal/virtualClock.js"

/**
 * Where and with what to run the server. Without `configPath`, one
 * confidential client `demo-client` / `demo-secret` is registered. `traced`
 * (default `false`: the journal is the standalone server's record) gives
 * every request its `http.server` span. `admin` (default `false`) serves the
 * admin API under `/__grantflow/` to loopback callers; `virtualClock`
 * (default `false`) runs the server on a clock that the admin API's
 * `POST /__grantflow/clock` (or {@link Running}'s `clock`) moves forward.
 * `twin` runs a provider's twin (`ProviderTwin`), as the configuration's
 * `"twin"` does: with the configuration's clients, or the demo client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly configPath?: string | undefined
  readonly port?: number | undefined
  readonly host?: string | undefined
  readonly traced?: boolean | undefined
  readonly admin?: boolean | undefined
  readonly virtualClock?: boolean | undefined
  readonly twin?: ProviderTwin.Id | undefined
}

/**
 * The clock of a server started with `virtualClock`: real time plus an offset
 * that only grows.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import type { SimServer } from "@grantflow/cli"
 *
 * // past the default one-hour token lifetime: the API rejects the tokens issued so far
 * const expireTokens = (clock: SimServer.VirtualClock) => clock.advance("61 minutes")
 * ```
 */
export interface VirtualClock {
  /** The server's time, epoch milliseconds. */
  readonly now: Effect.Effect<number>
  /** Moves the clock forward by `duration`, and succeeds with its new time. */
  readonly advance: (duration: Duration.DurationInput) => Effect.Effect<number>
}

/**
 * A running standalone server: its base URL, the server itself (journal,
 * faults and the other controls), how to reset it, and its virtual clock.
 *
 * @since 0.1.0
 * @category models
 * @example
 * ```ts
 * import { SimServer } from "@grantflow/cli"
 * import { Effect } from "effect"
 *
 * // what a test reads between two cases, before starting the next from scratch
 * const nextCase = ({ reset, server }: SimServer.Running) =>
 *   Effect.zipLeft(server.journal, reset)
 * ```
 */
export interface Running {
  readonly url: URL
  /** The issuer the server advertises: the configured one, or the bound address. */
  readonly issuer: string
  /**
   * The paths the server serves besides its own, each with what answers
   * there: a twin's provider paths (`/login/oauth/access_token` → `token`).
   */
  readonly routes: ReadonlyArray<{ readonly path: string; readonly endpoint: AuthServer.Route["endpoint"] }>
  /**
   * The server. Its operations act on the current server: after a `reset`,
   * on the fresh one.
   */
  readonly server: AuthServer.AuthServer["Type"]
  /**
   * Replaces the server with a fresh one of the same configuration and
   * issuer: tokens, families, codes, faults and journal are gone (the virtual
   * clock keeps its time). `POST /__grantflow/reset` does the same.
   */
  readonly reset: Effect.Effect<void>
  /** The virtual clock, when started with `virtualClock`. */
  readonly clock: Option.Option<VirtualClock>
}

const defaultConfig = {
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
 * import { Effect, Option } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const running = yield* SimServer.start({ port: 9000, admin: true, virtualClock: true })
 *   // expire every token issued so far
 *   yield* Option.match(running.clock, { onNone: () => Effect.void, onSome: (clock) => clock.advance("2 hours") })
 *   return yield* running.server.journal
 * }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))
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
    const decodeOptions = { twin: options.twin }
    const serverOptions: AuthServer.Options = options.configPath === undefined
      ? yield* ServerConfig.decode(defaultConfig, decodeOptions)
      : yield* Effect.flatMap(
        FileSystem.FileSystem,
        (fs) => Effect.flatMap(fs.readFileString(options.configPath!), (text) => ServerConfig.parse(text, decodeOptions))
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
    const make = AuthServer.make({ ...serverOptions, issuer: serverOptions.issuer ?? url.origin })
    const first = yield* make
    const current = yield* Ref.make(first)
    const server = CurrentServer.make(current, first.issuer)
    const reset = Effect.flatMap(make, (fresh) => Ref.set(current, fresh))
    const clock = options.virtualClock === true ? Option.some(InternalClock.make()) : Option.none()
    const app = Admin.app({ server, reset, clock }, options.admin ?? false)
    yield* Deferred.succeed(
      ready,
      Option.match(clock, { onNone: () => app, onSome: (clock) => Effect.withClock(app, clock.clock) })
    )
    const routes = Object.entries(serverOptions.routes ?? {}).map(([path, route]) => ({ path, endpoint: route.endpoint }))
    return { url, issuer: server.issuer, routes, server, reset, clock }
  })
