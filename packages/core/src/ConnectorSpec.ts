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
import type * as Either from "effect/Either"
import type * as Redacted from "effect/Redacted"
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
export const Spec: Schema.Schema<Spec, typeof internal.SpecSchema.Encoded> = internal.SpecSchema

/**
 * A decoded spec file: its keys as the file writes them (docs/connectors.md
 * describes each one). Every string may be a template.
 *
 * @since 0.1.0
 * @category models
 */
export interface Spec {
  readonly name: string
  readonly description?: string
  /** The configuration's fields, by name. */
  readonly fields?: { readonly [name: string]: Spec.Field }
  readonly base_url: string
  readonly allow_insecure?: boolean
  readonly oauth: {
    /** The authorization URL, with its query: its presence makes the connector use the authorization code flow. */
    readonly authenticate_url?: string
    /** The token request: the client credentials grant, or the code exchange of the authorization code flow. */
    readonly access_token: Spec.TokenRequest
    /** The refresh request of the authorization code flow. */
    readonly refresh?: Spec.TokenRequest
    readonly without_code?: boolean
    readonly pkce?: boolean
  }
  /** Where the token goes: a `header` (after `prefix`) or a `query` parameter. */
  readonly apply?: {
    readonly header?: string
    readonly prefix?: string
    readonly query?: string
  }
  /**
   * When an answer means "refresh the token": a list of statuses, or
   * statuses, texts and the `invalid_token` challenge.
   */
  readonly refresh_on?:
    | ReadonlyArray<number>
    | {
      readonly statuses?: ReadonlyArray<number>
      readonly body_contains?: string | ReadonlyArray<string>
      readonly invalid_token_challenge?: boolean
    }
  /** Where a non-standard token response holds each value (see `TokenResponse.Shape`). */
  readonly token_response?: {
    readonly access_token?: string
    readonly token_type?: string
    readonly expires_in?: string
    readonly refresh_token?: string
    readonly scope?: string
    readonly expires_as?: "seconds" | "milliseconds" | "epoch_seconds" | "epoch_milliseconds" | "iso8601"
    readonly type?: string
  }
  /** The connection test; its `body`, if any, is sent as JSON as written. */
  readonly test?: {
    readonly method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS"
    readonly path: string
    readonly body?: unknown
    readonly expect?: ReadonlyArray<number>
    readonly timeout_seconds?: number
  }
}

/**
 * The parts of a {@link Spec}.
 *
 * @since 0.1.0
 * @category models
 */
export declare namespace Spec {
  /**
   * A field of the configuration: `secret` ones come from the environment,
   * only `public` ones may go into URLs; `pattern` is of a safe subset of
   * regular expressions.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Field {
    readonly label?: string
    readonly description?: string
    readonly secret?: boolean
    readonly public?: boolean
    readonly optional?: boolean
    readonly default?: string
    readonly pattern?: string
  }

  /**
   * A token request: its URL, how the client authenticates, and its form
   * `data`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface TokenRequest {
    readonly url: string
    readonly method?: "POST"
    readonly client_auth?: "client_secret_post" | "client_secret_basic"
    readonly data: { readonly [key: string]: string }
  }
}

/**
 * The configuration of a connector declared by a file: a value per declared
 * field, `Redacted` for secret fields; optional fields without a value are
 * absent.
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Readonly<Record<string, string | Redacted.Redacted<string>>>

/**
 * The configuration of a file's connector as read: a string per field.
 *
 * @since 0.1.0
 * @category models
 */
export type Input = Readonly<Record<string, string>>

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
export const ConnectorSpecError: typeof internal.ConnectorSpecError = internal.ConnectorSpecError

/**
 * An unusable spec file: see the {@link ConnectorSpecError} constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type ConnectorSpecError = internal.ConnectorSpecError

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
export const decode: (input: unknown) => Either.Either<Connector.Definition<Config, Input>, ConnectorSpecError> =
  internal.decode

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
export const parse: (text: string) => Either.Either<Connector.Definition<Config, Input>, ConnectorSpecError> =
  internal.parse
