/**
 * Everything grantflow says or records while a test runs, as text: log lines
 * (message, annotations, cause), spans (attributes, events, failures), and
 * every printing of the values the test hands to `print` — so that a test
 * can look for a secret in all of it.
 */
import { Cause, Encoding, Exit, HashMap, Inspectable, Logger, type Option, Tracer } from "effect"
import type * as Context from "effect/Context"
import { inspect } from "node:util"

class RecordingSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly spanId = Math.random().toString(16).slice(2)
  readonly traceId = "trace"
  readonly sampled = true
  readonly attributes = new Map<string, unknown>()
  readonly links: Array<Tracer.SpanLink> = []
  status: Tracer.SpanStatus
  constructor(
    readonly captured: Array<string>,
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    readonly kind: Tracer.SpanKind,
    startTime: bigint
  ) {
    this.status = { _tag: "Started", startTime }
  }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>) {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
    this.captured.push(`span ${this.name} ${JSON.stringify([...this.attributes])}`)
    if (Exit.isFailure(exit)) this.captured.push(`span ${this.name} failed: ${Cause.pretty(exit.cause)}`)
  }
  attribute(key: string, value: unknown) {
    this.attributes.set(key, value)
  }
  event(name: string, _startTime: bigint, attributes?: Record<string, unknown>) {
    this.captured.push(`span event ${name} ${JSON.stringify(attributes ?? {})}`)
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>) {
    this.links.push(...links)
  }
}

/** `JSON.stringify`, or why it threw (a printer that throws shows nothing, but the test must know). */
const json = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? "undefined"
  } catch (error) {
    return `JSON.stringify threw: ${String(error)}`
  }
}

/** Every way a value is commonly printed. */
export const printings = (value: unknown): ReadonlyArray<string> => [
  value instanceof Error ? value.message : "",
  String(value),
  json(value),
  inspect(value, { depth: 16 }),
  Inspectable.format(value),
  Cause.pretty(Cause.fail(value))
]

/** A capture: its text so far, a tracer and a logger that feed it, and `print` for values. */
export const makeCapture = () => {
  const captured: Array<string> = []
  const tracer = Tracer.make({
    span: (name, parent, context, _links, startTime, kind) =>
      new RecordingSpan(captured, name, parent, context, kind, startTime),
    context: (f) => f()
  })
  const logger = Logger.replace(
    Logger.defaultLogger,
    Logger.zip(
      Logger.map(Logger.logfmtLogger, (line) => captured.push(line)),
      Logger.make(({ annotations, cause, message }) => {
        const values: ReadonlyArray<unknown> = Array.isArray(message) ? message : [message]
        captured.push(
          ...values.flatMap(printings),
          json([...HashMap.toEntries(annotations)]),
          Cause.pretty(cause)
        )
      })
    )
  )
  return {
    tracer,
    logger,
    print: (value: unknown) => {
      captured.push(...printings(value))
    },
    text: () => captured.join("\n")
  }
}

/**
 * Every form a client secret travels in: as it is, form-encoded, and in both
 * encodings of Basic credentials (RFC 7617 raw, RFC 6749 §2.3.1 form-encoded
 * first).
 */
export const clientSecretForms = (clientId: string, clientSecret: string): ReadonlyArray<string> => [
  clientSecret,
  encodeURIComponent(clientSecret),
  Encoding.encodeBase64(`${clientId}:${clientSecret}`),
  Encoding.encodeBase64(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret).replace(/%20/g, "+")}`)
]
