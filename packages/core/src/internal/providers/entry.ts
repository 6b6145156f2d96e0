import type * as Duration from "effect/Duration"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as ClientAuth from "../../ClientAuth.js"
import * as Connector from "../../Connector.js"
import * as Endpoint from "../../Endpoint.js"
import * as connectorInternal from "../connector.js"
import type * as Providers from "../../Providers.js"

/**
 * One entry of the catalog: what `Providers.list` says of it, and the
 * definition its constructor builds from the options.
 *
 * @internal
 */
export interface Entry<C, I, O> extends Providers.Metadata {
  /** Whether its options take `scopes` (a spec file's `extends` sets them). */
  readonly scoped: boolean
  readonly define: (options: O) => Connector.Definition<C, I>
}

/** The client every catalog entry is configured with: an OAuth app's id and secret. @internal */
export const appFields = {
  CLIENT_ID: Schema.NonEmptyTrimmedString,
  CLIENT_SECRET: Schema.Redacted(Schema.NonEmptyTrimmedString)
}

/** @internal */
export interface App {
  readonly CLIENT_ID: string
  readonly CLIENT_SECRET: Redacted.Redacted<string>
}

/**
 * A value put into a URL's host or path: a letter or digit, then letters,
 * digits and `.-_` (so never `..`, which would move the path). @internal
 */
export const UrlPart = Schema.String.pipe(
  Schema.pattern(/^[a-z0-9][\w.-]{0,99}$/i, {
    message: () => "must be 1-100 letters, digits, '.', '-' or '_', starting with a letter or digit"
  })
)

/** Tokens that do not expire: served until the API refuses them. @internal */
export const noExpiry: Duration.DurationInput = "3650 days"

/** An OAuth app's HTTP Basic credentials, for the token requests and the provider's own APIs that take them. @internal */
export const appBasic = (config: App): ClientAuth.ClientAuth =>
  ClientAuth.clientSecretBasic(config.CLIENT_ID, config.CLIENT_SECRET)

/**
 * The endpoint of an OAuth app's token requests.
 *
 * @internal
 */
export const endpoint = (
  config: App,
  options: Omit<Endpoint.Options, "auth"> & { readonly clientAuth: "client_secret_basic" | "client_secret_post" }
): Endpoint.Endpoint => {
  const { clientAuth, ...rest } = options
  return Endpoint.make({ ...rest, auth: connectorInternal.clientAuth(clientAuth, config.CLIENT_ID, config.CLIENT_SECRET) })
}

/**
 * The auth and authorization of a connector a user connects with their
 * account (the authorization code flow): the code exchange and the refreshes
 * at the same endpoint. Without a refresh token (a provider whose tokens do
 * not expire), a refused token means connecting the account again.
 *
 * @internal
 */
export const userConnection = <C>(options: {
  readonly endpoint: (config: C) => Endpoint.Endpoint
  readonly authorizeUrl: (config: C) => string
  readonly scopes: ReadonlyArray<string>
  readonly extraParams?: Readonly<Record<string, string>> | undefined
  readonly tokenParams?: Readonly<Record<string, string>> | undefined
  readonly pkce?: false | undefined
}): Pick<Connector.Definition<C, any>, "auth" | "authorization"> => ({
  auth: (config, session) => Connector.refreshTokenFlow(options.endpoint(config), {}, session),
  authorization: (config) => ({
    endpoint: options.endpoint(config),
    authorizeUrl: options.authorizeUrl(config),
    scopes: options.scopes,
    extraParams: options.extraParams,
    tokenParams: options.tokenParams,
    pkce: options.pkce
  })
})
