// A protected API that costs the same whatever the scheme, from its own
// process, so that a measure of clients measures the clients: it answers 200
// to a request that carries `Authorization: Bearer …`, or `Authorization:
// DPoP …` with one `DPoP` proof header, and 401 to anything else. It checks
// the form only; what checking a proof costs is the server's cost, not the client's.
// Usage: node bench/echo-api.mjs; prints the port it listens on, then serves until killed.
import http from "node:http"

const server = http.createServer((request, response) => {
  const authorization = request.headers.authorization ?? ""
  const proof = request.headers.dpop
  const ok = authorization.startsWith("Bearer ") ? proof === undefined
    : authorization.startsWith("DPoP ") && typeof proof === "string" && proof.split(".").length === 3
  request.resume()
  request.on("end", () => {
    response.writeHead(ok ? 200 : 401, { "content-type": "application/json" })
    response.end(ok ? "{\"orders\":[]}" : "{}")
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => console.log(server.address().port))
process.on("SIGTERM", () => process.exit(0))
