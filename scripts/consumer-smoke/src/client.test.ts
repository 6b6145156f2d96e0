import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { callApi, checkInvariants } from "./client.js"

it.effect("calls the API over loopback with one token", () =>
  Effect.map(callApi, ({ issued, statuses }) => {
    expect(statuses).toEqual([200, 200, 200])
    expect(issued).toBe(1)
  }))

it.effect("keeps the property kit's invariants", () =>
  Effect.map(checkInvariants(25), (report) => expect(report.numRuns).toBe(25)), { timeout: 60_000 })
