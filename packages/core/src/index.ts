/**
 * @since 0.1.0
 */
export * as AccessToken from "./AccessToken.js"
export * as AuthorizationCode from "./AuthorizationCode.js"
export * as BearerAuth from "./BearerAuth.js"
export * as ClientAuth from "./ClientAuth.js"
export * as Grant from "./Grant.js"
export * as RefreshPolicy from "./RefreshPolicy.js"
export * as TokenError from "./TokenError.js"
export * as TokenProvider from "./TokenProvider.js"
export * as TokenResponse from "./TokenResponse.js"
export * as Discovery from "./Discovery.js"

/**
 * @since 0.1.0
 */
export * as Endpoint from "./Endpoint.js"
export * as Revocation from "./Revocation.js"
export * as TokenCipher from "./TokenCipher.js"
export * as TokenStore from "./TokenStore.js"
export * as TokenVerifier from "./TokenVerifier.js"
export * as ResourceServer from "./ResourceServer.js"
export * as Connector from "./Connector.js"
export * as ConnectionPool from "./ConnectionPool.js"
export * as ConnectorSpec from "./ConnectorSpec.js"
