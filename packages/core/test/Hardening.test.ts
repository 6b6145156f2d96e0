/**
 * Issue 12, section 1: every parser entry point of the client answers any
 * input up to its size cap within a per-input time bound (the one place a
 * test measures time): the inputs of the security review, their 1 MiB
 * variants, and generated adversarial inputs. Each answer is a value or a
 * typed error, never a throw. The resource server's parsers have their suite
 * in its package.
 */
import type { Effect, Either } from "effect"
import * as entry from "./entryPoints.js"
import { describeDocuments, describeSyncEntryPoints, inBody, json, KiB, MiB, type SyncEntryPoint } from "./hardeningKit.js"

/** The synchronous entry points, each with the size cap of what it reads. */
const syncEntryPoints: Record<string, SyncEntryPoint> = {
  "token response, JSON (tokenRequest.interpret)": { cap: MiB, run: (text) => entry.interpret(text, json) },
  "token response, text/html (tokenRequest.interpret)": { cap: MiB, run: (text) => entry.interpret(text, "text/html") },
  "token response, no content type (TokenResponse.parseBody + decode)": {
    cap: MiB,
    run: (text) => entry.parseAndDecode(text, undefined)
  },
  "token response, form (TokenResponse.parseBody + decode)": {
    cap: MiB,
    run: (text) => entry.parseAndDecode(text, "application/x-www-form-urlencoded")
  },
  "device authorization response (tokenRequest.interpretJson)": {
    cap: MiB,
    run: (text) => entry.interpretJson(text, "text/plain")
  },
  "registration response (Registration.interpret)": { cap: MiB, run: (text) => entry.registration(text, json) },
  ...Object.fromEntries(
    ["client_id", "client_secret", "client_secret_expires_at", "registration_access_token"].map((field) => [
      `registration response field ${field} (Registration.interpret)`,
      { cap: MiB, run: (text: string) => entry.registration(inBody(field, text), json) }
    ])
  ),
  "pushed authorization response (authorizationCode.interpretPushed)": {
    cap: MiB,
    run: (text) => entry.interpretPushed(text, json)
  },
  ...Object.fromEntries(
    ["request_uri", "expires_in"].map((field) => [
      `pushed authorization response field ${field} (authorizationCode.interpretPushed)`,
      { cap: MiB, run: (text: string) => entry.interpretPushed(inBody(field, text), json) }
    ])
  ),
  "error body, HTTP 400 (tokenRequest.interpret)": { cap: MiB, run: (text) => entry.interpret(text, json, 400) },
  ...Object.fromEntries(
    ["expires_in", "token_type", "scope", "access_token", "refresh_token"].map((field) => [
      `token response field ${field} (tokenRequest.interpret)`,
      { cap: MiB, run: (text: string) => entry.interpret(inBody(field, text), json) }
    ])
  ),
  ...Object.fromEntries(
    ["error", "error_description", "error_uri"].map((field) => [
      `error body field ${field}, and the OAuthError's message (tokenRequest.interpret)`,
      {
        cap: MiB,
        run: (text: string) => entry.interpret(inBody(field, text, { error: "invalid_grant" }), json, 400)
      }
    ])
  ),
  "connector spec (ConnectorSpec.parse)": { cap: MiB, run: entry.connectorSpec },
  "callback query (AuthorizationCode.callback)": { cap: 8 * KiB, run: entry.callback },
  "WWW-Authenticate challenge (bearerAuth.isRejected)": {
    cap: 8 * KiB,
    run: (text) => entry.challenge(entry.asHeaderValue(text))
  },
  "WWW-Authenticate challenges (Discovery.parseChallenges)": {
    cap: 8 * KiB,
    run: entry.resourceMetadataChallenge
  },
  "Retry-After header (retryAfter.parse)": { cap: 8 * KiB, run: entry.retryAfterHeader }
}

const documents: Record<string, (body: string) => Effect.Effect<Either.Either<unknown, unknown>>> = {
  "metadata (Discovery.fetch)": entry.discovery,
  "protected resource metadata (Discovery.fetchResource)": entry.resourceDiscovery,
  "an API's base URL learnt after the token (Connector.discovery)": entry.baseUrlDiscovery
}

describeSyncEntryPoints(syncEntryPoints)
describeDocuments(documents)
