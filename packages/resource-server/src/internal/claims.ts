import * as Option from "effect/Option"
import type * as TokenVerifier from "../TokenVerifier.js"
import * as tokenVerifier from "./tokenVerifier.js"

const text = (value: unknown): Option.Option<string> =>
  typeof value === "string" && value !== "" ? Option.some(value) : Option.none()

const strings = (value: unknown): ReadonlyArray<string> =>
  typeof value === "string"
    ? [value]
    : Array.isArray(value)
    ? value.filter((item): item is string => typeof item === "string")
    : []

/**
 * The scopes of a token: `scope`, space-separated (RFC 9068 §2.2.3,
 * RFC 7662 §2.2), or else a `scp` list, which several providers send.
 *
 * @internal
 */
export const scopes = (claims: Readonly<Record<string, unknown>>): ReadonlyArray<string> => {
  const scope = claims["scope"]
  if (typeof scope === "string") return scope.split(" ").filter((s) => s !== "")
  const scp = claims["scp"]
  return typeof scp === "string" ? scp.split(" ").filter((s) => s !== "") : strings(scp)
}

/**
 * The audiences of a token: `aud`, a string or a list.
 *
 * @internal
 */
export const audiences = (claims: Readonly<Record<string, unknown>>): ReadonlyArray<string> => strings(claims["aud"])

// an `exp` of 1e306 seconds is a valid JSON number whose milliseconds are Infinity: no expiry to speak of
const expiresAt = (exp: unknown): Option.Option<number> =>
  typeof exp === "number" && Number.isFinite(exp * 1000) ? Option.some(exp * 1000) : Option.none()

/**
 * A verified token from the claims of a JWT or an introspection answer,
 * which share their names (RFC 7662 §2.2, RFC 9068 §2.2).
 *
 * @internal
 */
export const verifiedToken = (claims: Readonly<Record<string, unknown>>): TokenVerifier.VerifiedToken =>
  new tokenVerifier.VerifiedToken({
    subject: text(claims["sub"]),
    clientId: Option.orElse(text(claims["client_id"]), () => text(claims["azp"])),
    scopes: scopes(claims),
    issuer: text(claims["iss"]),
    audience: audiences(claims),
    expiresAt: expiresAt(claims["exp"]),
    claims
  })
