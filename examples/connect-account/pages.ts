/**
 * The HTML of the "connect an account" example: plain pages, every value
 * escaped.
 */
import { HttpServerResponse } from "@effect/platform"

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

// no-referrer: the callback's URL carries the code, which must not leak to
// the next site the user visits
const headers = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
} as const

const page = (status: number, title: string, body: string) =>
  HttpServerResponse.text(
    `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:40rem;margin:3rem auto}pre{background:#f4f4f4;padding:1rem}</style></head>
<body>
<h1>${escape(title)}</h1>
${body}
</body>
</html>
`,
    { status, contentType: "text/html; charset=utf-8", headers }
  )

/** `GET /`: connect, or see the orders when connected. */
export const home = (connected: boolean) =>
  page(
    200,
    "Orders dashboard",
    connected
      ? `<p>Your Orders account is connected. <a id="orders" href="/orders">See your orders</a></p>`
      : `<p>Connect your Orders account to see your orders here.</p>
<p><a id="connect" href="/connect">Connect</a></p>`
  )

/** The API's answer, and how often the refresh token was rotated so far. */
export const result = (title: string, body: unknown, rotations: number) =>
  page(
    200,
    title,
    `<pre id="result">${escape(JSON.stringify(body, null, 2))}</pre>
<p>Refresh token rotations so far: <span id="rotations">${rotations}</span></p>
<p><a id="orders" href="/orders">Call the API again</a></p>`
  )

/** Something went wrong; `message` is shown as it is (escaped): it never holds a secret. */
export const problem = (status: number, message: string) =>
  page(status, "Something went wrong", `<p id="error">${escape(message)}</p>
<p><a id="connect" href="/connect">Connect again</a></p>`)
