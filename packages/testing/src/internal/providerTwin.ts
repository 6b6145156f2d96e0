import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AuthServer from "../AuthServer.js"
import type * as ProviderTwin from "../ProviderTwin.js"
import * as Twins from "./twinQuirks.js"

const quirksOf = (id: ProviderTwin.Id): Twins.Quirks => Twins.byId.get(id)!

/** @internal */
export const ids = Twins.all.map((quirks) => quirks.id) as ReadonlyArray<ProviderTwin.Id>

/** @internal */
export const quirks = (id: ProviderTwin.Id): ProviderTwin.Quirks => quirksOf(id)

/** @internal */
export const paths = (id: ProviderTwin.Id, params: Readonly<Record<string, string>> = {}): ProviderTwin.Paths => {
  const twin = quirksOf(id)
  const all = { ...twin.params, ...params }
  return {
    token: Twins.fill(twin.paths.token, all),
    authorize: twin.paths.authorize === undefined ? undefined : Twins.fill(twin.paths.authorize, all),
    revoke: twin.paths.revoke === undefined ? undefined : Twins.fill(twin.paths.revoke, all),
    whoami: Twins.fill(twin.whoami.path, all)
  }
}

/** @internal */
export const options = (id: ProviderTwin.Id, options: ProviderTwin.Options): AuthServer.Options => {
  const twin = quirksOf(id)
  const filled = paths(id, options.params)
  const routes: Record<string, AuthServer.Route> = {
    [filled.token]: { endpoint: "token" },
    [filled.whoami]: { endpoint: "api", body: twin.whoami.body }
  }
  for (const [path, body] of Object.entries(twin.apis ?? {})) {
    routes[Twins.fill(path, { ...twin.params, ...options.params })] = { endpoint: "api", body }
  }
  if (filled.authorize !== undefined) routes[filled.authorize] = { endpoint: "authorize" }
  if (filled.revoke !== undefined) routes[filled.revoke] = { endpoint: "revoke" }
  const { tokenError, tokenResponse } = twin
  return {
    issuer: twin.issuer,
    clients: [{
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      grants: twin.grants,
      authMethods: twin.authMethods,
      scopes: options.scopes ?? twin.scopes,
      redirectUris: options.redirectUris,
      jwks: options.jwks
    }],
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
      tokenResponseShape: (token, now) => Twins.render(tokenResponse, { ...token, issued_at: String(now) })
    }),
    ...(tokenError === undefined ? {} : {
      tokenErrorShape: (error, status, grantType) => ({
        status: tokenError.statuses?.[error.error] ?? tokenError.status ?? status,
        body: Twins.render(tokenError.body, {
          ...error,
          error: tokenError.codes?.[`${grantType}:${error.error}`] ?? tokenError.codes?.[error.error] ?? error.error
        })
      })
    }),
    ...options.server
  }
}

/** @internal */
export const make = (id: ProviderTwin.Id, twinOptions: ProviderTwin.Options) =>
  Effect.suspend(() => AuthServer.make(options(id, twinOptions)))

/** @internal */
export const layer = (id: ProviderTwin.Id, twinOptions: ProviderTwin.Options) =>
  Layer.effect(AuthServer.AuthServer, make(id, twinOptions))
