/**
 * JSON from untrusted sources (servers, headers, files), read with bounds.
 *
 * `JSON.parse` itself is linear, but what follows it is not safe on any
 * shape: recursive code (Schema's decoding and its messages, `JSON.stringify`
 * of an error) overflows the stack on a few kilobytes of `[[[[…`. {@link parse}
 * checks a text's nesting depth (and, when asked, how many values it holds)
 * in one pass before it parses it, and never throws. Every document grantflow
 * reads from a server goes through it.
 *
 * @since 0.1.0
 */
import type * as Either from "effect/Either"
import * as internal from "./internal/json.js"

/**
 * The deepest nesting {@link parse} accepts by default: 64 levels. OAuth
 * documents are two or three levels deep.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * ```ts
 * import { Json } from "@grantflow/core"
 *
 * Json.defaultMaxDepth // 64
 * ```
 */
export const defaultMaxDepth: number = internal.defaultMaxDepth

/**
 * Why a text is not accepted: not JSON (`Syntax`), nesting deeper than
 * `maxDepth` (`TooDeep`), longer than `maxLength` (`TooLarge`) or holding
 * more than `maxValues` values (`TooMany`). No variant carries the text: it
 * may hold a secret.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = internal.Failure

/**
 * Options of {@link parse}: `maxDepth` (default {@link defaultMaxDepth}),
 * `maxValues` (default none) and `maxLength` in characters (default none:
 * the caller has usually capped the bytes it read).
 *
 * @since 0.1.0
 * @category models
 */
export interface ParseOptions {
  readonly maxDepth?: number | undefined
  readonly maxValues?: number | undefined
  readonly maxLength?: number | undefined
}

/**
 * Parses a JSON text within bounds, checked before it is parsed. The
 * parser's own error is dropped: its message quotes the text.
 *
 * @since 0.1.0
 * @category parsing
 * @example
 * ```ts
 * import { Json } from "@grantflow/core"
 * import { Either } from "effect"
 *
 * Json.parse('{"keys":[]}') // Either.right({ keys: [] })
 * Either.isLeft(Json.parse("[".repeat(100) + "]".repeat(100))) // true: deeper than 64 levels
 * ```
 */
export const parse: (text: string, options?: ParseOptions) => Either.Either<unknown, Failure> = internal.parse

/**
 * A reason for a {@link Failure}, to follow the name of what was read ("the
 * body …", "the JWKS …"). It never quotes the text.
 *
 * @since 0.1.0
 * @category conversions
 * @example
 * ```ts
 * import { Json } from "@grantflow/core"
 *
 * Json.describeFailure({ _tag: "TooDeep", maxDepth: 64 }) // "nests deeper than 64 levels"
 * ```
 */
export const describeFailure: (failure: Failure) => string = internal.describeFailure
