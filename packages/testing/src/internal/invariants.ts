import * as Duration from "effect/Duration"
import * as Redacted from "effect/Redacted"
import type { Invariant, Violation } from "../Invariants.js"
import type { Call, Exchange, Run } from "../Scenario.js"

/** A clock time of the run, as violations print it. @internal */
export const time = (millis: number): string => `t=${millis === 0 ? "0s" : Duration.format(Duration.millis(millis))}`

const who = (exchange: Exchange): string =>
  exchange.call === undefined ? "a request made outside any call" : `call #${exchange.call}`

const byGeneration = (exchanges: ReadonlyArray<Exchange>): ReadonlyArray<ReadonlyArray<Exchange>> => {
  const groups = new Map<number, Array<Exchange>>()
  for (const exchange of exchanges) {
    const group = groups.get(exchange.generation)
    if (group === undefined) groups.set(exchange.generation, [exchange])
    else group.push(exchange)
  }
  return Array.from(groups.values(), (group) => group.sort((a, b) => a.startSeq - b.startSeq))
}

/** A token request that gave the client a usable token. */
const healthy = (exchange: Exchange): boolean =>
  exchange.outcome === "response" && exchange.status === 200 && exchange.accessToken !== undefined

/** A token request that let the client down: not healthy, and not a DPoP nonce challenge (a step of the protocol). */
const failedTokenRequest = (exchange: Exchange): boolean =>
  exchange.endpoint === "token" && !healthy(exchange) && !exchange.dpopNonce

/**
 * When and in which order the token endpoint let the client down: unhealthy
 * exchanges, and answers the server marked with a fault other than latency
 * (such a fault may look healthy on the wire, e.g. a lying `expires_in`).
 */
const tokenFailures = (run: Run) => ({
  at: [
    ...run.exchanges.filter((exchange) => failedTokenRequest(exchange)).map((e) => e.endedAt),
    ...run.journal
      .filter((entry) => entry.endpoint === "token" && entry.fault !== undefined && entry.fault !== "Latency")
      .map((entry) => entry.at)
  ],
  seq: run.exchanges.filter((exchange) => failedTokenRequest(exchange)).map((e) => e.endSeq)
})

const violation = (invariant: string, message: string, at?: number): Violation =>
  at === undefined ? { invariant, message } : { invariant, message, at }

/** @internal */
export const singleFlight: Invariant = {
  name: "singleFlight",
  description: "at most one token request in flight at a time per client",
  check: (run) =>
    byGeneration(run.exchanges.filter((exchange) => exchange.endpoint === "token")).flatMap((requests) => {
      const found: Array<Violation> = []
      for (let i = 1; i < requests.length; i++) {
        const request = requests[i]!
        const overlapped = requests.slice(0, i).find((earlier) => earlier.endSeq > request.startSeq)
        if (overlapped !== undefined) {
          found.push(violation(
            "singleFlight",
            `${who(request)} started a token request at ${time(request.startedAt)} while ${who(overlapped)}'s ` +
              `(started at ${time(overlapped.startedAt)}) was still waiting for its answer: ` +
              "concurrent token requests must share one",
            request.startedAt
          ))
        }
      }
      return found
    })
}

/** @internal */
export const noExpiredToken: Invariant = {
  name: "noExpiredToken",
  description: "no expired token sent to the API while the token endpoint was healthy",
  check: (run) => {
    const tokens = new Map(run.tokens.map((token) => [token.id, token]))
    const failures = tokenFailures(run).at
    return run.journal.flatMap((entry) => {
      if (entry.endpoint !== "api" || entry.tokenId === undefined) return []
      const token = tokens.get(entry.tokenId)
      if (token === undefined || entry.at < token.expiresAt) return []
      if (failures.some((at) => at >= token.issuedAt && at <= entry.at)) return []
      return [violation(
        "noExpiredToken",
        `token ${token.id} (issued at ${time(token.issuedAt)}, expired at ${time(token.expiresAt)}) was sent to ` +
          `the API at ${time(entry.at)} (answered ${entry.status}), though every token request since its issue ` +
          "succeeded: refresh before expiry",
        entry.at
      )]
    })
  }
}

