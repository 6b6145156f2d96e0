import type * as AuthServer from "../AuthServer.js"

// What the journal records, free of the HTTP server types: the handlers that fill it in are in `./handler.ts`.

/**
 * What an endpoint learns about a request while it handles it, for the
 * journal. Filled in as the handler goes, so that a request answered early
 * with an error is still recorded with all that was known.
 *
 * @internal
 */
export interface Note {
  grantType?: string
  clientId?: string
  tokenId?: string
  refreshTokenId?: string
  issuedRefreshTokenId?: string
  tokenState?: AuthServer.TokenState
  pushedRequestId?: string
  dpop?: AuthServer.DpopResult
  dpopJkt?: string
  fault?: AuthServer.Fault["_tag"]
}

/** The path of a request URL, without its query string. @internal */
export const pathOf = (url: string): string => {
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}
