/**
 * A browser without a window, for the sign-in flows: it opens pages and
 * follows redirects, and approves on the simulated server's consent page.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { assert } from "@effect/vitest"
import { Effect } from "effect"

/** GETs `url` (or POSTs the `form`) and follows redirects. */
export const visit = (url: string | URL, form?: URLSearchParams) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    let current = new URL(url)
    let response = yield* http.execute(
      form === undefined
        ? HttpClientRequest.get(current)
        : HttpClientRequest.post(current).pipe(HttpClientRequest.bodyUrlParams(form))
    )
    while (response.status >= 300 && response.status < 400 && response.headers["location"] !== undefined) {
      current = new URL(response.headers["location"], current)
      response = yield* http.execute(HttpClientRequest.get(current))
    }
    return { status: response.status, url: current, text: yield* response.text }
  })

const title = (html: string) => /<title>(.*)<\/title>/.exec(html)?.[1]

/** The user opens the authorization URL and approves on the consent page; succeeds with the last page. */
export const approve = (url: string, issuer: string) =>
  Effect.gen(function*() {
    const consent = yield* visit(url)
    assert.strictEqual(title(consent.text), "Authorize access")
    const requestId = /name="request_id" value="([^"]+)"/.exec(consent.text)?.[1]
    assert.isString(requestId)
    const page = yield* visit(new URL("/authorize", issuer), new URLSearchParams({ request_id: requestId!, decision: "approve" }))
    assert.strictEqual(title(page.text), "Signed in")
    return page
  })

/** Approves a device code through the simulated server's admin API (`grantflow sim --admin`). */
export const approveDevice = (issuer: string, userCode: string) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(
      HttpClientRequest.post(`${issuer}/__grantflow/device/approve`).pipe(
        HttpClientRequest.bodyUnsafeJson({ user_code: userCode })
      )
    )
    assert.strictEqual(response.status, 204)
  })

/** Moves the clock of a server started with `grantflow sim --admin --virtual-clock` forward. */
export const advanceClock = (issuer: string, advance: string) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(
      HttpClientRequest.post(`${issuer}/__grantflow/clock`).pipe(HttpClientRequest.bodyUnsafeJson({ advance }))
    )
    assert.strictEqual(response.status, 200)
  })

/** Revokes every token of a server started with `grantflow sim --admin`. */
export const revokeAll = (issuer: string) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(HttpClientRequest.post(`${issuer}/__grantflow/revoke-all`))
    assert.strictEqual(response.status, 204)
  })
