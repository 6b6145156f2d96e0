/**
 * @since 0.1.0
 */
export * as TokenVerifier from "./TokenVerifier.js"
export * as ResourceServer from "./ResourceServer.js"
export * as DpopProof from "./DpopProof.js"
