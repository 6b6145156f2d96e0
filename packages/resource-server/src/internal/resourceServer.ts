import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Discovery from "@grantflow/core/Discovery"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as DpopProof from "../DpopProof.js"
import type * as ResourceServer from "../ResourceServer.js"
import * as TokenVerifier from "../TokenVerifier.js"
import * as bearerToken from "./bearerToken.js"

/** @internal */
export class Caller extends Context.Tag("@grantflow/resource-server/ResourceServer/Caller")<
  Caller,
  TokenVerifier.VerifiedToken
>() {}

/** @internal */
export class MissingToken extends Schema.TaggedError<MissingToken>()(
  "MissingToken",
  {},
  HttpApiSchema.annotations({ status: 401 })
) {
  override get message(): string {
    return "the request carries no bearer token; send one in the Authorization header"
  }
}

const description = Schema.String.pipe(Schema.propertySignature, Schema.fromKey("error_description"))

// the scheme of the challenge: the one the request used (RFC 9449 §7.1), Bearer when absent
const scheme = Schema.optional(Schema.Literal("Bearer", "DPoP"))

/** @internal */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()(
  "InvalidRequest",
  { description, scheme },
  HttpApiSchema.annotations({ status: 400 })
) {
  override get message(): string {
    return `the request was refused as malformed: ${this.description}`
  }
}

/** @internal */
export class InvalidToken extends Schema.TaggedError<InvalidToken>()(
  "InvalidToken",
  { description, scheme },
  HttpApiSchema.annotations({ status: 401 })
) {
  override get message(): string {
    return `the access token was refused: ${this.description}`
  }
}

/** @internal */
export class InvalidDpopProof extends Schema.TaggedError<InvalidDpopProof>()(
  "InvalidDpopProof",
  { description },
  HttpApiSchema.annotations({ status: 401 })
) {
  override get message(): string {
    return `the request's DPoP proof was refused: ${this.description}`
  }
}

const useDpopNonce = "The resource server requires the nonce of its DPoP-Nonce header in the DPoP proof"