/** @internal */
export const noRejectedTokenReuse: Invariant = {
  name: "noRejectedTokenReuse",
  description: "no token sent again after the API rejected it",
  check: (run) => {
    const calls = new Map(run.calls.map((call) => [call.id, call]))
    const failures = tokenFailures(run).seq
    return byGeneration(run.exchanges.filter((exchange) => exchange.endpoint === "api")).flatMap((requests) => {
      // the client acted on a rejection once the call that got it made its next request or ended
      const known = requests
        .filter((request) => request.rejected && request.bearer !== undefined)
        .map((rejected) => {
          const next = run.exchanges.find((other) =>
            rejected.call !== undefined && other.call === rejected.call && other.startSeq > rejected.endSeq
          )
          const call: Call | undefined = rejected.call === undefined ? undefined : calls.get(rejected.call)
          const candidates = [next?.startSeq, call?.endSeq].filter((seq): seq is number => seq !== undefined)
          return { rejected, from: candidates.length === 0 ? rejected.endSeq : Math.min(...candidates) }
        })
      return requests.flatMap((request) => {
        if (request.bearer === undefined) return []
        const value = Redacted.value(request.bearer)
        // a call already under way may have been handed the token before the rejection: it may send it
        const startedAt = request.call === undefined ? request.startSeq : calls.get(request.call)?.startSeq
        const earlier = known.find(({ from, rejected }) =>
          from < request.startSeq && Redacted.value(rejected.bearer!) === value &&
          (rejected.call === request.call || startedAt === undefined || from < startedAt) &&
          !failures.some((seq) => seq > from && seq < request.startSeq)
        )
        if (earlier === undefined) return []
        return [violation(
          "noRejectedTokenReuse",
          `${who(request)} sent at ${time(request.startedAt)} the token the API had rejected ` +
            `(status ${earlier.rejected.status}) at ` +
            `${time(earlier.rejected.endedAt)} in its answer to ${who(earlier.rejected)}, though no token request ` +
            "had failed since: drop a rejected token and get a new one",
          request.startedAt
        )]
      })
    })
  }
}

/** @internal */
export const noRefreshTokenReuse: Invariant = {
  name: "noRefreshTokenReuse",
  description: "no refresh token sent again once an answer the client received had replaced it",
  check: (run) => {
    const refreshes = run.exchanges.filter((exchange) =>
      exchange.endpoint === "token" && exchange.sentRefreshToken !== undefined
    )
    const rotations = refreshes.filter((exchange) =>
      exchange.outcome === "response" && exchange.status === 200 && exchange.refreshToken !== undefined &&
      Redacted.value(exchange.refreshToken) !== Redacted.value(exchange.sentRefreshToken!)
    )
    return refreshes.flatMap((request) => {
      const sent = Redacted.value(request.sentRefreshToken!)
      const rotation = rotations.find((rotation) =>
        rotation.endSeq < request.startSeq && Redacted.value(rotation.sentRefreshToken!) === sent
      )
      if (rotation === undefined) return []
      return [violation(
        "noRefreshTokenReuse",
        `${who(request)} sent at ${time(request.startedAt)} (client ${request.generation}) a refresh token that the ` +
          `answer to ${who(rotation)} (client ${rotation.generation}) had replaced with a new one at ` +
          `${time(rotation.endedAt)}: keep the rotated refresh token, saved before the access token is used, ` +
          "and send only it",
        request.startedAt
      )]
    })
  }
}

/**
 * The API exchanges of each call, by request: its method and path. A call
 * may send more than one request — a connector that learns its base URL
 * first asks the provider for it — and each is replayed on its own.
 */
const byRequest = (exchanges: ReadonlyArray<Exchange>): Map<string, Array<Exchange>> => {
  const requests = new Map<string, Array<Exchange>>()
  for (const exchange of exchanges) {
    if (exchange.endpoint !== "api" || exchange.call === undefined) continue
    const key = `${exchange.call} ${exchange.method} ${exchange.path}`
    const sent = requests.get(key)
    if (sent === undefined) requests.set(key, [exchange])
    else sent.push(exchange)
  }
  return requests
}

