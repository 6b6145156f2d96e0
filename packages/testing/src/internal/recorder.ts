import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import type * as FiberRefs from "effect/FiberRefs"
import { globalValue } from "effect/GlobalValue"
import * as Inspectable from "effect/Inspectable"
import * as Redacted from "effect/Redacted"
import type * as AuthServer from "../AuthServer.js"
import type * as Scenario from "../Scenario.js"
import * as InMemoryClient from "./inMemoryClient.js"
import { routeKey } from "./text.js"

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

/**
 * The id of the API call a fiber works for. Token requests a call triggers
 * run in fibers forked from it, which inherit the id.
 *
 * @internal
 */
export const currentCall: FiberRef.FiberRef<number | undefined> = globalValue(
  Symbol.for("@grantflow/testing/Scenario/currentCall"),
  () => FiberRef.unsafeMake<number | undefined>(undefined)
)

/**
 * The run's recording: exchanges seen by the client's transport, calls as the
 * caller saw them, and the values that must never be printed.
 *
 * @internal
 */
export interface Recorder {
  /** Wraps the transport the integration uses. */
  readonly wrap: (client: HttpClient.HttpClient) => HttpClient.HttpClient
  readonly exchanges: ReadonlyArray<Scenario.Exchange>
  readonly calls: ReadonlyArray<Scenario.Call>
  /** Every token value seen on the wire. */
  readonly tokens: ReadonlySet<string>
  /** The bearer token of the last API request sent. */
  readonly lastBearer: () => string | undefined
  readonly nextSeq: () => number
  readonly setGeneration: (generation: number) => void
  readonly startCall: (id: number) => void
  /** Ends a call; `fiberRefs` are its fiber's, which decide what is redacted as a logger would. */
  readonly endCall: (
    id: number,
    exit: Exit.Exit<HttpClientResponse.HttpClientResponse, unknown>,
    fiberRefs: FiberRefs.FiberRefs
  ) => void
  /** Marks the calls still running as never ended. */
  readonly abandonCalls: () => ReadonlyArray<number>
}

/**
 * The access token of a request, and how it came: in `Authorization` as
 * `Bearer` (RFC 6750) or `DPoP` (RFC 9449) — or in the scheme of the
 * provider's route it goes to (Mailchimp's `OAuth`), a bearer token too — or
 * bare in the header a provider's API takes it in (a bearer token).
 */
const tokenOf = (
  request: HttpClientRequest.HttpClientRequest,
  tokenHeader: string | undefined,
  routeScheme: string | undefined
): { readonly scheme: "Bearer" | "DPoP"; readonly token: string } | undefined => {
  // the two classes are disjoint: one linear pass
  const match = /^(\S+)\s+(\S+)\s*$/.exec(request.headers.authorization ?? "")
  const word = match?.[1]?.toLowerCase()
  if (word === "dpop") return { scheme: "DPoP", token: match![2]! }
  if (word === "bearer" || (word !== undefined && word === routeScheme?.toLowerCase())) {
    return { scheme: "Bearer", token: match![2]! }
  }
  const bare = tokenHeader === undefined ? undefined : request.headers[tokenHeader.toLowerCase()]?.trim()
  return bare === undefined || bare === "" ? undefined : { scheme: "Bearer", token: bare }
}

// a proof is a few hundred bytes; a longer header is not decoded
const maxProofLength = 8192

const decodePart = (part: string | undefined): Record<string, unknown> | undefined => {
  if (part === undefined) return undefined
  const decoded = Encoding.decodeBase64UrlString(part)
  if (decoded._tag === "Left") return undefined
  const value = parseJson(decoded.right)
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined
}

// RFC 7638 §3.2: the members of a public key that identify it, in lexicographic order
const thumbprintMembers: Readonly<Record<string, ReadonlyArray<string>>> = {
  EC: ["crv", "kty", "x", "y"],
  OKP: ["crv", "kty", "x"],
  RSA: ["e", "kty", "n"]
}

