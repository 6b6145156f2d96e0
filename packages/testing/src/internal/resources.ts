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
 * The `resource` parameter of an authorization or token request, checked:
 * `undefined` when none was sent (the token gets the default audience), the
 * resource when the server knows it, and the `invalid_target` description
 * (RFC 8707 §2) otherwise.
 *
 * @internal
 */
export const check = (state: State, resource: string | undefined): Either.Either<string | undefined, string> => {
  if (resource === undefined) return Either.right(undefined)
  if (!URL.canParse(resource) || resource.includes("#")) {
    return Either.left("The resource must be an absolute URI without a fragment")
  }
  return known(state).includes(resource) ? Either.right(resource) : Either.left("The resource is not known to this server")
}
