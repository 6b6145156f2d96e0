/**
 * A twin's server options, as data: pure (see eslint.config.mjs), so that a
 * configuration file's `twin` (`ServerConfig`) is read by pure code too; the
 * server itself is built in ProviderTwin.ts.
 */
import * as Duration from "effect/Duration"
import type * as AuthServer from "../AuthServer.js"
import type * as ProviderTwin from "../ProviderTwin.js"
import * as Twins from "./twinQuirks.js"

const quirksOf = (id: ProviderTwin.Id, variant?: string): Twins.Quirks => {
  const twin = Twins.byId.get(id)!
  if (variant === undefined) return twin
  const changes = twin.variants?.[variant]
  // a test names a mode the provider does not have: a mistake in the test, not a condition to handle
  if (changes === undefined) throw new Error(`the ${id} twin has no variant "${variant}"`)
  return { ...twin, ...changes }
}

/** @internal */
export const ids = Twins.all.map((quirks) => quirks.id) as ReadonlyArray<ProviderTwin.Id>

/** @internal */
export const quirks = (id: ProviderTwin.Id, variant?: string): ProviderTwin.Quirks => quirksOf(id, variant)

/** @internal */
export const paths = (id: ProviderTwin.Id, params: Readonly<Record<string, string>> = {}): ProviderTwin.Paths => {
  const twin = quirksOf(id)
  const all = { ...twin.params, ...params }
  return {
    token: Twins.fill(twin.paths.token, all),
    authorize: twin.paths.authorize === undefined ? undefined : Twins.fill(twin.paths.authorize, all),
    revoke: twin.paths.revoke === undefined ? undefined : Twins.fill(twin.paths.revoke, all),
    whoami: Twins.fill(twin.whoami.path, all),
    discovery: twin.discovery === undefined ? undefined : Twins.fill(twin.discovery.path, all)
  }
}

/** A client of the twin: what it does not say, the provider allows (its grants, auth methods, scopes). */
const clientOf = (twin: Twins.Quirks, client: AuthServer.ClientOptions): AuthServer.ClientOptions => ({
  ...client,
  grants: client.grants ?? twin.grants,
  authMethods: client.authMethods ?? twin.authMethods,
  scopes: client.scopes ?? twin.scopes
})

/**
 * The standalone server's options `base` made a twin of `id` (a
 * configuration file's `twin`): its clients get the provider's grants, auth
 * methods and scopes where they name none, the server the provider's
 * behaviour, and `base`'s own options win over the provider's. The
 * provider's issuer is left out unless `base` names one: a server on
 * loopback advertises its own address, while the provider's paths are
 * served whatever the host.
 *
 * @internal
 */
export const standalone = (
  id: ProviderTwin.Id,
  base: AuthServer.Options,
  params?: Readonly<Record<string, string>>
): AuthServer.Options => {
  const twin = quirksOf(id)
  // a path naming the app (GitHub's /applications/{CLIENT_ID}/token) names the document's first client
  const clientId = base.clients[0]?.clientId ?? ""
  const { clients: _clients, issuer: _issuer, ...behaviour } = options(id, { clientId, params })
  return { ...behaviour, ...base, clients: base.clients.map((client) => clientOf(twin, client)) }
}

// an expiry as providers that state an instant write it: ISO 8601, in whole seconds
const expiresAt = (token: Readonly<Record<string, unknown>>, now: number): string | undefined =>
  typeof token["expires_in"] === "number"
    ? new Date(now + token["expires_in"] * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")
    : undefined

/** @internal */
export const options = (id: ProviderTwin.Id, options: ProviderTwin.Options): AuthServer.Options => {
  const twin = quirksOf(id, options.variant)
  // a provider's path may name the app (GitHub's /applications/{CLIENT_ID}/token)
  const filled = paths(id, { CLIENT_ID: options.clientId, ...options.params })
  const routes: Record<string, AuthServer.Route> = {
    [filled.token]: twin.appAssertion === undefined
      ? { endpoint: "token" }
      : { endpoint: "assertion", maxLifetime: Duration.seconds(twin.appAssertion.maxLifetime), status: twin.appAssertion.status },
    [filled.whoami]: { endpoint: "api", body: twin.whoami.body }
  }
  for (const api of twin.apis ?? []) {
    routes[Twins.fill(api.path, { ...twin.params, CLIENT_ID: options.clientId, ...options.params })] = {
      endpoint: "api",
      body: api.body,
      requiredHeaders: api.requiredHeaders
    }
  }
  if (filled.authorize !== undefined) routes[filled.authorize] = { endpoint: "authorize" }
  if (filled.revoke !== undefined) routes[filled.revoke] = { endpoint: "revoke", ...twin.revocation }
  if (twin.discovery !== undefined && filled.discovery !== undefined) {
    routes[filled.discovery] = { endpoint: "api", body: twin.discovery.body, scheme: twin.discovery.scheme }
  }
  const { tokenError, tokenResponse } = twin
  return {
    issuer: twin.issuer,
    clients: [clientOf(twin, {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      scopes: options.scopes,
      redirectUris: options.redirectUris,
      ...(options.jwks === undefined ? {} : { jwks: options.jwks })
    })],
    routes,
    tokenLifetime: twin.tokenLifetime === "never" ? Twins.never : Duration.seconds(twin.tokenLifetime),
    ...(twin.refreshRotation === undefined ? {} : { refreshRotation: twin.refreshRotation }),
    ...(twin.refreshGrace === undefined ? {} : { refreshGrace: Duration.seconds(twin.refreshGrace) }),
    ...(twin.refreshTokenLifetime === undefined
      ? {}
      : { refreshTokenLifetime: Duration.seconds(twin.refreshTokenLifetime) }),
    ...(twin.offlineAccess === undefined ? {} : { offlineAccess: twin.offlineAccess }),
    ...(twin.tokenRequestBody === undefined ? {} : { tokenRequestBody: twin.tokenRequestBody }),
    ...(twin.tokenResponseFormat === undefined ? {} : { tokenResponseFormat: twin.tokenResponseFormat }),
    ...(twin.apiTokenHeader === undefined ? {} : { apiTokenHeader: twin.apiTokenHeader }),
    ...(twin.apiRequiredHeaders === undefined ? {} : { apiRequiredHeaders: twin.apiRequiredHeaders }),
    ...(twin.expiredTokenStatus === undefined ? {} : { expiredTokenStatus: twin.expiredTokenStatus }),
    ...(twin.invalidToken === undefined ? {} : { errorBodyOnInvalidToken: twin.invalidToken }),
    ...(tokenResponse === undefined ? {} : {
      tokenResponseShape: (token, now) =>
        Twins.render(tokenResponse, { ...token, issued_at: String(now), expires_at: expiresAt(token, now) })
    }),
    ...(tokenError === undefined ? {} : {
      tokenErrorShape: (error, status, grantType) => {
        // one status for the answer and for a body that states it (`$status`)
        const answered = tokenError.statuses?.[error.error] ?? tokenError.status ?? status
        return {
          status: answered,
          body: Twins.render(tokenError.body, {
            ...error,
            status: answered,
            error: tokenError.codes?.[`${grantType}:${error.error}`] ?? tokenError.codes?.[error.error] ?? error.error
          })
        }
      }
    }),
    ...options.server
  }
}
