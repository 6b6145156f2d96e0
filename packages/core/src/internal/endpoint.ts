import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Record from "effect/Record"
import { pipeArguments } from "effect/Pipeable"
import type * as Discovery from "../Discovery.js"
import type * as Endpoint from "../Endpoint.js"
import * as TokenError from "../TokenError.js"
import * as TokenResponse from "../TokenResponse.js"

/** @internal */
export const TypeId: Endpoint.TypeId = Symbol.for("@grantflow/core/Endpoint") as Endpoint.TypeId

/** @internal */
export const defaultTimeout: Duration.Duration = Duration.seconds(30)

/**
 * `localhost`, `[::1]` and `127.0.0.0/8`: hosts on which plain `http:` cannot
 * be overheard.
 *
 * @internal
 */
export const isLoopback = (hostname: string): boolean =>
  hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)

/**
 * The one check of a URL that credentials or tokens are sent to: it must
 * parse, use `https:` (plain `http:` only for a loopback host or with
 * `allowInsecure`), and carry no credentials and no fragment. The reason names
 * the URL by `name` and never quotes it: it may be a misplaced secret.
 *
 * @internal
 */
export const checkUrl = (
  input: string | URL,
  allowInsecure: boolean,
  name: string
): Either.Either<URL, string> => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return Either.left(`the ${name} is not an absolute URL`)
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return Either.left(`the ${name} must use https: (it uses ${url.protocol})`)
  }
  if (url.protocol === "http:" && !allowInsecure && !isLoopback(url.hostname)) {
    return Either.left(
      `the ${name} must use https: — plain http: is allowed only for a loopback host ` +
        "(127.0.0.0/8, [::1], localhost) or with allowInsecure: true"
    )
  }
  if (url.hash !== "") return Either.left(`the ${name} must not contain a fragment (RFC 6749 §3.2)`)
  if (url.username !== "" || url.password !== "") {
    return Either.left(`the ${name} must not contain credentials; pass them as the client authentication`)
  }
  return Either.right(url)
}

/**
 * {@link checkUrl} with its reason as an `InvalidTokenRequest`.
 *
 * @internal
 */
export const checkEndpointUrl = (
  input: string | URL,
  allowInsecure: boolean,
  name: string
): Either.Either<URL, TokenError.InvalidTokenRequest> =>
  Either.mapLeft(checkUrl(input, allowInsecure, name), (reason) => new TokenError.InvalidTokenRequest({ reason }))

const names: Record<Endpoint.Purpose, string> = {
  token: "token URL",
  revocation: "revocation URL",
  introspection: "introspection URL",
  deviceAuthorization: "device authorization URL",
  pushedAuthorization: "pushed authorization request URL"
}

const optionKeys = {
  token: "tokenUrl",
  revocation: "revocationUrl",
  introspection: "introspectionUrl",
  deviceAuthorization: "deviceAuthorizationUrl",
  pushedAuthorization: "pushedAuthorizationUrl"
} as const satisfies Record<Endpoint.Purpose, keyof Endpoint.Options>

const purposes: ReadonlyArray<Endpoint.Purpose> = [
  "token",
  "revocation",
  "introspection",
  "deviceAuthorization",
  "pushedAuthorization"
]

type Checked = Readonly<Record<Endpoint.Purpose, Option.Option<Either.Either<URL, TokenError.InvalidTokenRequest>>>>

type Settings = Pick<
  Endpoint.Endpoint,
  | "auth"
  | "timeout"
  | "allowInsecure"
  | "defaultLifetime"
  | "maxLifetime"
  | "issuer"
  | "requirePushedAuthorizationRequests"
  | "dpop"
  | "requestBody"
>

