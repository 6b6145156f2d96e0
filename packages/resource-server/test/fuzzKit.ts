/**
 * The resource server's fuzz inputs (issue 12, section 6): generated and
 * mutated Authorization headers, JWKS and introspection responses, with the
 * check of a parsed header. The machinery is core's fuzz kit.
 */
import { FastCheck, Redacted } from "effect"
import { issuer, sentAt } from "../../core/test/entryPoints.js"
import { describeInput, leaked, plantedAnyType, type Problems, replaceSome, run } from "../../core/test/fuzzKit.js"
import { adversarial, hostileValue, planted, plantedValues } from "../../core/test/hostile.js"
import * as entry from "./entryPoints.js"

const whitespace = FastCheck.oneof(
  FastCheck.constantFrom("", " ", "\t", "  "),
  FastCheck.integer({ min: 1, max: 12 * 1024 }).map((n) => " ".repeat(n)),
  FastCheck.integer({ min: 1, max: 12 * 1024 }).map((n) => " \t".repeat(n))
)

/** A header value: a scheme, whitespace, a credential (a planted token, spoiled or not), whitespace. */
export const authorizationHeader: FastCheck.Arbitrary<string> = FastCheck.oneof(
  FastCheck.tuple(
    whitespace,
    FastCheck.constantFrom("Bearer", "bearer", "BEARER", "Basic", "Bearer,", "Bear", "", "DPoP", "dpop", "DPoP,"),
    whitespace,
    FastCheck.oneof(
      FastCheck.constantFrom(planted.accessToken, planted.short, planted.idToken, `${planted.accessToken}==`),
      FastCheck.constantFrom(`${planted.accessToken}\u0000`, `${planted.accessToken} x`, `${planted.short}=a`),
      adversarial(10 * 1024)
    ),
    whitespace
  ).map((parts) => parts.join("")),
  adversarial(16 * 1024)
)

const b64token = /^[\w\-.~+/]+=*$/

/** The header parsed as a resource server that takes bearer tokens only, and as one that takes DPoP too. */
export const checkAuthorizationHeader = (value: string): Problems => {
  const parsers = {
    "bearerToken.parseHeader": entry.authorizationHeader,
    "bearerToken.parseHeader (DPoP taken)": entry.dpopAuthorizationHeader
  }
  const found: Array<string> = []
  for (const [name, parse] of Object.entries(parsers)) {
    const { problems, result } = run(name, () => parse(value))
    found.push(...problems)
    if (result !== undefined) {
      if (result._tag === "Invalid") found.push(...leaked(name, result.description, plantedValues))
      if (result._tag === "Token") {
        const token = Redacted.value(result.token)
        if (token.length > 8 * 1024 || !b64token.test(token)) found.push(`${name}: accepted a token that is not a b64token`)
        found.push(...leaked(name, result, plantedValues))
      }
    }
  }
  return found.map((p) => `${p} — input ${describeInput(value)}`)
}


const jwksBase = () => ({
  keys: [
    {
      kty: "RSA",
      kid: "k1",
      use: "sig",
      alg: "RS256",
      n: "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
      e: "AQAB",
      d: planted.privateKey
    }
  ]
})

/** A JWKS (RFC 7517) whose key holds a planted private part, with values replaced by hostile ones. */
export const jwksDocument = replaceSome(jwksBase, FastCheck.oneof(hostileValue, plantedAnyType))

const introspectionBase = () => ({
  active: true,
  scope: "orders.read",
  client_id: "orders-app",
  sub: "user-1",
  iss: issuer,
  exp: sentAt / 1000 + 3600,
  token_type: "Bearer",
  access_token: planted.accessToken
})

/** An RFC 7662 introspection response with values replaced by hostile ones. */
export const introspectionDocument = replaceSome(introspectionBase, FastCheck.oneof(hostileValue, plantedAnyType))
