/**
 * @since 0.1.0
 */
export * as Loopback from "./Loopback.js"
export * as RedirectReceiver from "./RedirectReceiver.js"
export * as RedisTokenStore from "./RedisTokenStore.js"
export * as FileTokenStore from "./FileTokenStore.js"
