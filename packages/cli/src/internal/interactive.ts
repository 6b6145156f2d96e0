import * as CliOptions from "@effect/cli/Options"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as AccessToken from "@grantflow/core/AccessToken"
import * as Endpoint from "@grantflow/core/Endpoint"
import * as Grant from "@grantflow/core/Grant"
import type * as TokenError from "@grantflow/core/TokenError"
import * as RedirectReceiver from "@grantflow/node/RedirectReceiver"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { spawn } from "node:child_process"
import * as Client from "./client.js"
import * as Failure from "./failure.js"

/**
 * The `--scope` flag of the commands that sign in; `defaults` says what it
 * defaults to, if anything.
 *
 * @internal
 */
export const scopeFlag = (defaults?: string) =>
  CliOptions.text("scope").pipe(
    CliOptions.withDescription(
      `A scope to ask for; repeat the flag or separate scopes with spaces${defaults === undefined ? "" : ` (default: ${defaults})`}.`
    ),
    CliOptions.repeated
  )

/**
 * The flags of the sign-in in a browser (`login`, `token --grant
 * authorization_code`), their descriptions prefixed with `grant` if given.
 *
 * @internal
 */
export const browserFlags = (grant?: string) => {
  const describe = (text: string) =>
    grant === undefined ? text.charAt(0).toUpperCase() + text.slice(1) : `${grant}: ${text}`
  return {
    authorizationUrl: Client.optionalText(
      "authorization-url",
      describe("the authorization endpoint, when it is not discovered (a token URL was given).")
    ),
    redirectPort: CliOptions.integer("redirect-port").pipe(
      CliOptions.withDescription(
        describe("the port of the loopback redirect receiver, http://127.0.0.1:PORT/callback (default: any free port).")
      ),
      CliOptions.withDefault(0)
    ),
    par: CliOptions.boolean("par").pipe(
      CliOptions.withDescription(
        describe(
          "push the authorization request to the server first (RFC 9126), then send the browser with its request_uri; " +
            "done anyway when the server's metadata requires it."
        )
      )
    ),
    noBrowser: CliOptions.boolean("no-browser").pipe(
      CliOptions.withDescription(
        describe(
          "do not open a browser, only print the URL (none is opened either when not on a terminal or with BROWSER=none)."
        )
      )
    )
  }
}

/**
 * What the interactive flows share: the resolved client, the scopes, the
 * resource indicators (RFC 8707) and the extra authorization parameters
 * (`audience`) to ask for, and
 * where the messages for the user go (stderr: stdout carries the result).
 *
 * @internal
 */
export interface Options {
  readonly resolved: Client.Resolved
  readonly scopes: ReadonlyArray<string>
  readonly resource?: ReadonlyArray<string> | undefined
  readonly extraParams?: Readonly<Record<string, string>> | undefined
  readonly print: (text: string) => Effect.Effect<void>
}

/**
 * The browser flow's own options:
 *
 * - `authorizationUrl`: the authorization endpoint, when the server's
 *   metadata has none or was not discovered (a token URL was given);
 * - `port`: of the loopback redirect receiver (default 0: any free port;
 *   the server must accept any port for a loopback redirect URI, RFC 8252 §7.3);
 * - `openBrowser`: whether to try to open a browser on the URL; it is tried
 *   only on a terminal and never with `BROWSER=none`. The URL is printed
 *   whatever happens, for the user to open if no browser comes up;
 * - `timeout`: how long to wait for the browser to come back (default 5 minutes);
 * - `pushedAuthorization`: push the authorization request first (RFC 9126),
 *   which is done anyway when the server's metadata requires it.
 *
 * @internal
 */
