/**
 * The first problem of a Schema decoding failure, read without Schema's
 * formatters: they render the value received, which may be a token, a
 * megabyte of text or a value nested thousands of levels deep.
 */
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as AST from "effect/SchemaAST"

/**
 * Where decoding failed (the keys from the top) and the message the schema
 * gives there, if any.
 *
 * @internal
 */
export interface Problem {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string | undefined
}

// A message annotation that is a plain string, or a string marked `override`;
// an effectful one is not run here.
const annotated = (ast: AST.AST, issue: ParseResult.ParseIssue): string | undefined =>
  Option.match(AST.getMessageAnnotation(ast), {
    onNone: () => undefined,
    onSome: (annotation) => {
      const result = annotation(issue)
      if (typeof result === "string") return result
      return typeof result === "object" && "message" in result && typeof result.message === "string"
        ? result.message
        : undefined
    }
  })

/**
 * The first failure in `issue`, depth first: the nearest message annotation
 * above it wins (as with Schema's formatters), then the failure's own
 * message. Iterative; it reads the issue tree only, never the value.
 *
 * @internal
 */
export const first = (issue: ParseResult.ParseIssue): Problem => {
  const path: Array<PropertyKey> = []
  let current: ParseResult.ParseIssue = issue
  for (;;) {
    if ("ast" in current) {
      // every issue but a Pointer has the AST of the schema that failed
      const message = annotated(current.ast as AST.AST, current)
      if (message !== undefined) return { path, message }
    }
    switch (current._tag) {
      case "Pointer":
        path.push(...(Array.isArray(current.path) ? current.path : [current.path]))
        current = current.issue
        break
      case "Composite":
        if (!Array.isArray(current.issues)) {
          current = current.issues as ParseResult.ParseIssue
          break
        }
        if (current.issues.length === 0) return { path, message: undefined }
        current = current.issues[0]!
        break
      case "Refinement":
      case "Transformation":
        current = current.issue
        break
      case "Type":
      case "Forbidden":
        return { path, message: current.message }
      case "Missing":
        return { path, message: current.message ?? "is missing" }
      case "Unexpected":
        return { path, message: current.message ?? "is unexpected" }
    }
  }
}
