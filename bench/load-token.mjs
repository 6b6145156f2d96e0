// A token-request load from its own process, so that the servers under test,
// not the load, use the benchmark process's CPU: plain node:http with
// keep-alive, CONCURRENCY requests in flight, REQUESTS in all.
// Usage: node bench/load-token.mjs <tokenUrl> <requests> <concurrency>; prints the elapsed milliseconds.
import http from "node:http"

const [tokenUrl, requests, concurrency] = [new URL(process.argv[2]), Number(process.argv[3]), Number(process.argv[4])]
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
const body = "grant_type=client_credentials&scope=read"
const headers = {
  authorization: `Basic ${Buffer.from("bench:bench-secret").toString("base64")}`,
  "content-type": "application/x-www-form-urlencoded",
  "content-length": Buffer.byteLength(body),
  accept: "application/json"
}

const once = () =>
  new Promise((resolve, reject) => {
    const request = http.request(tokenUrl, { method: "POST", agent, headers }, (response) => {
      response.resume()
      response.on("end", () => response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`)))
    })
    request.on("error", reject)
    request.end(body)
  })

let next = 0
const lane = async () => {
  while (next++ < requests) await once()
}
const start = performance.now()
await Promise.all(Array.from({ length: concurrency }, lane))
process.stdout.write(`${performance.now() - start}\n`)
agent.destroy()