/** @internal */
export const atMostOneReplay: Invariant = {
  name: "atMostOneReplay",
  description: "an API call sends each of its requests at most twice: once, and once more with a new token",
  check: (run) => {
    return Array.from(byRequest(run.exchanges).values()).filter((sent) => sent.length > 2).map((sent) =>
      violation(
        "atMostOneReplay",
        `call #${sent[0]!.call} sent its API request ${sent.length} times (${time(sent[0]!.startedAt)} to ` +
          `${time(sent[sent.length - 1]!.startedAt)}, answers ${sent.map((e) => e.status ?? e.outcome).join(", ")}): ` +
          "replay a rejected request once, then report the rejection",
        sent[0]!.startedAt
      )
    )
  }
}

/** @internal */
export const noStaleReplay: Invariant = {
  name: "noStaleReplay",
  description: "a request replayed after a rejection carries a token requested after the rejection",
  check: (run) => {
    const api = run.exchanges.filter((exchange) => exchange.endpoint === "api")
    const tokenRequests = run.exchanges.filter((exchange) => exchange.endpoint === "token")
    return Array.from(byRequest(api).values()).flatMap((sent) =>
      sent.slice(1).flatMap((replay, index) => {
        const rejected = sent[index]!
        if (!rejected.rejected || replay.bearer === undefined || replay.startSeq < rejected.endSeq) return []
        const value = Redacted.value(replay.bearer)
        const carries = (exchange: Exchange, token: Redacted.Redacted<string> | undefined) =>
          token !== undefined && Redacted.value(token) === value && exchange !== replay
        // refused, to this call or another, by this call's rejection at the latest: the client knew it was no
        // good. (One refused later, e.g. in another call's replay, may have been handed to this call already.)
        const refused = api.find((other) =>
          other.rejected && carries(other, other.bearer) && other.endSeq <= rejected.endSeq
        )
        // requested (or, for a token that came by another way, first sent) before the rejection was seen
        const requested = tokenRequests.find((request) => carries(request, request.accessToken))
        const older = requested !== undefined
          ? (requested.startSeq < rejected.endSeq ? requested : undefined)
          : api.find((other) => carries(other, other.bearer) && other.startSeq < rejected.endSeq)
        if (refused === undefined && older === undefined) return []
        const why = refused !== undefined
          ? `a token the API had rejected (status ${refused.status}, at ${time(refused.endedAt)})`
          : requested !== undefined
          ? `a token requested at ${time(older!.startedAt)}, before the rejection was seen`
          : `a token already in use at ${time(older!.startedAt)}, before the rejection was seen`
        return [violation(
          "noStaleReplay",
          `${who(replay)} replayed its request at ${time(replay.startedAt)}, after the API rejected its token ` +
            `(status ${rejected.status}, at ${time(rejected.endedAt)}), with ${why}: replay only with a token ` +
            "obtained by a request that started after the rejection",
          replay.startedAt
        )]
      })
    )
  }
}

/** @internal */
export const noCallerFailure: Invariant = {
  name: "noCallerFailure",
  description: "no call fails",
  check: (run) => {
    const secrets = run.secrets.map(Redacted.value).filter((secret) => secret !== "")
    return run.calls.filter((call) => call.outcome === "failure").map((call) => {
      const error = redact(call.error ?? "", secrets).trim()
      const shown = error.length > maxErrorShown ? `${error.slice(0, maxErrorShown)}…` : error
      return violation(
        "noCallerFailure",
        `call #${call.id}, started at ${time(call.startedAt)}, failed at ${time(call.endedAt ?? call.startedAt)}` +
          `${shown === "" ? "" : `: ${shown}`}`,
        call.endedAt ?? call.startedAt
      )
    })
  }
}

const maxErrorShown = 300

/** @internal */
export const alwaysAuthenticated: Invariant = {
  name: "alwaysAuthenticated",
  description: "every API request of a call carries a token",
  check: (run) =>
    run.exchanges
      .filter((exchange) => exchange.endpoint === "api" && exchange.call !== undefined && exchange.bearer === undefined)
      .map((exchange) =>
        violation(
          "alwaysAuthenticated",
          `${who(exchange)} sent ${exchange.method} ${exchange.path} at ${time(exchange.startedAt)} ` +
            "without a token",
          exchange.startedAt
        )
      )
}