/** @internal */
export class UseDpopNonce extends Schema.TaggedError<UseDpopNonce>()(
  "UseDpopNonce",
  { nonce: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {
  override get message(): string {
    return "the request's DPoP proof lacks the server's current nonce; sign a new proof with the nonce of the DPoP-Nonce header"
  }
}

/** @internal */
export class InsufficientScope extends Schema.TaggedError<InsufficientScope>()(
  "InsufficientScope",
  { scope: Schema.String, scheme },
  HttpApiSchema.annotations({ status: 403 })
) {
  override get message(): string {
    return `the access token lacks the scope this resource requires (${this.scope})`
  }
}

/** @internal */
export class TemporarilyUnavailable extends Schema.TaggedError<TemporarilyUnavailable>()(
  "TemporarilyUnavailable",
  {},
  HttpApiSchema.annotations({ status: 503 })
) {
  override get message(): string {
    return "the access token could not be verified now; try again later"
  }
}

/** @internal */
export const Refusal = Schema.Union(
  MissingToken,
  InvalidRequest,
  InvalidToken,
  InvalidDpopProof,
  UseDpopNonce,
  InsufficientScope,
  TemporarilyUnavailable
)

const refusalTags: ReadonlyArray<ResourceServer.Refusal["_tag"]> = [
  "MissingToken",
  "InvalidRequest",
  "InvalidToken",
  "InvalidDpopProof",
  "UseDpopNonce",
  "InsufficientScope",
  "TemporarilyUnavailable"
]

const isRefusal = (u: unknown): u is ResourceServer.Refusal =>
  Predicate.hasProperty(u, "_tag") && (refusalTags as ReadonlyArray<unknown>).includes(u._tag)

const encodeError = Schema.encodeSync(Refusal)

/** @internal */
export const toResponse = (
  error: ResourceServer.Refusal,
  options: ResourceServer.ChallengeOptions = {}
): HttpServerResponse.HttpServerResponse => {
  const realm = `realm=${bearerToken.quote(options.realm ?? "api")}`
  // RFC 9728 §5.1: every challenge says where the resource's metadata is
  const metadata = options.resourceMetadata === undefined
    ? ""
    : `, resource_metadata=${bearerToken.quote(String(options.resourceMetadata))}`
  const dpop = options.dpop
  // RFC 9449 §7.1: a DPoP challenge names the proof algorithms taken
  const challengeOf = (scheme: bearerToken.Scheme, params: string) =>
    scheme === "Bearer"
      ? `Bearer ${realm}${params}${metadata}`
      : `DPoP ${realm}${params}${
        dpop === undefined ? "" : `, algs=${bearerToken.quote(dpop.algorithms.join(" "))}`
      }${metadata}`
  const withError = (code: string, text: string, extra = "") =>
    `, error="${code}", error_description=${bearerToken.quote(text)}${extra}`
  // the schemes the resource takes: Bearer unless DPoP only, DPoP when its verifier takes proofs
  const schemes: ReadonlyArray<bearerToken.Scheme> = dpop === undefined
    ? ["Bearer"]
    : dpop.required
    ? ["DPoP"]
    : ["Bearer", "DPoP"]
  const status = error._tag === "InvalidRequest"
    ? 400
    : error._tag === "InsufficientScope"
    ? 403
    : error._tag === "TemporarilyUnavailable"
    ? 503
    : 401
  // a refusal in the scheme the request used; a 401 also names the other schemes taken (RFC 9110 §11.6.1)
  const refused = (scheme: bearerToken.Scheme, params: string) =>
    [
      challengeOf(scheme, params),
      ...(status === 401 ? schemes.filter((other) => other !== scheme).map((other) => challengeOf(other, "")) : [])
    ].join(", ")
  const challengeHeader = error._tag === "MissingToken"
    ? schemes.map((scheme) => challengeOf(scheme, "")).join(", ")
    : error._tag === "InvalidRequest"
    ? refused(error.scheme ?? "Bearer", withError("invalid_request", error.description))
    : error._tag === "InvalidToken"
    ? refused(error.scheme ?? "Bearer", withError("invalid_token", error.description))
    : error._tag === "InvalidDpopProof"
    ? refused("DPoP", withError("invalid_dpop_proof", error.description))
    : error._tag === "UseDpopNonce"
    ? refused("DPoP", withError("use_dpop_nonce", useDpopNonce))
    : error._tag === "InsufficientScope"
    ? refused(
      error.scheme ?? "Bearer",
      withError(
        "insufficient_scope",
        "The access token lacks the scope this resource requires",
        `, scope=${bearerToken.quote(error.scope)}`
      )
    )
    : undefined
  return HttpServerResponse.unsafeJson(encodeError(error), {
    status,
    headers: {
      "cache-control": "no-store",
      ...(challengeHeader === undefined ? {} : { "www-authenticate": challengeHeader }),
      ...(error._tag === "UseDpopNonce" ? { "dpop-nonce": error.nonce } : {})
    }
  })
}

// RFC 9449 §7.1: a proof that fails its checks is an invalid_dpop_proof; a token not bound to its key, an invalid_token
const dpopBinding: ReadonlyArray<TokenVerifier.FailureReason> = ["DpopKeyMismatch", "DpopBound", "DpopUnbound", "DpopRequired"]

const fromVerifier = (
  error: TokenVerifier.VerificationError,
  scheme: bearerToken.Scheme,
  dpop: DpopProof.Verifier | undefined
): Effect.Effect<never, InvalidToken | InvalidDpopProof | UseDpopNonce | TemporarilyUnavailable> => {
  if (error._tag !== "VerificationFailed") {
    return Effect.logWarning("grantflow: access token could not be verified; the request is refused with 503").pipe(
      Effect.annotateLogs({ error: error.message }),
      Effect.zipRight(Effect.fail(new TemporarilyUnavailable()))
    )
  }
  const refusal: Effect.Effect<never, InvalidToken | InvalidDpopProof | UseDpopNonce> = error.reason === "DpopNonce"
    ? Effect.flatMap(
      dpop?.currentNonce ?? Effect.succeedNone,
      Option.match({
        onSome: (nonce): Effect.Effect<never, InvalidDpopProof | UseDpopNonce> => Effect.fail(new UseDpopNonce({ nonce })),
        onNone: () => Effect.fail(new InvalidDpopProof({ description: error.description }))
      })
    )
    : error.reason.startsWith("Dpop") && !dpopBinding.includes(error.reason)
    ? Effect.fail(new InvalidDpopProof({ description: error.description }))
    : Effect.fail(
      new InvalidToken({
        description: error.description,
        // a bound token refused, however presented, is answered in the scheme it is bound for, if taken here
        ...(scheme === "DPoP" || (dpop !== undefined && dpopBinding.includes(error.reason)) ? { scheme: "DPoP" as const } : {})
      })
    )
  return Effect.logDebug("grantflow: access token refused").pipe(
    Effect.annotateLogs({ reason: error.reason }),
    Effect.zipRight(refusal)
  )
}

const refuse = (reason: TokenVerifier.FailureReason) => Effect.fail(new TokenVerifier.VerificationFailed({ reason }))

/**
 * The URL the client called, as a proof's `htu` names it: under `publicUrl`
 * when set (the server's external URL, behind a proxy), else as the request
 * says (its `Host` header, and `X-Forwarded-Proto: https`). The path is the
 * request's as it arrived, before a router's mount point was cut from it.
 */
const requestUrl = (request: HttpServerRequest.HttpServerRequest, publicUrl: ResourceServer.Options["publicUrl"]) => {
  if (typeof publicUrl === "function") return publicUrl(request)
  const path = new URL(request.originalUrl, "http://localhost").pathname
  if (publicUrl === undefined) {
    return Option.getOrElse(HttpServerRequest.toURL(request.modify({ url: path })), () => `http://localhost${path}`)
  }
  const base = new URL(publicUrl)
  return `${base.origin}${base.pathname.endsWith("/") ? base.pathname.slice(0, -1) : base.pathname}${path}`
}

/**
 * The DPoP proof of a request presenting a token with the `DPoP` scheme
 * (RFC 9449 §4.3, §7.1): exactly one `DPoP` header, checked for the request.
 */
const checkProof = (
  request: HttpServerRequest.HttpServerRequest,
  token: Redacted.Redacted<string>,
  dpop: DpopProof.Verifier,
  options: ResourceServer.Options
): Effect.Effect<DpopProof.Proven, TokenVerifier.VerificationFailed> => {
  const lines = bearerToken.headerLines(request, "dpop")
  const proof = request.headers.dpop
  if (lines > 1) return refuse("DpopMalformed")
  if (proof === undefined || proof === "") return refuse("DpopMissing")
  return Effect.suspend(() =>
    dpop.verify(Redacted.make(proof), { method: request.method, url: requestUrl(request, options.publicUrl), accessToken: token })
  )
}

/**
 * The binding of a verified token to how it was presented (RFC 9449 §6, §7):
 * a DPoP-bound token only with a proof of its key, a token with a proof only
 * when bound.
 */
const checkBinding = (
  token: TokenVerifier.VerifiedToken,
  proven: DpopProof.Proven | undefined,
  dpop: DpopProof.Verifier | undefined
): Effect.Effect<void, TokenVerifier.VerificationFailed> => {
  const bound = token.dpopThumbprint
  if (proven === undefined) {
    if (Option.isSome(bound)) return refuse("DpopBound")
    return dpop?.required === true ? refuse("DpopRequired") : Effect.void
  }
  if (Option.isNone(bound)) return refuse("DpopUnbound")
  return bound.value === proven.jkt ? Effect.void : refuse("DpopKeyMismatch")
}

/** @internal */
export const verifyRequest = (
  options: ResourceServer.Options = {}
): Effect.Effect<
  TokenVerifier.VerifiedToken,
  ResourceServer.Refusal,
  TokenVerifier.TokenVerifier | HttpServerRequest.HttpServerRequest
> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const verifier = yield* TokenVerifier.TokenVerifier
    const dpop = verifier.dpop
    const presented = yield* bearerToken.extract(request, { ...options, dpop: dpop !== undefined })
    if (presented._tag === "None") return yield* Effect.fail(new MissingToken())
    if (presented._tag === "Invalid") {
      return yield* Effect.fail(
        new InvalidRequest({
          description: presented.description,
          ...(presented.scheme === "DPoP" ? { scheme: "DPoP" as const } : {})
        })
      )
    }
    const { scheme } = presented
    const verified = yield* Effect.gen(function*() {
      // the proof first: it costs no request to the authorization server
      const proven = scheme === "DPoP" && dpop !== undefined
        ? yield* checkProof(request, presented.token, dpop, options)
        : undefined
      const token = yield* verifier.verify(presented.token)
      yield* checkBinding(token, proven, dpop)
      return { token, proven }
    }).pipe(Effect.catchAll((error) => fromVerifier(error, scheme, dpop)))
    const { proven, token } = verified
    const scopes = options.scopes ?? []
    if (!TokenVerifier.hasScopes(token, scopes)) {
      return yield* Effect.fail(
        new InsufficientScope({ scope: scopes.join(" "), ...(scheme === "DPoP" ? { scheme } : {}) })
      )
    }
    // RFC 9449 §8.2: a proof with the previous nonce passes, and the answer carries the new one
    if (proven !== undefined && Option.isSome(proven.freshNonce)) {
      const nonce = proven.freshNonce.value
      yield* HttpApp.appendPreResponseHandler((_, response) =>
        Effect.succeed(HttpServerResponse.setHeader(response, "dpop-nonce", nonce))
      )
    }
    return token
  })

