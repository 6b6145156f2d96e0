/**
 * @since 0.1.0
 */
export * as SimServer from "./SimServer.js"