/** @internal */
export const noDpopProofReuse: Invariant = {
  name: "noDpopProofReuse",
  description: "no DPoP proof sent twice: a jti is used once per key",
  check: (run) => {
    // per key, the first exchange that sent each jti
    const seen = new Map<string, Map<string, Exchange>>()
    const found: Array<Violation> = []
    for (const exchange of [...run.exchanges].sort((a, b) => a.startSeq - b.startSeq)) {
      const proof = exchange.dpop
      if (proof === undefined || proof.jti === undefined) continue
      const key = proof.key ?? ""
      const jtis = seen.get(key) ?? new Map<string, Exchange>()
      seen.set(key, jtis)
      const first = jtis.get(proof.jti)
      if (first === undefined) {
        jtis.set(proof.jti, exchange)
        continue
      }
      found.push(violation(
        "noDpopProofReuse",
        `${who(exchange)} sent ${exchange.method} ${exchange.path} at ${time(exchange.startedAt)} with a DPoP proof ` +
          `whose jti ${who(first)} had sent already (${first.method} ${first.path} at ${time(first.startedAt)}, same ` +
          "key): sign a new proof for every request",
        exchange.startedAt
      ))
    }
    return found
  }
}

/** @internal */
export const noUnprovenDpopToken: Invariant = {
  name: "noUnprovenDpopToken",
  description: "a DPoP-bound token goes to the API only in the DPoP scheme, with a proof of its key for that request",
  check: (run) => {
    // the token requests that answered a DPoP-bound token, by its value
    const bound = new Map<string, Exchange>()
    for (const exchange of run.exchanges) {
      if (exchange.endpoint !== "token" || exchange.accessToken === undefined) continue
      if (exchange.tokenType?.toLowerCase() !== "dpop") continue
      const value = Redacted.value(exchange.accessToken)
      if (!bound.has(value)) bound.set(value, exchange)
    }
    return run.exchanges.flatMap((exchange) => {
      if (exchange.endpoint !== "api" || exchange.bearer === undefined) return []
      const issued = bound.get(Redacted.value(exchange.bearer))
      if (issued === undefined) return []
      const proof = exchange.dpop
      const problem = exchange.scheme !== "DPoP"
        ? `as a ${exchange.scheme ?? "query"} token instead of in the DPoP scheme`
        : proof === undefined
        ? "without a DPoP proof"
        : proof.key === undefined || proof.key !== issued.dpop?.key
        ? "with a proof of another key than the one it is bound to"
        : proof.ath === undefined
        ? "with a proof that does not name it (no ath)"
        : proof.htm !== exchange.method || proof.htu !== `${exchange.origin}${exchange.path}`
        ? "with a proof made for another request (htm, htu)"
        : undefined
      if (problem === undefined) return []
      return [violation(
        "noUnprovenDpopToken",
        `${who(exchange)} sent the DPoP-bound token issued at ${time(issued.endedAt)} to ${exchange.method} ` +
          `${exchange.path} at ${time(exchange.startedAt)} ${problem}: whoever holds a bound token without the key ` +
          "must not be able to use it, so it always goes with a proof",
        exchange.startedAt
      )]
    })
  }
}

const metadataPaths = ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]

/** @internal */
export const noUnvalidatedIssuer: Invariant = {
  name: "noUnvalidatedIssuer",
  description: "token requests go only to the origin of an authorization server whose metadata the client fetched",
  check: (run) => {
    const documents = run.exchanges.filter((exchange) =>
      exchange.outcome === "response" && exchange.status === 200 &&
      metadataPaths.some((path) => exchange.path.startsWith(path))
    )
    return run.exchanges.flatMap((exchange) => {
      if (exchange.endpoint !== "token") return []
      const validated = documents.some((document) =>
        document.origin === exchange.origin && document.endSeq < exchange.startSeq
      )
      if (validated) return []
      return [violation(
        "noUnvalidatedIssuer",
        `${who(exchange)} sent a token request to ${exchange.origin}${exchange.path} at ${time(exchange.startedAt)}, ` +
          "an origin whose authorization server metadata it had not fetched: send credentials and grants only to " +
          "the endpoints of an issuer discovered and checked first",
        exchange.startedAt
      )]
    })
  }
}

