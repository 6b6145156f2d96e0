import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, FastCheck, Inspectable, Redacted, Schema } from "effect"
import * as Connector from "../src/Connector.js"
import * as ConnectorSpec from "../src/ConnectorSpec.js"
import * as internal from "../src/internal/connectorSpec.js"
import { clientCredentials } from "./connectorSpecs.js"

// the authorization code spec of recipe 4, as a value to break one piece at a time
const codeFlow = () => ({
  name: "calendar",
  fields: {
    CLIENT_ID: { label: "Client ID", public: true },
    CLIENT_SECRET: { label: "Client secret", secret: true },
    REGION: { pattern: "^[a-z]{2}$", default: "eu", public: true }
  },
  base_url: "https://{{ REGION }}.calendar.example/api",
  oauth: {
    authenticate_url: "https://accounts.example/authorize?client_id={{ CLIENT_ID }}&redirect_uri={{ redirect_url }}" +
      "&response_type=code&scope=calendar.read+calendar.write&access_type=offline&prompt=consent",
    access_token: {
      url: "https://accounts.example/token",
      method: "POST",
      data: {
        grant_type: "authorization_code",
        code: "{{ code }}",
        redirect_uri: "{{ redirect_url }}",
        client_id: "{{ CLIENT_ID }}",
        client_secret: "{{ CLIENT_SECRET }}"
      }
    },
    refresh: {
      url: "https://accounts.example/token",
      data: {
        grant_type: "refresh_token",
        refresh_token: "{{ oauth.refresh_token }}",
        client_id: "{{ CLIENT_ID }}",
        client_secret: "{{ CLIENT_SECRET }}"
      }
    }
  },
  refresh_on: [401, 403],
  test: { path: "/me" }
})

// the longest message a ConnectorSpecError can have: 20 issues, each path and message cut short, and the count of the rest
const maxMessageLength = "invalid connector spec: ".length +
  internal.maxIssues * (internal.maxPathLength + internal.maxMessageLength + 6) + "; and 9999999 more".length

// JSON has no undefined: a key set to undefined here is a key left out
const present = (data: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).flatMap(([key, value]) => value === undefined ? [] : [[key, value]]))

const issues = (input: unknown): ReadonlyArray<string> =>
  Either.match(ConnectorSpec.decode(input), {
    onLeft: (error) => error.issues.map((issue) => `${issue.path}: ${issue.message}`),
    onRight: () => assert.fail("expected the spec to be refused")
  })

const definition = (input: unknown) =>
  Either.getOrElse(ConnectorSpec.decode(input), (error) => assert.fail(error.message))

const hasIssue = (input: unknown, path: string, message: RegExp) => {
  const found = issues(input)
  assert.isTrue(
    found.some((issue) => issue.startsWith(`${path}: `) && message.test(issue)),
    `expected an issue at ${path} matching ${message}, got:\n${found.join("\n")}`
  )
}

