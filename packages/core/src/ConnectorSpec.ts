/**
 * The file form of a connector: a JSON integration spec, decoded by Schema
 * into the same `Connector.Definition` that code declares.
 *
 * ```json
 * {
 *   "name": "helpdesk",
 *   "fields": {
 *     "SUBDOMAIN": { "label": "Your subdomain", "pattern": "^[a-z0-9-]+$" },
 *     "CLIENT_ID": {},
 *     "CLIENT_SECRET": { "secret": true }
 *   },
 *   "base_url": "https://{{ SUBDOMAIN }}.helpdesk.example/api/v5",
 *   "oauth": {
 *     "access_token": {
 *       "url": "https://{{ SUBDOMAIN }}.helpdesk.example/oauth/token",
 *       "client_auth": "client_secret_basic",
 *       "data": {
 *         "grant_type": "client_credentials",
 *         "client_id": "{{ CLIENT_ID }}",
 *         "client_secret": "{{ CLIENT_SECRET }}"
 *       }
 *     }
 *   },
 *   "refresh_on": { "statuses": [401, 403], "body_pattern": "token expired" },
 *   "test": { "path": "/me" }
 * }
 * ```
 *
 * Strings are templates: `{{ NAME }}` is a declared field's value; the
 * authorization code flow adds `{{ redirect_url }}` and `{{ code }}` (in the
 * code exchange) and `{{ oauth.refresh_token }}` (in the refresh request).
 * Secrets never sit in the file: a secret field's value comes from the
 * environment (see `Connector.config`), a credential in the file is refused,
 * and so is a secret in a URL, because URLs get logged. Every problem is
 * reported at its JSON path. docs/connectors.md lists every key.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import type * as Connector from "./Connector.js"
import * as internal from "./internal/connectorSpec.js"

/**
 * The Schema of the file form, with every check that does not need the
 * configuration's values: structure, templates and their variables, secrets,
 * and what each request may carry.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * ```ts
 * import { ConnectorSpec } from "@grantflow/core"
 * import { Schema } from "effect"
 *
 * declare const json: unknown
 * const spec = Schema.decodeUnknownEither(ConnectorSpec.Spec)(json)
 * ```
 */
export const Spec: Schema.Schema<internal.Spec, typeof internal.SpecSchema.Encoded> = internal.SpecSchema

/**
 * A decoded spec file.
 *
 * @since 0.1.0
 * @category models
 */
export type Spec = internal.Spec

/**
 * The configuration of a connector declared by a file: a value per declared
 * field, `Redacted` for secret fields; optional fields without a value are
 * absent.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = internal.Config

/**
 * The configuration of a file's connector as read: a string per field.
 *
 * @since 0.1.0
 * @category models
 */
export type Input = internal.Input

/**
 * A spec file that cannot be used: each issue has the JSON path of the
 * problem (`oauth.refresh.data.refresh_token`) and what is wrong there. No
 * message quotes a value.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ConnectorSpec } from "@grantflow/core"
 *
 * const error = new ConnectorSpec.ConnectorSpecError({
 *   issues: [{ path: "base_url", message: "is missing" }]
 * })
 * error.message // "invalid connector spec: base_url is missing"
 * ```
 */
export class ConnectorSpecError extends Data.TaggedError("ConnectorSpecError")<{
  readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }>
}> {
  override get message(): string {
    return `invalid connector spec: ${
      this.issues.map(({ message, path }) => `${path === "" ? "the document" : path} ${message}`).join("; ")
    }`
  }
}

/**
 * Decodes a parsed spec (a JSON value) into a connector definition.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { ConnectorSpec } from "@grantflow/core"
 * import { Either } from "effect"
 *
 * const result = ConnectorSpec.decode({
 *   name: "helpdesk",
 *   fields: { CLIENT_ID: {}, CLIENT_SECRET: { secret: true } },
 *   base_url: "https://api.helpdesk.example/v5",
 *   oauth: {
 *     access_token: {
 *       url: "https://auth.helpdesk.example/token",
 *       data: { grant_type: "client_credentials", client_id: "{{ CLIENT_ID }}", client_secret: "{{ CLIENT_SECRET }}" }
 *     }
 *   }
 * })
 * if (Either.isLeft(result)) console.error(result.left.message)
 * ```
 */
export const decode = (input: unknown): Either.Either<Connector.Definition<Config, Input>, ConnectorSpecError> =>
  Either.match(internal.decodeSpec(input), {
    onLeft: (issues) => Either.left(new ConnectorSpecError({ issues })),
    onRight: (spec) => Either.right(internal.toDefinition(spec))
  })

/**
 * {@link decode} from the text of a JSON file; text that is not JSON is an
 * issue of the whole document.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { ConnectorSpec } from "@grantflow/core"
 * import { readFileSync } from "node:fs"
 *
 * const definition = ConnectorSpec.parse(readFileSync("helpdesk.json", "utf8"))
 * ```
 */
export const parse = (text: string): Either.Either<Connector.Definition<Config, Input>, ConnectorSpecError> =>
  Either.flatMap(
    Either.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new ConnectorSpecError({ issues: [{ path: "", message: "is not JSON" }] })
    }),
    decode
  )