/** @internal */
export const retryAfterHonoured: Invariant = {
  name: "retryAfterHonoured",
  description: "no token request before the Retry-After of the previous answer has passed",
  check: (run) =>
    byGeneration(run.exchanges.filter((exchange) => exchange.endpoint === "token")).flatMap((requests) =>
      requests.flatMap((answered) => {
        if (answered.retryAfter === undefined || answered.status === undefined || answered.status < 300) return []
        const until = answered.endedAt + answered.retryAfter
        const early = requests.find((request) => request.startSeq > answered.endSeq && request.startedAt < until)
        if (early === undefined) return []
        return [violation(
          "retryAfterHonoured",
          `${who(early)} sent a token request at ${time(early.startedAt)}, but the token endpoint had answered ` +
            `${answered.status} with Retry-After ${Duration.format(Duration.millis(answered.retryAfter))} ` +
            `at ${time(answered.endedAt)}: wait until ${time(until)}`,
          early.startedAt
        )]
      })
    )
}

/** Statuses that say "try again": the server is busy, overloaded or down for now. */
const transientStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/**
 * A token request that failed in a way a retry cures: no answer (a dropped
 * connection, a time-out), or a transient status whose `Retry-After`, if any,
 * asks for no longer a wait than `maxRetryAfter`.
 */
const transient = (exchange: Exchange, maxRetryAfter: number): boolean =>
  exchange.outcome !== "response" ||
  (exchange.status !== undefined && transientStatuses.has(exchange.status) &&
    (exchange.retryAfter ?? 0) <= maxRetryAfter)

const describeFailure = (exchange: Exchange): string =>
  exchange.outcome !== "response"
    ? exchange.outcome === "failure" ? "no answer" : "abandoned"
    : exchange.status === 200
    ? "200 without a usable token"
    : exchange.retryAfter === undefined
    ? `${exchange.status}`
    : `${exchange.status} (Retry-After ${Duration.format(Duration.millis(exchange.retryAfter))})`

const groupBy = <K, A>(items: ReadonlyArray<A>, key: (item: A) => K | undefined): Map<K, Array<A>> => {
  const groups = new Map<K, Array<A>>()
  for (const item of items) {
    const k = key(item)
    if (k === undefined) continue
    const group = groups.get(k)
    if (group === undefined) groups.set(k, [item])
    else group.push(item)
  }
  return groups
}

/** @internal */
export const makeTransientFailuresRetried = (
  options: { readonly failures?: number | undefined; readonly maxRetryAfter?: Duration.DurationInput | undefined } = {}
): Invariant => {
  const tolerated = Math.max(0, Math.floor(options.failures ?? 2))
  const maxRetryAfter = Duration.toMillis(Duration.decode(options.maxRetryAfter ?? "30 seconds"))
  return {
    name: "transientFailuresRetried",
    description: `no call fails because of at most ${tolerated} transient token endpoint failure(s) in a row`,
    check: (run) => {
      // a DPoP nonce challenge, answered at once, is neither a token nor a failure
      const tokenRequests = groupBy(
        run.exchanges.filter((exchange) => exchange.endpoint === "token" && !exchange.dpopNonce)
          .sort((a, b) => a.endSeq - b.endSeq),
        (exchange) => exchange.generation
      )
      const apiRequests = groupBy(run.exchanges.filter((exchange) => exchange.endpoint === "api"), (e) => e.call)
      return run.calls.flatMap((call) => {
        if (call.outcome !== "failure" || call.endSeq === undefined) return []
        // a call failed for want of a token when it sent nothing, or sent once and was rejected: a call whose
        // API failed it, or whose replay was rejected too, is another invariant's business
        const sent = apiRequests.get(call.id) ?? []
        if (sent.length > 1 || (sent.length === 1 && !sent[0]!.rejected)) return []
        const before = (tokenRequests.get(call.generation) ?? []).filter((exchange) => exchange.endSeq < call.endSeq!)
        // the failures in a row the client had met when the call failed, back to its last token
        const streak: Array<Exchange> = []
        for (let i = before.length - 1; i >= 0 && !healthy(before[i]!); i--) streak.unshift(before[i]!)
        const last = streak[streak.length - 1]
        if (last === undefined || !transient(last, maxRetryAfter) || streak.length > tolerated) return []
        return [violation(
          "transientFailuresRetried",
          `call #${call.id} failed at ${time(call.endedAt ?? call.startedAt)}, after the token endpoint had failed ` +
            `only ${streak.length} time(s) in a row, the last in a way a retry cures ` +
            `(${streak.map((e) => `${describeFailure(e)} at ${time(e.endedAt)}`).join(", ")}): retry transient ` +
            `token endpoint failures — at least ${tolerated + 1} attempts, waiting out a Retry-After of up to ` +
            `${Duration.format(Duration.millis(maxRetryAfter))} — before failing a call`,
          call.endedAt ?? call.startedAt
        )]
      })
    }
  }
}

