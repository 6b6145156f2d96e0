import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"

/**
 * A part of a template: literal text, or a `{{ name }}` variable.
 *
 * @internal
 */
export type Part =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Variable"; readonly name: string }

/**
 * A parsed template: `https://{{ SUBDOMAIN }}.example.com` is the text
 * `https://`, the variable `SUBDOMAIN` and the text `.example.com`.
 *
 * @internal
 */
export interface Template {
  readonly source: string
  readonly parts: ReadonlyArray<Part>
}

// a config field (`CLIENT_ID`), a built-in (`redirect_url`) or a dotted one (`oauth.refresh_token`)
const variableName = /^[A-Z_]\w*(?:\.[A-Z_]\w*)*$/i

/**
 * Parses `{{ name }}` variables out of a string (spaces inside the braces are
 * optional). Fails with a reason — never quoting the string, which may be a
 * misplaced secret — when a `{{` is not closed, a `}}` is not opened, or a
 * name is not a (dotted) identifier.
 *
 * @internal
 */
export const parse = (source: string): Either.Either<Template, string> => {
  const parts: Array<Part> = []
  let rest = source
  let offset = 0
  while (rest !== "") {
    const open = rest.indexOf("{{")
    const close = rest.indexOf("}}")
    if (close !== -1 && (open === -1 || close < open)) {
      return Either.left(`has a "}}" without a "{{" at character ${offset + close + 1}`)
    }
    if (open === -1) {
      parts.push({ _tag: "Text", text: rest })
      break
    }
    if (open > 0) parts.push({ _tag: "Text", text: rest.slice(0, open) })
    const end = rest.indexOf("}}", open + 2)
    if (end === -1) return Either.left(`has a "{{" without a "}}" at character ${offset + open + 1}`)
    const name = rest.slice(open + 2, end).trim()
    if (!variableName.test(name)) {
      return Either.left(
        `has a malformed template at character ${offset + open + 1}: write a variable as {{ NAME }} or {{ oauth.name }}`
      )
    }
    parts.push({ _tag: "Variable", name })
    offset += end + 2
    rest = rest.slice(end + 2)
  }
  return Either.right({ source, parts })
}

/**
 * The names of the variables a template uses, in order, repeats included.
 *
 * @internal
 */
export const variables = (self: Template): ReadonlyArray<string> =>
  self.parts.flatMap((part) => part._tag === "Variable" ? [part.name] : [])

/**
 * Whether the template is exactly one variable and nothing else.
 *
 * @internal
 */
export const single = (self: Template): string | undefined =>
  self.parts.length === 1 && self.parts[0]!._tag === "Variable" ? self.parts[0]!.name : undefined

/**
 * Renders a template. `lookup` gives each variable's value; `encode`
 * escapes it for where it goes, knowing whether the variable starts the
 * template (a URL taken whole from the configuration) or sits inside it (a
 * host label, a path segment or a query value). The result is `Redacted` as
 * soon as one value is.
 *
 * @internal
 */
export const render = (
  self: Template,
  lookup: (name: string) => string | Redacted.Redacted<string>,
  encode: (value: string, leading: boolean) => string = (value) => value
): string | Redacted.Redacted<string> => {
  let secret = false
  let text = ""
  self.parts.forEach((part, index) => {
    if (part._tag === "Text") {
      text += part.text
      return
    }
    const value = lookup(part.name)
    if (Redacted.isRedacted(value)) secret = true
    text += encode(Redacted.isRedacted(value) ? Redacted.value(value) : value, index === 0)
  })
  return secret ? Redacted.make(text) : text
}

/**
 * The encoding of variables in a URL: a leading one is a URL from the
 * configuration and goes in as it is (the result is checked as a URL); any
 * other is percent-encoded, so that a value cannot move the URL to another
 * host or path (`evil.example/#`).
 *
 * @internal
 */
export const encodeInUrl = (value: string, leading: boolean): string => leading ? value : encodeURIComponent(value)
