/**
 * The simulated server's options as a JSON document, for running it
 * standalone (`grantflow-sim --config sim.json`) so that clients written in
 * any language can be tested against it.
 *
 * Durations are numbers of seconds or Effect duration strings (`"10 minutes"`).
 * A document that does not decode fails with a {@link ServerConfigError} that
 * names every field in error by its JSON path.
 *
 * `"twin"` runs a provider's twin (see `ProviderTwin`): `"twin": "github"`,
 * or `"twin": { "id": "entra", "params": { "TENANT": "contoso" } }` with the
 * values of its path parameters. The document's clients then get the
 * provider's grants, auth methods and scopes where they name none, the
 * server the provider's paths, token and error shapes, lifetimes and
 * rotation, and the document's other options win over the provider's. The
 * provider's issuer is not taken: unless the document names one, the
 * standalone server advertises the address it listens on. An id the catalog
 * does not have is an error that lists the known ones.
 *
 * @since 0.1.0
 */
import type * as Either from "effect/Either"
import type * as AuthServer from "./AuthServer.js"
import * as internal from "./internal/serverConfig.js"
import type * as ProviderTwin from "./ProviderTwin.js"

/**
 * The Schema of the JSON document: every data-valued server option (the
 * predicate forms of `jwtBearerAssertions` / `tokenExchangeSubjects` take
 * lists of accepted values here).
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * ```ts
 * import { ServerConfig } from "@grantflow/testing"
 * import { Schema } from "effect"
 *
 * const options = Schema.decodeUnknownSync(ServerConfig.ServerConfig)({ clients: [{ clientId: "app" }] })
 * ```
 */
export const ServerConfig: typeof internal.ServerConfig = internal.ServerConfig

/**
 * A configuration document that is not valid: each issue names the field by
 * its JSON path (e.g. `clients[0].clientId`) and says what was expected.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * ```ts
 * import { ServerConfig } from "@grantflow/testing"
 *
 * const error = new ServerConfig.ServerConfigError({
 *   issues: [{ path: "clients[0].clientId", message: "is missing" }]
 * })
 * error.message // "invalid simulated server configuration: clients[0].clientId is missing"
 * ```
 */
export const ServerConfigError: typeof internal.ServerConfigError = internal.ServerConfigError

/**
 * An invalid configuration document: see the {@link ServerConfigError}
 * constructor.
 *
 * @since 0.1.0
 * @category errors
 */
export type ServerConfigError = internal.ServerConfigError

/**
 * Options of {@link decode} and {@link parse}: `twin` runs that provider's
 * twin as if the document said `"twin": "<id>"` (as `grantflow sim --twin`
 * does); a document that names another twin is an error.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions {
  readonly twin?: ProviderTwin.Id | undefined
}

/**
 * Decodes a parsed JSON document into the server's options. Unknown fields
 * are errors, so a typo never silently falls back to a default.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { ServerConfig } from "@grantflow/testing"
 *
 * const options = ServerConfig.decode({
 *   clients: [{ clientId: "app", clientSecret: "s3cret" }],
 *   tokenLifetime: "5 minutes"
 * })
 * // GitHub's twin, with one OAuth app
 * const github = ServerConfig.decode({
 *   twin: "github",
 *   clients: [{ clientId: "app", clientSecret: "s3cret", redirectUris: ["http://127.0.0.1/callback"] }]
 * })
 * ```
 */
export const decode: (input: unknown, options?: DecodeOptions) => Either.Either<AuthServer.Options, ServerConfigError> =
  internal.decode

/**
 * Parses and decodes the text of a JSON configuration file; text that is not
 * JSON is reported like any other invalid document.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { ServerConfig } from "@grantflow/testing"
 *
 * const options = ServerConfig.parse(`{ "clients": [{ "clientId": "app", "clientSecret": "s3cret" }] }`)
 * ```
 */
export const parse: (text: string, options?: DecodeOptions) => Either.Either<AuthServer.Options, ServerConfigError> =
  internal.parse
