/**
 * The three-line property test of docs/property-testing.md, run as a user pastes it: under vitest's default
 * timeout (5 seconds; this repository's config raises it for every other file) and with the kit's defaults.
 * The code between the markers is the doc's first code block, character for character: the last test
 * checks that, and `tsc -b` type-checks it here.
 */
import * as fs from "node:fs"
import { vi } from "vitest"

vi.setConfig({ testTimeout: 5_000 })

// ---- docs/property-testing.md, "The three-line test" ----
import { it } from "@effect/vitest"
import { BearerAuth, ClientAuth, Endpoint, Grant, TokenProvider } from "@grantflow/core"
import { Scenario } from "@grantflow/testing"
import { Layer, Redacted } from "effect"

// your integration: a layer that provides an authenticated HttpClient
const Integration = BearerAuth.layer().pipe(Layer.provide(TokenProvider.layer(Grant.clientCredentials(Endpoint.make({
  tokenUrl: "http://127.0.0.1/token",
  auth: ClientAuth.clientSecretBasic(Scenario.clientId, Redacted.make(Scenario.clientSecret))
})))))

it.effect("the integration keeps every invariant", () => Scenario.check(Integration))
// ---- end of the doc's code ----

it("is the doc's code block as written", () => {
  const doc = fs.readFileSync(new URL("../../../docs/property-testing.md", import.meta.url), "utf8")
  const block = /## The three-line test\n+```ts\n([\s\S]*?)```/.exec(doc)?.[1]
  const self = fs.readFileSync(new URL(import.meta.url), "utf8")
  const copy = /\/\/ ---- docs\/property-testing\.md, "The three-line test" ----\n([\s\S]*?)\/\/ ---- end of the doc's code ----/
    .exec(self)?.[1]
  if (block === undefined || copy === undefined) throw new Error("the code block or its copy is missing")
  if (copy !== block) throw new Error(`the copy differs from the doc's code block:\n${block}`)
})
