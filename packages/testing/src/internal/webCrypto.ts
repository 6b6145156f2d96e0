import { globalValue } from "effect/GlobalValue"

/**
 * WebCrypto operations in flight. Generating a DPoP key, hashing a PKCE
 * verifier or a token, checking a proof (and signing one, where WebCrypto
 * signs): `crypto.subtle` answers on a later turn of the event loop, so a run
 * that waited only for its fibers to block would move its clock while one is
 * under way. The kit counts the operations of
 * `crypto.subtle` — wrapped once, when the first run starts, each method
 * returning the very promise it returned before — and a run settles only once
 * none is in flight.
 */
interface Tracker {
  installed: boolean
  inFlight: number
  idle: Array<() => void>
}

const tracker: Tracker = globalValue(
  Symbol.for("@grantflow/testing/Scenario/webCrypto"),
  (): Tracker => ({ installed: false, inFlight: 0, idle: [] })
)

const methods = [
  "encrypt",
  "decrypt",
  "sign",
  "verify",
  "digest",
  "generateKey",
  "deriveKey",
  "deriveBits",
  "importKey",
  "exportKey",
  "wrapKey",
  "unwrapKey"
] as const

const done = () => {
  tracker.inFlight--
  if (tracker.inFlight > 0) return
  const waiting = tracker.idle
  tracker.idle = []
  for (const resume of waiting) resume()
}

/** Starts counting the operations of `crypto.subtle`, once per process. @internal */
export const install = (): void => {
  if (tracker.installed) return
  tracker.installed = true
  const subtle = globalThis.crypto?.subtle as unknown as Record<string, unknown> | undefined
  if (subtle === undefined) return
  for (const name of methods) {
    const original = subtle[name]
    if (typeof original !== "function") continue
    Object.defineProperty(subtle, name, {
      configurable: true,
      writable: true,
      value: function(this: unknown, ...args: Array<unknown>) {
        tracker.inFlight++
        let promise: Promise<unknown>
        try {
          promise = (original as (...args: Array<unknown>) => Promise<unknown>).apply(subtle, args)
        } catch (error) {
          done()
          throw error
        }
        // registered before the caller's own reactions, so it runs first
        promise.then(done, done)
        return promise
      }
    })
  }
}

/** Whether no WebCrypto operation is in flight. @internal */
export const isIdle = (): boolean => tracker.inFlight === 0

/** Calls `resume` once no WebCrypto operation is in flight (at once if none is). @internal */
export const whenIdle = (resume: () => void): void => {
  if (tracker.inFlight === 0) resume()
  else tracker.idle.push(resume)
}
