/**
 * The file form of a connector: a JSON integration spec, decoded by Schema
 * into the same `Connector.Definition` that code declares.
 *
 * ```json
 * {
 *   "name": "helpdesk",
 *   "fields": {
 *     "SUBDOMAIN": { "label": "Your subdomain", "pattern": "^[a-z0-9-]+$", "public": true },
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
 *   "refresh_on": { "statuses": [401, 403], "body_contains": "token expired" },
 *   "test": { "path": "/me" }
 * }
 * ```
 *
 * Strings are templates: `{{ NAME }}` is a declared field's value; the
 * authorization code flow adds `{{ redirect_url }}` and `{{ code }}` (in the
 * code exchange) and `{{ oauth.refresh_token }}` (in the refresh request).
 * Secrets never sit in the file: a secret field's value comes from the
 * environment (see `Connector.config`: under the prefix given, else
 * `GRANTFLOW_<NAME>`, never a bare variable), a credential in the file is
 * refused, and so is a secret in a URL, because URLs get logged; any other
 * field goes into a URL only when declared `"public": true`. Every problem is
 * reported at its JSON path, without the value found there. The file is
 * read as hostile: at most 1 MiB, 64 levels deep, nothing thrown.
 * docs/connectors.md lists every key.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import type * as Connector from "./Connector.js"
import * as internal from "./internal/connectorSpec.js"
import * as printable from "./internal/printable.js"

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
 * problem (`oauth.refresh.data.refresh_token`) and what is wrong there or
 * what was expected. No message quotes a value, and the error stays small
 * whatever the file: it keeps the first 20 issues (`omitted` counts the
 * others), and cuts long paths and messages short.
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
  readonly omitted?: number | undefined
}> {
  override get message(): string {
    const listed = this.issues.slice(0, internal.maxIssues)
    const more = this.issues.length - listed.length + (this.omitted ?? 0)
    const issues = listed.map(({ message, path }) =>
      `${path === "" ? "the document" : printable.text(path, internal.maxPathLength)} ${
        printable.text(message, internal.maxMessageLength)
      }`
    )
    return `invalid connector spec: ${issues.join("; ")}${more === 0 ? "" : `; and ${more} more`}`
  }
}

const specError = (failure: internal.Failure): ConnectorSpecError =>
  new ConnectorSpecError(failure.omitted === 0 ? { issues: failure.issues } : failure)

/**
 * Decodes a parsed spec (a JSON value) into a connector definition. A value
 * nested deeper than 64 levels is refused before it is decoded.
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
    onLeft: (failure) => Either.left(specError(failure)),
    onRight: (spec) => Either.right(internal.toDefinition(spec))
  })

/**
 * {@link decode} from the text of a JSON file. Text that is not JSON, is
 * longer than 1 MiB (1,048,576 characters) or nests deeper than 64 levels is
 * an issue of the whole document; nothing is thrown.
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
  Either.flatMap(Either.mapLeft(internal.parseText(text), specError), decode)
