import * as Either from "effect/Either"
import * as Jwt from "./jwt.js"
import type { State } from "./state.js"

/**
 * The resource indicators (RFC 8707) the server knows: the `resources`
 * option, by default the one protected API it serves (`aud` of its tokens).
 *
 * @internal
 */
export const known = (state: State): ReadonlyArray<string> =>
  state.options.resources ?? [Jwt.audience(state.options, state.issuer)]

/**
 * The `resource` parameters of an authorization or token request (joined
 * with spaces, see `form.ts`), checked: `undefined` when none was sent (the
 * token gets the default audience), the resources when the server knows
 * each, and the `invalid_target` description (RFC 8707 §2) otherwise.
 *
 * @internal
 */
export const check = (
  state: State,
  resource: string | undefined
): Either.Either<ReadonlyArray<string> | undefined, string> => {
  if (resource === undefined) return Either.right(undefined)
  const resources = Array.from(new Set(resource.split(" ").filter((value) => value !== "")))
  if (resources.some((value) => !URL.canParse(value) || value.includes("#"))) {
    return Either.left("The resource must be an absolute URI without a fragment")
  }
  const knownResources = known(state)
  return resources.every((value) => knownResources.includes(value))
    ? Either.right(resources)
    : Either.left("The resource is not known to this server")
}
