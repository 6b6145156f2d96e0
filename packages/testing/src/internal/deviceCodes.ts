import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as AuthServer from "../AuthServer.js"
import { randomValue } from "./random.js"

/** A device authorization as the client learns it (RFC 8628 §3.2). @internal */
export interface DeviceAuthorization {
  readonly deviceCode: string
  readonly userCode: string
  readonly expiresAt: number
  readonly issuedAt: number
  readonly intervalMillis: number
}

interface Device extends DeviceAuthorization {
  readonly clientId: string
  readonly scopes: ReadonlyArray<string>
  readonly lastPollAt: number | undefined
  readonly status: "pending" | "approved" | "denied" | "redeemed"
}

interface Store {
  readonly byDeviceCode: HashMap.HashMap<string, Device>
  // normalized user code -> device code
  readonly byUserCode: HashMap.HashMap<string, string>
}

/** What a poll of the token endpoint finds (RFC 8628 §3.5). @internal */
export type Poll =
  | { readonly _tag: "Unknown" | "WrongClient" | "Expired" | "Pending" | "Denied" | "Redeemed" }
  | { readonly _tag: "SlowDown"; readonly intervalMillis: number }
  | { readonly _tag: "Approved"; readonly scopes: ReadonlyArray<string> }

/** @internal */
export interface DeviceCodes {
  readonly start: (clientId: string, scopes: ReadonlyArray<string>) => Effect.Effect<DeviceAuthorization>
  readonly poll: (deviceCode: string, clientId: string) => Effect.Effect<Poll>
  /** The user's answer; `false` when no pending, unexpired authorization has that user code. */
  readonly decide: (userCode: string, approve: boolean) => Effect.Effect<boolean>
}

// RFC 8628 §6.1: consonants only (no words, no look-alike vowels and digits), 20^8 codes
const alphabet = "BCDFGHJKLMNPQRSTVWXZ"

/** The user code without its dash, spaces or lower case, as the user may type it. @internal */
export const normalize = (userCode: string): string => userCode.toUpperCase().replace(/[^A-Z]/g, "")

const newUserCode = (): string => {
  const letters = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(8)), (b) => alphabet[b % alphabet.length])
  return `${letters.slice(0, 4).join("")}-${letters.slice(4).join("")}`
}

// RFC 8628 §3.5: each slow_down adds 5 seconds to the interval
const slowDownStep = 5_000

/** @internal */
export const make = (options: AuthServer.Options): Effect.Effect<DeviceCodes> =>
  Effect.gen(function*() {
    const lifetime = Duration.toMillis(options.deviceCodeLifetime ?? "10 minutes")
    const interval = Duration.toMillis(options.deviceInterval ?? "5 seconds")
    const store = yield* Ref.make<Store>({ byDeviceCode: HashMap.empty(), byUserCode: HashMap.empty() })

    const start: DeviceCodes["start"] = (clientId, scopes) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const deviceCode = randomValue()
        return yield* Ref.modify(store, (s) => {
          let userCode = newUserCode()
          while (HashMap.has(s.byUserCode, normalize(userCode))) userCode = newUserCode()
          const device: Device = {
            deviceCode,
            userCode,
            issuedAt: now,
            expiresAt: now + lifetime,
            intervalMillis: interval,
            clientId,
            scopes,
            lastPollAt: undefined,
            status: "pending"
          }
          return [device, {
            byDeviceCode: HashMap.set(s.byDeviceCode, deviceCode, device),
            byUserCode: HashMap.set(s.byUserCode, normalize(userCode), deviceCode)
          }]
        })
      })

    const poll: DeviceCodes["poll"] = (deviceCode, clientId) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(store, (s): [Poll, Store] => {
          const found = HashMap.get(s.byDeviceCode, deviceCode)
          if (Option.isNone(found)) return [{ _tag: "Unknown" }, s]
          const device = found.value
          if (device.clientId !== clientId) return [{ _tag: "WrongClient" }, s]
          if (now >= device.expiresAt) return [{ _tag: "Expired" }, s]
          if (device.status === "redeemed") return [{ _tag: "Redeemed" }, s]
          const tooSoon = device.lastPollAt !== undefined && now - device.lastPollAt < device.intervalMillis
          const intervalMillis = device.intervalMillis + (tooSoon ? slowDownStep : 0)
          const status = device.status === "approved" && !tooSoon ? "redeemed" : device.status
          const polled: Device = { ...device, lastPollAt: now, intervalMillis, status }
          const next = { ...s, byDeviceCode: HashMap.set(s.byDeviceCode, deviceCode, polled) }
          if (tooSoon) return [{ _tag: "SlowDown", intervalMillis }, next]
          switch (device.status) {
            case "pending":
              return [{ _tag: "Pending" }, next]
            case "denied":
              return [{ _tag: "Denied" }, next]
            case "approved":
              return [{ _tag: "Approved", scopes: device.scopes }, next]
          }
        }))

    const decide: DeviceCodes["decide"] = (userCode, approve) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(store, (s): [boolean, Store] => {
          const device = HashMap.get(s.byUserCode, normalize(userCode)).pipe(
            Option.flatMap((deviceCode) => HashMap.get(s.byDeviceCode, deviceCode)),
            Option.filter((device) => device.status === "pending" && now < device.expiresAt)
          )
          if (Option.isNone(device)) return [false, s]
          const decided = { ...device.value, status: approve ? "approved" as const : "denied" as const }
          return [true, { ...s, byDeviceCode: HashMap.set(s.byDeviceCode, decided.deviceCode, decided) }]
        }))

    return { start, poll, decide }
  })