describe("ConnectorSpec", () => {
  it("decodes both recipe specs", () => {
    assert.strictEqual(definition(codeFlow()).name, "calendar")
    const helpdesk = definition(clientCredentials())
    assert.strictEqual(helpdesk.name, "helpdesk")
    assert.deepStrictEqual(helpdesk.apply, { _tag: "Header", name: "authorization", prefix: "Bearer" })
    assert.deepStrictEqual(helpdesk.refreshOn?.statuses, [401, 403])
    assert.isTrue(helpdesk.refreshOn?.bodyPattern?.test(`{"error":"invalid_auth"}`))
    assert.deepStrictEqual(helpdesk.tokenResponse, {
      accessToken: "data.token",
      tokenType: undefined,
      expiresIn: "data.expires_at",
      refreshToken: undefined,
      scope: undefined,
      expiresAs: "epochSeconds",
      type: undefined
    })
    assert.deepStrictEqual(helpdesk.test, { path: "/me", method: "GET", expect: [200], timeout: undefined })
  })

  it("the fields become the config Schema: secrets Redacted, defaults, patterns", () => {
    const calendar = definition(codeFlow())
    const config = Either.getOrElse(
      Connector.decodeConfig(calendar, { CLIENT_ID: "cal", CLIENT_SECRET: "the-secret" }),
      (error) => assert.fail(error.message)
    )
    assert.strictEqual(config["CLIENT_ID"], "cal")
    assert.strictEqual(config["REGION"], "eu")
    assert.isTrue(Redacted.isRedacted(config["CLIENT_SECRET"]))
    assert.strictEqual(calendar.baseUrl(config), "https://eu.calendar.example/api")

    const bad = Connector.decodeConfig(calendar, { CLIENT_ID: "cal", REGION: "europe" })
    assert.isTrue(Either.isLeft(bad))
    if (Either.isLeft(bad)) {
      assert.include(bad.left.message, "REGION does not match ^[a-z]{2}$")
      assert.include(bad.left.message, "CLIENT_SECRET is missing")
    }
  })

  it("a secret's invalid value is never quoted", () => {
    const spec = codeFlow()
    const withPattern = { ...spec, fields: { ...spec.fields, CLIENT_SECRET: { secret: true, pattern: "^cs_" } } }
    const result = Connector.decodeConfig(definition(withPattern), { CLIENT_ID: "cal", CLIENT_SECRET: "oops-leaked" })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      const shown = [result.left.message, JSON.stringify(result.left), Inspectable.format(result.left)].join("\n")
      assert.include(shown, "CLIENT_SECRET is invalid")
      assert.notInclude(shown, "oops-leaked")
    }
  })

  it("the authorization request is built from authenticate_url", () => {
    const calendar = definition(codeFlow())
    const config = { CLIENT_ID: "cal", CLIENT_SECRET: Redacted.make("s"), REGION: "eu" }
    const authorization = calendar.authorization!(config)
    assert.strictEqual(authorization.authorizeUrl, "https://accounts.example/authorize")
    assert.deepStrictEqual(authorization.scopes, ["calendar.read", "calendar.write"])
    assert.deepStrictEqual(authorization.extraParams, { access_type: "offline", prompt: "consent" })
    assert.strictEqual(authorization.endpoint.auth?._tag, "ClientSecretPost")
    assert.strictEqual(authorization.endpoint.auth?.clientId, "cal")
    assert.strictEqual(authorization.withoutCode, false)
  })

  it("reports structural problems at their JSON path", () => {
    const spec = codeFlow()
    const { base_url: _baseUrl, ...withoutBaseUrl } = spec
    hasIssue(withoutBaseUrl, "base_url", /is missing/)
    hasIssue({ ...spec, base_uri: "https://x" }, "base_uri", /is not a known key/)
    hasIssue({ ...spec, fields: { ...spec.fields, "2FA": {} } }, "fields.2FA", /is not a field name/)
    hasIssue({ ...spec, refresh_on: [401, 4030] }, "refresh_on[1]", /not an HTTP status/)
    hasIssue({ ...spec, test: { path: "/me", method: "FETCH" } }, "test.method", /must be one of "GET"/)
    hasIssue(
      { ...spec, oauth: { ...spec.oauth, refresh: { ...spec.oauth.refresh, method: "GET" } } },
      "oauth.refresh.method",
      /must be one of "POST"/
    )
  })

  it("unknown template variables, with the variables known there", () => {
    const spec = codeFlow()
    hasIssue({ ...spec, base_url: "https://{{ REGOIN }}.calendar.example" }, "base_url", /unknown variable \{\{ REGOIN \}\}.*\{\{ REGION \}\}/)
    // the refresh token is known in the refresh request only
    hasIssue({ ...spec, base_url: "https://x.example/{{ oauth.refresh_token }}" }, "base_url", /unknown variable/)
    hasIssue({ ...spec, base_url: "https://x.example/{{ code }}" }, "base_url", /unknown variable/)
  })

  it("malformed templates", () => {
    const spec = codeFlow()
    hasIssue({ ...spec, base_url: "https://{{ REGION .example" }, "base_url", /"\{\{" without a "\}\}"/)
    hasIssue({ ...spec, base_url: "https://REGION }}.example" }, "base_url", /"\}\}" without a "\{\{"/)
    hasIssue({ ...spec, base_url: "https://{{ REG-ION }}.example" }, "base_url", /malformed template/)
    hasIssue({ ...spec, base_url: "https://{{ }}.example" }, "base_url", /malformed template/)
  })

  it("a template that would put a secret into a URL", () => {
    const spec = codeFlow()
    hasIssue({ ...spec, base_url: "https://x.example/{{ CLIENT_SECRET }}" }, "base_url", /secret \{\{ CLIENT_SECRET \}\} into a URL/)
    hasIssue(
      { ...spec, oauth: { ...spec.oauth, authenticate_url: spec.oauth.authenticate_url + "&secret={{ CLIENT_SECRET }}" } },
      "oauth.authenticate_url",
      /into a URL/
    )
    hasIssue(
      {
        ...spec,
        oauth: { ...spec.oauth, access_token: { ...spec.oauth.access_token, url: "https://a.example/token?k={{ CLIENT_SECRET }}" } }
      },
      "oauth.access_token.url",
      /into a URL/
    )
    // a literal credential in a URL's query is refused too
    hasIssue({ ...spec, base_url: "https://x.example/api?api_key=abc123" }, "base_url", /parameter "api_key" into a URL/)
  })

  it("a literal secret in the file is refused, and so is a non-secret variable in a secret slot", () => {
    const spec = clientCredentials()
    const withData = (data: Record<string, string>) => ({
      ...spec,
      oauth: { access_token: { ...spec.oauth.access_token, data: { ...spec.oauth.access_token.data, ...data } } }
    })
    hasIssue(withData({ client_secret: "sk_live_123456" }), "oauth.access_token.data.client_secret", /secret written into the file/)
    hasIssue(withData({ client_secret: "{{ CLIENT_ID }}" }), "oauth.access_token.data.client_secret", /not one/)
    hasIssue(withData({ api_key: "abc" }), "oauth.access_token.data.api_key", /secret written into the file/)
    const { client_secret: _secret, ...publicData } = spec.oauth.access_token.data
    hasIssue(
      { ...spec, oauth: { access_token: { ...spec.oauth.access_token, data: publicData } } },
      "oauth.access_token.client_auth",
      /needs a client_secret/
    )
    hasIssue(
      { ...spec, fields: { ...spec.fields, CLIENT_SECRET: { secret: true, default: "hunter2" } } },
      "fields.CLIENT_SECRET.default",
      /secret written into the file/
    )
    // a secret variable in an ordinary body parameter is fine
    assert.isTrue(Either.isRight(ConnectorSpec.decode(withData({ assertion: "{{ CLIENT_SECRET }}" }))))
  })

  it("the code exchange and the refresh request carry what grantflow sends, exactly", () => {
    const spec = codeFlow()
    const access = (data: Record<string, string | undefined>) => ({
      ...spec,
      oauth: {
        ...spec.oauth,
        access_token: { ...spec.oauth.access_token, data: present({ ...spec.oauth.access_token.data, ...data }) }
      }
    })
    const refresh = (data: Record<string, string | undefined>) => ({
      ...spec,
      oauth: { ...spec.oauth, refresh: { ...spec.oauth.refresh, data: present({ ...spec.oauth.refresh.data, ...data }) } }
    })
    hasIssue(access({ grant_type: "client_credentials" }), "oauth.access_token.data.grant_type", /must be "authorization_code"/)
    hasIssue(access({ code: "{{ CLIENT_ID }}" }), "oauth.access_token.data.code", /exactly \{\{ code \}\}/)
    hasIssue(access({ redirect_uri: "https://app.example/cb" }), "oauth.access_token.data.redirect_uri", /exactly \{\{ redirect_url \}\}/)
    hasIssue(access({ foo: "bar" }), "oauth.access_token.data.foo", /is not sent in this request/)
    hasIssue(refresh({ refresh_token: "{{ CLIENT_SECRET }}" }), "oauth.refresh.data.refresh_token", /exactly \{\{ oauth\.refresh_token \}\}/)
    hasIssue(refresh({ grant_type: "refresh" }), "oauth.refresh.data.grant_type", /must be "refresh_token"/)
    hasIssue(refresh({ client_id: undefined }), "oauth.refresh.data.client_id", /is missing/)
  })

  it("without_code: the exchange is sent without a code, and a code in it is an error", () => {
    const spec = codeFlow()
    const { code: _code, ...data } = spec.oauth.access_token.data
    const withoutCode = {
      ...spec,
      oauth: { ...spec.oauth, without_code: true, access_token: { ...spec.oauth.access_token, data } }
    }
    assert.isTrue(definition(withoutCode).authorization!({ CLIENT_ID: "c", REGION: "eu" }).withoutCode)
    hasIssue({ ...spec, oauth: { ...spec.oauth, without_code: true } }, "oauth.access_token.data.code", /left out/)
    hasIssue({ ...spec, oauth: { ...spec.oauth, access_token: { ...spec.oauth.access_token, data } } }, "oauth.access_token.data.code", /is missing/)
  })

  it("the authenticate URL: its client, its redirect URI, and nothing grantflow sets itself", () => {
    const spec = codeFlow()
    const url = (text: string) => ({ ...spec, oauth: { ...spec.oauth, authenticate_url: text } })
    hasIssue(url("https://a.example/authorize?redirect_uri={{ redirect_url }}"), "oauth.authenticate_url", /no client_id/)
    hasIssue(url("https://a.example/authorize?client_id=other&redirect_uri={{ redirect_url }}"), "oauth.authenticate_url", /client_id other than/)
    hasIssue(url("https://a.example/authorize?client_id={{ CLIENT_ID }}"), "oauth.authenticate_url", /redirect_uri=\{\{ redirect_url \}\}/)
    hasIssue(
      url("https://a.example/authorize?client_id={{ CLIENT_ID }}&redirect_uri={{ redirect_url }}&state=fixed"),
      "oauth.authenticate_url",
      /must not set state/
    )
    hasIssue(
      url("https://a.example/authorize?client_id={{ CLIENT_ID }}&redirect_uri={{ redirect_url }}&response_type=token"),
      "oauth.authenticate_url",
      /response_type=code/
    )
  })

  it("client credentials specs cannot have the code flow's keys", () => {
    const spec = clientCredentials()
    hasIssue({ ...spec, oauth: { ...spec.oauth, refresh: codeFlow().oauth.refresh } }, "oauth.refresh", /needs oauth\.authenticate_url/)
    hasIssue({ ...spec, oauth: { ...spec.oauth, without_code: true } }, "oauth.without_code", /needs oauth\.authenticate_url/)
  })

  it("apply, refresh_on and test are checked", () => {
    const spec = clientCredentials()
    hasIssue({ ...spec, apply: { header: "X-Token", query: "token" } }, "apply", /exactly one of header and query/)
    hasIssue({ ...spec, apply: { query: "token", prefix: "Bearer" } }, "apply.prefix", /goes with header/)
    hasIssue({ ...spec, refresh_on: { body_contains: 42 } }, "refresh_on.body_contains", /must be a string/)
    hasIssue({ ...spec, test: { path: "https://other.example/me" } }, "test.path", /relative to base_url/)
    hasIssue({ ...spec, fields: { ...spec.fields, SUBDOMAIN: { pattern: "[" } } }, "fields.SUBDOMAIN.pattern", /not a valid regular expression/)
  })

  it("reports every problem at once, and never quotes a value", () => {
    const spec = clientCredentials()
    const broken = {
      ...spec,
      base_url: "https://{{ NOPE }}.example",
      oauth: {
        access_token: {
          ...spec.oauth.access_token,
          data: { ...spec.oauth.access_token.data, client_secret: "sk_live_do_not_show" }
        }
      },
      test: { path: "https://elsewhere.example" }
    }
    const result = ConnectorSpec.decode(broken)
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.deepStrictEqual(result.left.issues.map((issue) => issue.path), [
        "base_url",
        "oauth.access_token.data.client_secret",
        "test.path"
      ])
      assert.notInclude(result.left.message, "sk_live_do_not_show")
    }
  })

  it("parse: text that is not JSON, without the parser's message (it quotes the text)", () => {
    const result = ConnectorSpec.parse(`{ "name": "calendar", "client_secret": sk_live_not_json`)
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.strictEqual(result.left.message, "invalid connector spec: the document is not valid JSON")
      assert.notInclude(JSON.stringify(result.left), "sk_live")
    }
    assert.isTrue(Either.isRight(ConnectorSpec.parse(JSON.stringify(codeFlow()))))
  })

  it("parse: deep JSON is an issue of the document, not a RangeError", () => {
    // 20 KB of nested arrays overflowed the stack of Schema's decoding
    const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`
    const inAField = JSON.stringify(clientCredentials()).replace(`"name":`, `"description":${nested(10_000)},"name":`)
    for (const text of [nested(10_000), inAField]) {
      const result = ConnectorSpec.parse(text)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.deepStrictEqual(result.left.issues, [{ path: "", message: "nests deeper than 64 levels" }])
      }
    }
    // 64 levels are read; then the spec's structure decides
    assert.deepStrictEqual(issues(JSON.parse(nested(64))), [": must be an object"])
  })

  it("decode: a deep value built in code is refused before it is decoded", () => {
    let deep: unknown = "bottom"
    for (let i = 0; i < 10_000; i++) deep = { nested: deep }
    const result = ConnectorSpec.decode({ ...clientCredentials(), description: deep })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) assert.include(result.left.message, "the document nests deeper than 64 levels")
  })

  it("parse: text longer than 1 MiB is refused unread; up to it, it is read", () => {
    const text = JSON.stringify(clientCredentials())
    const tooLong = ConnectorSpec.parse(text.padEnd(internal.maxTextLength + 1, " "))
    assert.isTrue(Either.isLeft(tooLong))
    if (Either.isLeft(tooLong)) {
      assert.strictEqual(tooLong.left.message, "invalid connector spec: the document is longer than 1048576 characters")
    }
    assert.isTrue(Either.isRight(ConnectorSpec.parse(text.padEnd(internal.maxTextLength, " "))))
  })

  it("a field value cannot move the base URL to another host", () => {
    const helpdesk = definition(clientCredentials())
    const config = { CLIENT_ID: "c", CLIENT_SECRET: Redacted.make("s") }
    for (const subdomain of ["evil.example/#", "evil.example?", "user@evil.example#"]) {
      const url = helpdesk.baseUrl({ ...config, SUBDOMAIN: subdomain })
      // unparseable (the connector refuses it) or still under the API's domain
      assert.isTrue(!URL.canParse(url) || new URL(url).hostname.endsWith(".helpdesk.example"), url)
    }
    assert.strictEqual(helpdesk.baseUrl({ ...config, SUBDOMAIN: "acme" }), "https://acme.helpdesk.example/api/v5")
  })
})

describe("ConnectorSpec: fields reach URLs only when public", () => {
  it("a field that is not public cannot be templated into a URL", () => {
    const spec = clientCredentials()
    const withFields = (fields: Record<string, object>) => ({ ...spec, fields: { ...spec.fields, ...fields } })
    hasIssue(withFields({ SUBDOMAIN: { pattern: "^[a-z0-9-]+$" } }), "base_url", /field \{\{ SUBDOMAIN \}\} into a URL.*"public": true/)
    hasIssue(withFields({ SUBDOMAIN: {} }), "oauth.access_token.url", /field \{\{ SUBDOMAIN \}\} into a URL/)
    const code = codeFlow()
    hasIssue(
      { ...code, fields: { ...code.fields, CLIENT_ID: { label: "Client ID" } } },
      "oauth.authenticate_url",
      /field \{\{ CLIENT_ID \}\} into a URL/
    )
    hasIssue(withFields({ CLIENT_SECRET: { secret: true, public: true } }), "fields.CLIENT_SECRET.public", /secret field/)
    // in a request body a field need not be public
    assert.isTrue(Either.isRight(ConnectorSpec.decode(spec)))
  })

  it("the definition lists the public fields and reads its configuration under GRANTFLOW_<NAME>", () => {
    const helpdesk = definition(clientCredentials())
    assert.deepStrictEqual(helpdesk.publicFields, ["SUBDOMAIN"])
    assert.strictEqual(helpdesk.configPrefix, "GRANTFLOW_HELPDESK")
    assert.strictEqual(definition({ ...clientCredentials(), name: "Help desk-2" }).configPrefix, "GRANTFLOW_HELP_DESK_2")
  })

  // a spec that declares a field named like a variable of the process, and sends it to its own server
  const greedy = () => {
    const spec = clientCredentials()
    return definition({
      ...spec,
      fields: { ...spec.fields, DATABASE_URL: {} },
      oauth: {
        access_token: { ...spec.oauth.access_token, data: { ...spec.oauth.access_token.data, audience: "{{ DATABASE_URL }}" } }
      }
    })
  }
  const process = {
    DATABASE_URL: "postgres://app:db-password@db.internal/prod",
    SUBDOMAIN: "acme",
    CLIENT_ID: "helpdesk-app",
    CLIENT_SECRET: "process-secret"
  }
  const env = (variables: Record<string, string>) =>
    ConfigProvider.fromMap(new Map(Object.entries(variables)), { pathDelim: "_" })
  // values that say where they were read: HELPDESK_SUBDOMAIN is "helpdesk-subdomain"
  const prefixed = (prefix: string) =>
    Object.fromEntries(
      Object.keys(process).map((name) => [`${prefix}_${name}`, `${prefix}_${name}`.toLowerCase().replaceAll("_", "-")])
    )

  it.effect("a file's fields are never read from the bare environment: only under the prefix", () =>
    Effect.gen(function*() {
      const bare = yield* Effect.flip(Effect.withConfigProvider(Connector.config(greedy()), env(process)))
      assert.include(String(bare), "GRANTFLOW_HELPDESK_")
      assert.notInclude(String(bare), "db-password")

      const environment = env({ ...process, ...prefixed("GRANTFLOW_HELPDESK"), ...prefixed("HELPDESK") })
      const byName = yield* Effect.withConfigProvider(Connector.config(greedy()), environment)
      assert.strictEqual(byName["DATABASE_URL"], "grantflow-helpdesk-database-url")
      const given = yield* Effect.withConfigProvider(Connector.config(greedy(), { prefix: "HELPDESK" }), environment)
      assert.strictEqual(given["DATABASE_URL"], "helpdesk-database-url")

      const empty = yield* Effect.flip(Effect.withConfigProvider(Connector.config(greedy(), { prefix: " " }), environment))
      assert.include(String(empty), "prefix of the connector \"helpdesk\" is empty")
    }))
})

describe("ConnectorSpec: errors name the path and the expected shape, never the value, and stay small", () => {
  const secret = "sk_live_4f9a8b7c6d5e"

  it("Schema's own messages, which quote the value, are replaced", () => {
    const spec = codeFlow()
    const broken = {
      ...spec,
      fields: { ...spec.fields, CLIENT_SECRET: { secret, label: 31415926535 } },
      oauth: { ...spec.oauth, access_token: { ...spec.oauth.access_token, client_auth: secret } },
      refresh_on: { statuses: [secret], body_contains: { value: secret } },
      test: { path: "/me", method: secret, timeout_seconds: -27182818284 }
    }
    const result = ConnectorSpec.decode(broken)
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.deepStrictEqual(result.left.issues, [
        { path: "fields.CLIENT_SECRET.label", message: "must be a string" },
        { path: "fields.CLIENT_SECRET.secret", message: "must be a boolean" },
        { path: "oauth.access_token.client_auth", message: "must be one of \"client_secret_post\", \"client_secret_basic\"" },
        { path: "refresh_on.statuses[0]", message: "must be a number" },
        { path: "refresh_on.body_contains", message: "must be a string" },
        { path: "test.method", message: "must be one of \"GET\", \"HEAD\", \"POST\", \"PUT\", \"PATCH\", \"DELETE\", \"OPTIONS\"" },
        { path: "test.timeout_seconds", message: "is not a positive number" }
      ])
      const shown = [result.left.message, JSON.stringify(result.left), Inspectable.format(result.left)].join("\n")
      for (const value of [secret, "31415926535", "27182818284"]) assert.notInclude(shown, value)
    }
    assert.deepStrictEqual(issues({ ...spec, refresh_on: secret }), ["refresh_on: must be an array of statuses or an object"])
    assert.deepStrictEqual(issues(secret), [": must be an object"])
  })

  it("a large hostile spec gives a small error: 20 issues, the rest counted", () => {
    // every unknown variable listed every field: messages of megabytes
    const spec = clientCredentials()
    const fields = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`FIELD_${i}`, {}]))
    const data = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`param_${i}`, `{{ UNKNOWN_${i} }}`]))
    const result = ConnectorSpec.decode({
      ...spec,
      fields: { ...spec.fields, ...fields },
      oauth: { access_token: { ...spec.oauth.access_token, data: { ...spec.oauth.access_token.data, ...data } } }
    })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.strictEqual(result.left.issues.length, internal.maxIssues)
      assert.strictEqual(result.left.omitted, 5_000 - internal.maxIssues)
      assert.match(result.left.message, /; and 4980 more$/)
      assert.include(result.left.issues[0]!.message, "{{ SUBDOMAIN }}, {{ CLIENT_ID }}, {{ CLIENT_SECRET }}, {{ FIELD_0 }}")
      assert.include(result.left.issues[0]!.message, "and 4993 more")
      assert.isAtMost(result.left.message.length, maxMessageLength)
    }
  })

  it("long names from the file are cut short in paths and messages", () => {
    const long = "A".repeat(100_000)
    const spec = clientCredentials()
    const result = ConnectorSpec.decode({ ...spec, [long]: true, base_url: `https://x.example/{{ ${long} }}` })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) assert.isAtMost(result.left.message.length, maxMessageLength)
    const constructed = new ConnectorSpec.ConnectorSpecError({
      issues: Array.from({ length: 1_000 }, () => ({ path: long, message: long }))
    })
    assert.isAtMost(constructed.message.length, maxMessageLength)
    assert.match(constructed.message, /; and 980 more$/)
  })

  // ── generated: valid specs, mutated ───────────────────────────────────────

  const secrets = FastCheck.oneof(
    FastCheck.stringMatching(/^[\w-]{12,40}$/).map((text) => `sk_${text}`),
    FastCheck.integer({ min: 10 ** 9, max: Number.MAX_SAFE_INTEGER })
  )
  const hostile = FastCheck.letrec<{ value: unknown }>((tie) => ({
    value: FastCheck.oneof(
      { depthSize: "small", withCrossShrink: true },
      secrets,
      FastCheck.constantFrom(true, null, "", "{{", "}}"),
      FastCheck.array(tie("value"), { maxLength: 3 }),
      FastCheck.dictionary(FastCheck.constantFrom("secret", "url", "data", "x"), tie("value"), { maxKeys: 3 }),
      FastCheck.tuple(FastCheck.integer({ min: 60, max: 300 }), secrets).map(([depth, value]) => {
        let deep: unknown = value
        for (let i = 0; i < depth; i++) deep = [deep]
        return deep
      })
    )
  })).value

  type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

  /** Every path of a JSON value, the root included. */
  const pathsOf = (value: Json, path: ReadonlyArray<string | number> = []): ReadonlyArray<ReadonlyArray<string | number>> =>
    typeof value !== "object" || value === null
      ? [path]
      : [
        path,
        ...(Array.isArray(value)
          ? (value as ReadonlyArray<Json>).flatMap((item, i) => pathsOf(item, [...path, i]))
          : Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...path, key])))
      ]

  type Mutation = { readonly at: number; readonly kind: "replace" | "remove" | "add"; readonly value: unknown }

  const mutate = (value: Json, path: ReadonlyArray<string | number>, mutation: Mutation): unknown => {
    if (path.length === 0) {
      if (mutation.kind === "replace") return mutation.value
      if (mutation.kind === "add" && typeof value === "object" && value !== null && !Array.isArray(value)) {
        return { ...value, unknown_key: mutation.value }
      }
      return mutation.kind === "remove" ? undefined : value
    }
    const [head, ...rest] = path
    if (Array.isArray(value)) {
      const copy: Array<unknown> = [...value]
      copy[head as number] = mutate(value[head as number], rest, mutation)
      return copy
    }
    const object = value as { readonly [key: string]: Json }
    const inner = mutate(object[head as string]!, rest, mutation)
    const { [head as string]: _, ...others } = object
    return inner === undefined ? others : { ...others, [head as string]: inner }
  }

  const mutations = FastCheck.array(
    FastCheck.record({
      at: FastCheck.nat(),
      kind: FastCheck.constantFrom<Mutation["kind"]>("replace", "remove", "add"),
      value: hostile
    }),
    { minLength: 1, maxLength: 4 }
  )

  /** The secrets a mutated spec holds: strings starting `sk_` and large numbers, wherever they are. */
  const secretsIn = (value: unknown): ReadonlyArray<string> => {
    const found: Array<string> = []
    const stack: Array<unknown> = [value]
    while (stack.length > 0) {
      const current = stack.pop()
      if (typeof current === "string" && current.startsWith("sk_")) found.push(current)
      else if (typeof current === "number" && current >= 10 ** 9) found.push(String(current))
      else if (typeof current === "object" && current !== null) stack.push(...Object.values(current))
    }
    return found
  }

  it.prop(
    "mutated specs: a typed result, a bounded message, no value quoted",
    [FastCheck.constantFrom(codeFlow, clientCredentials), mutations, FastCheck.boolean()],
    ([make, changes, asText]) => {
      const mutated = changes.reduce<unknown>((spec, change) => {
        const paths = pathsOf(spec as Json)
        return mutate(spec as Json, paths[change.at % paths.length]!, change) ?? {}
      }, make())
      const result = asText ? ConnectorSpec.parse(JSON.stringify(mutated)) : ConnectorSpec.decode(mutated)
      if (Either.isRight(result)) return
      const error = result.left
      assert.strictEqual(error._tag, "ConnectorSpecError")
      assert.isAtMost(error.issues.length, internal.maxIssues)
      assert.isAtMost(error.message.length, maxMessageLength)
      const shown = [error.message, JSON.stringify(error), Inspectable.format(error)].join("\n")
      for (const value of secretsIn(mutated)) assert.notInclude(shown, value)
      // the public Schema, read with Schema's own formatter, quotes no value either
      if (error.message.includes("nests deeper")) return
      const direct = Schema.decodeUnknownEither(ConnectorSpec.Spec, { errors: "all", onExcessProperty: "error" })(mutated)
      assert.isTrue(Either.isLeft(direct))
      if (Either.isLeft(direct)) for (const value of secretsIn(mutated)) assert.notInclude(direct.left.message, value)
    },
    { fastCheck: { numRuns: 300 } }
  )
})

