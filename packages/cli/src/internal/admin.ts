import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Json from "@grantflow/core/Json"
import { AuthServer } from "@grantflow/testing"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as VirtualClock from "./virtualClock.js"

/**
 * The control plane of the standalone server (`grantflow sim --admin`):
 * routes under `/__grantflow/`, for loopback callers only, that script
 * faults, revoke tokens, move the virtual clock, read the journal and reset
 * the server. It names tokens and families by their ids, never by value.
 *
 * @internal
 */
export interface Controls {
  /** Always the current server (see `currentServer.ts`). */
  readonly server: AuthServer.AuthServer["Type"]
  /** Replaces the server with a fresh one of the same configuration and issuer. */
  readonly reset: Effect.Effect<void>
  readonly clock: Option.Option<VirtualClock.VirtualClock>
}

/** The reserved prefix of the admin routes. @internal */
export const prefix = "/__grantflow"

/** Whether a request URL (path and query) lies under {@link prefix}. @internal */
export const isAdminPath = (url: string): boolean => {
  const path = url.split(/[?#]/, 1)[0]!
  return path === prefix || path.startsWith(`${prefix}/`)
}

/**
 * Whether a socket's remote address is this machine: 127.0.0.0/8, `::1`, or
 * an IPv4 loopback address mapped into IPv6 (`::ffff:127.0.0.1`).
 *
 * @internal
 */
export const isLoopback = (address: string): boolean => {
  const ipv4 = address.toLowerCase().replace(/^::ffff:/, "")
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4) || address === "::1" || address === "0:0:0:0:0:0:0:1"
}

// ---------------------------------------------------------------------------
// Bodies

const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

const Seconds = Schema.Number.pipe(Schema.finite(), Schema.nonNegative())

const FaultJson = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("status"),
    status: Schema.Int.pipe(Schema.between(100, 599)),
    /** Seconds; the `Retry-After` header carries them rounded up. */
    retryAfter: optional(Seconds),
    body: optional(Schema.Unknown)
  }),
  Schema.Struct({ type: Schema.Literal("latency"), ms: Schema.Int.pipe(Schema.nonNegative()) }),
  Schema.Struct({ type: Schema.Literal("malformed") }),
  Schema.Struct({ type: Schema.Literal("blank-token") }),
  Schema.Struct({ type: Schema.Literal("drop") }),
  Schema.Struct({ type: Schema.Literal("lost-response"), drop: optional(Schema.Boolean) }),
  Schema.Struct({ type: Schema.Literal("error-body"), error: optional(Schema.String), description: optional(Schema.String) }),
  Schema.Struct({ type: Schema.Literal("expires-in"), as: Schema.Literal("string", "missing", "huge") }),
  Schema.Struct({ type: Schema.Literal("missing-token-type") })
)

/** The body of `POST /__grantflow/faults`. @internal */
export const FaultsBody = Schema.Struct({
  endpoint: Schema.optionalWith(Schema.Literal("token", "revoke", "introspect", "api", "metadata", "jwks", "par"), {
    exact: true,
    default: () => "token" as const
  }),
  times: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1000)), { exact: true, default: () => 1 }),
  fault: FaultJson
})

/** @internal */
export type FaultsBody = typeof FaultsBody.Type

const Id = Schema.String.pipe(Schema.minLength(1))

const RevokeBody = Schema.Union(Schema.Struct({ token: Id }), Schema.Struct({ tokenId: Id }))

const DeviceBody = Schema.Struct({ user_code: Id })

/** Seconds (a number ≥ 0) or a duration such as `"1 hour"`. */
const Advance = Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.DurationFromSelf, {
  strict: true,
  decode: (input, _options, ast) => {
    const duration = typeof input === "number"
      ? Option.liftPredicate(input, (seconds) => seconds >= 0 && Number.isFinite(seconds)).pipe(Option.map(Duration.seconds))
      : Option.filter(Duration.decodeUnknown(input), Duration.isFinite)
    return Option.match(duration, {
      onNone: () =>
        ParseResult.fail(
          new ParseResult.Type(ast, input, `expected seconds (a number ≥ 0) or a duration such as "1 hour", got ${JSON.stringify(input)}`)
        ),
      onSome: ParseResult.succeed
    })
  },
  encode: (duration) => ParseResult.succeed(Duration.toSeconds(duration))
})

const ClockBody = Schema.Struct({ advance: Advance })

// ---------------------------------------------------------------------------
// Faults

type TokenOnlyFault = Exclude<AuthServer.Fault, AuthServer.AnyEndpointFault>

const isTokenOnly = (fault: AuthServer.Fault): fault is TokenOnlyFault =>
  fault._tag === "BlankToken" || fault._tag === "ExpiresIn" || fault._tag === "MissingTokenType"

/**
 * Faults to queue on the server, checked: the token-response faults only on
 * the token endpoint.
 *
 * @internal
 */