const Proto = {
  [TypeId]: TypeId,
  pipe() {
    // eslint-disable-next-line prefer-rest-params -- pipeArguments takes the arguments object, as in Effect's own data types
    return pipeArguments(this, arguments)
  },
  toJSON(this: Endpoint.Endpoint) {
    // the URLs' host and path, never the client authentication
    return {
      _id: "Endpoint",
      issuer: Option.getOrUndefined(this.issuer),
      urls: Object.fromEntries(purposes.flatMap((purpose) =>
        Option.match(checkedOf(this)[purpose], {
          onNone: () => [],
          onSome: Either.match({
            onLeft: () => [[purpose, "<invalid>"]],
            onRight: (url) => [[purpose, `${url.origin}${url.pathname}`]]
          })
        })
      )),
      auth: this.auth === undefined ? "absent" : this.auth._tag,
      ...(this.dpop === undefined ? {} : { dpop: this.dpop.alg })
    }
  },
  toString(this: Endpoint.Endpoint) {
    return Inspectable.format(this.toJSON())
  },
  [Inspectable.NodeInspectSymbol](this: Endpoint.Endpoint) {
    return this.toJSON()
  }
}

interface EndpointImpl extends Endpoint.Endpoint {
  readonly checked: Checked
}

const build = (checked: Checked, settings: Settings): EndpointImpl =>
  Object.assign(Object.create(Proto), { checked, ...settings })

// every Endpoint is made by `build`
const checkedOf = (self: Endpoint.Endpoint): Checked => (self as EndpointImpl).checked

const settingsOf = (
  options: Endpoint.Settings,
  issuer: Option.Option<string>,
  requirePushedAuthorizationRequests: boolean | undefined
): Settings => ({
  auth: options.auth,
  timeout: Duration.decode(options.timeout ?? defaultTimeout),
  allowInsecure: options.allowInsecure === true,
  defaultLifetime: Duration.decode(options.defaultLifetime ?? TokenResponse.defaultLifetime),
  maxLifetime: Duration.decode(options.maxLifetime ?? TokenResponse.defaultMaxLifetime),
  issuer,
  requirePushedAuthorizationRequests: requirePushedAuthorizationRequests === true,
  dpop: options.dpop,
  requestBody: options.requestBody ?? "form"
})

/** @internal */
export const make = (options: Endpoint.Options): Endpoint.Endpoint => {
  const allowInsecure = options.allowInsecure === true
  const checked: Checked = Record.map(optionKeys, (key, purpose) =>
    Option.map(Option.fromNullable(options[key]), (given) => checkEndpointUrl(given, allowInsecure, names[purpose])))
  return build(checked, settingsOf(options, Option.none(), options.requirePushedAuthorizationRequests))
}

/** @internal */
export const fromMetadata = (metadata: Discovery.Metadata, options: Endpoint.Settings = {}): Endpoint.Endpoint => {
  const allowInsecure = options.allowInsecure === true
  const fromField = (purpose: Endpoint.Purpose, field: Option.Option<string>) =>
    Option.map(field, (url) => checkEndpointUrl(url, allowInsecure, names[purpose]))
  return build({
    token: fromField("token", metadata.tokenEndpoint),
    revocation: fromField("revocation", metadata.revocationEndpoint),
    introspection: fromField("introspection", metadata.introspectionEndpoint),
    deviceAuthorization: fromField("deviceAuthorization", metadata.deviceAuthorizationEndpoint),
    pushedAuthorization: fromField("pushedAuthorization", metadata.pushedAuthorizationRequestEndpoint)
  }, settingsOf(options, Option.some(metadata.issuer), metadata.requirePushedAuthorizationRequests))
}

/** @internal */
export const url = (
  self: Endpoint.Endpoint,
  purpose: Endpoint.Purpose
): Either.Either<URL, TokenError.InvalidTokenRequest> =>
  Option.getOrElse(
    checkedOf(self)[purpose],
    () =>
      Either.left(
        new TokenError.InvalidTokenRequest({
          reason: Option.isSome(self.issuer)
            ? `the issuer's metadata names no ${names[purpose]}: set ${optionKeys[purpose]} in Endpoint.make`
            : `the endpoint has no ${names[purpose]}: set ${optionKeys[purpose]} in Endpoint.make`
        })
      )
  )