describe("ConnectorSpec: nothing in a file can make grantflow backtrack", () => {
  // 3 s and more each with the patterns taken as written
  const exponential = ["^(a+)+$", "^(a|aa)*$", "^((ab?)c?)+$", "(\\w+\\s?)*$"]
  const polynomial = ["\\s*\\s*\\s*x", "a*b*c*d", "a{0,20}a{0,20}a{0,20}a{0,20}b"]

  it("a field pattern must be simple: no repeated group holding a repetition or an alternation, few repetitions", () => {
    const spec = clientCredentials()
    for (const pattern of [...exponential, ...polynomial, "(\\w)\\1", "x".repeat(257)]) {
      hasIssue(
        { ...spec, fields: { ...spec.fields, SUBDOMAIN: { pattern, public: true } } },
        "fields.SUBDOMAIN.pattern",
        /must be simple/
      )
    }
    for (const pattern of ["^[a-z0-9-]+$", "^(?:eu|us)$", "^\\d{1,14}(?:\\.\\d{0,6})?$", "^[a-z]+\\.[a-z]+$", "^(ab)+$"]) {
      assert.isTrue(
        Either.isRight(ConnectorSpec.decode({ ...spec, fields: { ...spec.fields, SUBDOMAIN: { pattern, public: true } } })),
        pattern
      )
    }
  })

  it("a value checked against a pattern is at most 256 characters, and is checked in time", () => {
    const spec = clientCredentials()
    const helpdesk = definition({ ...spec, fields: { ...spec.fields, SUBDOMAIN: { pattern: "^[a-z]+[a-z0-9]*$", public: true } } })
    const config = { CLIENT_ID: "id", CLIENT_SECRET: "secret" }
    const long = Connector.decodeConfig(helpdesk, { ...config, SUBDOMAIN: "a".repeat(257) })
    assert.isTrue(Either.isLeft(long) && long.left.message.includes("SUBDOMAIN is longer than 256 characters"))
    const started = performance.now()
    const hostile = Connector.decodeConfig(helpdesk, { ...config, SUBDOMAIN: `${"a".repeat(255)}!` })
    assert.isTrue(Either.isLeft(hostile))
    assert.isBelow(performance.now() - started, 50)
  })

  it("refresh_on names texts, searched literally", () => {
    const spec = clientCredentials()
    const rules = definition({ ...spec, refresh_on: { body_contains: ["(a+)+$", "token.expired"] } }).refreshOn!
    assert.isTrue(rules.bodyPattern!.test(`{"error":"(a+)+$"}`))
    assert.isTrue(rules.bodyPattern!.test("token.expired"))
    assert.isFalse(rules.bodyPattern!.test("token expired"))
    const started = performance.now()
    assert.isFalse(rules.bodyPattern!.test(`${"a".repeat(64 * 1024)}!`))
    assert.isBelow(performance.now() - started, 50)
    hasIssue({ ...spec, refresh_on: { body_pattern: "token expired" } }, "refresh_on.body_pattern", /is not a known key/)
  })
})

describe("ConnectorSpec: names from the file are escaped in messages", () => {
  it("a key holding a newline or an escape sequence cannot forge a log line", () => {
    const result = ConnectorSpec.decode({ ...clientCredentials(), "x\nINFO forged\u001b[2J": 1 })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.notInclude(result.left.message, "\n")
      assert.notInclude(result.left.message, "\u001b")
      assert.include(result.left.message, "x\\nINFO forged\\u001b[2J")
    }
  })
})
