import * as Data from "effect/Data"
import type * as AuthServer from "../AuthServer.js"

// The fault constructors live apart from the server so that the arbitraries, which build faults, do not load the
// server's HTTP modules (`@effect/platform`) at run time: the pure parts of the kit must not depend on them.

/** The constructors of faults, for the public module and the arbitraries. @internal */
export const Fault = Data.taggedEnum<AuthServer.Fault>()

/** `ErrorBody` with its options optional. @internal */
export const ErrorBody = (options: {
  readonly error?: string | undefined
  readonly description?: string | undefined
} = {}): Data.TaggedEnum.Value<AuthServer.Fault, "ErrorBody"> => Fault.ErrorBody(options)

/** `LostResponse` with its options optional. @internal */
export const LostResponse = (
  options: { readonly drop?: boolean | undefined } = {}
): Data.TaggedEnum.Value<AuthServer.Fault, "LostResponse"> => Fault.LostResponse(options)
