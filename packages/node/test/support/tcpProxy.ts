import { Effect } from "effect"
import * as net from "node:net"

/** A TCP proxy on a loopback port that can be taken down and brought back on the same port. */
export interface TcpProxy {
  readonly port: number
  /** Stops accepting connections and cuts every open one. */
  readonly down: Effect.Effect<void>
  /** Accepts connections again, on the same port. */
  readonly up: Effect.Effect<void>
}

/** A proxy in front of `host:port` (a database, Redis) for the life of the scope. */
export const tcpProxy = (host: string, port: number) =>
  Effect.acquireRelease(
    Effect.async<TcpProxy>((resume) => {
      const sockets = new Set<net.Socket>()
      const server = net.createServer((client) => {
        const upstream = net.connect(port, host)
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on("error", () => socket.destroy())
          socket.on("close", () => sockets.delete(socket))
        }
        client.pipe(upstream).pipe(client)
      })
      server.listen(0, "127.0.0.1", () => {
        const own = (server.address() as net.AddressInfo).port
        resume(Effect.succeed({
          port: own,
          down: Effect.async<void>((done) => {
            server.close(() => done(Effect.void))
            for (const socket of sockets) socket.destroy()
          }),
          up: Effect.async<void>((done) => {
            server.listen(own, "127.0.0.1", () => done(Effect.void))
          })
        }))
      })
    }),
    (proxy) => Effect.ignore(Effect.timeout(proxy.down, "1 second"))
  )
