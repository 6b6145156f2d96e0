// The standalone simulated server tested the way a suite in another language
// would: through HTTP only. No grantflow or Effect import; the server is a
// process, found through GRANTFLOW_SIM_COMMAND (a command line, split on
// spaces, that runs `grantflow sim`; by default this repository's source).
//
//   node --test packages/cli/test/other-language/admin.test.mjs
//   GRANTFLOW_SIM_COMMAND="npx grantflow sim" node --test admin.test.mjs
/* global fetch, setTimeout, clearTimeout -- Node's, as in a browser */
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { after, before, test } from "node:test"

const root = decodeURIComponent(new URL("../../../../", import.meta.url).pathname)
const [program, ...args] = process.env.GRANTFLOW_SIM_COMMAND?.split(" ").filter((part) => part !== "") ?? [
  `${root}node_modules/.bin/tsx`,
  "--conditions=@grantflow/source",
  `${root}packages/cli/src/bin/grantflow.ts`,
  "sim"
]

let server
let base

before(async () => {
  server = spawn(program, [...args, "--admin", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  server.stderr.on("data", (chunk) => (stderr += chunk))
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no LISTEN line within 60 s: ${stdout}${stderr}`)), 60_000)
    server.stdout.on("data", (chunk) => {
      stdout += chunk
      const match = /^LISTEN (\S+)$/m.exec(stdout)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    server.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`grantflow sim exited with ${code}: ${stdout}${stderr}`))
    })
  })
})

after(async () => {
  if (server === undefined || server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((resolve) => server.on("exit", resolve))
  server.kill("SIGTERM")
  await exited
})

const admin = (method, path, body) =>
  fetch(`${base}/__grantflow${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  })

const clientCredentials = async () => {
  const response = await fetch(`${base}/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from("demo-client:demo-secret").toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded"
    },
    body: "grant_type=client_credentials"
  })
  assert.equal(response.status, 200)
  const body = await response.json()
  assert.equal(body.token_type, "Bearer")
  return body.access_token
}

const callApi = (token) => fetch(`${base}/api/orders`, { headers: { authorization: `Bearer ${token}` } })

test("a revocation, a 503 burst, and the journal that records them", async () => {
  // a token that the API accepts
  const first = await clientCredentials()
  assert.equal((await callApi(first)).status, 200)

  // revoked through the admin API: the API rejects it
  assert.equal((await admin("POST", "/revoke", { token: first })).status, 204)
  const rejected = await callApi(first)
  assert.equal(rejected.status, 401)
  assert.match(rejected.headers.get("www-authenticate"), /error="invalid_token"/)

  // three 503s with Retry-After, then the API answers again
  const second = await clientCredentials()
  const queued = await admin("POST", "/faults", {
    endpoint: "api",
    times: 3,
    fault: { type: "status", status: 503, retryAfter: 2 }
  })
  assert.equal(queued.status, 204)
  for (let i = 0; i < 3; i++) {
    const response = await callApi(second)
    assert.equal(response.status, 503)
    assert.equal(response.headers.get("retry-after"), "2")
  }
  assert.equal((await callApi(second)).status, 200)

  // the tokens, by id
  const tokens = await (await admin("GET", "/tokens")).json()
  assert.deepEqual(tokens.map(({ clientId, id, revoked }) => ({ id, clientId, revoked })), [
    { id: "t1", clientId: "demo-client", revoked: true },
    { id: "t2", clientId: "demo-client", revoked: false }
  ])

  // the journal: every request to the server (not to the admin API), with ids and never values
  const response = await admin("GET", "/journal")
  assert.equal(response.status, 200)
  const journal = await response.json()
  assert.deepEqual(
    journal.map(({ endpoint, fault, status, tokenId, tokenState }) => ({ endpoint, status, tokenId, tokenState, fault })),
    [
      { endpoint: "token", status: 200, tokenId: "t1", tokenState: undefined, fault: undefined },
      { endpoint: "api", status: 200, tokenId: "t1", tokenState: "valid", fault: undefined },
      { endpoint: "api", status: 401, tokenId: "t1", tokenState: "revoked", fault: undefined },
      { endpoint: "token", status: 200, tokenId: "t2", tokenState: undefined, fault: undefined },
      { endpoint: "api", status: 503, tokenId: "t2", tokenState: "valid", fault: "Status" },
      { endpoint: "api", status: 503, tokenId: "t2", tokenState: "valid", fault: "Status" },
      { endpoint: "api", status: 503, tokenId: "t2", tokenState: "valid", fault: "Status" },
      { endpoint: "api", status: 200, tokenId: "t2", tokenState: "valid", fault: undefined }
    ]
  )
  for (const entry of journal.filter((entry) => entry.endpoint === "token")) {
    assert.equal(entry.clientId, "demo-client")
    assert.equal(entry.grantType, "client_credentials")
  }
  const text = JSON.stringify(journal)
  assert.ok(!text.includes(first) && !text.includes(second), "the journal holds no token value")

  // cleared, the journal starts again
  assert.equal((await admin("DELETE", "/journal")).status, 204)
  assert.deepEqual(await (await admin("GET", "/journal")).json(), [])
})

test("a body the admin API cannot decode: 400 naming the field", async () => {
  const response = await admin("POST", "/faults", { endpoint: "api", fault: { type: "status" } })
  assert.equal(response.status, 400)
  const body = await response.json()
  assert.equal(body.error, "bad_request")
  assert.match(body.message, /fault\.status: is missing/)
})
