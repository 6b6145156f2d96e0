import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as AccessToken from "@grantflow/core/AccessToken"
import * as Connector from "@grantflow/core/Connector"
import * as Revocation from "@grantflow/core/Revocation"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Catalog from "../catalog.js"
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

/** A catalog connection's tokens, revoked as its entry says (`Connector.revoke`: RFC 7009, or the provider's own request). */
const revokeCatalog = (connection: Connections.Connection, token: AccessToken.AccessToken) =>
  Effect.gen(function*() {
    const { config, entry, http } = yield* Catalog.opened(connection)
    yield* Connector.revoke(entry.definition, config, token).pipe(Effect.provideService(HttpClient.HttpClient, http))
  })

/** @internal */
export const logout = Command.make("logout", { name: Connections.nameArg, keepRemote }, (options) =>
  Effect.gen(function*() {
    const name = yield* Connections.checkName(options.name)
    const store = yield* Connections.open
    const settings = yield* store.settings(name)
    // tokens or a secret that cannot be opened (another key) cannot be revoked: the connection is deleted all the same
    const opened = yield* Effect.either(Effect.all({ connection: store.load(name), token: store.token(settings) }))
    const revoked = options.keepRemote || Either.isLeft(opened) || Option.isNone(opened.right.token) ||
        settings.revocationUrl === undefined
      ? Either.right(false)
      : yield* Effect.either(Effect.as(
        (settings.provider === undefined ? revokeAll : revokeCatalog)(opened.right.connection, opened.right.token.value),
        true
      ))
    yield* store.remove(settings)
    const notRevoked = (why: string) =>
      Failure.failure(
        `deleted connection ${name} here, but ${why}`,
        "they stay valid at the server until they expire; revoke them there if they may have leaked"
      )
    if (Either.isLeft(opened) && !options.keepRemote) {
      return yield* notRevoked("its tokens could not be opened with the key given, to revoke them")
    }
    if (Either.isLeft(revoked)) {
      return yield* notRevoked(
        `revoking its tokens at ${settings.issuer} failed: ${Failure.describe(revoked.left).message}`
      )
    }
    const remote = revoked.right
      ? "its tokens were revoked at the server"
      : options.keepRemote
      ? "its tokens were not revoked (--keep-remote)"
      : Either.isRight(opened) && Option.isNone(opened.right.token)
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
