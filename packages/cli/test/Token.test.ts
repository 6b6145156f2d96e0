import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Loopback } from "@grantflow/node"
import { AuthServer, ServerConfig } from "@grantflow/testing"
import { Deferred, Effect, Layer, Redacted, Schedule } from "effect"
import type { HttpApp } from "@effect/platform"
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto"
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { approve } from "./support/browser.js"
import * as Cli from "./support/cli.js"
import * as Terminal from "./support/terminal.js"

const Live = Layer.merge(NodeContext.layer, NodeHttpClient.layerUndici)

const secret = (prefix: string) => `${prefix}-${randomBytes(16).toString("hex")}`
const clientSecret = secret("svc-secret")
const assertion = secret("assertion")
const subjectToken = secret("subject")

const directory = mkdtempSync(join(tmpdir(), "grantflow-token-"))
const file = (name: string, text: string) => {
  const path = join(directory, name)
  writeFileSync(path, text)
  return path
}

// the key of the private_key_jwt client: its public half is registered, its private half a PKCS#8 file
const keyPair = generateKeyPairSync("rsa", { modulusLength: 2048 })
const keyFile = file("client-key.pem", keyPair.privateKey.export({ type: "pkcs8", format: "pem" }).toString())
const assertionFile = file("assertion.jwt", `${assertion}\n`)

const config = {
  accessTokenFormat: "jwt",
  deviceInterval: 1,
  jwtBearerAssertions: [assertion],
  tokenExchangeSubjects: [subjectToken],
  clients: [
    {
      clientId: "svc",
      clientSecret,
      authMethods: ["client_secret_basic", "client_secret_post", "client_secret_jwt"],
      scopes: ["orders.read", "orders.write"],
      grants: [
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange"
      ]
    },
    {
      clientId: "keyed",
      jwks: { keys: [{ ...keyPair.publicKey.export({ format: "jwk" }), kid: "keyed-1", alg: "RS256", use: "sig" }] }
    },
    { clientId: "cli", public: true, redirectUris: ["http://127.0.0.1/callback"], scopes: ["orders.read"] }
  ]
}

/** Every token value the server has issued, read from its responses: what no redacted output may contain. */
const issued = new Set<string>()

/**
 * The simulated server of `grantflow sim`, from the JSON configuration above,
 * on a loopback port: bound first, so that its issuer is its address. Its
 * token responses are recorded, to know the values the command must not print.
 */
const simulated = Effect.gen(function*() {
  const options = yield* ServerConfig.decode(config)
  const ready = yield* Deferred.make<HttpApp.Default>()
  const { url } = yield* Loopback.make(Effect.flatten(Deferred.await(ready)))
  const server = yield* AuthServer.make({
    ...options,
    issuer: url.origin,
    tokenResponseShape: (body) => {
      for (const key of ["access_token", "refresh_token"]) {
        if (typeof body[key] === "string") issued.add(body[key])
      }
      return body
    }
  })
  yield* Deferred.succeed(ready, server.app)
  return { server, issuer: server.issuer }
}).pipe(Effect.orDie)

/** Asserts that an output of a run without --json or --raw holds no secret and no token. */
const assertNoSecrets = (result: { readonly stdout: string; readonly stderr: string }) => {
  const printed = result.stdout + result.stderr
  assert.isAbove(issued.size, 0, "the server recorded the tokens it issued")
  for (const value of [...issued, clientSecret, assertion, subjectToken]) {
    assert.notInclude(printed, value)
  }
}

const fingerprint = (value: string) =>
  `(redacted: ${value.length} chars, sha256 ${createHash("sha256").update(value).digest("hex").slice(0, 8)})`

const client = (id = "svc") => ["--client-id", id]

/** `grantflow token` for the public client `cli`, with `grant`. */
const publicClient = (issuer: string, grant: string) =>
  ["token", issuer, ...client("cli"), "--auth-method", "none", "--grant", grant]

/** A port that was free a moment ago. */
const freePort = Effect.async<number>((resume) => {
  const probe = createServer()
  probe.listen(0, "127.0.0.1", () => {
    const address = probe.address()
    probe.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0)))
  })
})