const text = (value: unknown): string | undefined => typeof value === "string" ? value : undefined

/**
 * The claims of the request's `DPoP` proof as sent (not verified: the server
 * does that), and its key as RFC 7638's canonical JSON: what two proofs of one
 * key have in common.
 */
const proofOf = (request: HttpClientRequest.HttpClientRequest): Scenario.DpopProof | undefined => {
  const header = request.headers.dpop
  if (header === undefined || header === "" || header.length > maxProofLength) return undefined
  const [head, body] = header.split(".")
  const protectedHeader = decodePart(head)
  const claims = decodePart(body)
  const jwk = protectedHeader?.jwk
  const members = typeof jwk === "object" && jwk !== null ? thumbprintMembers[String((jwk as { kty?: unknown }).kty)] : undefined
  return {
    key: members === undefined
      ? undefined
      : JSON.stringify(Object.fromEntries(members.map((member) => [member, (jwk as Record<string, unknown>)[member]]))),
    jti: text(claims?.jti),
    htm: text(claims?.htm),
    htu: text(claims?.htu),
    ath: text(claims?.ath),
    nonce: text(claims?.nonce)
  }
}

/** The path of an absolute or relative URL, without its query or fragment. */
const pathOf = (url: string): string => {
  const start = url.startsWith("/") ? 0 : url.indexOf("/", url.indexOf("//") + 2)
  if (start === -1) return "/"
  const end = url.slice(start).search(/[?#]/)
  return end === -1 ? url.slice(start) : url.slice(start, start + end)
}

/** The origin of an absolute URL; a relative one is the issuer's. */
const originOf = (url: string, issuer: string): string => {
  try {
    return new URL(url, issuer).origin
  } catch {
    return ""
  }
}

const routeOf = (path: string, routes: Readonly<Record<string, AuthServer.Route>>): AuthServer.Route | undefined =>
  Object.entries(routes).find(([route]) => routeKey(route) === routeKey(path))?.[1]

// a provider's twin serves the token endpoint and its API at its own paths too (`AuthServer.Route`)
const endpointOf = (
  path: string,
  routes: Readonly<Record<string, AuthServer.Route>>
): Scenario.Exchange["endpoint"] => {
  const routed = routeOf(path, routes)?.endpoint
  if (routed === "token" || routed === "api") return routed
  return path === "/token" ? "token" : path.startsWith("/api/") && routed === undefined ? "api" : "other"
}

const nullBodyStatuses = new Set([101, 103, 204, 205, 304])

/** `Retry-After` in milliseconds: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
const retryAfterOf = (header: string | undefined, now: number): number | undefined => {
  if (header === undefined) return undefined
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** A field of a form-encoded request body (RFC 6749 token requests). */
// a field of a form body, or of a JSON one (providers that take token requests in JSON)
const formField = (request: HttpClientRequest.HttpClientRequest, name: string): string | undefined => {
  if (request.body._tag !== "Uint8Array") return undefined
  const text = new TextDecoder().decode(request.body.body)
  const value = request.body.contentType.startsWith("application/json")
    ? stringField(parseJson(text), name) ?? null
    : new URLSearchParams(text).get(name)
  return value === null || value === "" ? undefined : value
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// RFC 6750 §3: the error code of a Bearer challenge
const invalidTokenChallenge = /\berror\s*=\s*"?invalid_token"?/i
// RFC 9449 §9: the API wants a proof with its new nonce; the token itself was not refused
const nonceChallenge = /\berror\s*=\s*"?use_dpop_nonce"?/i

const stringField = (body: unknown, field: string): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const value = (body as Record<string, unknown>)[field]
  return typeof value === "string" && value !== "" ? value : undefined
}

/**
 * What a failure reports: each error's message and its fields (nested causes
 * included), as `JSON.stringify` shows them. Not `Cause.pretty`: rendering
 * stack traces would cost more than the rest of a run.
 */
const describe = (cause: Cause.Cause<unknown>): string =>
  [...Cause.failures(cause), ...Cause.defects(cause)].map((error) => {
    const message = error instanceof Error ? error.message : ""
    let fields: string
    try {
      fields = JSON.stringify(error) ?? String(error)
    } catch {
      fields = String(error)
    }
    return `${message} ${fields}`
  }).join("\n")

/** @internal */
export const make = (options: {
  readonly now: () => number
  /** Where relative request URLs go. */
  readonly issuer: string
  /** The provider quirk's answer to an unusable token, if the run has one. */
  readonly invalidTokenAnswer?: { readonly status: number; readonly body: unknown } | undefined
  /** The header the provider's API takes the bare token in, if not `Authorization`. */
  readonly tokenHeader?: string | undefined
  /** The paths at which a provider's twin serves its endpoints. */
  readonly routes?: Readonly<Record<string, AuthServer.Route>> | undefined
}): Recorder => {
  const exchanges: Array<Mutable<Scenario.Exchange>> = []
  const calls: Array<Mutable<Scenario.Call>> = []
  const tokens = new Set<string>()
  let seq = 0
  let generation = 0
  let lastBearer: string | undefined = undefined
  const abandoned = new Set<number>()

  const nextSeq = () => seq++

  /**
   * Reads an answer in full and hands it on: the same response when it can be
   * read again, else an identical, unread copy.
   */
  const readAnswer = (
    response: HttpClientResponse.HttpClientResponse,
    inspect: (body: unknown) => void
  ) =>
    Effect.uninterruptible(Effect.orElseSucceed(response.text, () => undefined)).pipe(
      Effect.map((text) => {
        if (text === undefined) return response
        inspect(parseJson(text))
        if (InMemoryClient.isRereadable(response)) return response
        try {
          return HttpClientResponse.fromWeb(
            response.request,
            new Response(nullBodyStatuses.has(response.status) ? null : text, {
              status: response.status,
              headers: response.headers
            })
          )
        } catch {
          // a status `Response` cannot carry: the original, whose text is cached
          return response
        }
      })
    )

  // token answers are read so that their tokens can be looked for in logs
  const readTokenAnswer = (exchange: Mutable<Scenario.Exchange>, response: HttpClientResponse.HttpClientResponse) =>
    readAnswer(response, (body) => {
      const access = stringField(body, "access_token")
      const refresh = stringField(body, "refresh_token")
      exchange.tokenType = stringField(body, "token_type")
      exchange.dpopNonce = response.status === 400 && stringField(body, "error") === "use_dpop_nonce"
      if (access !== undefined) {
        tokens.add(access)
        exchange.accessToken = Redacted.make(access)
      }
      if (refresh !== undefined) {
        tokens.add(refresh)
        exchange.refreshToken = Redacted.make(refresh)
      }
    })

  const quirk = options.invalidTokenAnswer
  const quirkBody = quirk === undefined ? undefined : JSON.stringify(quirk.body)

  // the body of an API answer is read only when it may be the quirk's error body
  const readApiAnswer = (exchange: Mutable<Scenario.Exchange>, response: HttpClientResponse.HttpClientResponse) => {
    const challenge = response.headers["www-authenticate"] ?? ""
    exchange.dpopNonce = response.status === 401 && nonceChallenge.test(challenge)
    exchange.rejected = (response.status === 401 && !exchange.dpopNonce) || invalidTokenChallenge.test(challenge)
    if (exchange.rejected || quirk === undefined || response.status !== quirk.status) return Effect.succeed(response)
    return readAnswer(response, (body) => {
      exchange.rejected = body !== undefined && JSON.stringify(body) === quirkBody
    })
  }

  const finish = (
    exchange: Mutable<Scenario.Exchange>,
    exit: Exit.Exit<HttpClientResponse.HttpClientResponse, unknown>
  ) => {
    exchange.endSeq = nextSeq()
    exchange.endedAt = options.now()
    if (Exit.isSuccess(exit)) {
      exchange.outcome = "response"
      exchange.status = exit.value.status
      exchange.retryAfter = retryAfterOf(exit.value.headers["retry-after"], exchange.endedAt)
    } else {
      exchange.outcome = Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"
    }
  }

  const wrap = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
    HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
      (effect) =>
        Effect.flatMap(effect, (request) =>
          Effect.withFiberRuntime((fiber) => {
            const path = pathOf(request.url)
            const endpoint = endpointOf(path, options.routes ?? {})
            const route = routeOf(path, options.routes ?? {})
            const presented = tokenOf(request, options.tokenHeader, route?.endpoint === "api" ? route.scheme : undefined)
            const bearer = presented?.token
            if (bearer !== undefined) {
              tokens.add(bearer)
              if (endpoint === "api") lastBearer = bearer
            }
            const sentRefreshToken = endpoint === "token" ? formField(request, "refresh_token") : undefined
            if (sentRefreshToken !== undefined) tokens.add(sentRefreshToken)
            const now = options.now()
            const exchange: Mutable<Scenario.Exchange> = {
              id: exchanges.length + 1,
              generation,
              call: fiber.getFiberRef(currentCall),
              endpoint,
              method: request.method,
              origin: originOf(request.url, options.issuer),
              path,
              startSeq: nextSeq(),
              endSeq: -1,
              startedAt: now,
              endedAt: now,
              bearer: bearer === undefined ? undefined : Redacted.make(bearer),
              scheme: presented?.scheme,
              dpop: proofOf(request),
              outcome: "interrupted",
              status: undefined,
              rejected: false,
              dpopNonce: false,
              retryAfter: undefined,
              sentRefreshToken: sentRefreshToken === undefined ? undefined : Redacted.make(sentRefreshToken),
              accessToken: undefined,
              refreshToken: undefined,
              tokenType: undefined
            }
            exchanges.push(exchange)
            const sent = client.execute(request)
            const read = endpoint === "token"
              ? Effect.flatMap(sent, (response) => readTokenAnswer(exchange, response))
              : endpoint === "api"
              ? Effect.flatMap(sent, (response) => readApiAnswer(exchange, response))
              : sent
            return read.pipe(Effect.onExit((exit) => Effect.sync(() => finish(exchange, exit))))
          })),
      Effect.succeed
    )

  return {
    wrap,
    exchanges,
    calls,
    tokens,
    lastBearer: () => lastBearer,
    nextSeq,
    setGeneration: (next) => {
      generation = next
    },
    startCall: (id) => {
      calls.push({
        id,
        generation,
        startSeq: nextSeq(),
        endSeq: undefined,
        startedAt: options.now(),
        endedAt: undefined,
        outcome: "pending",
        status: undefined,
        error: undefined
      })
    },
    endCall: (id, exit, fiberRefs) => {
      const call = calls[id - 1]
      if (call === undefined || call.outcome !== "pending" || abandoned.has(id)) return
      call.endSeq = nextSeq()
      call.endedAt = options.now()
      if (Exit.isSuccess(exit)) {
        call.outcome = "success"
        call.status = exit.value.status
      } else if (Cause.isInterruptedOnly(exit.cause)) {
        call.outcome = "interrupted"
      } else {
        call.outcome = "failure"
        // what a log line of the error would show: Effect's loggers redact headers such as Authorization
        call.error = Inspectable.withRedactableContext(fiberRefs, () => describe(exit.cause))
      }
    },
    abandonCalls: () => {
      // before they are interrupted, so that `endCall` leaves them pending
      const pending = calls.filter((call) => call.outcome === "pending").map((call) => call.id)
      for (const id of pending) abandoned.add(id)
      return pending
    }
  }
}
