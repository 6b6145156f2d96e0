import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as AccessToken from "../AccessToken.js"
import type * as ConnectionPool from "../ConnectionPool.js"
import type * as RefreshPolicy from "../RefreshPolicy.js"
import * as TokenStore from "../TokenStore.js"
import * as metrics from "./metrics.js"
import * as provider from "./tokenProvider.js"
import * as store from "./tokenStore.js"

/** One connection: the provider's cell and the shared fetch's state, as plain fields. */
class Connection<Id> extends provider.Cell implements store.SharedState {
  lastReturned: AccessToken.AccessToken | undefined = undefined
  unsaved: AccessToken.AccessToken | undefined = undefined
  /** Used since the capacity scan last passed it: it gets a second chance. */
  used = false
  /**
   * Used since the idle sweep last passed it. Uses only set flags: a boolean
   * written to a long-lived object costs the garbage collector nothing, where
   * a fresh timestamp on every call would.
   */
  active = true
  constructor(
    readonly id: Id,
    readonly key: TokenStore.Key,
    /** When the idle sweep last found it active. */
    public idleSince: number,
    policy: RefreshPolicy.RefreshPolicy
  ) {
    super(undefined, policy)
  }
}

/** @internal */
export const make = <Id, R>(options: ConnectionPool.Options<Id, R>) =>
  Effect.gen(function*() {
    const env = store.sharedEnv(yield* TokenStore.TokenStore, options)
    const capacity = Math.max(1, options.capacity ?? 10_000)
    const idleMillis = Duration.toMillis(Duration.decode(options.idleTimeToLive ?? "1 hour"))
    const name = options.name ?? "pool"
    const pool = { [metrics.poolLabel]: name }
    const sizeGauge = metrics.labelled(metrics.poolSize, pool)
    const reauthorizationGauge = metrics.labelled(metrics.poolReauthorizationRequired, pool)
    const evictions = metrics.labelled(metrics.poolEvictions, pool)

    /**
     * By id, in "clock" order: a use only sets a flag, and the eviction scan
     * gives a used connection a second chance (moving it to the end), so the
     * warm path is one lookup while eviction stays close to least recently used.
     */
    const connections = new Map<Id, Connection<Id>>()
    let needingReauthorization = 0
    const needsReauthorization = (connection: Connection<Id>) =>
      connection.failure?._tag === "ReauthorizationRequired"

    const runtime = yield* provider.makeRuntime<Connection<Id>, R>({
      policy: options.policy,
      name,
      fetch: (connection) =>
        store.sharedRun(env, {
          key: connection.key,
          state: connection,
          acquire: options.acquire(connection.id),
          refresh: options.refresh === undefined
            ? undefined
            : (refreshToken) => options.refresh!(connection.id, refreshToken)
        }),
      onOutcome: (connection, previous) => {
        const was = previous?._tag === "ReauthorizationRequired"
        const is = needsReauthorization(connection)
        if (was !== is) {
          needingReauthorization += is ? 1 : -1
          reauthorizationGauge.unsafeUpdate(needingReauthorization, [])
        }
      }
    })

    const remove = (connection: Connection<Id>) => {
      connections.delete(connection.id)
      if (needsReauthorization(connection)) {
        needingReauthorization--
        reauthorizationGauge.unsafeUpdate(needingReauthorization, [])
      }
      sizeGauge.unsafeUpdate(connections.size, [])
    }

    /** Evicts one connection for capacity: the first, in clock order, neither used since the last pass nor refreshing. */
    const evictForCapacity = (added: Connection<Id>) => {
      for (const connection of connections.values()) {
        if (connection === added) continue
        if (connection.used || connection.inflight !== undefined) {
          connection.used = false
          connections.delete(connection.id)
          connections.set(connection.id, connection)
          continue
        }
        remove(connection)
        evictions.unsafeUpdate(1, [])
        return
      }
    }

    const evictIdle = (now: number) => {
      let evicted = 0
      for (const connection of connections.values()) {
        if (connection.active) {
          connection.active = false
          connection.idleSince = now
        } else if (now - connection.idleSince >= idleMillis && connection.inflight === undefined) {
          remove(connection)
          evicted++
        }
      }
      if (evicted > 0) evictions.unsafeUpdate(evicted, [])
    }

    const touch = (id: Id): Connection<Id> => {
      let connection = connections.get(id)
      if (connection === undefined) {
        // Created active: the next sweep marks the start of its idleness.
        connection = new Connection(id, options.key(id), 0, runtime.policy)
        connections.set(id, connection)
        if (connections.size > capacity) evictForCapacity(connection)
        sizeGauge.unsafeUpdate(connections.size, [])
      } else if (connection.token === undefined || !connection.used || !connection.active) {
        // `token` is for the provider, which reads it next: read here beside the flags, which sit in
        // another cache line of the record, both lines are fetched at once, not one after the other.
        // Written only when they change: a store to a long-lived record dirties its cache line.
        connection.used = true
        connection.active = true
      }
      return connection
    }

    const using = <A, E>(id: Id, f: (connection: Connection<Id>) => Effect.Effect<A, E>) =>
      Effect.suspend(() => f(touch(id)))

    const healthOf = (connection: Connection<Id>): ConnectionPool.Health<Id> => ({
      id: connection.id,
      key: connection.key,
      lastSuccessAt: Option.fromNullable(connection.lastSuccessAt),
      lastFailure: connection.failure === undefined || connection.lastFailureAt === undefined
        ? Option.none()
        : Option.some({ at: connection.lastFailureAt, error: connection.failure }),
      attempts: connection.attempts,
      needsReauthorization: needsReauthorization(connection),
      expiresAt: Option.map(Option.fromNullable(connection.token), (token) => token.expiresAt)
    })

    const sweepEvery = Duration.millis(Math.max(1_000, Math.min(idleMillis / 2, 60_000)))
    yield* Clock.currentTimeMillis.pipe(
      Effect.map(evictIdle),
      Effect.repeat(Schedule.spaced(sweepEvery)),
      Effect.delay(sweepEvery),
      Effect.forkScoped
    )

    const get = (id: Id) => using(id, (connection) => provider.get(runtime, connection))
    const invalidate = (id: Id, token: AccessToken.AccessToken) =>
      using(id, (connection) => provider.invalidate(runtime, connection, token, Option.none()))
    const refresh = (id: Id) => using(id, (connection) => provider.refresh(runtime, connection))

    return {
      get,
      invalidate,
      refresh,
      provider: (id) => provider.service(runtime, (f) => using(id, f)),
      health: (id) => Effect.sync(() => Option.map(Option.fromNullable(connections.get(id)), healthOf)),
      connections: Effect.sync(() => Array.from(connections.values(), healthOf)),
      size: Effect.sync(() => connections.size),
      evict: (id) =>
        Effect.sync(() => {
          const connection = connections.get(id)
          if (connection !== undefined) remove(connection)
        })
    } satisfies ConnectionPool.ConnectionPool<Id>
  })
