/**
 * Saved connections for tests: a private home and key, and connections seeded
 * with tokens the simulated server issues without a request
 * (`server.grant`), as a completed login would have saved them.
 */
import { AccessToken } from "@grantflow/core"
import type { AuthServer } from "@grantflow/testing"
import { ConfigProvider, Effect, Encoding, Option } from "effect"
import type { Redacted } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Connections from "../../src/internal/connections.js"
import type * as SimServer from "../../src/SimServer.js"

/** A fresh home (not yet created) and a key for it, as the environment of a `grantflow` process gives them. */
export const home = (): { readonly GRANTFLOW_HOME: string; readonly GRANTFLOW_KEY: string } => ({
  GRANTFLOW_HOME: join(mkdtempSync(join(tmpdir(), "grantflow-home-")), "grantflow"),
  GRANTFLOW_KEY: `test:${Encoding.encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`
})

/** Runs `effect` with `env` as its environment (the store reads its home and key from `Config`). */
export const withEnv = <A, E, R>(env: Record<string, string>, effect: Effect.Effect<A, E, R>) =>
  Effect.withConfigProvider(effect, ConfigProvider.fromMap(new Map(Object.entries(env))))

/** The store of `env`'s home. */
export const open = (env: Record<string, string>) => withEnv(env, Connections.open)

export interface SeedOptions {
  readonly name: string
  readonly clientId: string
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  /** Saved with an access token that expired already (a refresh token is kept). */
  readonly expired?: boolean | undefined
  /** Another issuer than the server's (its endpoints under it); the tokens still come from the server. */
  readonly issuer?: string | undefined
}

/** The settings of a connection to `running`'s server. */
export const settings = (running: SimServer.Running, options: SeedOptions) => {
  const issuer = options.issuer ?? running.issuer
  return new Connections.Settings({
    name: options.name,
    issuer,
    tokenUrl: `${issuer}/token`,
    revocationUrl: `${issuer}/revoke`,
    clientId: options.clientId,
    authMethod: options.clientSecret === undefined ? "none" : "client_secret_basic",
    scopes: options.scopes ?? [],
    insecure: false,
    timeout: 10,
    createdAt: Date.now()
  })
}

/** The token a login gives for what the server `granted`, expiring at `expiresAt`. */
export const tokenOf = (granted: AuthServer.GrantedTokens, expiresAt = granted.expiresAt) =>
  new AccessToken.AccessToken({
    token: granted.accessToken,
    type: "Bearer",
    issuedAt: granted.issuedAt,
    expiresAt,
    scopes: granted.scopes,
    refreshToken: Option.fromNullable(granted.refreshToken)
  })

/**
 * Saves a connection whose tokens the server issued to `clientId` as a
 * user's authorization would; succeeds with what was granted.
 */
export const seed = (env: Record<string, string>, running: SimServer.Running, options: SeedOptions) =>
  Effect.gen(function*() {
    const granted = yield* running.server.grant(options.clientId, { scopes: options.scopes })
    const token = tokenOf(granted, options.expired === true ? Date.now() - 60_000 : granted.expiresAt)
    const store = yield* open(env)
    yield* store.save({ settings: settings(running, options), credentials: { clientSecret: options.clientSecret } }, token)
    return granted
  })