/**
 * Runs grantflow and checks that it failed with `code` and printed nothing but
 * `stderr`: that line exactly, or one that matches the pattern.
 */
const fails = (args: ReadonlyArray<string>, code: 1 | 2, stderr: string | RegExp, options?: Cli.Options) =>
  Effect.gen(function*() {
    const result = yield* Cli.run(args, options)
    assert.strictEqual(result.code, code)
    if (typeof stderr === "string") assert.strictEqual(result.stderr, stderr)
    else assert.match(result.stderr, stderr)
    return result
  })

interface Response {
  readonly access_token: string
  readonly token_type: string
  readonly expires_in: number
  readonly scope?: string
  readonly refresh_token?: string
  readonly issued_token_type?: string
}

const json = (stdout: string) => JSON.parse(stdout) as Response

describe("grantflow token", () => {
  it.scopedLive("client credentials through discovery: redacted JSON on stdout, the summary and JWT claims on stderr", () =>
    Effect.gen(function*() {
      const { issuer } = yield* simulated
      const result = yield* Cli.run(["token", issuer, ...client(), "--client-secret", clientSecret, "--scope", "orders.read"])
      assert.strictEqual(result.code, 0, result.stderr)
      const body = json(result.stdout)
      assert.match(body.access_token, /^\(redacted: \d+ chars, sha256 [0-9a-f]{8}\)$/)
      assert.deepStrictEqual({ ...body, access_token: "" }, {
        access_token: "",
        token_type: "Bearer",
        expires_in: 3600,
        scope: "orders.read"
      })
      assert.match(result.stderr, /^Bearer token, expires in \d+ min \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/m)
      assert.include(result.stderr, "scopes: orders.read\nrefresh token: none\n")
      assert.include(result.stderr, "the access token is a JWT (not verified):")
      assert.match(result.stderr, new RegExp(`^  iss +${issuer}$`, "m"))
      assert.match(result.stderr, /^ {2}client_id +svc$/m)
      assert.match(result.stderr, /^ {2}exp +\S+Z \(expires in \d+ min\)$/m)
      assertNoSecrets(result)
    }))

  it.scopedLive("client credentials at the token URL with client_secret_post, --json: the whole response", () =>
    Effect.gen(function*() {
      const { issuer, server } = yield* simulated
      const result = yield* Cli.run([
        "token",
        `${issuer}/token`,
        ...client(),
        "--auth-method",
        "client_secret_post",
        "--scope",
        "orders.read orders.write",
        "--json"
      ], { env: { GRANTFLOW_CLIENT_SECRET: clientSecret } })
      assert.strictEqual(result.code, 0, result.stderr)
      const body = json(result.stdout)
      assert.isTrue(issued.has(body.access_token), "the access token the server issued")
      assert.strictEqual(body.scope, "orders.read orders.write")
      // the token URL has no discovery documents: it was used as it is
      const journal = yield* server.journal
      assert.deepStrictEqual(journal.map((entry) => [entry.endpoint, entry.status]), [
        ["other", 404],
        ["other", 404],
        ["token", 200]
      ])
      // the secret went in the form, which the server checked for client_secret_post
      assert.notInclude(result.stdout + result.stderr, clientSecret)
    }))

  it.scopedLive("--raw prints the access token alone, the secret from GRANTFLOW_CLIENT_SECRET", () =>
    Effect.gen(function*() {
      const { issuer } = yield* simulated
      const result = yield* Cli.run(["token", issuer, ...client(), "--raw"], {
        env: { GRANTFLOW_CLIENT_SECRET: clientSecret }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      const token = result.stdout.trimEnd()
      assert.strictEqual(result.stdout, `${token}\n`)
      assert.isTrue(issued.has(token))
      // the summary is on stderr, without the token
      assert.include(result.stderr, "Bearer token, expires in")
      assert.notInclude(result.stderr, token)
    }))

  it.scopedLive("refresh token from stdin: the rotated refresh token is redacted too", () =>
    Effect.gen(function*() {
      const { issuer, server } = yield* simulated
      const granted = yield* server.grant("svc", { scopes: ["orders.read"] })
      const refreshToken = Redacted.value(granted.refreshToken!)
      issued.add(refreshToken)
      issued.add(Redacted.value(granted.accessToken))
      const result = yield* Cli.run(
        ["token", issuer, ...client(), "--grant", "refresh_token", "--refresh-token", "-", "--resource", `${issuer}/api`],
        { env: { GRANTFLOW_CLIENT_SECRET: clientSecret }, stdin: `${refreshToken}\n` }
      )
      assert.strictEqual(result.code, 0, result.stderr)
      const body = json(result.stdout)
      assert.match(body.refresh_token!, /^\(redacted: \d+ chars, sha256 [0-9a-f]{8}\)$/)
      assert.notStrictEqual(body.refresh_token, fingerprint(refreshToken), "the server rotated it")
      assert.include(result.stderr, "refresh token: issued")
      const journal = yield* server.journal
      assert.deepStrictEqual(journal.filter((entry) => entry.endpoint === "token").map((entry) => entry.grantType), [
        "refresh_token"
      ])
      assertNoSecrets(result)
    }))

  it.scopedLive("refresh token from GRANTFLOW_REFRESH_TOKEN, with --json", () =>
    Effect.gen(function*() {
      const { issuer, server } = yield* simulated
      const granted = yield* server.grant("svc")
      const result = yield* Cli.run(["token", issuer, ...client(), "--grant", "refresh_token", "--json"], {
        env: { GRANTFLOW_CLIENT_SECRET: clientSecret, GRANTFLOW_REFRESH_TOKEN: Redacted.value(granted.refreshToken!) }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      const body = json(result.stdout)
      assert.isTrue(issued.has(body.refresh_token!))
      assert.strictEqual(body.scope, "orders.read orders.write")
    }))

  it.scopedLive("authorization code with PKCE: the user approves on the consent page, the browser comes back to the loopback receiver", () =>
    Effect.gen(function*() {
      const { issuer, server } = yield* simulated
      const port = yield* freePort
      const running = yield* Cli.spawnScoped([
        ...publicClient(issuer, "authorization_code"),
        "--scope",
        "orders.read",
        // a resource indicator (RFC 8707) the server knows: sent with the authorization request and the code
        "--resource",
        `${issuer}/api`,
        "--redirect-port",
        String(port)
      ])
      const [, url] = yield* running.waitFor(/^ {2}(http:\/\/\S+\/authorize\?\S+)$/m, "stderr")
      assert.strictEqual(new URL(url!).searchParams.get("resource"), `${issuer}/api`)
      // not on a terminal: no browser is opened, the URL is for the user
      assert.include(running.output().stderr, "Open this URL to sign in:")
      const page = yield* approve(url!, issuer)
      // the browser came back to the command's receiver, on the port asked for
      assert.strictEqual(page.url.host, `127.0.0.1:${port}`)
      assert.strictEqual(page.url.pathname, "/callback")
      assert.strictEqual(yield* running.exited, 0, running.output().stderr)
      const output = running.output()
      const body = json(output.stdout)
      assert.strictEqual(body.scope, "orders.read")
      assert.match(body.refresh_token!, /^\(redacted/)
      assert.match(output.stderr, /^ {2}sub +\S+$/m)
      const [code] = yield* server.codes
      assert.strictEqual(code?.codeChallengeMethod, "S256")
      assert.isTrue(code?.used)
      assertNoSecrets(output)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("device code: the user code in a box on stderr; the command polls until the user approves", () =>
    Effect.gen(function*() {
      const { issuer, server } = yield* simulated
      const running = yield* Cli.spawnScoped([
        ...publicClient(issuer, "device_code"),
        "--scope",
        "orders.read",
        "--resource",
        `${issuer}/api`
      ])
      const [, userCode] = yield* running.waitFor(/│ +(\S+) +│/, "stderr")
      assert.include(running.output().stderr, `To sign in, open ${issuer}/device`)
      assert.isTrue(yield* server.decideDevice(userCode!, true))
      assert.strictEqual(yield* running.exited, 0, running.output().stderr)
      const output = running.output()
      assert.strictEqual(json(output.stdout).scope, "orders.read")
      assert.include(output.stderr, "refresh token: issued")
      assertNoSecrets(output)
    }))

  it.scopedLive("JWT bearer with the assertion from a file", () =>
    Effect.gen(function*() {
      const { issuer, server } = yield* simulated
      const result = yield* Cli.run(
        ["token", issuer, ...client(), "--grant", "jwt_bearer", "--assertion-file", assertionFile, "--scope", "orders.read"],
        { env: { GRANTFLOW_CLIENT_SECRET: clientSecret } }
      )
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(json(result.stdout).scope, "orders.read")
      const [entry] = yield* server.journal.pipe(
        Effect.map((journal) => journal.filter((entry) => entry.endpoint === "token"))
      )
      assert.strictEqual(entry?.grantType, "urn:ietf:params:oauth:grant-type:jwt-bearer")
      assertNoSecrets(result)
    }))

  it.scopedLive("token exchange with the subject token from stdin, --json: the issued token type", () =>
    Effect.gen(function*() {
      const { issuer } = yield* simulated
      const result = yield* Cli.run(
        ["token", issuer, ...client(), "--grant", "token_exchange", "--subject-token", "-", "--json"],
        { env: { GRANTFLOW_CLIENT_SECRET: clientSecret }, stdin: subjectToken }
      )
      assert.strictEqual(result.code, 0, result.stderr)
      const body = json(result.stdout)
      assert.isTrue(issued.has(body.access_token))
      assert.strictEqual(body.issued_token_type, "urn:ietf:params:oauth:token-type:access_token")
      assert.include(result.stderr, "issued token type: urn:ietf:params:oauth:token-type:access_token")
    }))

  it.scopedLive("private_key_jwt from a PEM key file, chosen from the metadata without --auth-method", () =>
    Effect.gen(function*() {
      const { issuer } = yield* simulated
      const result = yield* Cli.run(["token", issuer, ...client("keyed"), "--key-file", keyFile])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stderr, /^ {2}client_id +keyed$/m)
      assertNoSecrets(result)
    }))

  it.scopedLive("client_secret_jwt", () =>
    Effect.gen(function*() {
      const { issuer, server } = yield* simulated
      const result = yield* Cli.run(["token", issuer, ...client(), "--auth-method", "client_secret_jwt"], {
        env: { GRANTFLOW_CLIENT_SECRET: clientSecret }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual((yield* server.journal).filter((entry) => entry.endpoint === "token").map((e) => e.status), [200])
      assertNoSecrets(result)
    }))

  describe("on a terminal", () => {
    it.scopedLive("a missing secret is asked for, and what is typed is not shown", () =>
      Effect.gen(function*() {
        const { issuer } = yield* simulated
        const terminal = yield* Terminal.run(["token", issuer, ...client()], { env: { GRANTFLOW_CLIENT_SECRET: undefined } })
        yield* terminal.waitFor(/Client secret for svc/)
        yield* terminal.type(clientSecret)
        yield* terminal.enter
        assert.strictEqual(yield* terminal.exitCode, 0, yield* terminal.screen)
        const screen = yield* terminal.screen
        assert.include(screen, "Bearer token, expires in")
        assert.notInclude(screen, clientSecret)
        assertNoSecrets({ stdout: screen, stderr: "" })
      }))

    it.scopedLive("the browser flow opens $BROWSER on the authorization URL", () =>
      Effect.gen(function*() {
        const { issuer } = yield* simulated
        const opened = join(mkdtempSync(join(tmpdir(), "grantflow-browser-")), "opened")
        const browser = file("browser.sh", `#!/bin/sh\nprintf '%s' "$1" > "${opened}"\n`)
        chmodSync(browser, 0o755)
        const terminal = yield* Terminal.run(publicClient(issuer, "authorization_code"), { env: { BROWSER: browser } })
        yield* terminal.waitFor(/Opening a browser to sign in\. If none opens, open this URL to sign in:/)
        const url = yield* Effect.try(() => readFileSync(opened, "utf8")).pipe(
          Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("30 seconds")))
        )
        assert.match(url, new RegExp(`^${issuer}/authorize\\?response_type=code&client_id=cli&`))
        yield* approve(url, issuer)
        assert.strictEqual(yield* terminal.exitCode, 0, yield* terminal.screen)
        assertNoSecrets({ stdout: yield* terminal.screen, stderr: "" })
      }).pipe(Effect.provide(Live)))
  })

  describe("failures: one line on stderr, no stack trace", () => {
    it.scopedLive("a wrong secret: exit 1, and the secret is not repeated", () =>
      Effect.gen(function*() {
        const { issuer } = yield* simulated
        const wrong = secret("wrong")
        const result = yield* fails(
          ["token", issuer, ...client(), "--client-secret", wrong],
          1,
          /^grantflow: the token endpoint answered HTTP 401 with OAuth error "invalid_client".* \(check --client-id, the client secret and --auth-method\)\n$/
        )
        assert.strictEqual(result.stdout, "")
        assert.notInclude(result.stderr, wrong)
      }))

    it.scopedLive("the user denies the device authorization: exit 1", () =>
      Effect.gen(function*() {
        const { issuer, server } = yield* simulated
        const running = yield* Cli.spawnScoped(publicClient(issuer, "device_code"))
        const [, userCode] = yield* running.waitFor(/│ +(\S+) +│/, "stderr")
        assert.isTrue(yield* server.decideDevice(userCode!, false))
        assert.strictEqual(yield* running.exited, 1)
        const { stderr, stdout } = running.output()
        assert.strictEqual(stdout, "")
        assert.match(stderr.slice(stderr.indexOf("Waiting for the approval")), /^Waiting for the approval …\ngrantflow: the user denied .* \(run the command again to sign in\)\n$/)
      }))

    it.scopedLive("a redirect port in use: exit 1", () =>
      Effect.gen(function*() {
        const { issuer } = yield* simulated
        const port = new URL(issuer).port
        yield* fails(
          [...publicClient(issuer, "authorization_code"), "--redirect-port", port],
          1,
          `grantflow: cannot listen on 127.0.0.1:${port} for the browser's redirect (EADDRINUSE) (choose another ` +
            "--redirect-port, or leave it out for any free port)\n"
        )
      }))

    it.live("an unreachable issuer: exit 1", () =>
      fails(
        ["token", "http://127.0.0.1:9/", ...client(), "--client-secret", clientSecret],
        1,
        /^grantflow: the issuer's metadata endpoint could not be reached.* \(check ISSUER_OR_TOKEN_URL: is the server running there\?\)\n$/
      ))

    it.live("an unknown grant: exit 2", () =>
      fails(
        ["token", "http://127.0.0.1:9", ...client(), "--grant", "password"],
        2,
        /^grantflow: Expected one of the following cases: client_credentials, .*\n$/
      ))

    it.live("no --client-id: exit 2", () =>
      fails(
        ["token", "http://127.0.0.1:9"],
        2,
        "grantflow: Expected to find option: '--client-id' (see grantflow --help)\n",
        { env: { GRANTFLOW_CLIENT_ID: undefined } }
      ))

    it.live("a flag of another grant: exit 2, before anything is sent", () =>
      fails(
        ["token", "http://127.0.0.1:9", ...client(), "--subject-token", "-"],
        2,
        "grantflow: --subject-token does not apply to --grant client_credentials (leave it out, or choose the grant " +
          "it belongs to: see grantflow token --help)\n"
      ))

    it.live("the refresh grant without a refresh token: exit 2, before the server is asked", () =>
      fails(
        ["token", "http://127.0.0.1:9", ...client(), "--grant", "refresh_token"],
        2,
        "grantflow: --grant refresh_token needs the refresh token (give --refresh-token (- for stdin) or " +
          "GRANTFLOW_REFRESH_TOKEN)\n",
        { env: { GRANTFLOW_REFRESH_TOKEN: undefined } }
      ))

    it.scopedLive("no secret and no terminal to ask for it: exit 2 with what to do", () =>
      Effect.gen(function*() {
        const { issuer } = yield* simulated
        yield* fails(
          ["token", issuer, ...client()],
          2,
          "grantflow: no client secret (give --client-secret or GRANTFLOW_CLIENT_SECRET, use --key-file, or " +
            "--auth-method none for a public client)\n",
          { env: { GRANTFLOW_CLIENT_SECRET: undefined } }
        )
      }))
  })
})
