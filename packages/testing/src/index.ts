/**
 * @since 0.1.0
 */
export * as AuthServer from "./AuthServer.js"
export * as Journal from "./Journal.js"
export * as ServerConfig from "./ServerConfig.js"
