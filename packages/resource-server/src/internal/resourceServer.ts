import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Discovery from "@grantflow/core/Discovery"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
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

/** @internal */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()(
  "InvalidRequest",
  { description: Schema.String.pipe(Schema.propertySignature, Schema.fromKey("error_description")) },
  HttpApiSchema.annotations({ status: 400 })
) {
  override get message(): string {
    return `the request was refused as malformed: ${this.description}`
  }
}

/** @internal */
export class InvalidToken extends Schema.TaggedError<InvalidToken>()(
  "InvalidToken",
  { description: Schema.String.pipe(Schema.propertySignature, Schema.fromKey("error_description")) },
  HttpApiSchema.annotations({ status: 401 })
) {
  override get message(): string {
    return `the access token was refused: ${this.description}`
  }
}

/** @internal */
export class InsufficientScope extends Schema.TaggedError<InsufficientScope>()(
  "InsufficientScope",
  { scope: Schema.String },
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
  InsufficientScope,
  TemporarilyUnavailable
)

const isRefusal = (u: unknown): u is ResourceServer.Refusal =>
  Predicate.isTagged(u, "MissingToken") || Predicate.isTagged(u, "InvalidRequest") ||
  Predicate.isTagged(u, "InvalidToken") || Predicate.isTagged(u, "InsufficientScope") ||
  Predicate.isTagged(u, "TemporarilyUnavailable")

const encodeError = Schema.encodeSync(Refusal)

/** @internal */
export const toResponse = (
  error: ResourceServer.Refusal,
  options: Pick<ResourceServer.Options, "realm" | "resourceMetadata"> = {}
): HttpServerResponse.HttpServerResponse => {
  const realm = `realm=${bearerToken.quote(options.realm ?? "api")}`
  // RFC 9728 §5.1: every challenge says where the resource's metadata is
  const metadata = options.resourceMetadata === undefined
    ? ""
    : `, resource_metadata=${bearerToken.quote(String(options.resourceMetadata))}`
  const challenge = (code: string, description: string, extra = "") =>
    `Bearer ${realm}, error="${code}", error_description=${bearerToken.quote(description)}${extra}${metadata}`
  const challengeHeader = error._tag === "MissingToken"
    ? `Bearer ${realm}${metadata}`
    : error._tag === "InvalidRequest"
    ? challenge("invalid_request", error.description)
    : error._tag === "InvalidToken"
    ? challenge("invalid_token", error.description)
    : error._tag === "InsufficientScope"
    ? challenge(
      "insufficient_scope",
      "The access token lacks the scope this resource requires",
      `, scope=${bearerToken.quote(error.scope)}`
    )
    : undefined
  const status = error._tag === "InvalidRequest"
    ? 400
    : error._tag === "InsufficientScope"
    ? 403
    : error._tag === "TemporarilyUnavailable"
    ? 503
    : 401
  return HttpServerResponse.unsafeJson(encodeError(error), {
    status,
    headers: {
      "cache-control": "no-store",
      ...(challengeHeader === undefined ? {} : { "www-authenticate": challengeHeader })
    }
  })
}

const fromVerifier = (error: TokenVerifier.VerificationError): Effect.Effect<never, InvalidToken | TemporarilyUnavailable> =>
  error._tag === "VerificationFailed"
    ? Effect.logDebug("grantflow: access token refused").pipe(
      Effect.annotateLogs({ reason: error.reason }),
      Effect.zipRight(Effect.fail(new InvalidToken({ description: error.description })))
    )
    : Effect.logWarning("grantflow: access token could not be verified; the request is refused with 503").pipe(
      Effect.annotateLogs({ error: error.message }),
      Effect.zipRight(Effect.fail(new TemporarilyUnavailable()))
    )

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
    const presented = yield* bearerToken.extract(request, options)
    if (presented._tag === "None") return yield* Effect.fail(new MissingToken())
    if (presented._tag === "Invalid") {
      return yield* Effect.fail(new InvalidRequest({ description: presented.description }))
    }
    const verifier = yield* TokenVerifier.TokenVerifier
    const token = yield* Effect.catchAll(verifier.verify(presented.token), fromVerifier)
    const scopes = options.scopes ?? []
    if (!TokenVerifier.hasScopes(token, scopes)) return yield* Effect.fail(new InsufficientScope({ scope: scopes.join(" ") }))
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
      (error) => Effect.succeed(toResponse(error, options))
    )
  ) as Protected<E, R>

/** @internal */
export const requireScopes = (
  ...scopes: ReadonlyArray<string>
): Effect.Effect<TokenVerifier.VerifiedToken, InsufficientScope, Caller> =>
  Effect.flatMap(Caller, (token) =>
    TokenVerifier.hasScopes(token, scopes)
      ? Effect.succeed(token)
      : Effect.fail(new InsufficientScope({ scope: scopes.join(" ") })))

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
const challenges = (options: ResourceServer.Options) => (app: HttpApp.Default): HttpApp.Default =>
  Effect.catchAllCause(app, (cause) =>
    Option.match(Cause.failureOption(cause as Cause.Cause<unknown>), {
      onSome: (error) => isRefusal(error) ? Effect.succeed(toResponse(error, options)) : Effect.failCause(cause),
      onNone: () => Effect.failCause(cause)
    }))

/** @internal */
export const layerGuard = (
  options: ResourceServer.Options = {}
): Layer.Layer<Guard, never, TokenVerifier.TokenVerifier> =>
  Layer.merge(
    Layer.effect(
      Guard,
      Effect.map(TokenVerifier.TokenVerifier, (verifier) =>
        Guard.of({
          // the platform's decoded value is ignored: the request is read again, strictly
          bearer: () => Effect.provideService(verifyRequest(options), TokenVerifier.TokenVerifier, verifier)
        }))
    ),
    HttpApiBuilder.middleware(challenges(options))
  )

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