/** An app behind {@link middleware}: its refusals answered, the verified token provided. */
type Protected<E, R> = HttpApp.Default<
  Exclude<E, ResourceServer.Refusal>,
  TokenVerifier.TokenVerifier | Exclude<R, Caller>
>

/** @internal */
export const middleware = (options: ResourceServer.Options = {}) => <E, R>(app: HttpApp.Default<E, R>): Protected<E, R> =>
  verifyRequest(options).pipe(
    Effect.flatMap((token) => Effect.provideService(app, Caller, token)),
    Effect.catchIf(
      (error): error is ResourceServer.Refusal => isRefusal(error),
      (error) => Effect.map(TokenVerifier.TokenVerifier, (verifier) => toResponse(error, { ...options, dpop: verifier.dpop }))
    )
  ) as Protected<E, R>

/** @internal */
export const requireScopes = (
  ...scopes: ReadonlyArray<string>
): Effect.Effect<TokenVerifier.VerifiedToken, InsufficientScope, Caller> =>
  Effect.flatMap(Caller, (token) =>
    TokenVerifier.hasScopes(token, scopes)
      ? Effect.succeed(token)
      : Effect.fail(
        new InsufficientScope({
          scope: scopes.join(" "),
          // a caller behind the middleware with a bound token presented it with its proof
          ...(Option.isSome(token.dpopThumbprint) ? { scheme: "DPoP" as const } : {})
        })
      ))

