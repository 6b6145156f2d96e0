import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Connections from "../connections.js"
import { span } from "../jwtSummary.js"
import * as Output from "../output.js"

const json = Options.boolean("json").pipe(Options.withDescription("Print the connections as a JSON array."))

const expiry = (expiresAt: Option.Option<number>, now: number): string =>
  Option.match(expiresAt, {
    onNone: () => "-",
    onSome: (at) => at > now ? `in ${span(at - now)}` : `${span(now - at)} ago`
  })

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n")
}

const iso = (millis: Option.Option<number>) => Option.getOrNull(Option.map(millis, (at) => new Date(at).toISOString()))

/** @internal */
export const connections = Command.make("connections", { json }, (options) =>
  Effect.gen(function*() {
    const store = yield* Connections.open
    const statuses = yield* store.list
    if (options.json) {
      return yield* Output.stdout(JSON.stringify(
        statuses.map((status) => ({
          name: status.settings.name,
          issuer: status.settings.issuer,
          // a catalog connection: its entry, and the origin its requests go to instead of the provider's
          ...(status.settings.provider === undefined ? {} : { provider: status.settings.provider }),
          ...(status.settings.via === undefined ? {} : { via: status.settings.via }),
          clientId: status.settings.clientId,
          authMethod: status.settings.authMethod,
          scopes: status.scopes,
          expiresAt: iso(status.expiresAt),
          refreshedAt: iso(status.refreshedAt),
          createdAt: new Date(status.settings.createdAt).toISOString(),
          health: status.health
        })),
        null,
        2
      ))
    }
    if (statuses.length === 0) {
      return yield* Output.stderr(`no connections in ${store.home} (add one with grantflow login NAME ISSUER)`)
    }
    const now = Date.now()
    yield* Output.stdout(table([
      ["NAME", "ISSUER", "CLIENT", "EXPIRES", "SCOPES", "HEALTH"],
      ...statuses.map((status) => [
        status.settings.name,
        status.settings.via === undefined ? status.settings.issuer : `${status.settings.issuer} via ${status.settings.via}`,
        status.settings.clientId,
        expiry(status.expiresAt, now),
        status.scopes.length === 0 ? "-" : status.scopes.join(" "),
        status.health
      ])
    ]))
  })).pipe(
    Command.withDescription(
      "List the saved connections: issuer, client, when the access token expires, scopes and health (ok, " +
        "expired, refreshable, needs login, or unreadable with the key given). Never shows a token or secret.\n\n" +
        "Example: grantflow connections --json"
    )
  )
