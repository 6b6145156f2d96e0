import * as HttpServerResponse from "@effect/platform/HttpServerResponse"

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

// no-store: the pages carry one-time ids; DENY and frame-ancestors: no clickjacking of consent (RFC 6749 §10.13)
const headers = {
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
} as const

const page = (status: number, title: string, body: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(
    `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto}button{margin-right:1rem}</style></head>
<body>
<h1>${escape(title)}</h1>
${body}
</body>
</html>
`,
    { status, contentType: "text/html; charset=utf-8", headers }
  )

/**
 * The consent page of an authorization request: who asks for what, and a
 * form that posts the user's answer with the id of the held request.
 *
 * @internal
 */
export const consent = (options: {
  readonly pendingId: string
  readonly clientId: string
  readonly scopes: ReadonlyArray<string>
}): HttpServerResponse.HttpServerResponse =>
  page(
    200,
    "Authorize access",
    `<p><strong id="client">${escape(options.clientId)}</strong> asks for access to your account.</p>
<ul id="scopes">${options.scopes.map((scope) => `<li>${escape(scope)}</li>`).join("")}</ul>
<form method="post" action="/authorize">
<input type="hidden" name="request_id" value="${escape(options.pendingId)}">
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>`
  )

/**
 * A request the server will not redirect back, e.g. for an unknown client or
 * redirect URI (RFC 6749 §4.1.2.1).
 *
 * @internal
 */
export const error = (status: number, description: string): HttpServerResponse.HttpServerResponse =>
  page(status, "Authorization failed", `<p id="error">${escape(description)}</p>`)

/** The page where the user enters the code a device shows (RFC 8628 §3.3). @internal */
export const device = (userCode: string | undefined): HttpServerResponse.HttpServerResponse =>
  page(
    200,
    "Connect a device",
    `<form method="post" action="/device">
<label>Code shown on your device <input name="user_code" id="user_code" autocomplete="off" value="${
      escape(userCode ?? "")
    }"></label>
<p><button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button></p>
</form>`
  )

/** The answer to the user on the device page. @internal */
export const deviceResult = (
  outcome: "approved" | "denied" | "unknown"
): HttpServerResponse.HttpServerResponse =>
  outcome === "unknown"
    ? page(400, "Unknown code", `<p id="error">No device is waiting for that code, or it expired.</p>`)
    : page(200, outcome === "approved" ? "Device connected" : "Device denied", `<p id="result">${outcome}</p>`)