/** @internal */
export class Guard extends HttpApiMiddleware.Tag<Guard>()("@grantflow/resource-server/ResourceServer/Guard", {
  provides: Caller,
  failure: Refusal,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/**
 * Answers the resource server's refusals as {@link toResponse} does, with
 * their challenges, before `HttpApi` encodes them as bare JSON errors.
 */
const challenges = (options: ResourceServer.ChallengeOptions) => (app: HttpApp.Default): HttpApp.Default =>
  Effect.catchAllCause(app, (cause) =>
    Option.match(Cause.failureOption(cause as Cause.Cause<unknown>), {
      onSome: (error) => isRefusal(error) ? Effect.succeed(toResponse(error, options)) : Effect.failCause(cause),
      onNone: () => Effect.failCause(cause)
    }))

/** @internal */
export const layerGuard = (
  options: ResourceServer.Options = {}
): Layer.Layer<Guard, never, TokenVerifier.TokenVerifier> =>
  Layer.unwrapEffect(Effect.map(TokenVerifier.TokenVerifier, (verifier) =>
    Layer.merge(
      Layer.succeed(
        Guard,
        Guard.of({
          // the platform's decoded value is ignored: the request is read again, strictly (DPoP too)
          bearer: () => Effect.provideService(verifyRequest(options), TokenVerifier.TokenVerifier, verifier)
        })
      ),
      HttpApiBuilder.middleware(challenges({ ...options, dpop: verifier.dpop }))
    )))

/** @internal */
export const metadataUrl = (resource: string | URL): string => Discovery.resourceMetadataUrl(new URL(resource))

/** @internal */
export const metadataDocument = (options: ResourceServer.MetadataOptions): Record<string, unknown> => {
  const optional = (key: string, value: string | ReadonlyArray<string> | boolean | undefined) =>
    value === undefined ? {} : { [key]: value }
  return {
    resource: String(options.resource),
    authorization_servers: options.authorizationServers,
    ...optional("scopes_supported", options.scopesSupported),
    bearer_methods_supported: options.bearerMethodsSupported ?? ["header"],
    ...optional("jwks_uri", options.jwksUri),
    ...optional("resource_name", options.resourceName),
    ...optional("resource_documentation", options.resourceDocumentation),
    ...optional("dpop_signing_alg_values_supported", options.dpopSigningAlgValuesSupported),
    ...optional("dpop_bound_access_tokens_required", options.dpopBoundAccessTokensRequired)
  }
}

/** @internal */
export const metadataRouter = (options: ResourceServer.MetadataOptions): HttpRouter.HttpRouter => {
  const url = new URL(metadataUrl(options.resource))
  const document = metadataDocument(options)
  return HttpRouter.empty.pipe(
    HttpRouter.get(
      url.pathname as HttpRouter.PathInput,
      Effect.sync(() =>
        HttpServerResponse.unsafeJson(document, { headers: { "cache-control": `public, max-age=${maxAge}` } })
      )
    )
  )
}

// an hour: the document changes with the deployment, and clients cache it
const maxAge = 3600