export interface BrowserOptions extends Options {
  readonly authorizationUrl?: string | undefined
  readonly pushedAuthorization?: boolean | undefined
  readonly port?: number | undefined
  readonly openBrowser: boolean
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Whether to open a browser: asked for, on a terminal, and not turned off
 * with `BROWSER=none`.
 *
 * @internal
 */
export const canOpen = (asked: boolean): boolean =>
  asked && process.stdin.isTTY === true && process.stderr.isTTY === true && process.env["BROWSER"] !== "none"

/**
 * The command that opens `url`: `$BROWSER` when set, else the platform's
 * opener. Arguments are passed as such, never through a shell.
 */
const opener = (url: string): readonly [string, ReadonlyArray<string>] => {
  const browser = process.env["BROWSER"]
  if (browser !== undefined && browser !== "") return [browser, [url]]
  switch (process.platform) {
    case "darwin":
      return ["open", [url]]
    case "win32":
      // `start` is a cmd built-in that would parse the URL's `&`: the URL handler takes it as it is
      return ["rundll32", ["url.dll,FileProtocolHandler", url]]
    default:
      return ["xdg-open", [url]]
  }
}

/** Starts the browser on `url`, detached; a browser that cannot start is ignored (the URL is printed anyway). */
const open = (url: string): Effect.Effect<void> =>
  Effect.sync(() => {
    try {
      const [command, args] = opener(url)
      const child = spawn(command, args, { detached: true, stdio: "ignore" })
      child.on("error", () => {})
      child.unref()
    } catch {
      // no opener on this system: the user opens the printed URL
    }
  })

/**
 * Signs in through a browser: the authorization code flow with PKCE (S256),
 * the browser coming back to a loopback redirect receiver on 127.0.0.1, the
 * code exchanged at the token endpoint with the client's authentication. The
 * authorization URL is printed (it carries no secret: the PKCE verifier
 * stays here), and opened in a browser when {@link BrowserOptions} allow.
 * The callback's `iss` is checked against the discovered issuer.
 *
 * @internal
 */
export const browserAuthorization = (
  options: BrowserOptions
): Effect.Effect<
  AccessToken.AccessToken,
  RedirectReceiver.AuthorizeError | Failure.CliFailure,
  HttpClient.HttpClient
> =>
  Effect.gen(function*() {
    const { metadata } = options.resolved
    const authorizeUrl = options.authorizationUrl ??
      Option.getOrUndefined(Option.flatMap(metadata, (metadata) => metadata.authorizationEndpoint))
    if (authorizeUrl === undefined) {
      return yield* Failure.usage(
        Option.isSome(metadata)
          ? "the authorization server's metadata has no authorization_endpoint"
          : "the authorization endpoint is unknown: a token URL was given, not an issuer",
        "give the authorization endpoint with --authorization-url"
      )
    }
    const openBrowser = canOpen(options.openBrowser)
    const issuerCheck = Option.match(metadata, {
      onNone: () => ({}),
      onSome: (metadata) => ({
        issuer: metadata.issuer,
        issuerRequired: metadata.authorizationResponseIssParameterSupported
      })
    })
    return yield* RedirectReceiver.authorize(options.resolved.endpoint, {
      authorizeUrl,
      scopes: options.scopes,
      resource: options.resource,
      extraParams: options.extraParams,
      pushedAuthorization: options.pushedAuthorization,
      port: options.port,
      timeout: options.timeout,
      ...issuerCheck,
      onAuthorizeUrl: (url) => showAuthorizeUrl(url, openBrowser, options.print)
    }).pipe(Effect.catchTag("ServeError", (error) => receiverFailure(options.port, error)))
  })

/**
 * Shows the user the authorization URL: printed, and opened in a browser
 * when `openBrowser` (see `canOpen`).
 *
 * @internal
 */
export const showAuthorizeUrl = (url: URL, openBrowser: boolean, print: (text: string) => Effect.Effect<void>) =>
  Effect.zipRight(
    print(
      `${openBrowser ? "Opening a browser to sign in. If none opens, open" : "Open"} this URL to sign in:\n` +
        `  ${url.href}\nWaiting for the browser to come back` +
        // a pushed request (RFC 9126) leaves the redirect URI out of the URL
        `${url.searchParams.has("redirect_uri") ? ` to ${url.searchParams.get("redirect_uri")}` : ""} …`
    ),
    openBrowser ? open(url.href) : Effect.void
  )

/** The redirect receiver could not listen on `port`. @internal */
export const receiverFailure = (port: number | undefined, error: { readonly cause: unknown }) =>
  Failure.failure(
    `cannot listen on 127.0.0.1:${port ?? 0} for the browser's redirect (${Failure.errorCode(error.cause)})`,
    "choose another --redirect-port, or leave it out for any free port"
  )

/** The user code in a box, the verification URI above it. */
const userCodeBox = (info: Grant.UserCode): string => {
  const code = `   ${info.userCode}   `
  const rule = "─".repeat(code.length)
  return [
    `To sign in, open ${info.verificationUri}`,
    "and enter the code:",
    "",
    `  ┌${rule}┐`,
    `  │${code}│`,
    `  └${rule}┘`,
    "",
    ...(info.verificationUriComplete === undefined ? [] : [`(or open ${info.verificationUriComplete})`]),
    `The code expires in ${Duration.format(info.expiresIn)}. Waiting for the approval …`
  ].join("\n")
}

/**
 * Signs in with the device authorization grant (RFC 8628): prints the
 * verification URI and the user code in a box, then polls the token
 * endpoint at the server's interval until the user approves, denies, or the
 * code expires. The server's device authorization endpoint comes from its
 * metadata.
 *
 * @internal
 */
export const deviceAuthorization = (
  options: Options
): Effect.Effect<AccessToken.AccessToken, TokenError.TokenError | Failure.CliFailure, HttpClient.HttpClient> => {
  const { endpoint, metadata } = options.resolved
  if (Either.isLeft(Endpoint.url(endpoint, "deviceAuthorization"))) {
    return Option.isSome(metadata)
      ? Failure.failure(
        "the authorization server's metadata has no device_authorization_endpoint: it does not offer the device flow",
        "sign in with --grant authorization_code"
      )
      : Failure.usage(
        "the device authorization endpoint is unknown: a token URL was given, not an issuer",
        "give the issuer's URL, whose metadata names it"
      )
  }
  return Grant.deviceCode(endpoint, {
    scopes: options.scopes,
    resource: options.resource,
    extraParams: options.extraParams,
    onUserCode: (info) => options.print(userCodeBox(info))
  })
}