/** @internal */
export const transientFailuresRetried: Invariant = makeTransientFailuresRetried()

/** @internal */
export const makeRetriesBackOff = (
  options: { readonly window?: Duration.DurationInput | undefined; readonly requests?: number | undefined } = {}
): Invariant => {
  const window = Duration.toMillis(Duration.decode(options.window ?? "100 millis"))
  const allowed = Math.max(0, Math.floor(options.requests ?? 1))
  return {
    name: "retriesBackOff",
    description: `at most ${allowed} token request(s) within ${Duration.format(Duration.millis(window))} of a failed one`,
    check: (run) =>
      byGeneration(run.exchanges.filter((exchange) => exchange.endpoint === "token")).flatMap((requests) => {
        const found: Array<Violation> = []
        // one violation per burst: the requests of a reported burst open no window of their own
        let reported = -1
        requests.forEach((failed, index) => {
          if (index <= reported || healthy(failed) || failed.dpopNonce) return
          const burst = requests.filter((request) =>
            request.startSeq > failed.endSeq && request.startedAt < failed.endedAt + window
          )
          if (burst.length <= allowed) return
          reported = requests.indexOf(burst[burst.length - 1]!)
          found.push(violation(
            "retriesBackOff",
            `the client sent ${burst.length} token requests between ` +
              `${time(burst[0]!.startedAt)} and ${time(burst[burst.length - 1]!.startedAt)}, within ` +
              `${Duration.format(Duration.millis(window))} of a failed one (${describeFailure(failed)} at ` +
              `${time(failed.endedAt)}): back off between retries, e.g. exponentially`,
            burst[0]!.startedAt
          ))
        })
        return found
      })
  }
}

/** @internal */
export const retriesBackOff: Invariant = makeRetriesBackOff()

/** @internal */
export const redact = (text: string, secrets: ReadonlyArray<string>): string =>
  secrets.reduce((redacted, secret) => redacted.split(secret).join("<redacted>"), text)

/** @internal */
export const noSecretInLogs: Invariant = {
  name: "noSecretInLogs",
  description: "no client secret or token in any log line or reported error",
  check: (run) => {
    const secrets = run.secrets.map(Redacted.value).filter((secret) => secret !== "")
    const texts = [
      ...run.logs.map((line, index) => ({ where: `log line ${index + 1}`, text: line, at: undefined })),
      ...run.calls.flatMap((call) =>
        call.error === undefined ? [] : [{ where: `the error of call #${call.id}`, text: call.error, at: call.endedAt }]
      ),
      ...run.problems.map((text, index) => ({ where: `run problem ${index + 1}`, text, at: undefined }))
    ]
    return texts.flatMap(({ at, text, where }) =>
      secrets.some((secret) => text.includes(secret))
        ? [violation("noSecretInLogs", `${where} shows a secret: ${redact(text, secrets)}`, at)]
        : []
    )
  }
}

/** @internal */
export const callsEnd: Invariant = {
  name: "callsEnd",
  description: "every call ends with an answer or an error",
  check: (run) =>
    run.calls.filter((call) => call.outcome === "pending").map((call) =>
      violation(
        "callsEnd",
        `call #${call.id}, started at ${time(call.startedAt)}, had not ended when the run did: ` +
          "bound every wait with a timeout",
        call.startedAt
      )
    )
}

/** @internal */
export const runCompleted: Invariant = {
  name: "runCompleted",
  description: "the integration could be built at every (re)start",
  check: (run) =>
    run.problems.map((problem) =>
      violation("runCompleted", redact(problem, run.secrets.map(Redacted.value).filter((secret) => secret !== "")))
    )
}
