/**
 * Whether a status is a redirect: a 3xx, or the `opaqueredirect` response
 * (status 0) of a browser's fetch under `redirect: "manual"`. Requests that
 * carry client credentials never follow one.
 *
 * @internal
 */
export const isRedirect = (status: number): boolean => status === 0 || (status >= 300 && status < 400)