export type Queued =
  | { readonly endpoint: "token"; readonly fault: AuthServer.Fault; readonly times: number }
  | {
    readonly endpoint: Exclude<AuthServer.FaultEndpoint, "token">
    readonly fault: AuthServer.AnyEndpointFault
    readonly times: number
  }

/** The server's fault for a fault's JSON. */
const faultOf = (json: FaultsBody["fault"]): AuthServer.Fault => {
  switch (json.type) {
    case "status":
      return AuthServer.Status({
        status: json.status,
        ...(json.retryAfter === undefined ? {} : { retryAfter: Duration.seconds(json.retryAfter) }),
        ...("body" in json ? { body: json.body } : {})
      })
    case "latency":
      return AuthServer.Latency({ duration: Duration.millis(json.ms) })
    case "malformed":
      return AuthServer.MalformedJson()
    case "blank-token":
      return AuthServer.BlankToken()
    case "drop":
      return AuthServer.DropConnection()
    case "lost-response":
      return AuthServer.LostResponse(json.drop === undefined ? {} : { drop: json.drop })
    case "error-body":
      return AuthServer.ErrorBody({
        ...(json.error === undefined ? {} : { error: json.error }),
        ...(json.description === undefined ? {} : { description: json.description })
      })
    case "expires-in":
      return AuthServer.ExpiresIn({ as: json.as })
    case "missing-token-type":
      return AuthServer.MissingTokenType()
  }
}

/**
 * The faults a decoded `POST /__grantflow/faults` body asks for, or why they
 * cannot be queued.
 *
 * @internal
 */
export const toQueued = (body: FaultsBody): Either.Either<Queued, string> => {
  const fault = faultOf(body.fault)
  if (body.endpoint === "token") return Either.right({ endpoint: "token", fault, times: body.times })
  if (isTokenOnly(fault)) {
    return Either.left(`fault.type "${body.fault.type}" shapes token responses: queue it on endpoint "token"`)
  }
  return Either.right({ endpoint: body.endpoint, fault, times: body.times })
}

// ---------------------------------------------------------------------------
// Answers

/** An admin request that cannot be served: its status and a message saying why. */
class AdminError extends Data.TaggedError("AdminError")<{
  readonly status: number
  readonly error: string
  readonly message: string
}> {}

const badRequest = (message: string) => new AdminError({ status: 400, error: "bad_request", message })

const errorResponse = (error: AdminError) =>
  HttpServerResponse.unsafeJson({ error: error.error, message: error.message }, { status: error.status })

const noContent = HttpServerResponse.empty({ status: 204 })

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? "the body" : path.map(String).join(".")

/** How much of a 400's message one field's problem may take, and how many fields it names. */
const maxIssueLength = 160
const maxIssues = 8

// Schema's message quotes the value it got, which may be most of the body
const describe = (issue: ParseResult.ArrayFormatterIssue): string => {
  const text = issue._tag === "Missing"
    ? "is missing"
    : issue._tag === "Unexpected"
    ? "is not a known field"
    : issue.message
  return text.length > maxIssueLength ? `${text.slice(0, maxIssueLength)}…` : text
}

const describeIssues = (issues: ReadonlyArray<ParseResult.ArrayFormatterIssue>): string => {
  const named = issues.slice(0, maxIssues).map((issue) => `${formatPath(issue.path)}: ${describe(issue)}`)
  const more = issues.length - named.length
  return [...named, ...(more > 0 ? [`and ${more} more`] : [])].join("; ")
}

/** Admin bodies are two or three levels deep: deeper nesting is refused before Schema recurses into it. */
const maxBodyDepth = 8

/** At most this many bytes of JSON in a request body. @internal */
export const maxBodyBytes = 16 * 1024

/**
 * The request's JSON body decoded with `schema`; a 400 naming each field in
 * error otherwise. A body announced larger than {@link maxBodyBytes} gets a
 * 413 unread; one that turns out larger loses its connection.
 */
const body = <A, I>(schema: Schema.Schema<A, I>) =>
  HttpServerRequest.HttpServerRequest.pipe(
    Effect.filterOrFail(
      (request) => !(Number(request.headers["content-length"]) > maxBodyBytes),
      () =>
        new AdminError({
          status: 413,
          error: "payload_too_large",
          message: `the body must be JSON of at most ${maxBodyBytes} bytes`
        })
    ),
    Effect.flatMap((request) =>
      request.text.pipe(
        HttpIncomingMessage.withMaxBodySize(Option.some(maxBodyBytes)),
        Effect.mapError(() => badRequest(`the body must be JSON of at most ${maxBodyBytes} bytes`))
      )
    ),
    Effect.flatMap((text) =>
      Either.mapLeft(
        Json.parse(text, { maxDepth: maxBodyDepth, maxLength: maxBodyBytes }),
        (failure) =>
          badRequest(
            failure._tag === "Syntax"
              ? `the body must be JSON of at most ${maxBodyBytes} bytes`
              : `the body ${Json.describeFailure(failure)}`
          )
      )
    ),
    Effect.flatMap((json) =>
      Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "error" })(json).pipe(
        Effect.mapError((error) => badRequest(describeIssues(ParseResult.ArrayFormatter.formatErrorSync(error))))
      )
    )
  )

