import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as AccessToken from "../AccessToken.js"
import type * as ConnectionPool from "../ConnectionPool.js"
import * as TokenStore from "../TokenStore.js"
import * as provider from "./tokenProvider.js"
import * as store from "./tokenStore.js"

/** One connection: the provider's cell and the shared fetch's state, as plain fields. */
interface Connection<Id> extends provider.Cell, store.SharedState {
  readonly id: Id
  readonly key: TokenStore.Key
  lastUsed: number
}

const gauge = (name: string, description: string, pool: string) =>
  Metric.fromMetricKey(
    MetricKey.taggedWithLabels(MetricKey.gauge(name, { description }), [MetricLabel.make("pool", pool)])
  )

/** @internal */
export const make = <Id, R>(options: ConnectionPool.Options<Id, R>) =>
  Effect.gen(function*() {
    const env = store.sharedEnv(yield* TokenStore.TokenStore, options)
    const capacity = Math.max(1, options.capacity ?? 10_000)
    const idleMillis = Duration.toMillis(Duration.decode(options.idleTimeToLive ?? "1 hour"))
    const name = options.name ?? "pool"
    const sizeGauge = gauge("grantflow_pool_connections", "Connections held by a connection pool", name)
    const reauthorizationGauge = gauge(
      "grantflow_pool_reauthorization_required",
      "Connections of a pool whose user must authorize again",
      name
    )
    const evictions = Metric.fromMetricKey(
      MetricKey.taggedWithLabels(
        MetricKey.counter("grantflow_pool_evictions_total", {
          description: "Connections evicted from a pool, for capacity or idleness",
          incremental: true
        }),
        [MetricLabel.make("pool", name)]
      )
    )

    /** Least recently used first: a `Map` iterates in insertion order, and each use re-inserts. */
    const connections = new Map<TokenStore.Key, Connection<Id>>()
    let needingReauthorization = 0
    const needsReauthorization = (connection: Connection<Id>) =>
      connection.failure?._tag === "ReauthorizationRequired"

    const runtime = yield* provider.makeRuntime<Connection<Id>, R>({
      policy: env.policy,
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
      connections.delete(connection.key)
      if (needsReauthorization(connection)) {
        needingReauthorization--
        reauthorizationGauge.unsafeUpdate(needingReauthorization, [])
      }
      sizeGauge.unsafeUpdate(connections.size, [])
    }

    /** Evicts least recently used connections that are not refreshing, while `shouldEvict` says so. */
    const evictWhile = (shouldEvict: (connection: Connection<Id>) => boolean) => {
      let evicted = 0
      for (const connection of connections.values()) {
        if (!shouldEvict(connection)) break
        if (connection.inflight !== undefined) continue
        remove(connection)
        evicted++
      }
      if (evicted > 0) evictions.unsafeUpdate(evicted, [])
    }

    const touch = (id: Id, now: number): Connection<Id> => {
      const key = options.key(id)
      let connection = connections.get(key)
      if (connection === undefined) {
        connection = {
          ...provider.makeCell(undefined, env.policy),
          id,
          key,
          lastReturned: undefined,
          unsaved: undefined,
          lastUsed: now
        }
        connections.set(key, connection)
        const added = connection
        if (connections.size > capacity) evictWhile((candidate) => candidate !== added && connections.size > capacity)
        sizeGauge.unsafeUpdate(connections.size, [])
      } else {
        connections.delete(key)
        connections.set(key, connection)
      }
      connection.lastUsed = now
      return connection
    }

    const using = <A, E>(id: Id, f: (connection: Connection<Id>) => Effect.Effect<A, E>) =>
      Effect.withFiberRuntime<A, E>((fiber) =>
        f(touch(id, Context.get(fiber.getFiberRef(DefaultServices.currentServices), Clock.Clock).unsafeCurrentTimeMillis()))
      )

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
      Effect.map((now) => evictWhile((connection) => connection.lastUsed <= now - idleMillis)),
      Effect.repeat(Schedule.spaced(sweepEvery)),
      Effect.delay(sweepEvery),
      Effect.forkScoped
    )

    const get = (id: Id) => using(id, (connection) => provider.get(runtime, connection))
    const invalidate = (id: Id, token: AccessToken.AccessToken) =>
      using(id, (connection) => provider.invalidate(runtime, connection, token))
    const refresh = (id: Id) => using(id, (connection) => provider.refresh(runtime, connection))

    return {
      get,
      invalidate,
      refresh,
      provider: (id) => ({ get: get(id), invalidate: (token) => invalidate(id, token), refresh: refresh(id) }),
      health: (id) => Effect.sync(() => Option.map(Option.fromNullable(connections.get(options.key(id))), healthOf)),
      connections: Effect.sync(() => Array.from(connections.values(), healthOf)),
      size: Effect.sync(() => connections.size),
      evict: (id) =>
        Effect.sync(() => {
          const connection = connections.get(options.key(id))
          if (connection !== undefined) remove(connection)
        })
    } satisfies ConnectionPool.ConnectionPool<Id>
  })
