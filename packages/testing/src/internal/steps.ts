import * as Data from "effect/Data"
import type * as Scenario from "../Scenario.js"

/** The constructors of timeline steps, for the public module, the arbitraries and the runner. @internal */
export const Step = Data.taggedEnum<Scenario.Step>()
