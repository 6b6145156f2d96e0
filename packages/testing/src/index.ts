/**
 * @since 0.1.0
 */
export * as AuthServer from "./AuthServer.js"
export * as Journal from "./Journal.js"
export * as ServerConfig from "./ServerConfig.js"
export * as Arbitraries from "./Arbitraries.js"
export * as Invariants from "./Invariants.js"
export * as Scenario from "./Scenario.js"
export * as ProviderTwin from "./ProviderTwin.js"