const queue = (server: AuthServer.AuthServer["Type"], queued: Queued) =>
  queued.endpoint === "token"
    ? server.fail(queued.fault, { times: queued.times })
    : server.fail(queued.fault, { endpoint: queued.endpoint, times: queued.times })

/** The admin routes, for a caller already let in. */
const routes = ({ clock, reset, server }: Controls) => {
  const decideDevice = (approve: boolean) =>
    Effect.flatMap(body(DeviceBody), ({ user_code }) =>
      Effect.flatMap(server.decideDevice(user_code, approve), (decided) =>
        decided
          ? Effect.succeed(noContent)
          : Effect.fail(
            new AdminError({ status: 404, error: "not_found", message: "no pending device authorization has this user_code" })
          )))
  return HttpRouter.empty.pipe(
    HttpRouter.post(
      `${prefix}/faults`,
      Effect.flatMap(body(FaultsBody), (request) =>
        Either.match(toQueued(request), {
          onLeft: (message) => Effect.fail(badRequest(message)),
          onRight: (queued) => Effect.as(queue(server, queued), noContent)
        }))
    ),
    HttpRouter.post(
      `${prefix}/revoke`,
      Effect.flatMap(body(RevokeBody), (request) =>
        Effect.as(
          "token" in request ? server.revoke(Redacted.make(request.token)) : server.revokeById(request.tokenId),
          noContent
        ))
    ),
    HttpRouter.post(`${prefix}/revoke-all`, Effect.as(server.revokeAll, noContent)),
    HttpRouter.post(
      `${prefix}/families/:id/revoke`,
      Effect.flatMap(HttpRouter.params, (params) => Effect.as(server.revokeFamily(params.id ?? ""), noContent))
    ),
    HttpRouter.get(
      `${prefix}/tokens`,
      Effect.map(server.tokens, (tokens) =>
        HttpServerResponse.unsafeJson(
          tokens.map(({ clientId, expiresAt, id, issuedAt, revoked, scopes }) => ({
            id,
            clientId,
            scopes,
            issuedAt,
            expiresAt,
            revoked
          }))
        ))
    ),
    HttpRouter.get(
      `${prefix}/families`,
      Effect.map(server.families, (families) =>
        HttpServerResponse.unsafeJson(
          families.map(({ clientId, generation, grantType, id, revoked, scopes }) => ({
            id,
            clientId,
            grantType,
            scopes,
            generation,
            revoked
          }))
        ))
    ),
    HttpRouter.post(`${prefix}/device/approve`, decideDevice(true)),
    HttpRouter.post(`${prefix}/device/deny`, decideDevice(false)),
    HttpRouter.get(
      `${prefix}/clock`,
      Effect.map(
        Option.match(clock, { onNone: () => Clock.currentTimeMillis, onSome: (clock) => clock.now }),
        (now) => HttpServerResponse.unsafeJson({ now, virtual: Option.isSome(clock) })
      )
    ),
    HttpRouter.post(
      `${prefix}/clock`,
      Option.match(clock, {
        onNone: () =>
          Effect.fail(
            new AdminError({
              status: 409,
              error: "conflict",
              message: "the clock is real: start the server with --virtual-clock to move it"
            })
          ),
        onSome: (clock) =>
          Effect.flatMap(body(ClockBody), ({ advance }) =>
            Effect.map(
              clock.advance(advance),
              (now) => HttpServerResponse.unsafeJson({ now })
            ))
      })
    ),
    HttpRouter.get(`${prefix}/journal`, Effect.map(server.journal, (journal) => HttpServerResponse.unsafeJson(journal))),
    HttpRouter.del(`${prefix}/journal`, Effect.as(server.clearJournal, noContent)),
    HttpRouter.post(`${prefix}/reset`, Effect.as(reset, noContent)),
    Effect.catchTags({
      AdminError: (error) => Effect.succeed(errorResponse(error)),
      RouteNotFound: (error) =>
        Effect.succeed(errorResponse(
          new AdminError({
            status: 404,
            error: "not_found",
            message: `no admin route ${error.request.method} ${error.request.url.split("?", 1)[0]}`
          })
        ))
    })
  )
}

const forbidden = errorResponse(
  new AdminError({ status: 403, error: "forbidden", message: "the admin API answers loopback callers only" })
)

/**
 * The standalone server's app: with `admin`, the admin routes under
 * {@link prefix} for loopback callers (403 for the others); everything else,
 * and every path when `admin` is off, goes to the current server.
 *
 * @internal
 */
export const app = (controls: Controls, admin: boolean): HttpApp.Default => {
  const adminRoutes = routes(controls)
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    if (!admin || !isAdminPath(request.url)) return controls.server.app
    return Option.exists(request.remoteAddress, isLoopback) ? adminRoutes : Effect.succeed(forbidden)
  })
}
