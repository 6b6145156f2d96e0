// Deep imports resolve too, under every moduleResolution (node10 through typesVersions).
import * as Endpoint from "@grantflow/core/Endpoint"
import type * as TokenProvider from "@grantflow/core/TokenProvider"
import * as AuthServer from "@grantflow/testing/AuthServer"

export const endpoint: Endpoint.Endpoint = Endpoint.make({ tokenUrl: "https://auth.example.com/token" })
export type Provider = TokenProvider.TokenProvider
export const Server = AuthServer.layer({ clients: [] })
