import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type * as AccessToken from "@grantflow/core/AccessToken"
import * as Revocation from "@grantflow/core/Revocation"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Connections from "../connections.js"
import * as Failure from "../failure.js"
import * as Output from "../output.js"

const keepRemote = Options.boolean("keep-remote").pipe(
  Options.withDescription("Delete the connection here without revoking its tokens at the server.")
)

/**
 * Revokes the refresh token (which, on servers that can, ends its access
 * tokens too) and the access token while it is valid.
 */
const revokeAll = (connection: Connections.Connection, token: AccessToken.AccessToken) =>
  Effect.gen(function*() {
    const endpoint = yield* Connections.endpoint(connection)
    if (Option.isSome(token.refreshToken)) {
      yield* Revocation.revoke(endpoint, { token: token.refreshToken.value, tokenTypeHint: "refresh_token" })
    }
    if (token.expiresAt > Date.now()) {
      yield* Revocation.revoke(endpoint, { token: token.token, tokenTypeHint: "access_token" })
    }
  })

/** @internal */
export const logout = Command.make("logout", { name: Connections.nameArg, keepRemote }, (options) =>
  Effect.gen(function*() {
    const name = yield* Connections.checkName(options.name)
    const store = yield* Connections.open
    const connection = yield* store.load(name)
    const { settings } = connection
    // a token that cannot be read (another key) cannot be revoked: it is deleted all the same
    const token = Either.getOrElse(yield* Effect.either(store.token(settings)), () => Option.none())
    const revoked = options.keepRemote || Option.isNone(token) || settings.revocationUrl === undefined
      ? Either.right(false)
      : yield* Effect.either(Effect.as(revokeAll(connection, token.value), true))
    yield* store.remove(settings)
    if (Either.isLeft(revoked)) {
      return yield* Failure.failure(
        `deleted connection ${name} here, but revoking its tokens at ${settings.issuer} failed: ` +
          Failure.describe(revoked.left).message,
        "they stay valid at the server until they expire; revoke them there if they may have leaked"
      )
    }
    const remote = revoked.right
      ? "its tokens were revoked at the server"
      : options.keepRemote
      ? "its tokens were not revoked (--keep-remote)"
      : Option.isNone(token)
      ? "it had no token to revoke"
      : "the server has no revocation endpoint: its tokens stay valid until they expire"
    yield* Output.stderr(`logged out of ${name}: ${remote}`)
  })).pipe(
    Command.withDescription(
      "Revoke a connection's tokens at the server (when it has a revocation endpoint) and delete the connection: " +
        "settings, tokens and client secret. If revoking fails, the connection is still deleted and the command " +
        "exits with 1.\n\nExample: grantflow logout github"
    )
  )
